"""The sync pipeline, its lock, status keys and the scheduler."""
