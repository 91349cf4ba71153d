"""Image providers behind one interface; modules load lazily (httpx, Pillow stay off API paths)."""
