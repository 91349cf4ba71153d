"""Public share links: tokens, passwords, access grants, records and pages."""
