"""Domain → response mapping, one module per resource as in ``galleria.api.models`` (URLs are built
here, from the request's base URL)."""
