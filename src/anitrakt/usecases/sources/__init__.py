"""The mapping sources as this process holds them: refreshed, indexed, looked up."""
