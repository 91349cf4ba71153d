"""Teams, credits, usage and API keys."""
