"""Image handling: safe decoding, thumbnails, format conversion and the offline procedural model.

Deliberately empty: Pillow is imported by the submodules, so code that only needs ``galleria``
(e.g. an API handler that never touches pixels) does not pay for it at cold start.
"""
