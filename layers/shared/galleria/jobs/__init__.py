"""Background jobs: records, queueing and waiting."""
