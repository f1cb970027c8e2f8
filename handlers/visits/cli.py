"""`troly report visits` (CSV/XLSX, one row per visit) and `troly report summary` (text or JSON) for an area.

Both only read: the database is opened without migrating it (bot.database.reading), and the report's modules
are imported when a report runs, not when `troly` builds its parser.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bot.commands import Commands
from bot.settings import Settings
from handlers.visits.catalogue import OUTCOME_LABELS, SERVICE_BY_CODE, Outcome

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from handlers.visits.export import Row
    from handlers.visits.reports import Scope

EXPORT_NICE = 10  # as the reports lane of `troly serve` (bot.lanes)


def register_cli(commands: Commands) -> None:
    report = commands.group("report", help="Báo cáo hoạt động của Tổ công nghệ số cộng đồng")
    report.add("visits", help="Xuất danh sách lượt thăm hộ dân (CSV hoặc XLSX)", run=run_visits, configure=_visits)
    report.add("summary", help="Tổng hợp kết quả hỗ trợ hộ dân của một khu vực", run=run_summary, configure=_summary)


def _local_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"ngày '{text}' không hợp lệ, hãy viết dạng NĂM-THÁNG-NGÀY, ví dụ 2026-11-01"
        raise argparse.ArgumentTypeError(message) from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", required=True, help="mã khu vực (gồm cả các khu vực cấp dưới)")
    parser.add_argument("--from", dest="start", type=_local_date, help="từ ngày (YYYY-MM-DD, giờ Việt Nam)")
    parser.add_argument("--to", dest="end", type=_local_date, help="đến hết ngày (YYYY-MM-DD, giờ Việt Nam)")


def _visits(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="định dạng (mặc định csv)")
    parser.add_argument("--output", "-o", type=Path, help="ghi ra tệp này (mặc định: đầu ra chuẩn)")


def _summary(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--json", action="store_true", help="in kết quả dạng JSON")


@contextmanager
def _scope(settings: Settings, args: argparse.Namespace) -> Iterator[tuple[Session, Scope] | None]:
    """A read-only session (no writer lock: an export runs beside the bot) and the area's scope; None after
    printing why when the dates are the wrong way round."""
    if args.start and args.end and args.start > args.end:
        print("--from phải trước hoặc bằng --to.", file=sys.stderr)
        yield None
        return
    from bot.areas import require_area
    from bot.database import reading
    from bot.priority import lower_priority
    from handlers.visits import reports

    lower_priority(EXPORT_NICE)  # the bot's replies to citizens come first on a shared machine
    with reading(settings) as database, database.read_only() as session:
        area = require_area(session, args.area)
        yield session, reports.area_scope(session, area.id)


def run_visits(settings: Settings, args: argparse.Namespace) -> int:
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        print("Tệp XLSX không in ra màn hình được; hãy thêm --output TỆP.xlsx", file=sys.stderr)
        return 1
    from handlers.visits import export

    write = export.write_csv if args.format == "csv" else export.write_xlsx
    with _scope(settings, args) as opened:
        if opened is None:
            return 1
        session, scope = opened
        rows = export.visit_rows(session, scope, args.start, args.end)
        if args.output is None:
            return _to_stdout(write, rows)
        try:
            with args.output.open("wb") as target:
                count = write(rows, target)
        except OSError as error:
            print(f"Không ghi được tệp {args.output}: {error.strerror}", file=sys.stderr)
            return 1
    print(f"Đã ghi {count} lượt thăm vào {args.output}", file=sys.stderr)
    return 0


def _to_stdout(write: Callable[[Iterable[Row], IO[bytes]], int], rows: Iterable[Row]) -> int:
    """Standard output may be a pipe (not seekable, which a zip file wants): spool, then copy."""
    with tempfile.TemporaryFile() as spool:
        write(rows, spool)
        spool.seek(0)
        sys.stdout.flush()
        shutil.copyfileobj(spool, sys.stdout.buffer)
    sys.stdout.buffer.flush()
    return 0


def summarise(session: Session, scope: Scope, args: argparse.Namespace) -> dict[str, object]:
    """Everything `report summary` prints, as plain data (the JSON output)."""
    from handlers.visits import reports

    stats = reports.collect(session, scope, args.start, args.end)
    today = args.end or reports.local_now().date()
    return {
        "area": args.area,
        "from": args.start.isoformat() if args.start else None,
        "to": args.end.isoformat() if args.end else None,
        **stats.as_dict(),
        "follow_ups_pending": reports.pending_follow_ups(session, scope),
        "sub_areas": reports.by_sub_area(session, scope, args.start, args.end),
        "weekly": [{"week_start": day.isoformat(), "visits": n} for day, n in reports.weekly(session, scope, today)],
    }


def run_summary(settings: Settings, args: argparse.Namespace) -> int:
    with _scope(settings, args) as opened:
        if opened is None:
            return 1
        session, scope = opened
        result = summarise(session, scope, args)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else _as_text(scope, result))
    return 0


def _as_text(scope: Scope, result: dict[str, object]) -> str:
    period = f"từ {result['from'] or 'đầu'} đến {result['to'] or 'nay'}"
    services = result["services"]
    outcomes = result["outcomes"]
    assert isinstance(services, dict) and isinstance(outcomes, dict)
    lines = [
        f"Kết quả hỗ trợ hộ dân {scope.title} ({result['area']}), {period}",
        f"Lượt thăm: {result['visits']}",
        f"Hộ được tiếp cận: {result['households']}",
        f"Người được hỗ trợ: {result['people_helped']}",
        "Dịch vụ: " + (", ".join(f"{SERVICE_BY_CODE[c].label} {n}" for c, n in services.items()) or "chưa có"),
        "Kết quả: " + ", ".join(f"{OUTCOME_LABELS[Outcome(k)]} {n}" for k, n in outcomes.items()),
        f"Hộ đang hẹn lại: {result['follow_ups_pending']}",
    ]
    sub_areas = result["sub_areas"]
    assert isinstance(sub_areas, list)
    lines += [f"  {row['code']} {row['name']}: {row['visits']} lượt, {row['households']} hộ" for row in sub_areas]
    return "\n".join(lines)
