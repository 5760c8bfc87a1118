"""Faithful fakes of the upstreams (AniList, Trakt, TMDB), for tests only.

Each fake is a small stateful ASGI app. Use it in-process through
`SyncASGITransport(app)` (fast) or as a real server on 127.0.0.1 through
`serve_in_thread(app)` (end-to-end). `src/` never imports anything from here.
"""
