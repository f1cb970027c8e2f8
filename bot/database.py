"""The configured database, opened for the app or for one command: migrated first, or only read.

Most commands write, so they migrate before anything else (`open_database`): every command can run on a fresh
data directory. A command that only reads (a report, an export) opens it with `open_for_reading` instead:
no Alembic (90 ms to import, and an upgrade check on every run), no write, so it also works against a
read-only PostgreSQL replica. A database with no troly schema yet (a fresh data directory) is still migrated
first, as for any other command.

A database behind the code (troly upgraded, `troly db upgrade` not run yet) is not migrated by a reading
command; its first query meets a missing table or column. `reading` turns that failure into a message that
tells the operator to upgrade, instead of SQL in a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from sqlalchemy.exc import DBAPIError

from bot.errors import OperatorError, is_read_only, outdated_schema_message, read_only_message, unreachable_message
from bot.plugins import load_plugins, migration_dirs
from bot.settings import Settings
from bot.storage.db import Database

log = logging.getLogger(__name__)


def open_database(settings: Settings, plugins: list[ModuleType] | None = None, *, migrate: bool = True) -> Database:
    """The configured database with the migrations of the configured plugins, upgraded unless told not to:
    every command can run on a fresh data directory. An unreachable or read-only database stops here with a
    message for the operator (bot.errors), not at the first user's message."""
    database = _connect(settings, plugins)
    if migrate:
        _migrate(database)
    return database


def open_for_reading(settings: Settings, plugins: list[ModuleType] | None = None) -> Database:
    """The configured database for a command that only reads: migrated only when it has no troly schema yet,
    never written to otherwise. Read through `Database.read_only`, inside `schema_checked` (or use `reading`)."""
    database = _connect(settings, plugins)
    if not database.has_schema():
        _migrate(database)
    return database


@contextmanager
def reading(settings: Settings, plugins: list[ModuleType] | None = None) -> Iterator[Database]:
    """`open_for_reading` for the length of the block, with its queries `schema_checked`; disposed after."""
    database = open_for_reading(settings, plugins)
    try:
        with schema_checked(database):
            yield database
    finally:
        database.dispose()


@contextmanager
def schema_checked(database: Database) -> Iterator[None]:
    """A query that failed on a database this process did not migrate: when its schema is behind the code,
    the operator is told to run `troly db upgrade` (OperatorError). Any other failure goes on as it was."""
    try:
        yield
    except DBAPIError as error:
        if _behind_the_code(database):
            raise OperatorError(outdated_schema_message()) from error
        raise


def _behind_the_code(database: Database) -> bool:
    """Asked only after a failure (it imports Alembic): is some migration of the loaded plugins not applied?"""
    try:
        return not database.is_up_to_date()
    except Exception:  # the database went away, or knows revisions this code does not: not ours to explain
        log.debug("could not compare the schema with the migrations", exc_info=True)
        return False


def _connect(settings: Settings, plugins: list[ModuleType] | None) -> Database:
    if plugins is None:
        plugins = load_plugins(settings.plugins)
    url = settings.resolved_database_url
    database = Database(url, migrations=migration_dirs(plugins))
    try:
        database.ping()
    except DBAPIError as error:
        database.dispose()
        message = read_only_message() if is_read_only(error) else unreachable_message(url, error)
        raise OperatorError(message) from error
    return database


def _migrate(database: Database) -> None:
    try:
        database.upgrade()
        database.probe_write()
    except DBAPIError as error:
        database.dispose()
        if is_read_only(error):
            raise OperatorError(read_only_message()) from error
        raise
