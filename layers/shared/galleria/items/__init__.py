"""Gallery items: data access and the logic behind the gallery routes."""
