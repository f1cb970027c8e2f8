"""The database handle: engine, sessions and migrations, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.writer_lock import WriterLock

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CORE_VERSIONS_DIR = MIGRATIONS_DIR / "versions"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written without a driver (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """Owns the engine and hands out sessions; one per process, created by the app factory or a CLI command.

    `migrations` are the version directories of the loaded plugins (bot.plugins.migration_dirs): each feature
    keeps its Alembic branch beside its code, so a plugin left out of TROLY_PLUGINS creates no tables.
    """

    def __init__(self, url: str, *, echo: bool = False, migrations: Sequence[Path] = ()) -> None:
        self.url = normalise_url(url)
        self.migrations = tuple(migrations)
        self.engine = _create_engine(self.url, echo=echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = _sqlite_writer_lock(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back on error."""
        with self._writer or nullcontext(), self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reports and web pages that only read: no writer lock, and on SQLite a deferred BEGIN
        (in WAL mode a reader neither waits for nor blocks the writer). Whatever it did is rolled back; the
        objects it loaded stay readable afterwards (detached first, so the rollback does not expire them)."""
        with self.sessions(bind=self.engine.execution_options(troly_read_only=True)) as session:
            try:
                yield session
            finally:
                session.expunge_all()
                session.rollback()

    def upgrade(self, revision: str = "heads") -> None:
        """Apply Alembic migrations (every branch's head by default)."""
        with self.engine.begin() as connection:
            config = alembic_config(connection, self.migrations)
            command.upgrade(config, revision)

    def current_revisions(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())

    def is_up_to_date(self) -> bool:
        """Every head is applied. A feature branch that `depends_on` a core revision makes that revision an
        ancestor of the branch head, so Alembic records only the branch head: compare with ancestors too."""
        script = ScriptDirectory.from_config(alembic_config(None, self.migrations))
        current = tuple(self.current_revisions())
        applied = {revision.revision for revision in script.iterate_revisions(current, "base")} if current else set()
        return set(script.get_heads()) <= applied

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writer is not None:
            self._writer.close()


def alembic_config(connection: Any = None, migrations: Sequence[Path] = ()) -> Config:
    """An Alembic configuration built in code, so no alembic.ini has to be found on disk: the core's versions
    and each loaded plugin's."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    locations = [CORE_VERSIONS_DIR, *migrations]
    config.set_main_option("version_locations", os.pathsep.join(str(path) for path in locations))
    config.attributes["connection"] = connection
    return config


def _sqlite_writer_lock(url: str) -> WriterLock | None:
    """Writers of a SQLite file queue on a lock file beside it (bot.storage.writer_lock); an in-memory
    database belongs to one process, so its writers need only the lock between threads."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:":
        return WriterLock(None)
    return WriterLock(Path(database + ".lock"))


def _create_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, enforced foreign keys, and our own transaction control (see below)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    """Take the write lock at BEGIN: a deferred transaction that later writes can fail with 'database is
    locked' when another writer got there first, which busy_timeout cannot wait out. Read-only sessions
    (`Database.reading`) begin deferred instead, and never take it."""
    read_only = connection.get_execution_options().get("troly_read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
