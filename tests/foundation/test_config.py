"""Settings from the environment and `.env` (SPEC §2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from anitrakt.config import Settings, load_settings, normalise_database_url
from anitrakt.errors import ConfigError

ENV_NAMES = [name.upper() for name in Settings.model_fields]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No anitrakt variable set and an empty working directory (so no stray `.env`)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def settings_without_env_file(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


def config_error() -> str:
    """The message load_settings gives for the current environment; fails if it accepts it."""
    with pytest.raises(ConfigError) as caught:
        load_settings()
    return str(caught.value)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        pytest.param("database_url", None, id="DATABASE_URL"),
        pytest.param("anitrakt_data_dir", Path("data"), id="ANITRAKT_DATA_DIR"),
        pytest.param("anilist_access_token", None, id="ANILIST_ACCESS_TOKEN"),
        pytest.param("anilist_username", None, id="ANILIST_USERNAME"),
        pytest.param("trakt_client_id", None, id="TRAKT_CLIENT_ID"),
        pytest.param("trakt_client_secret", None, id="TRAKT_CLIENT_SECRET"),
        pytest.param("trakt_access_token", None, id="TRAKT_ACCESS_TOKEN"),
        pytest.param("trakt_refresh_token", None, id="TRAKT_REFRESH_TOKEN"),
        pytest.param("tmdb_api_key", None, id="TMDB_API_KEY"),
        pytest.param("anilist_api_url", "https://graphql.anilist.co", id="ANILIST_API_URL"),
        pytest.param("trakt_api_url", "https://api.trakt.tv", id="TRAKT_API_URL"),
        pytest.param("trakt_auth_url", "https://auth.trakt.tv", id="TRAKT_AUTH_URL"),
        pytest.param("tmdb_api_url", "https://api.themoviedb.org/3", id="TMDB_API_URL"),
        pytest.param("sync_interval_hours", 6, id="SYNC_INTERVAL_HOURS"),
        pytest.param("anitrakt_api_token", None, id="ANITRAKT_API_TOKEN"),
        pytest.param("anitrakt_host", "127.0.0.1", id="ANITRAKT_HOST"),
        pytest.param("anitrakt_port", 8000, id="ANITRAKT_PORT"),
        pytest.param("log_retention_days", 30, id="LOG_RETENTION_DAYS"),
    ],
)
def test_defaults(clean_env: pytest.MonkeyPatch, field: str, expected: Any) -> None:
    assert getattr(settings_without_env_file(), field) == expected


@pytest.mark.parametrize(
    ("field", "must_contain"),
    [
        pytest.param("fribbs_url", ["github", "Fribb", "anime-list-full.json"], id="FRIBBS_URL"),
        pytest.param(
            "otaku_url", ["github", "Otaku-Mappings", "anime_mappings.db"], id="OTAKU_URL"
        ),
        pytest.param(
            "anibridge_url",
            ["github", "anibridge-mappings", "/releases/download/v3/", "mappings.json.zst"],
            id="ANIBRIDGE_URL",
        ),
    ],
)
def test_mapping_source_defaults_point_at_github(
    clean_env: pytest.MonkeyPatch, field: str, must_contain: list[str]
) -> None:
    url = getattr(settings_without_env_file(), field)
    assert url.startswith("https://")
    for part in must_contain:
        assert part in url


@pytest.mark.parametrize(
    ("env", "value", "field", "expected"),
    [
        pytest.param("ANITRAKT_PORT", "9001", "anitrakt_port", 9001, id="port"),
        pytest.param("ANITRAKT_HOST", "192.0.2.10", "anitrakt_host", "192.0.2.10", id="host"),
        pytest.param("SYNC_INTERVAL_HOURS", "0", "sync_interval_hours", 0, id="interval-off"),
        pytest.param("SYNC_INTERVAL_HOURS", "1.5", "sync_interval_hours", 1.5, id="interval"),
        pytest.param("LOG_RETENTION_DAYS", "7", "log_retention_days", 7, id="retention"),
        pytest.param("ANILIST_USERNAME", "someone", "anilist_username", "someone", id="user"),
        pytest.param("TRAKT_CLIENT_ID", "cid", "trakt_client_id", "cid", id="client-id"),
        pytest.param(
            "TRAKT_API_URL", "http://127.0.0.1:9/", "trakt_api_url", "http://127.0.0.1:9", id="url"
        ),
        pytest.param(
            "FRIBBS_URL", "/srv/fribb.json", "fribbs_url", "/srv/fribb.json", id="fribbs-path"
        ),
        pytest.param(
            "OTAKU_URL", "file:///srv/otaku.db", "otaku_url", "file:///srv/otaku.db", id="otaku"
        ),
        pytest.param(
            "ANIBRIDGE_URL",
            "/srv/mappings.min.json",
            "anibridge_url",
            "/srv/mappings.min.json",
            id="anibridge-path",
        ),
    ],
)
def test_environment_variables_are_read(
    clean_env: pytest.MonkeyPatch, env: str, value: str, field: str, expected: Any
) -> None:
    clean_env.setenv(env, value)
    assert getattr(load_settings(), field) == expected


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"ANITRAKT_PORT": "abc"}, id="port-not-a-number"),
        pytest.param({"ANITRAKT_PORT": "70000"}, id="port-out-of-range"),
        pytest.param({"ANITRAKT_PORT": "0"}, id="port-zero"),
    ],
)
def test_bad_port_is_a_one_line_error_naming_the_variable(
    clean_env: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    message = config_error()
    assert "ANITRAKT_PORT" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("SYNC_INTERVAL_HOURS", "-1", id="negative-interval"),
        pytest.param("SYNC_INTERVAL_HOURS", "often", id="interval-text"),
        pytest.param("LOG_RETENTION_DAYS", "0", id="zero-retention"),
        pytest.param("TRAKT_API_URL", "api.trakt.tv", id="url-without-scheme"),
    ],
)
def test_other_bad_values_name_their_variable(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv(name, value)
    message = config_error()
    assert name in message
    assert "\n" not in message


def test_every_bad_variable_is_named_in_the_one_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ANITRAKT_PORT", "abc")
    clean_env.setenv("LOG_RETENTION_DAYS", "never")
    message = config_error()
    assert "ANITRAKT_PORT" in message
    assert "LOG_RETENTION_DAYS" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("not a url", id="not-a-url"),
        pytest.param("mysql://x", id="mysql"),
        pytest.param("mysql://admin:Sup3rS3cretPw@db.example/app", id="mysql-with-password"),
        pytest.param("postgresql+asyncpg://admin:Sup3rS3cretPw@db/app", id="other-pg-driver"),
        pytest.param("postgresql://admin:Sup3rS3cretPw@db:port/app", id="bad-port"),
        pytest.param("://admin:Sup3rS3cretPw@db/app", id="no-scheme"),
    ],
)
def test_unusable_database_url_names_the_variable_but_not_the_password(
    clean_env: pytest.MonkeyPatch, url: str
) -> None:
    clean_env.setenv("DATABASE_URL", url)
    message = config_error()
    assert "DATABASE_URL" in message
    assert "\n" not in message
    assert "Sup3rS3cretPw" not in message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(
            "postgres://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db", id="postgres"
        ),
        pytest.param(
            "postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db", id="postgresql"
        ),
        pytest.param(
            "postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db", id="psycopg-kept"
        ),
        pytest.param(
            "postgresql+psycopg2://u:p@h/db", "postgresql+psycopg://u:p@h/db", id="psycopg2"
        ),
        pytest.param(
            "postgresql://postgres.abcd:pw@aws-0-eu.pooler.supabase.com:6543/postgres"
            "?sslmode=require",
            "postgresql+psycopg://postgres.abcd:pw@aws-0-eu.pooler.supabase.com:6543/postgres"
            "?sslmode=require",
            id="supabase-pooler",
        ),
        pytest.param("sqlite:////srv/anitrakt.db", "sqlite:////srv/anitrakt.db", id="sqlite"),
        pytest.param("  postgres://h/db  ", "postgresql+psycopg://h/db", id="whitespace"),
    ],
)
def test_database_url_is_normalised_to_psycopg(
    clean_env: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    clean_env.setenv("DATABASE_URL", given)
    settings = load_settings()
    assert settings.database_url == expected
    assert settings.sqlalchemy_url == expected
    assert normalise_database_url(given) == expected


def test_password_with_special_characters_survives_normalisation(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DATABASE_URL", "postgres://u:p%40ss%2Fw0rd@h/db")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://u:p%40ss%2Fw0rd@h/db"
    assert "p@ss/w0rd" in settings.secret_values()


def test_default_store_is_a_sqlite_file_in_the_data_dir(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("ANITRAKT_DATA_DIR", str(tmp_path / "state"))
    settings = load_settings()
    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'state' / 'anitrakt.db').resolve()}"
    assert settings.sqlalchemy_url.startswith("sqlite:")


def test_default_data_dir_is_data_under_the_working_directory(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings()
    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'data' / 'anitrakt.db').resolve()}"


def test_database_url_wins_over_the_data_dir(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("ANITRAKT_DATA_DIR", str(tmp_path))
    clean_env.setenv("DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@h/db"
    assert not settings.sqlalchemy_url.startswith("sqlite:")


def test_dot_env_in_the_working_directory_is_read(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "ANITRAKT_PORT=9123\nANILIST_USERNAME=from-dotenv\nTRAKT_ACCESS_TOKEN=dotenv-token-123\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.anitrakt_port == 9123
    assert settings.anilist_username == "from-dotenv"
    assert settings.trakt_access_token is not None
    assert settings.trakt_access_token.get_secret_value() == "dotenv-token-123"


def test_environment_wins_over_dot_env(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ANITRAKT_PORT=9123\n", encoding="utf-8")
    clean_env.setenv("ANITRAKT_PORT", "9200")
    assert load_settings().anitrakt_port == 9200


def test_bad_value_in_dot_env_is_a_config_error(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("ANITRAKT_PORT=eighty\n", encoding="utf-8")
    assert "ANITRAKT_PORT" in config_error()


@pytest.mark.parametrize(
    ("name", "field", "default"),
    [
        pytest.param("ANITRAKT_PORT", "anitrakt_port", 8000, id="port"),
        pytest.param("SYNC_INTERVAL_HOURS", "sync_interval_hours", 6, id="interval"),
        pytest.param("LOG_RETENTION_DAYS", "log_retention_days", 30, id="retention"),
        pytest.param("DATABASE_URL", "database_url", None, id="database-url"),
        pytest.param("TRAKT_ACCESS_TOKEN", "trakt_access_token", None, id="token"),
        pytest.param("TRAKT_API_URL", "trakt_api_url", "https://api.trakt.tv", id="api-url"),
    ],
)
def test_empty_values_count_as_unset(
    clean_env: pytest.MonkeyPatch, name: str, field: str, default: Any
) -> None:
    clean_env.setenv(name, "")
    assert getattr(load_settings(), field) == default


def test_empty_value_in_dot_env_counts_as_unset(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("ANITRAKT_PORT=\nDATABASE_URL=\n", encoding="utf-8")
    settings = load_settings()
    assert settings.anitrakt_port == 8000
    assert settings.database_url is None


def test_secret_values_lists_configured_tokens_and_the_database_password(
    clean_env: pytest.MonkeyPatch,
) -> None:
    env = {
        "ANILIST_ACCESS_TOKEN": "anilist-token-1",
        "TRAKT_CLIENT_SECRET": "trakt-secret-2",
        "TRAKT_ACCESS_TOKEN": "trakt-access-3",
        "TRAKT_REFRESH_TOKEN": "trakt-refresh-4",
        "TMDB_API_KEY": "tmdb-key-5",
        "ANITRAKT_API_TOKEN": "api-token-6",
        "DATABASE_URL": "postgresql://anitrakt:db-password-7@db.example:5432/anitrakt",
        "TRAKT_CLIENT_ID": "public-client-id",
        "ANILIST_USERNAME": "public-user",
    }
    for name, value in env.items():
        clean_env.setenv(name, value)

    secrets = load_settings().secret_values()

    assert set(secrets) == {
        "anilist-token-1",
        "trakt-secret-2",
        "trakt-access-3",
        "trakt-refresh-4",
        "tmdb-key-5",
        "api-token-6",
        "db-password-7",
    }


def test_secret_values_is_empty_without_secrets(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://anitrakt@db/anitrakt")
    assert load_settings().secret_values() == []


def test_secrets_are_not_shown_in_the_settings_repr(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TRAKT_ACCESS_TOKEN", "trakt-access-3")
    clean_env.setenv("TMDB_API_KEY", "tmdb-key-5")
    text = repr(load_settings())
    assert "trakt-access-3" not in text
    assert "tmdb-key-5" not in text


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"trakt_access_token": ["NeverShowThis-1"]}, id="token-as-list"),
        pytest.param({"anilist_access_token": {"t": "NeverShowThis-1"}}, id="token-as-dict"),
        pytest.param({"trakt_client_secret": 31415926535}, id="secret-as-number"),
        pytest.param({"tmdb_api_key": b"\xffNeverShowThis-1"}, id="key-as-bad-bytes"),
        pytest.param({"anitrakt_api_token": ["NeverShowThis-1"]}, id="api-token-as-list"),
        pytest.param(
            {"database_url": "mysql://root:NeverShowThis-1@db/app"}, id="database-url-password"
        ),
    ],
)
def test_invalid_secret_bearing_setting_never_echoes_the_secret(
    clean_env: pytest.MonkeyPatch, overrides: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    [field] = overrides
    assert field.upper() in message
    assert "NeverShowThis" not in message
    assert "31415926535" not in message


@pytest.mark.parametrize(
    ("given", "kept"), [("UPDATEDAT", "updatedAt"), (" released ", "released")]
)
def test_completed_watched_at_reads_its_choices(given: str, kept: str) -> None:
    assert Settings(completed_watched_at=given).completed_watched_at == kept


def test_completed_watched_at_names_its_choices_when_wrong() -> None:
    with pytest.raises(ValueError, match="now, updatedAt, released"):
        Settings(completed_watched_at="yesterday")
