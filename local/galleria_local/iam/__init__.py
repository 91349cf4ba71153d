"""IAM in the local AWS, as a deployed stack has it: each function runs as the role SAM generates for it
(roles.py expands the template, principals.py creates the roles in moto and their sessions), and every
request moto serves is authorised against its caller's policies (enforcement.py).
"""
