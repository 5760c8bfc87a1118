"""Mapping sources (Fribb, Otaku), manual mappings and AniList → Trakt id resolution."""
