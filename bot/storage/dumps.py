"""Copies of a whole database and back: SQLite's online backup API, PostgreSQL's pg_dump and pg_restore.

Both give a consistent snapshot while troly keeps running: SQLite copies the pages under one read
transaction, pg_dump reads in one repeatable-read transaction. Restoring replaces what is there, so `troly
restore` checks first that nothing would be lost by surprise (bot/backup.py).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.engine import URL, make_url

from bot.errors import OperatorError
from bot.storage.writer_lock import WriterLock


def backend(url: str) -> str:
    return make_url(url).get_backend_name()


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise OperatorError("Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được (TROLY_DATABASE_URL).")
    return Path(database)


def dump_sqlite(url: str, target: Path) -> None:
    """The online backup API: a consistent copy even while other processes write (they wait for one step)."""
    source = sqlite3.connect(sqlite_path(url))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def restore_sqlite(url: str, source_file: Path) -> None:
    """Copy the backup's pages over the database, holding the lock every troly writer queues on."""
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = WriterLock(Path(str(path) + ".lock"))
    try:
        with lock:
            source = sqlite3.connect(source_file)
            target = sqlite3.connect(path)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
    finally:
        lock.close()


def dump_postgres(url: str, target: Path) -> None:
    _run_pg_tool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], url)


def restore_postgres(url: str, source_file: Path) -> None:
    """Drop and recreate the backup's tables in one transaction: all of it is restored, or nothing."""
    options = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    _run_pg_tool("pg_restore", [*options, str(source_file)], url)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, the yardstick a restore is checked against."""
    counts = {}
    with engine.connect() as connection:
        for name in sorted(inspect(connection).get_table_names()):
            counts[name] = int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
    return counts


def find_pg_tool(name: str) -> Path:
    """The newest client of the Debian packages (which may not be on PATH), else the one on PATH."""
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_major_version, reverse=True):
        if (directory / name).exists():
            return directory / name
    found = shutil.which(name)
    if found is None:
        raise OperatorError(
            f"Không tìm thấy {name}, cần để sao lưu/khôi phục PostgreSQL. "
            "Hãy cài gói postgresql-client (sudo apt-get install postgresql-client) rồi chạy lại."
        )
    return Path(found)


def _major_version(directory: Path) -> int:
    name = directory.parent.name
    return int(name) if name.isdigit() else 0


def _run_pg_tool(name: str, arguments: list[str], url: str) -> None:
    """Run pg_dump/pg_restore on the configured database; the password goes by environment, not argv."""
    parsed = make_url(url)
    environment = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    command = [str(find_pg_tool(name)), *arguments, f"--dbname={_libpq_url(parsed)}"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["(không có thông báo)"])[-1]
        raise OperatorError(f"{name} không thành công (TROLY_DATABASE_URL): {detail}")


def _libpq_url(parsed: URL) -> str:
    """postgresql://user@host:port/db?... as libpq reads it: no SQLAlchemy driver name, no password."""
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False)
