"""Alembic environment: runs migrations on the connection the app hands over (see bot.storage.db).

`target_metadata` is every model on the shared `Base`: the core's and those of the plugins imported before
the migrations run (the app loads its plugins first). It lets `alembic revision --autogenerate` write a new
migration, and tests/test_migrations.py checks with it that models and migrations describe the same schema.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection or sqlalchemy.url given to the migrations")
    with create_engine(url).begin() as own_connection:
        _run(own_connection)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
