"""Shared by the feedback commands: opening the database, finding an area, dates, writing a report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from bot.areas import require_area
from bot.database import open_database, reading
from bot.settings import Settings
from bot.storage.models import Area
from handlers.feedback.sheets import Sheet, csv_bytes, xlsx_bytes


class CliError(Exception):
    """A message for the operator (Vietnamese); the command exits with status 1."""


def day_argument(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"ngày '{text}' không hợp lệ, hãy viết dạng NĂM-THÁNG-NGÀY, ví dụ 2026-11-01"
        raise argparse.ArgumentTypeError(message) from None


def add_output(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    parser.add_argument("--format", choices=formats, default=formats[0], help=f"định dạng (mặc định {formats[0]})")
    parser.add_argument("--output", "-o", type=Path, help="ghi ra tệp này (mặc định: màn hình)")


@contextmanager
def session_for(settings: Settings) -> Iterator[Session]:
    """A transaction of a command that writes (the database is migrated first)."""
    database = open_database(settings)
    try:
        with database.transaction() as session:
            yield session
    finally:
        database.dispose()


@contextmanager
def reading_session(settings: Settings) -> Iterator[Session]:
    """A read-only session of a command that only reads: no migration, no writer lock (bot.database.reading)."""
    with reading(settings) as database, database.read_only() as session:
        yield session


def find_area(session: Session, code: str | None) -> Area | None:
    if code is None:
        return None
    return require_area(session, code)


def reporting(run: Callable[[Settings, argparse.Namespace], int]) -> Callable[[Settings, argparse.Namespace], int]:
    """Turn a CliError into its message and exit status 1."""

    def guarded(settings: Settings, args: argparse.Namespace) -> int:
        try:
            return run(settings, args)
        except CliError as error:
            print(error, file=sys.stderr)
            return 1

    return guarded


def emit(
    args: argparse.Namespace, *, text: Callable[[], str], json_data: Callable[[], object], tables: list[Sheet]
) -> int:
    """Write the report in the chosen format, to the file or to stdout (XLSX only to a file or a pipe)."""
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        raise CliError("Tệp XLSX không in ra màn hình được; hãy thêm --output TỆP.xlsx")
    if args.format == "text":
        data = (text() + "\n").encode()
    elif args.format == "json":
        data = (json.dumps(json_data(), ensure_ascii=False, indent=2) + "\n").encode()
    else:
        data = csv_bytes(tables[0]) if args.format == "csv" else xlsx_bytes(tables)
    if args.output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        args.output.write_bytes(data)
    except OSError as error:
        raise CliError(f"Không ghi được tệp {args.output}: {error.strerror}") from None
    print(f"Đã ghi {args.output}", file=sys.stderr)
    return 0
