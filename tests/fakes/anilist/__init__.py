"""A stateful fake of AniList's GraphQL API that checks queries against the REAL schema.

Every POSTed document is parsed, validated and executed by graphql-core against
`schema.graphqls` from the shared upstream data (introspected from graphql.anilist.co; see
PROVENANCE.md), so a query AniList would reject is rejected here too, with AniList's body
shape `{"data": null, "errors": [{"message", "status", "locations"}]}` and HTTP 400.
Resolvers answer from in-memory users, media, list entries and list activities.

Also imitated (docs/guide/*.md): `X-RateLimit-Limit`/`-Remaining` on every answer and a
429 with `Retry-After`/`X-RateLimit-Reset` past the limit (on an injectable clock); the
"Invalid token" 400; `Unauthorized.` for `Viewer` without a token; `perPage` ≤ 50,
`perChunk` ≤ 500, the 11,000-entry collection cap; and scripted faults (`fail_next`).

When the shared data is absent the fake still answers, executing the same resolvers
without validation, and says so once on stderr. The schema is never copied into the repo.

The package, one module a domain: `app` (`FakeAniList`, the HTTP handling), `store`
(users, media, entries, activities and their factories), `resolvers` (the root fields),
`execution` (graphql-core, or the schema-less fallback), `schema` (where the schema
comes from), `rate_limit`, `faults` (`fail_next`) and `errors` (AniList's error shape).
Everything tests imported from the single-module fake stays importable from here.
"""

from fakes.anilist.app import FakeAniList, RecordedRequest
from fakes.anilist.faults import (
    API_DISABLED_MESSAGE,
    NO_REFERER_BODY,
    NO_REFERER_MESSAGE,
    Fault,
    FaultKind,
)
from fakes.anilist.rate_limit import NOMINAL_LIMIT, RATE_WINDOW_SECONDS
from fakes.anilist.resolvers import (
    COLLECTION_CAP,
    MAX_PER_CHUNK,
    MAX_PER_PAGE,
    STATUS_LIST_NAMES,
)
from fakes.anilist.schema import SCHEMA_PATH, SHARED_DATA, load_schema
from fakes.anilist.store import FakeActivity, FakeEntry, FakeUser

__all__ = [
    "API_DISABLED_MESSAGE",
    "COLLECTION_CAP",
    "MAX_PER_CHUNK",
    "MAX_PER_PAGE",
    "NOMINAL_LIMIT",
    "NO_REFERER_BODY",
    "NO_REFERER_MESSAGE",
    "RATE_WINDOW_SECONDS",
    "SCHEMA_PATH",
    "SHARED_DATA",
    "STATUS_LIST_NAMES",
    "FakeActivity",
    "FakeAniList",
    "FakeEntry",
    "FakeUser",
    "Fault",
    "FaultKind",
    "RecordedRequest",
    "load_schema",
]
