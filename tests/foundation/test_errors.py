"""The error tree: every error can be restated (a run's report as its details)."""

from __future__ import annotations

import inspect

import pytest

from anitrakt import errors
from anitrakt.errors import AnitraktError, MappingSourceError, UpstreamRejected

# One instance of every error class, built the way the code builds it.
SAMPLES: dict[type[AnitraktError], AnitraktError] = {
    errors.InputError: errors.InputError("bad id", field="anilistId"),
    errors.NotFoundError: errors.NotFoundError("no such entry", field="anilistId"),
    errors.InvalidFields: errors.InvalidFields([("anilistId", "bad id"), ("season", "bad")]),
    errors.RateLimited: errors.RateLimited("slow down", retry_after=30),
    errors.AccountLimit: errors.AccountLimit("limit", limit="100", vip=False),
    errors.UpstreamRejected: UpstreamRejected("rejected", status=400),
    errors.UpstreamRefused: errors.UpstreamRefused("refused", status=403),
    errors.AniListRefused: errors.AniListRefused("AniList refused", status=403),
    errors.TraktAppRejected: errors.TraktAppRejected("app unknown", status=403),
    errors.EdgeBlocked: errors.EdgeBlocked("edge", status=403),
    errors.AccountLocked: errors.AccountLocked("locked", status=423),
    errors.VipRequired: errors.VipRequired("vip", status=426),
    errors.GraphQLError: errors.GraphQLError("AniList: oops", status=400),
    errors.MappingSourceError: MappingSourceError("Fribb", "truncated"),
}


def _every_error_class() -> list[type[AnitraktError]]:
    return [
        kind
        for _, kind in inspect.getmembers(errors, inspect.isclass)
        if issubclass(kind, AnitraktError)
    ]


@pytest.mark.parametrize("kind", _every_error_class(), ids=lambda k: k.__name__)
def test_every_error_can_be_restated_with_a_report(kind: type[AnitraktError]) -> None:
    original = SAMPLES.get(kind) or kind("it failed")

    told = original.restated("full sync stopped: it failed", details={"found": 3})

    assert type(told) is kind
    assert told.message == str(told) == "full sync stopped: it failed"
    assert told.details == {"found": 3}
    # Everything else the error carries (status, field, retry_after …) stays.
    kept = {k: v for k, v in vars(original).items() if k not in ("message", "details")}
    assert {k: v for k, v in vars(told).items() if k in kept} == kept
    assert original.message != told.message  # the original is left as it was
