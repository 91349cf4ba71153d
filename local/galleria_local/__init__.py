"""Galleria's local stack: template.yaml provisioned in moto, its functions behind a local gateway."""
