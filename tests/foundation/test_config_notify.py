"""NOTIFY_URLS, NOTIFY_ON and HEALTHCHECK_PING_URL as Settings reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from anitrakt.config import Settings, load_settings
from anitrakt.errors import ConfigError

DISCORD = "discord://1234567/NeverShowThisWebhookToken"
PING = "https://hc-ping.com/NeverShowThis-uuid"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.notify_url_list == []
    assert settings.notify_events == {"failure", "auth", "review"}
    assert settings.healthcheck_ping_url is None


def test_urls_split_on_commas_and_spaces_and_are_masked(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("NOTIFY_URLS", f"{DISCORD}, ntfy://alerts\n  json://127.0.0.1:9/x")
    clean_env.setenv("HEALTHCHECK_PING_URL", PING + "/")

    settings = load_settings()

    assert settings.notify_url_list == [DISCORD, "ntfy://alerts", "json://127.0.0.1:9/x"]
    assert settings.healthcheck_ping_url is not None
    assert settings.healthcheck_ping_url.get_secret_value() == PING  # no trailing slash
    assert {DISCORD, "ntfy://alerts", PING} <= set(settings.secret_values())
    assert "NeverShowThis" not in repr(settings)


def test_notify_on_is_read_in_any_case_and_separator(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("NOTIFY_ON", "Summary failure,summary")
    assert load_settings().notify_events == {"summary", "failure"}


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        pytest.param("NOTIFY_ON", "failures", ["'failures'", "failure, auth, review, summary"]),
        pytest.param("NOTIFY_URLS", f"{DISCORD} hello", ["entry 2 is not a URL"]),
        pytest.param("HEALTHCHECK_PING_URL", "hc-ping.com/NeverShowThis", ["http://"]),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_and_hiding_secrets(
    clean_env: pytest.MonkeyPatch, variable: str, value: str, words: list[str]
) -> None:
    clean_env.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert variable in message
    assert "\n" not in message
    assert "NeverShowThis" not in message
    for word in words:
        assert word in message
