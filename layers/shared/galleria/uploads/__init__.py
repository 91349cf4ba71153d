"""User uploads: checking what uploaded bytes really are before anything else touches them."""
