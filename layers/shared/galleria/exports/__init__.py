"""Exports: team media packed into downloadable archives."""
