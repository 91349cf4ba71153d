"""The HTTP edge shared by every API function: resolver, auth, errors, models, presenters, links."""
