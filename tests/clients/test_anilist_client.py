"""The AniList client against the fake AniList (real schema), in-process, on a ManualClock.

Waits are read from `ManualClock.sleeps`; nothing sleeps for real except the one
end-to-end test at the bottom, which talks to the fake over a real socket.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from anitrakt.clients.anilist import (
    ACTIVITIES_PER_PAGE,
    ENTRIES_PER_CHUNK,
    REQUESTS_PER_MINUTE,
    AniListClient,
)
from anitrakt.clients.anilist_queries import USER_QUERY
from anitrakt.clients.http import RetryPolicy, Upstream
from anitrakt.config import Settings
from anitrakt.domain.anilist import MAX_PROGRESS_RANGE, parse_progress
from anitrakt.errors import (
    AniListRefused,
    AuthExpired,
    ConfigError,
    GraphQLError,
    InputError,
    RateLimited,
    UpstreamError,
    UpstreamUnavailable,
)
from clocks import ManualClock
from fakes.anilist import SCHEMA_PATH, FakeAniList, FaultKind
from fakes.server import serve_in_thread
from fakes.transport import StrippingTransport, SyncASGITransport

BASE_URL = "http://anilist.test"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-anilist-token"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> FakeAniList:
    return FakeAniList(clock)


def make_client(
    fake: FakeAniList,
    clock: ManualClock,
    *,
    token: str | None = None,
    username: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> AniListClient:
    upstream = Upstream(
        name="AniList",
        base_url=BASE_URL,
        clock=clock,
        transport=transport or SyncASGITransport(fake),
        rng=random.Random(7),
    )
    return AniListClient(upstream, token=token, username=username)


@pytest.fixture
def client(fake: FakeAniList, clock: ManualClock) -> Iterator[AniListClient]:
    with make_client(fake, clock, token=TOKEN) as anilist:
        yield anilist


@pytest.fixture
def alice(fake: FakeAniList) -> int:
    return fake.add_user("alice", token=TOKEN).id


# -- parse_progress (pure rule) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "episodes"),
    [
        pytest.param("5", (5,), id="single"),
        pytest.param("4 - 6", (4, 5, 6), id="anilist-range"),
        pytest.param("4-6", (4, 5, 6), id="range-without-spaces"),
        pytest.param(" 7 ", (7,), id="padded"),
        pytest.param("3 - 3", (3,), id="one-episode-range"),
        pytest.param("1 - 5000", tuple(range(1, MAX_PROGRESS_RANGE + 1)), id="longest-range"),
        pytest.param(None, (), id="none"),
        pytest.param("", (), id="empty"),
        pytest.param("   ", (), id="blank"),
    ],
)
def test_parse_progress_reads_every_episode(text: str | None, episodes: tuple[int, ...]) -> None:
    assert parse_progress(text) == episodes


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("abc", "not an episode number", id="words"),
        pytest.param("5 - 3", "ends before it starts", id="backwards"),
        pytest.param("-1", "not an episode number", id="negative"),
        pytest.param("0", "start at 1", id="zero"),
        pytest.param("0 - 2", "start at 1", id="range-from-zero"),
        pytest.param("4 -", "not an episode number", id="open-range"),
        pytest.param("1.5", "not an episode number", id="decimal"),
        pytest.param("١٢", "not an episode number", id="non-ascii-digits"),
        pytest.param("1 - 5001", "more than 5000", id="range-too-long"),
        pytest.param("10 - 100000", "more than 5000", id="absurd-range"),
        pytest.param("9" * 5000, "not an episode number", id="huge-number"),
    ],
)
def test_parse_progress_rejects_nonsense(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says) as caught:
        parse_progress(text)
    assert caught.value.field == "progress"


# -- who to sync --------------------------------------------------------------------------


def test_resolve_user_with_a_token_is_the_tokens_owner(
    fake: FakeAniList, clock: ManualClock, alice: int
) -> None:
    fake.add_user("bob")
    with make_client(fake, clock, token=TOKEN, username="bob") as anilist:
        user = anilist.resolve_user()
    assert (user.id, user.name) == (alice, "alice")
    assert fake.requests[-1].authorized


def test_resolve_user_without_a_token_looks_up_the_username(
    fake: FakeAniList, clock: ManualClock
) -> None:
    bob = fake.add_user("Bob")
    with make_client(fake, clock, username="bob") as anilist:
        user = anilist.resolve_user()
    assert (user.id, user.name) == (bob.id, "Bob")
    assert not fake.requests[-1].authorized


@pytest.mark.parametrize(
    ("username", "names"),
    [
        pytest.param(None, ("ANILIST_ACCESS_TOKEN", "ANILIST_USERNAME"), id="neither"),
        pytest.param("nobody", ("ANILIST_USERNAME", "nobody"), id="unknown-user"),
    ],
)
def test_resolve_user_says_which_setting_to_fix(
    fake: FakeAniList, clock: ManualClock, username: str | None, names: tuple[str, ...]
) -> None:
    with make_client(fake, clock, username=username) as anilist, pytest.raises(ConfigError) as e:
        anilist.resolve_user()
    for name in names:
        assert name in str(e.value)


def test_viewer_without_a_token_names_the_variable_and_sends_nothing(
    fake: FakeAniList, clock: ManualClock
) -> None:
    with make_client(fake, clock) as anilist, pytest.raises(ConfigError, match="ANILIST_ACCESS"):
        anilist.viewer()
    assert fake.requests == []


def test_from_settings_uses_the_configured_url_and_token(fake: FakeAniList, alice: int) -> None:
    settings = Settings(_env_file=None, anilist_api_url=BASE_URL, anilist_access_token=TOKEN)
    with AniListClient.from_settings(
        settings, clock=ManualClock(), transport=SyncASGITransport(fake)
    ) as anilist:
        assert anilist.viewer().id == alice


# -- activities ---------------------------------------------------------------------------


def test_activities_come_from_every_page_oldest_first(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    fake.add_media(21, title_english="One Piece", episodes=None)
    fake.add_media(5, title_romaji="Frieren", episodes=28)
    start = 1_710_000_000
    for n in range(120):  # 3 pages of 50
        fake.add_activity(alice, 21, progress=str(n + 1), created_at=start + n * 60)
    fake.add_activity(alice, 5, progress="4 - 6", created_at=start + 200 * 60)
    fake.add_activity(alice, 5, status="completed", progress=None, created_at=start + 201 * 60)
    bob = fake.add_user("bob")
    fake.add_activity(bob.id, 5, progress="1", created_at=start)
    fake.add_activity(alice, 5, progress="9", created_at=start, type="MANGA_LIST")

    activities = client.list_activities(alice, since=0)

    assert len(activities) == 122
    assert [a.created_at for a in activities] == sorted(a.created_at for a in activities)
    assert activities[0].episodes == (1,)
    assert activities[0].media.title == "One Piece"
    ranged, completed = activities[-2], activities[-1]
    assert (ranged.progress_text, ranged.episodes) == ("4 - 6", (4, 5, 6))
    assert (completed.status, completed.episodes) == ("completed", ())
    assert (completed.media.episodes, completed.media.format) == (28, "TV")
    assert [r.variables["page"] for r in fake.requests] == [1, 2, 3]
    assert {r.variables["perPage"] for r in fake.requests} == {ACTIVITIES_PER_PAGE}


def test_activities_only_after_since(fake: FakeAniList, client: AniListClient, alice: int) -> None:
    made = [fake.add_activity(alice, 1, progress=str(n), created_at=1000 + n) for n in range(1, 6)]

    activities = client.list_activities(alice, since=made[2].created_at)

    assert [a.id for a in activities] == [made[3].id, made[4].id]


def test_a_stuck_next_page_raises_instead_of_truncating(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    for n in range(101):
        fake.add_activity(alice, 1, progress=str(n + 1))
    client.max_activity_pages = 2

    with pytest.raises(UpstreamError, match="after 2 pages"):
        client.list_activities(alice, since=0)


def test_unreadable_progress_keeps_the_activity_and_warns(
    fake: FakeAniList, client: AniListClient, alice: int, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add_activity(alice, 1, progress="10 - 100000")

    (activity,) = client.list_activities(alice, since=0)

    assert activity.episodes == ()
    assert activity.progress_text == "10 - 100000"
    assert any("more than 5000" in r.getMessage() for r in caplog.records)


# -- list entries -------------------------------------------------------------------------


def test_media_list_reads_every_chunk(fake: FakeAniList, client: AniListClient, alice: int) -> None:
    for n in range(1200):
        fake.add_entry(alice, 10_000 + n, status="COMPLETED", progress=12)
    fake.add_entry(alice, 7, status="CURRENT", progress=2)

    entries = client.media_list(alice, "COMPLETED")

    assert len(entries) == 1200
    assert {e.status for e in entries} == {"COMPLETED"}
    assert [r.variables["chunk"] for r in fake.requests] == [1, 2, 3]
    assert {r.variables["perChunk"] for r in fake.requests} == {ENTRIES_PER_CHUNK}


def test_media_list_entry_fields(fake: FakeAniList, client: AniListClient, alice: int) -> None:
    fake.add_media(30, title_romaji="Mushishi", title_english="Mushi-Shi", episodes=26)
    fake.add_entry(
        alice,
        30,
        status="COMPLETED",
        progress=26,
        score=8.5,
        repeat=1,
        completed_at=date(2024, 2, 29),
        updated_at=1_720_000_000,
    )
    fake.add_entry(alice, 31, status="COMPLETED", progress=0)

    done, undated = sorted(client.media_list(alice, "COMPLETED"), key=lambda e: e.media.id)

    assert (done.media.title, done.media.title_romaji) == ("Mushi-Shi", "Mushishi")
    assert (done.progress, done.score, done.repeat) == (26, 8.5, 1)
    assert (done.completed_at, done.updated_at) == (date(2024, 2, 29), 1_720_000_000)
    assert undated.completed_at is None


def test_media_list_includes_custom_lists_once(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    fake.add_entry(alice, 40, status="CURRENT", custom_lists=("Favourites",))
    fake.add_entry(
        alice, 41, status="CURRENT", custom_lists=("Hidden",), hidden_from_status_lists=True
    )

    entries = client.media_list(alice, "CURRENT")

    assert sorted(e.media.id for e in entries) == [40, 41]


def test_media_details_give_dates_and_the_first_page_of_the_airing_schedule(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    # Jujutsu Kaisen 2nd Season: 23 episodes from 2023-07-06 (JST), weekly.
    first = 1_688_655_360
    fake.add_media(
        145064,
        title_romaji="Jujutsu Kaisen 2nd Season",
        episodes=23,
        start_date=date(2023, 7, 6),
        end_date=date(2023, 12, 28),
        airing={n: first + (n - 1) * 7 * 86_400 for n in range(1, 24)},
    )
    fake.add_media(21, title_romaji="One Piece", episodes=None, airing={})
    long_runner = {n: first + n * 86_400 for n in range(1, 41)}
    fake.add_media(9, episodes=40, airing=long_runner)

    details = client.media_details([145064, 21, 9, 999_999])

    jjk = details[145064]
    assert (jjk.media.title, jjk.media.episodes) == ("Jujutsu Kaisen 2nd Season", 23)
    assert (jjk.airing.start_date, jjk.airing.end_date) == (date(2023, 7, 6), date(2023, 12, 28))
    assert jjk.airing.scheduled_on(1) == date(2023, 7, 6)  # 23:56 JST, 14:56 UTC
    assert jjk.airing.episode_count == 23
    assert details[21].airing.has_dates is False
    assert sorted(details[9].airing.schedule) == list(range(1, 26))  # one page of 25
    assert 999_999 not in details  # AniList has no such media: left out, not an error


def test_media_details_ask_in_pages_of_fifty(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    for media_id in range(1, 121):
        fake.add_media(media_id, start_date=date(2020, 1, 1))

    details = client.media_details(range(1, 121))

    assert sorted(details) == list(range(1, 121))
    assert len(fake.requests) == 3


def test_library_reads_every_status_every_chunk_and_the_score_format(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    fake.users[alice].score_format = "POINT_100"
    statuses = ("CURRENT", "PLANNING", "COMPLETED", "DROPPED", "PAUSED", "REPEATING")
    for n in range(600):
        fake.add_entry(alice, 20_000 + n, status=statuses[n % 6], score=n % 101)
    fake.add_entry(alice, 7, status="PLANNING", created_at=1_600_000_000, custom_lists=("Later",))

    library = client.library(alice)

    assert library.score_format == "POINT_100"
    assert len(library.entries) == 601  # the custom list's copy is kept once
    assert {e.status for e in library.entries} == set(statuses)
    planned = next(e for e in library.entries if e.media.id == 7)
    assert planned.created_at == 1_600_000_000
    assert [r.variables["chunk"] for r in fake.requests] == [1, 2]


def test_media_list_refuses_other_statuses(client: AniListClient, alice: int) -> None:
    with pytest.raises(InputError, match="status"):
        client.media_list(alice, "PLANNING")  # type: ignore[arg-type]


# -- AniList's error bodies ---------------------------------------------------------------


@pytest.mark.parametrize("status", [pytest.param(200, id="http-200"), pytest.param(400, id="400")])
def test_graphql_errors_carry_anilists_message(
    fake: FakeAniList, client: AniListClient, alice: int, status: int
) -> None:
    fake.fail_next(FaultKind.GRAPHQL_ERROR, status=status, message="Something broke.")

    with pytest.raises(GraphQLError, match="Something broke") as caught:
        client.list_activities(alice, since=0)
    assert caught.value.status == status
    assert len(fake.requests) == 1  # an answer, not a failure: never retried


def test_an_invalid_query_is_rejected_by_the_real_schema(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    if fake.schema is None:
        pytest.skip("../shared/data absent: the fake cannot validate against the real schema")
    bad = "query { Viewer { id nonexistentField } }"

    with pytest.raises(GraphQLError) as caught:
        client.execute(bad)

    assert 'Cannot query field "nonexistentField" on type "User".' in caught.value.message
    assert caught.value.status == 400
    assert fake.requests[-1].status == 400


def test_variables_are_type_checked_by_the_real_schema(
    fake: FakeAniList, client: AniListClient
) -> None:
    if fake.schema is None:
        pytest.skip("../shared/data absent: the fake cannot validate against the real schema")
    with pytest.raises(GraphQLError, match=r"\$name"):
        client.execute(USER_QUERY, {"name": 42})


def test_unknown_user_is_not_found(fake: FakeAniList, clock: ManualClock) -> None:
    with make_client(fake, clock) as anilist, pytest.raises(UpstreamError, match="nobody"):
        anilist.user_by_name("nobody")


def test_api_disabled_is_a_refusal_and_not_retried(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    fake.fail_next(FaultKind.API_DISABLED)

    with pytest.raises(AniListRefused, match="temporarily disabled") as caught:
        client.viewer()
    assert len(fake.requests) == 1
    # Said as a refusal with AniList's own sentence, never as an outage to wait out.
    assert not isinstance(caught.value, UpstreamUnavailable)
    assert "refused" in caught.value.message
    assert caught.value.details == {"status": 403, "code": "anilist_refused"}


def test_every_request_carries_a_referer_and_our_user_agent(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    client.viewer()
    client.list_activities(alice, 0)

    assert fake.refused_without_referer == 0
    assert {r.referer for r in fake.requests} == {"https://anilist.co/"}
    assert all(str(r.user_agent).startswith("anitrakt/") for r in fake.requests)


def test_without_a_referer_the_edge_refusal_is_reported_as_such(
    fake: FakeAniList, clock: ManualClock, alice: int
) -> None:
    proxy = StrippingTransport(SyncASGITransport(fake), "Referer")
    with (
        make_client(fake, clock, token=TOKEN, transport=proxy) as anilist,
        pytest.raises(AniListRefused, match="Referer"),
    ):
        anilist.viewer()
    assert fake.refused_without_referer == 1


@pytest.mark.parametrize(
    "token",
    [pytest.param("expired-token", id="invalid-token-400"), pytest.param(None, id="none-401")],
)
def test_rejected_token_says_to_renew_it(
    fake: FakeAniList, clock: ManualClock, alice: int, token: str | None
) -> None:
    with make_client(fake, clock, token=token) as anilist, pytest.raises(AuthExpired) as caught:
        anilist.execute("query { Viewer { id name } }")
    assert "ANILIST_ACCESS_TOKEN" in str(caught.value)
    assert "expired-token" not in str(caught.value)
    assert len(fake.requests) == 1


# -- retries ------------------------------------------------------------------------------


def test_429_waits_exactly_retry_after(
    fake: FakeAniList, clock: ManualClock, client: AniListClient, alice: int
) -> None:
    fake.fail_next(FaultKind.RATE_LIMITED, retry_after=30)

    assert client.viewer().id == alice
    assert clock.sleeps == [30.0]
    assert [r.status for r in fake.requests] == [429, 200]


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        pytest.param(FaultKind.RATE_LIMITED_BARE, 429, id="429-no-retry-after"),
        pytest.param(FaultKind.HTML, 429, id="html-429"),
        pytest.param(FaultKind.SERVER_ERROR, 500, id="500"),
        pytest.param(FaultKind.SERVER_ERROR, 502, id="502"),
        pytest.param(FaultKind.HTML, 503, id="html-503"),
        pytest.param(FaultKind.TIMEOUT, 200, id="read-timeout"),
    ],
)
def test_transient_failures_back_off_then_succeed(
    fake: FakeAniList,
    clock: ManualClock,
    client: AniListClient,
    alice: int,
    kind: FaultKind,
    status: int,
) -> None:
    fake.fail_next(kind, status=status)

    assert client.viewer().id == alice
    (wait,) = clock.sleeps
    policy = RetryPolicy()
    assert policy.base_delay / 2 <= wait <= policy.base_delay  # jittered first backoff
    assert len(fake.requests) == 2


def test_retries_are_bounded(fake: FakeAniList, client: AniListClient, alice: int) -> None:
    fake.fail_next(FaultKind.SERVER_ERROR, status=503, times=100)

    with pytest.raises(UpstreamUnavailable, match="503"):
        client.viewer()
    assert len(fake.requests) == RetryPolicy().max_attempts


def test_endless_429_gives_up_with_rate_limited(
    fake: FakeAniList, client: AniListClient, alice: int
) -> None:
    fake.fail_next(FaultKind.RATE_LIMITED, retry_after=5, times=100)

    with pytest.raises(RateLimited):
        client.viewer()
    assert len(fake.requests) == RetryPolicy().max_attempts


# -- pacing -------------------------------------------------------------------------------


def test_the_31st_request_in_a_minute_waits(
    fake: FakeAniList, clock: ManualClock, client: AniListClient, alice: int
) -> None:
    for _ in range(REQUESTS_PER_MINUTE + 1):
        client.viewer()

    assert clock.sleeps == [60.0]
    assert fake.requests[-1].at - fake.requests[0].at == 60.0
    assert {r.status for r in fake.requests} == {200}


def test_a_lower_limit_header_lowers_the_pace(
    fake: FakeAniList, clock: ManualClock, client: AniListClient, alice: int
) -> None:
    fake.rate_limit = 20

    for _ in range(21):
        client.viewer()

    assert client.window.limit == 20
    assert clock.sleeps == [60.0]
    assert {r.status for r in fake.requests} == {200}  # never pushed past AniList's limit


@pytest.mark.parametrize(
    ("reset_header", "expected_wait"),
    [
        pytest.param(True, 50.0, id="until-x-ratelimit-reset"),
        pytest.param(False, 60.0, id="a-minute-without-reset"),
    ],
)
def test_no_requests_remaining_pauses(
    fake: FakeAniList,
    clock: ManualClock,
    client: AniListClient,
    alice: int,
    reset_header: bool,
    expected_wait: float,
) -> None:
    fake.rate_limit = 3
    fake.reset_header_when_exhausted = reset_header
    for n in range(3):  # at 0 s, 5 s and 10 s; the third answer says Remaining: 0
        clock.advance(5 if n else 0)
        client.viewer()

    client.viewer()

    assert clock.sleeps == [expected_wait]
    assert {r.status for r in fake.requests} == {200}


# -- secrets ------------------------------------------------------------------------------


def test_the_token_never_shows_in_errors_or_logs(
    fake: FakeAniList, clock: ManualClock, alice: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    failures: list[Exception] = []
    with make_client(fake, clock, token=TOKEN) as anilist:
        for kind, extra in [
            (FaultKind.GRAPHQL_ERROR, {"message": f"bad token {TOKEN}", "status": 400}),
            (FaultKind.API_DISABLED, {}),
            (FaultKind.SERVER_ERROR, {"status": 502, "times": 5}),
            (FaultKind.RATE_LIMITED, {"times": 5}),
            (FaultKind.TIMEOUT, {"times": 5}),
        ]:
            fake.fail_next(kind, **extra)
            with pytest.raises(UpstreamError) as caught:
                anilist.viewer()
            failures.append(caught.value)
        assert TOKEN not in repr(anilist)
    fake.users[alice].token = "rotated"
    with make_client(fake, clock, token=TOKEN) as anilist, pytest.raises(AuthExpired) as caught:
        anilist.viewer()
    failures.append(caught.value)

    for failure in failures:
        assert TOKEN not in f"{failure} {failure.details}"
    assert "bad token ***" in str(failures[0])
    assert caplog.records, "the retries above should have been logged"
    assert not [r for r in caplog.records if TOKEN in r.getMessage()]


# -- the fake without the shared data ---------------------------------------------------


def test_the_fake_answers_the_same_without_the_schema(clock: ManualClock, tmp_path: Path) -> None:
    results = []
    for schema_path in (SCHEMA_PATH, tmp_path / "absent.graphqls"):
        fake = FakeAniList(clock, schema_path=schema_path)
        me = fake.add_user("alice", token=TOKEN)
        for n in range(60):
            fake.add_activity(me.id, 3, progress=f"{n + 1} - {n + 2}", created_at=1000 + n)
        fake.add_entry(me.id, 3, custom_lists=("Fav",), completed_at=date(2020, 1, 2))
        with make_client(fake, clock, token=TOKEN) as anilist:
            user = anilist.resolve_user()
            results.append(
                (user, anilist.list_activities(user.id, 0), anilist.media_list(user.id, "CURRENT"))
            )
    with_schema, without_schema = results
    assert without_schema == with_schema
    assert len(with_schema[1]) == 60


# -- end to end ---------------------------------------------------------------------------


def test_end_to_end_over_a_real_socket() -> None:
    fake = FakeAniList()  # real SystemClock
    me = fake.add_user("alice", token=TOKEN)
    fake.add_activity(me.id, 5, progress="1 - 2", created_at=1_700_000_100)
    fake.add_entry(me.id, 5, status="CURRENT", progress=2)

    with serve_in_thread(fake) as url:
        settings = Settings(_env_file=None, anilist_api_url=url, anilist_access_token=TOKEN)
        with AniListClient.from_settings(settings) as anilist:
            user = anilist.resolve_user()
            activities = anilist.list_activities(user.id, since=1_700_000_000)
            entries = anilist.media_list(user.id, "CURRENT")

    assert user.name == "alice"
    assert [a.episodes for a in activities] == [(1, 2)]
    assert [(e.media.id, e.progress) for e in entries] == [(5, 2)]
    assert all(r.authorized for r in fake.requests)
