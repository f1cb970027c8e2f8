"""Commands that only read (reports, exports) open the database without migrating it (bot.database): they run on
a read-only PostgreSQL replica, still create the schema of a fresh data directory, and tell the operator to run
`troly db upgrade` when the schema is behind the code, instead of showing SQL in a traceback. Each case runs the
real `troly` command, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.areas import import_areas, parse_areas_csv
from bot.storage.db import Database
from tests.test_cli import SAMPLE
from tests.test_operator_errors import assert_told, troly

# Every reading command, with arguments that select the sample's province.
READING_COMMANDS = {
    "summary": ("report", "summary", "--area", "22", "--json"),
    "visits": ("report", "visits", "--area", "22", "--format", "csv"),
    "requests": ("report", "requests", "--area", "22", "--format", "json"),
    "monthly": ("report", "monthly", "--month", "2026-11", "--area", "22", "--json"),
    "satisfaction": ("report", "satisfaction", "--area", "22", "--format", "json"),
    "gaps": ("gaps", "--area", "22", "--format", "json"),
    "contacts": ("contacts", "list"),
    "faq": ("faq", "list", "--format", "json"),
}


def tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_report_on_a_fresh_data_directory_creates_the_schema_first(database_url: str) -> None:
    result = troly("report", "summary", "--area", "22", TROLY_DATABASE_URL=database_url)
    assert result.returncode == 2 and "Không có khu vực mã 22" in result.stderr, result.stderr
    assert {"alembic_version", "areas", "visits", "help_requests"} <= tables(database_url)


def core_schema_only(database_url: str) -> None:
    """The database of an older troly: the core's tables (with the sample areas), none of the features' yet."""
    database = Database(database_url)
    database.upgrade()
    with database.transaction() as session:
        import_areas(session, parse_areas_csv(SAMPLE.read_text(encoding="utf-8")))
    database.dispose()


@pytest.mark.parametrize("command", ["summary", "requests", "monthly", "satisfaction"])
def test_a_schema_behind_the_code_is_the_operators_to_upgrade(database_url: str, command: str) -> None:
    core_schema_only(database_url)
    result = troly(*READING_COMMANDS[command], TROLY_DATABASE_URL=database_url)
    assert_told(result, "troly db upgrade")
    assert "visits" not in tables(database_url)  # a reading command did not migrate behind the operator's back
    assert troly("db", "upgrade", TROLY_DATABASE_URL=database_url).returncode == 0
    again = troly(*READING_COMMANDS[command], TROLY_DATABASE_URL=database_url)
    assert again.returncode == 0, again.stderr[-2000:]


def test_every_reading_command_works_on_a_read_only_replica(postgres_admin_url: str, postgres_url: str) -> None:
    assert troly("areas", "import", str(SAMPLE), TROLY_DATABASE_URL=postgres_url).returncode == 0
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = make_url(postgres_url).database
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    admin.dispose()
    for name, arguments in READING_COMMANDS.items():
        result = troly(*arguments, TROLY_DATABASE_URL=postgres_url)
        assert result.returncode == 0, (name, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
    summary = json.loads(troly(*READING_COMMANDS["summary"], TROLY_DATABASE_URL=postgres_url).stdout)
    assert summary["area"] == "22" and summary["visits"] == 0
    writing = troly("areas", "import", str(SAMPLE), TROLY_DATABASE_URL=postgres_url)
    assert_told(writing, "chỉ cho đọc")  # a command that writes is still told, before it starts
