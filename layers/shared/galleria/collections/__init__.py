"""Collections and their membership."""
