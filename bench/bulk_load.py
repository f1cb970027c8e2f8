"""Loading many generated rows fast into SQLite or PostgreSQL, for the province-scale data generator.

Rows go in by the database's fastest ordinary path: PostgreSQL's COPY FROM STDIN (psycopg's `copy`), SQLite's
`executemany` of one prepared INSERT inside one transaction. Secondary indexes and triggers are dropped first
and created again afterwards from their own definitions (`pg_indexes.indexdef`, `sqlite_master.sql`), so the
loaded schema is exactly the migrated one: maintaining eight indexes row by row costs more than building them
once, and a trigger that fires a million times is the slowest path of all (its work is then done set-based).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

Row = Sequence[object]
CHUNK = 50_000
EPOCH = datetime(1970, 1, 1)


class Loader:
    """One raw DBAPI connection of `engine`, in one transaction, with the loading primitives of its dialect."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.raw: Any = engine.raw_connection()
        self.connection: Any = self.raw.driver_connection
        self.dropped_indexes: list[str] = []  # the statements that create them again
        self.dropped_triggers: list[str] = []

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def stamp(self, microseconds: int) -> str:
        """A UTC time (microseconds since the epoch) as the column stores it: SQLAlchemy's SQLite text form
        `YYYY-MM-DD HH:MM:SS.ffffff`, or the same with "+00" for PostgreSQL's timestamptz."""
        text = (EPOCH + timedelta(microseconds=microseconds)).isoformat(" ", "microseconds")
        return text if self.is_sqlite else text + "+00"

    def execute(self, sql: str) -> None:
        cursor = self.connection.cursor()
        cursor.execute(sql)
        cursor.close()

    def rows(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
        """Append rows to `table`; returns how many."""
        if self.is_sqlite:
            return self._executemany(table, columns, rows)
        return self._copy(table, columns, rows)

    def _executemany(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        count = 0
        cursor = self.connection.cursor()
        for chunk in _chunks(rows):
            cursor.executemany(statement, chunk)
            count += len(chunk)
        cursor.close()
        return count

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
        count = 0
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def rebuild_indexes(self) -> None:
        """Create the dropped indexes again (before set-based work that needs them)."""
        while self.dropped_indexes:
            self.execute(self.dropped_indexes.pop(0))

    def reset_sequence(self, table: str) -> None:
        """After explicit ids, make PostgreSQL's serial continue after the largest (SQLite needs nothing)."""
        if not self.is_sqlite:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
            )

    def analyze(self) -> None:
        self.execute("ANALYZE")

    def commit(self) -> None:
        self.connection.commit() if not self.is_sqlite else self.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()


@contextmanager
def bulk_session(engine: Engine, tables: Sequence[str]) -> Iterator[Loader]:
    """A loader in one transaction, with the secondary indexes and triggers of `tables` dropped meanwhile and
    rebuilt before the commit; foreign keys are not checked row by row (the generator builds them right)."""
    loader = Loader(engine)
    try:
        if loader.is_sqlite:
            loader.execute("PRAGMA foreign_keys=OFF")
            loader.execute("BEGIN IMMEDIATE")
        else:
            loader.execute("SET session_replication_role = replica")  # no FK or trigger per row (superuser)
        _drop_derived(loader, tables)
        yield loader
        loader.rebuild_indexes()
        for statement in loader.dropped_triggers:
            loader.execute(statement)
        if not loader.is_sqlite:
            loader.execute("SET session_replication_role = origin")
        loader.commit()
        if loader.is_sqlite:
            loader.execute("PRAGMA foreign_keys=ON")
        loader.analyze()
        if not loader.is_sqlite:
            loader.commit()
    finally:
        loader.close()


def _drop_derived(loader: Loader, tables: Sequence[str]) -> None:
    """Drop the secondary indexes and the triggers of `tables`, keeping the statements that create them."""
    names = ", ".join(f"'{table}'" for table in tables)
    if loader.is_sqlite:
        found = _query(
            loader,
            f"SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            f"AND tbl_name IN ({names}) AND sql IS NOT NULL",
        )
        for kind, name, sql in found:
            loader.execute(f"DROP {kind.upper()} {name}")
            (loader.dropped_triggers if kind == "trigger" else loader.dropped_indexes).append(sql)
        return
    found = _query(
        loader,
        f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ({names}) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
    )
    for name, sql in found:  # PostgreSQL's triggers stay: session_replication_role skips them
        loader.execute(f'DROP INDEX "{name}"')
        loader.dropped_indexes.append(sql)


def _query(loader: Loader, sql: str) -> list[tuple[Any, ...]]:
    cursor = loader.connection.cursor()
    cursor.execute(sql)
    found = [tuple(row) for row in cursor.fetchall()]
    cursor.close()
    return found


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
