"""Resolution over the real Fribb list (../shared/data/mappings), on both engines.

The derived current-shape list is served over HTTP as FRIBBS_URL and refreshed through
the real path; Trakt is the fake, holding the shows and films under the TMDB ids the
real entries carry. Skipped, with the reason, when ../shared/data is not there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from anitrakt.clients.trakt import TraktClient
from anitrakt.config import Settings
from anitrakt.domain.anilist import Media
from anitrakt.domain.values import IdMapping, SourceName, TraktType
from anitrakt.store.mappings import get_mapping_values
from anitrakt.store.tokens import SqlTokenStore
from anitrakt.usecases.container import Runtime
from anitrakt.usecases.events import EventLog
from anitrakt.usecases.sources.refresh import refresh_source
from clocks import ManualClock
from fakes.files import FileServer
from fakes.server import serve_in_thread
from fakes.trakt import FakeTrakt
from fakes.transport import SyncASGITransport
from paths import SHARED_DATA

MAPPINGS = SHARED_DATA / "mappings"
CURRENT_FILE = "fribb-anime-list-full-derived.json"
TRAKT_HOST = "api.trakt.test"
AOT_S3P2, YOUR_NAME = 104578, 21519
AOT_TRAKT, YOUR_NAME_TRAKT = 1420, 231427

pytestmark = pytest.mark.skipif(
    not (MAPPINGS / CURRENT_FILE).is_file(),
    reason=f"real Fribb data not found at {MAPPINGS} (../shared/data is absent)",
)


@pytest.fixture(scope="module")
def fribbs_url() -> Iterator[str]:
    server = FileServer()
    body = (MAPPINGS / CURRENT_FILE).read_bytes()
    server.put(f"/{CURRENT_FILE}", body, content_type="application/json")
    with serve_in_thread(server) as base_url:
        yield f"{base_url}/{CURRENT_FILE}"


def test_real_entries_resolve_to_the_saved_auto_mapping(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], fribbs_url: str
) -> None:
    configured = settings.model_copy(
        update={
            "fribbs_url": fribbs_url,
            "trakt_client_id": "fake-client-id",
            "trakt_api_url": f"http://{TRAKT_HOST}",
        }
    )
    runtime = Runtime(configured, engine, sessions, EventLog(sessions))
    refresh_source(runtime, SourceName.FRIBB)
    fake = FakeTrakt(api_host=TRAKT_HOST)
    fake.add_show(AOT_TRAKT, "Attack on Titan", tmdb=1429, seasons={1: 25, 2: 12, 3: 22})
    fake.add_movie(YOUR_NAME_TRAKT, "Your Name.", year=2016, tmdb=372058)
    trakt = TraktClient.from_settings(
        configured,
        SqlTokenStore(sessions),
        clock=ManualClock(),
        transport=SyncASGITransport(fake.app),
    )

    with trakt:
        resolved = runtime.resolver(trakt).resolve_many(
            [Media(AOT_S3P2, format="TV"), Media(YOUR_NAME, format="MOVIE")]
        )

    expected = {
        AOT_S3P2: IdMapping(
            AOT_S3P2, AOT_TRAKT, tmdb_id=1429, tvdb_id=267440,
            trakt_type=TraktType.SHOW, trakt_season=3, episode_offset=12,
        ),
        YOUR_NAME: IdMapping(
            YOUR_NAME, YOUR_NAME_TRAKT, tmdb_id=372058, imdb_id="tt5311514",
            trakt_type=TraktType.MOVIE,
        ),
    }  # fmt: skip
    assert resolved == expected
    with sessions() as session:
        assert get_mapping_values(session, expected) == expected
    searched = [f"{r.path}?type={r.query['type']}" for r in fake.requests]
    assert searched == ["/search/tmdb/1429?type=show", "/search/tmdb/372058?type=movie"]
