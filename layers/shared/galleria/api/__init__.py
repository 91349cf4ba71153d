"""The HTTP edge shared by every API function: resolver, auth, errors, schemas, links."""
