"""Alembic migrations for both engines; `HEAD` names the newest one.

`HEAD` lets a command see that the schema is current with one query, without loading
Alembic (tests/test_migrations.py holds it to the scripts).
"""

HEAD = "0008_logs_level_index"
