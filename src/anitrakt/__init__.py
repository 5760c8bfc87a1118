"""anitrakt: keep Trakt watch history in step with an AniList anime list."""

__version__ = "0.1.0"
