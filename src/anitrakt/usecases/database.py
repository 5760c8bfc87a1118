"""The database as the edges see it: migrations, start-up housekeeping, its failures.

`serve` and every CLI command apply migrations first (`upgrade`); `anitrakt db` moves
the schema by hand. `DATABASE_ERRORS` are the driver errors that mean "busy or gone"
(locked past the busy timeout, a dropped connection): each edge maps them once, to a 503
with `Retry-After` or one clear CLI line, with the driver's first line only.
"""

from __future__ import annotations

from anitrakt.errors import StoreUnavailable
from anitrakt.store import migrate
from anitrakt.store.db import UNAVAILABLE_ERRORS, describe_db_error, sqlite_exposure
from anitrakt.store.logs import prune_logs
from anitrakt.store.migrations import HEAD
from anitrakt.usecases.container import Runtime

DATABASE_ERRORS = UNAVAILABLE_ERRORS


def database_unavailable(exc: BaseException) -> StoreUnavailable:
    """The error to show for a database failure: the driver's first line, no SQL."""
    return StoreUnavailable(f"database error: {describe_db_error(exc)}")


def describe(exc: BaseException) -> str:
    """The driver's own first line for any database error (never the SQL or its values)."""
    return describe_db_error(exc)


def ensure_current(runtime: Runtime) -> None:
    """Apply pending migrations; a schema already at the newest costs one query."""
    if migrate.quick_revision(runtime.engine) != HEAD:
        migrate.upgrade(runtime.engine)


def upgrade(runtime: Runtime, revision: str = "head") -> str:
    """Bring the schema up to `revision`; the revision it is at afterwards."""
    migrate.upgrade(runtime.engine, revision)
    return migrate.current_revision(runtime.engine) or "base"


def downgrade(runtime: Runtime, revision: str) -> str:
    """Take the schema down to `revision` ('base' drops every table)."""
    migrate.downgrade(runtime.engine, revision)
    return migrate.current_revision(runtime.engine) or "base"


def prepare_to_serve(runtime: Runtime) -> list[str]:
    """Start-up housekeeping for `serve`: prune old log rows; warnings to show.

    Warns when the SQLite file (it holds the Trakt tokens) is readable by other users.
    """
    settings = runtime.settings
    with runtime.sessions.begin() as session:
        pruned = prune_logs(session, settings.log_retention_days)
    warnings = sqlite_exposure(settings.sqlalchemy_url, settings.anitrakt_data_dir)
    if pruned:
        days = settings.log_retention_days
        runtime.events.info(f"pruned {pruned} log rows older than {days} days")
    return warnings
