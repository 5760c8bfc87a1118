"""Alembic environment: the engine comes from `anitrakt.store.migrate.alembic_config`."""

from __future__ import annotations

from alembic import context

from anitrakt.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
