"""The month and the gigabyte the prices are quoted in."""

HOURS_PER_MONTH = 730  # AWS's pricing month
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = 365 / 12
GB = 1024**3
