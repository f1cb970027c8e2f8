"""`troly db upgrade` brings an older database to the newest schema without losing rows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from bot.plugins import load_plugins, migration_dirs
from bot.settings import DEFAULT_PLUGINS
from bot.storage.db import Database


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
