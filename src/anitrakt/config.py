"""Settings from the environment and `.env` (README "Configuration").

Built once by `load_settings()` in the CLI or `create_app()` and passed down; nothing
here runs at import time.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from anitrakt.domain.extras import Extra
from anitrakt.errors import ConfigError

DEFAULT_FRIBBS_URL = (
    "https://raw.githubusercontent.com/Fribb/anime-lists/master/anime-list-full.json"
)
DEFAULT_OTAKU_URL = (
    "https://github.com/Goldenfreddy0703/Otaku-Mappings/raw/refs/heads/main/anime_mappings.db"
)
# The rolling `v3` release (rebuilt daily); `stats.json` beside it says when it was built.
DEFAULT_ANIBRIDGE_URL = (
    "https://github.com/anibridge/anibridge-mappings/releases/download/v3/mappings.json.zst"
)
SQLITE_FILE_NAME = "anitrakt.db"
# Shorter API tokens are refused on a non-loopback bind (README "Exposing anitrakt").
MIN_API_TOKEN_LENGTH = 24

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")

# Fields whose values must never be echoed back in errors, logs, pages or responses.
# Notification URLs carry their service's credentials (a webhook token, a password),
# and a healthchecks ping URL is enough to fake the check's pings.
SECRET_FIELDS = (
    "anilist_access_token",
    "trakt_client_secret",
    "trakt_access_token",
    "trakt_refresh_token",
    "tmdb_api_key",
    "anitrakt_api_token",
    "notify_urls",
    "healthcheck_ping_url",
)
# What NOTIFY_ON may name (README, "Notifications").
NOTIFY_EVENTS = ("failure", "auth", "review", "summary")
DEFAULT_NOTIFY_ON = "failure,auth,review"
_LIST_SEPARATORS = re.compile(r"[\s,]+")


def split_list(text: str) -> list[str]:
    """The items of a comma- and/or space-separated setting."""
    return [item for item in _LIST_SEPARATORS.split(text) if item]


def normalise_database_url(raw: str) -> str:
    """Return `raw` as a SQLAlchemy URL string that uses the psycopg 3 driver for PostgreSQL."""
    text = raw.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text.removeprefix("postgres://")
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise ValueError(
            "could not parse the URL; expected e.g. postgresql://user:password@host:5432/db "
            "or sqlite:////path/to/anitrakt.db"
        ) from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        if url.drivername in ("postgresql", "postgresql+psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        elif url.drivername != "postgresql+psycopg":
            raise ValueError(f"unsupported PostgreSQL driver '{url.drivername}'; use postgresql://")
    elif backend != "sqlite":
        raise ValueError(f"unsupported database '{backend}'; use postgresql:// or sqlite:///")
    return url.render_as_string(hide_password=False)


def _words(value: Any) -> Any:
    """A comma- or space-separated environment value as a list; lists pass through."""
    if isinstance(value, str):
        return value.replace(",", " ").split()
    return value


def normalise_host_name(value: str) -> str:
    """A Host name as the allow-list compares it: lower case, no brackets, no final dot."""
    name = value.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    return name


def _allowed_host(value: str) -> str:
    name = normalise_host_name(value)
    bare = name.removeprefix(".")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        if not _HOST_NAME.fullmatch(bare):
            raise ValueError(
                f"{value!r} is not a host name; give bare names such as anitrakt.example.com "
                "(no scheme or port; a leading dot also allows sub-domains)"
            ) from None
    return name


def _check_http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


class Settings(BaseSettings):
    """Every variable of README "Configuration"; environment names are field names, upper."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    database_url: str | None = None
    anitrakt_data_dir: Path = Path("data")

    anilist_access_token: SecretStr | None = None
    anilist_username: str | None = None
    trakt_client_id: str | None = None
    trakt_client_secret: SecretStr | None = None
    trakt_access_token: SecretStr | None = None
    trakt_refresh_token: SecretStr | None = None
    tmdb_api_key: SecretStr | None = None

    anilist_api_url: str = "https://graphql.anilist.co"
    trakt_api_url: str = "https://api.trakt.tv"
    trakt_auth_url: str = "https://auth.trakt.tv"
    tmdb_api_url: str = "https://api.themoviedb.org/3"
    fribbs_url: str = DEFAULT_FRIBBS_URL
    otaku_url: str = DEFAULT_OTAKU_URL
    anibridge_url: str = DEFAULT_ANIBRIDGE_URL
    # Covers are fetched only from under this URL (AniList's CDN), and kept on disk in
    # ANITRAKT_DATA_DIR/covers up to COVER_CACHE_MB; 0 turns covers off (docs/covers.md).
    anilist_covers_url: str = "https://s4.anilist.co/file/anilistcdn/"
    cover_cache_mb: float = Field(default=100, ge=0)

    sync_interval_hours: float = Field(default=6, ge=0)
    # The watched date of a completed entry without a full completedAt: now, the entry's
    # updatedAt, or released (each episode's air date on Trakt).
    completed_watched_at: str = "now"
    # The features beyond history (docs/beyond-history.md), each off unless turned on.
    sync_ratings: bool = False
    sync_watchlist: bool = False
    sync_rewatches: bool = False
    sync_dropped: bool = False
    anitrakt_api_token: SecretStr | None = None
    anitrakt_host: str = "127.0.0.1"
    anitrakt_port: int = Field(default=8000, ge=1, le=65535)
    # Names the app answers to besides the listen host and the loopback names.
    anitrakt_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    # Peers whose X-Forwarded-Proto/Host/For are believed; nobody's by default.
    anitrakt_trusted_proxies: Annotated[tuple[IPNetwork, ...], NoDecode] = ()
    log_retention_days: int = Field(default=30, ge=1)
    notify_urls: SecretStr | None = None
    notify_on: str = DEFAULT_NOTIFY_ON
    healthcheck_ping_url: SecretStr | None = None

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        return None if value is None else normalise_database_url(value)

    @field_validator(
        "anilist_api_url", "trakt_api_url", "trakt_auth_url", "tmdb_api_url", "anilist_covers_url"
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _check_http_url(value)

    @field_validator("completed_watched_at")
    @classmethod
    def _completed_watched_at(cls, value: str) -> str:
        choices = {"now": "now", "updatedat": "updatedAt", "released": "released"}
        chosen = choices.get(value.strip().lower())
        if chosen is None:
            raise ValueError("must be one of now, updatedAt, released")
        return chosen

    @field_validator("anitrakt_allowed_hosts", mode="before")
    @classmethod
    def _allowed_hosts(cls, value: Any) -> Any:
        value = _words(value)
        if isinstance(value, list | tuple):
            return tuple(_allowed_host(str(item)) for item in value)
        return value

    @field_validator("anitrakt_trusted_proxies", mode="before")
    @classmethod
    def _trusted_proxies(cls, value: Any) -> Any:
        value = _words(value)
        if not isinstance(value, list | tuple):
            return value
        networks = []
        for item in value:
            try:
                networks.append(ipaddress.ip_network(str(item).strip("[]"), strict=False))
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or CIDR network (e.g. 172.18.0.0/16)"
                ) from None
        return tuple(networks)

    @field_validator("notify_urls")
    @classmethod
    def _notify_urls(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        for number, url in enumerate(split_list(value.get_secret_value()), start=1):
            if "://" not in url:
                raise ValueError(f"entry {number} is not a URL (Apprise URLs look like scheme://…)")
        return value

    @field_validator("notify_on")
    @classmethod
    def _notify_on(cls, value: str) -> str:
        names = [name.lower() for name in split_list(value)]
        unknown = [name for name in names if name not in NOTIFY_EVENTS]
        if unknown:
            raise ValueError(
                f"unknown event {unknown[0]!r}; choose from {', '.join(NOTIFY_EVENTS)}"
            )
        return ",".join(dict.fromkeys(names))

    @field_validator("healthcheck_ping_url")
    @classmethod
    def _ping_url(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else SecretStr(_check_http_url(value.get_secret_value()))

    @property
    def notify_url_list(self) -> list[str]:
        """NOTIFY_URLS, one Apprise URL per item."""
        if self.notify_urls is None:
            return []
        return split_list(self.notify_urls.get_secret_value())

    @property
    def notify_events(self) -> frozenset[str]:
        """The NOTIFY_ON names."""
        return frozenset(split_list(self.notify_on))

    @property
    def extras(self) -> frozenset[Extra]:
        """The features beyond history that are on (`SYNC_RATINGS`, …)."""
        return frozenset(e for e in Extra if getattr(self, e.setting.lower()))

    @property
    def sqlalchemy_url(self) -> str:
        """The store's URL: `DATABASE_URL`, or the SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        path = (self.anitrakt_data_dir / SQLITE_FILE_NAME).resolve()
        return f"sqlite:///{path}"

    def secret_values(self) -> list[str]:
        """Every configured secret, for masking; includes the database password."""
        values = []
        for name in SECRET_FIELDS:
            secret = getattr(self, name)
            if isinstance(secret, SecretStr) and secret.get_secret_value():
                values.append(secret.get_secret_value())
        values.extend(url for url in self.notify_url_list if url not in values)
        password = make_url(self.sqlalchemy_url).password
        if password:
            values.append(str(password))
        return values


def _describe(error: dict[str, Any]) -> str:
    field = str(error["loc"][0]) if error.get("loc") else "setting"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    line = f"{field.upper()}: {message}"
    if field not in SECRET_FIELDS and field != "database_url" and "input" in error:
        line += f" (got {error['input']!r})"
    return line


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment; a bad value becomes one ConfigError line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [_describe(dict(err)) for err in exc.errors()]
        raise ConfigError("invalid configuration: " + "; ".join(lines)) from None


def is_loopback(host: str) -> bool:
    """Whether a listen or Host name only ever reaches this machine."""
    name = normalise_host_name(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_serving(settings: Settings) -> list[str]:
    """Refuse a listen set-up anyone could walk into (ConfigError); warnings for a weak one.

    Off loopback the API token is required and must be at least MIN_API_TOKEN_LENGTH
    characters; on loopback a short token only earns a warning. A trusted proxy counts
    as off loopback: whoever reaches the proxy reaches the app.
    """
    host = settings.anitrakt_host
    secret = settings.anitrakt_api_token
    token = None if secret is None else secret.get_secret_value()
    if settings.anitrakt_trusted_proxies:
        host = f"{host} behind ANITRAKT_TRUSTED_PROXIES"
    public = not is_loopback(settings.anitrakt_host) or bool(settings.anitrakt_trusted_proxies)
    if public and token is None:
        # The container image listens on 0.0.0.0, so this is the first thing a new
        # container says: make it tell what to do.
        raise ConfigError(
            f"refusing to serve on {host} without ANITRAKT_API_TOKEN: anyone who reaches "
            "this port could drive your AniList and Trakt accounts. Set ANITRAKT_API_TOKEN "
            "to a long random value (`anitrakt token new` prints one), or listen on "
            "127.0.0.1 (ANITRAKT_HOST)"
        )
    if token is not None and len(token) < MIN_API_TOKEN_LENGTH:
        weak = (
            f"ANITRAKT_API_TOKEN is {len(token)} characters, shorter than "
            f"{MIN_API_TOKEN_LENGTH}; `anitrakt token new` prints a strong one"
        )
        if public:
            raise ConfigError(f"refusing to serve on {host}: {weak}")
        return [f"weak token: {weak}"]
    return []
