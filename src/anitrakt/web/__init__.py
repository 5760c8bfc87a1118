"""The web app: JSON API and pages over the same core functions as the CLI."""
