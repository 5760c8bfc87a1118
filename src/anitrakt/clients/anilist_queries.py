"""Every GraphQL document the AniList client sends.

The fake AniList executes them against the real schema (tests/fakes/anilist), so a field
AniList does not have fails the suite, not a user's sync.
"""

from __future__ import annotations

MEDIA_FRAGMENT = """
fragment MediaFields on Media {
  id
  episodes
  format
  title { romaji english }
  coverImage { medium }
}
"""

VIEWER_QUERY = """
query Viewer {
  Viewer { id name }
}
"""

USER_QUERY = """
query UserByName($name: String!) {
  User(name: $name) { id name }
}
"""

ACTIVITIES_QUERY = (
    """
query ListActivities($userId: Int!, $since: Int!, $page: Int!, $perPage: Int!) {
  Page(page: $page, perPage: $perPage) {
    pageInfo { hasNextPage }
    activities(userId: $userId, type: ANIME_LIST, sort: ID_DESC, createdAt_greater: $since) {
      ... on ListActivity {
        id
        status
        progress
        createdAt
        media { ...MediaFields }
      }
    }
  }
}
"""
    + MEDIA_FRAGMENT
)

MEDIA_LIST_QUERY = (
    """
query AnimeList($userId: Int!, $status: MediaListStatus!, $chunk: Int!, $perChunk: Int!) {
  MediaListCollection(
    userId: $userId, type: ANIME, status: $status, chunk: $chunk, perChunk: $perChunk
  ) {
    hasNextChunk
    lists {
      entries {
        status
        progress
        score
        repeat
        completedAt { year month day }
        updatedAt
        media { ...MediaFields }
      }
    }
  }
}
"""
    + MEDIA_FRAGMENT
)

# When each entry aired, for placement by air dates (docs/placement.md). Asked only for the
# shows a run places, in pages of ids, so the list queries stay as light as they were.
# `airingSchedule` gives at most 25 episodes a page: enough to find and corroborate
# episode 1; later episodes fall back to counting on from it.
MEDIA_DETAILS_QUERY = (
    """
query MediaDetails($ids: [Int], $perPage: Int!) {
  Page(page: 1, perPage: $perPage) {
    media(id_in: $ids, type: ANIME) {
      ...MediaFields
      startDate { year month day }
      endDate { year month day }
      airingSchedule(perPage: 25) { nodes { episode airingAt } }
    }
  }
}
"""
    + MEDIA_FRAGMENT
)

# The whole list, every status, with the score format its scores are kept in and when
# each entry was added (the features beyond history, docs/beyond-history.md).
LIBRARY_QUERY = (
    """
query AnimeLibrary($userId: Int!, $chunk: Int!, $perChunk: Int!) {
  MediaListCollection(userId: $userId, type: ANIME, chunk: $chunk, perChunk: $perChunk) {
    hasNextChunk
    user { mediaListOptions { scoreFormat } }
    lists {
      entries {
        status
        progress
        score
        repeat
        completedAt { year month day }
        updatedAt
        createdAt
        media { ...MediaFields }
      }
    }
  }
}
"""
    + MEDIA_FRAGMENT
)

# Every document this client sends, for the contract test against the real schema.
ALL_QUERIES = (
    VIEWER_QUERY,
    USER_QUERY,
    ACTIVITIES_QUERY,
    MEDIA_LIST_QUERY,
    MEDIA_DETAILS_QUERY,
    LIBRARY_QUERY,
)
