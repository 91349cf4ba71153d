"""Domain models: what the service reasons about, independent of HTTP and DynamoDB shapes."""
