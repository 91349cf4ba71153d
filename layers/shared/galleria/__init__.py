"""Galleria's domain package: models, data access, storage, auth, jobs, providers, images."""
