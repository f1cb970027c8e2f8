"""The database handle: engine, sessions and migrations, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.writer_lock import WriterLock

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# A report beside the bot takes one core at most (no parallel workers), and is not compiled: JIT took 0.4 s of
# a 0.4 s statement on a province's data. SET LOCAL: the connection returns to the pool as it was.
READER_SETTINGS = "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off"
CORE_VERSIONS_DIR = MIGRATIONS_DIR / "versions"
ALEMBIC_VERSION_TABLE = "alembic_version"  # Alembic's default name, which troly keeps


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
        self._reader = _create_reader(self.engine, self.url, echo=echo)
        self._readers = sessionmaker(self._reader, autoflush=False) if self._reader is not None else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back on error."""
        with self._writer or nullcontext(), self.sessions.begin() as session:
            yield session

    @contextmanager
    def core_transaction(self) -> Iterator[Connection]:
        """Like `transaction`, on a plain Core connection, for hot paths that run a few fixed statements (the
        send budget, bot.storage.budget): there the ORM session's bookkeeping cost several times the SQL."""
        with self._writer or nullcontext(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def read_only(self) -> Iterator[Session]:
        """A session for reading only (reports, exports, web pages): one consistent snapshot, never the writer lock.

        On SQLite, a deferred transaction on its own connections with `PRAGMA query_only`: WAL lets it read
        while writers commit, so a long export holds up no one. On PostgreSQL, a READ ONLY transaction at
        REPEATABLE READ (every query of a report sees the same data) that uses one core (READER_SETTINGS). A
        write fails loudly on both. Nothing is committed, and the objects it loaded stay readable afterwards
        (detached first, so the rollback does not expire them). An in-memory SQLite database has no second
        connection: it reads in a write transaction.
        """
        if self._readers is None:
            with self.transaction() as session:
                yield session
            return
        with self._readers() as session:
            try:
                if self._reader is not None and self._reader.dialect.name == "postgresql":
                    session.execute(text(READER_SETTINGS))
                yield session
            finally:
                session.expunge_all()
                session.rollback()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """`read_only`, by the name the web console's pages use."""
        with self.read_only() as session:
            yield session

    def upgrade(self, revision: str = "heads") -> None:
        """Apply Alembic migrations (every branch's head by default). Alembic is imported here, not with the
        module: commands that never migrate (`troly ask`) start without it."""
        from alembic import command

        with self.engine.begin() as connection:
            config = alembic_config(connection, self.migrations)
            command.upgrade(config, revision)

    def ping(self) -> None:
        """Connect and run a trivial query: an unreachable server or an unopenable file fails here."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def probe_write(self) -> None:
        """A write that changes nothing, after migrating: a read-only database (file permissions, a replica,
        default_transaction_read_only, missing privileges) fails here rather than on a user's first message."""
        with self.transaction() as session:
            session.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"))

    def has_schema(self) -> bool:
        """Alembic's version table is there: troly's schema was created (at some revision). One catalogue
        lookup, without importing Alembic, for commands that read and do not migrate (bot.database); through
        the readers' engine, so that on SQLite it never waits for the write lock."""
        with (self._reader or self.engine).connect() as connection:
            return inspect(connection).has_table(ALEMBIC_VERSION_TABLE)

    def current_revisions(self) -> set[str]:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())

    def is_up_to_date(self) -> bool:
        """Every head is applied. A feature branch that `depends_on` a core revision makes that revision an
        ancestor of the branch head, so Alembic records only the branch head: compare with ancestors too."""
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(alembic_config(None, self.migrations))
        current = tuple(self.current_revisions())
        applied = {revision.revision for revision in script.iterate_revisions(current, "base")} if current else set()
        return set(script.get_heads()) <= applied

    def dispose(self) -> None:
        self.engine.dispose()
        if self._reader is not None and self._reader.pool is not self.engine.pool:  # SQLite's own readers
            self._reader.dispose()
        if self._writer is not None:
            self._writer.close()


def alembic_config(connection: Any = None, migrations: Sequence[Path] = ()) -> Config:
    """An Alembic configuration built in code, so no alembic.ini has to be found on disk: the core's versions
    and each loaded plugin's."""
    from alembic.config import Config

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
        # A server that never answers fails within seconds instead of the operating system's TCP timeout.
        return create_engine(url, echo=echo, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _create_reader(engine: Engine, url: str, *, echo: bool) -> Engine | None:
    """The engine of `Database.read_only` sessions (see there); None for an in-memory SQLite database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    if not parsed.database or parsed.database == ":memory:":
        return None
    reader = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(reader, "connect", _configure_sqlite_reader)
    event.listen(reader, "begin", _begin_deferred)
    return reader


def _configure_sqlite_reader(dbapi_connection: Any, record: Any) -> None:
    _configure_sqlite_connection(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA query_only=ON")


def _begin_deferred(connection: Any) -> None:
    """A read transaction: its snapshot starts at the first read and it never asks for the write lock."""
    connection.exec_driver_sql("BEGIN")


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
