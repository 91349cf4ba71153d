"""The HTTP API's request and response models, one module per resource (camelCase lives only here).

Each API function imports the modules of the routes it serves, and pydantic builds a model when a
request first uses it (``defer_build``), so a cold start pays for its own models only.
"""
