"""Bulk operations over many gallery items."""
