"""`troly db upgrade` brings an older database to the newest schema without losing rows."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.plugins import load_plugins, migration_dirs
from bot.settings import DEFAULT_PLUGINS
from bot.storage.db import Database
from bot.storage.models import Base


def all_migrations() -> list[Path]:
    return migration_dirs(load_plugins(DEFAULT_PLUGINS))


def test_upgrade_from_first_revision_keeps_rows(database_url: str) -> None:
    database = Database(database_url, migrations=all_migrations())
    database.upgrade("0001_core")
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO areas (id, code, name, level) VALUES (1, 'P1', 'Phường Một', 'commune')"))
        connection.execute(
            text(
                "INSERT INTO users (id, channel, channel_user_id, chat_id, display_name, role, area_id, blocked, "
                "created_at) VALUES (7, 'zalo', '8123456789012345678', '', 'Hoa', 'official', 1, false, "
                "CURRENT_TIMESTAMP)"
            )
        )
    assert database.current_revisions() == {"0001_core"}

    database.upgrade()

    assert database.is_up_to_date()
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT channel_user_id, role, area_id, team_id FROM users")).one()
        assert tuple(row) == ("8123456789012345678", "official", 1, None)
        assert connection.execute(text("SELECT name FROM areas")).scalar_one() == "Phường Một"
    database.dispose()


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    database = Database(database_url, migrations=all_migrations())
    database.upgrade()
    first = database.current_revisions()
    database.upgrade()
    assert database.current_revisions() == first
    database.dispose()


def test_a_plugin_left_out_creates_no_tables(database_url: str) -> None:
    """Each feature's migrations live with the feature: without its plugin, its tables are not created."""
    plugins = [name for name in DEFAULT_PLUGINS if name != "handlers.announcements"]
    database = Database(database_url, migrations=migration_dirs(load_plugins(plugins)))
    database.upgrade()
    tables = set(inspect(database.engine).get_table_names())
    assert {"households", "visits", "zalo_tokens", "users"} <= tables
    assert "announcements" not in tables and "announcement_outbox" not in tables
    database.dispose()


def test_the_migrations_build_exactly_what_the_models_describe(database_url: str) -> None:
    """No drift: a model changed without its migration (or the reverse) shows up here, on both databases."""
    database = Database(database_url, migrations=all_migrations())  # loading the plugins registers their models
    database.upgrade()
    with database.engine.connect() as connection:
        options = {"compare_type": True, "compare_server_default": same_server_default}
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, Base.metadata)
    database.dispose()
    assert differences == []


def same_server_default(
    context: MigrationContext,
    inspected_column: object,
    metadata_column: object,
    inspected_default: str | None,
    metadata_default: object,
    rendered_metadata_default: str | None,
) -> bool | None:
    """Alembic's SQLite comparison reports an empty-string default ('') as changed (its unquoting needs one
    character at least): compare SQLite's unquoted texts here; None leaves everything else to Alembic."""
    if context.dialect.name != "sqlite" or inspected_default is None or rendered_metadata_default is None:
        return None
    return unquoted(inspected_default) != unquoted(rendered_metadata_default)


def unquoted(default: str) -> str:
    return re.sub(r"^\((.*)\)$", r"\1", default.strip()).strip("'\"")
