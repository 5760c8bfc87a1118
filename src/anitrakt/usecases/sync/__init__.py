"""The sync pipeline, its modes, the one-at-a-time lease and its status keys."""
