"""Edit sessions: chains of edits that start from one gallery item."""
