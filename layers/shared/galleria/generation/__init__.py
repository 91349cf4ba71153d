"""Image generation: the request side (API) and the job side (worker)."""
