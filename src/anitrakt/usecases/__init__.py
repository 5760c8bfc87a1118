"""The use cases the web app and the CLI call, and the one process container."""
