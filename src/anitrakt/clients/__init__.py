"""One module per upstream (AniList, Trakt, TMDB) over the shared request helper in `http`."""
