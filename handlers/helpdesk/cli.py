"""`troly report requests [--area MÃ] [--from] [--to] [--format csv|xlsx|json] [--output TỆP]`.

A report only reads: the database is opened without migrating it (bot.database.reading), and the report's
modules are imported when it runs, not when `troly` builds its parser.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.areas import require_area, subtree_ids
from bot.commands import Commands
from bot.settings import Settings
from bot.storage.types import utcnow
from handlers.helpdesk.timing import zone


def register_cli(commands: Commands) -> None:
    report = commands.group("report", help="Báo cáo hoạt động của Tổ công nghệ số cộng đồng")
    report.add(
        "requests",
        help="Báo cáo yêu cầu hỗ trợ: số nhận, đã xong, thời gian chờ, đánh giá (CSV, XLSX hoặc JSON)",
        run=run_requests,
        configure=_configure,
    )


def _local_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"ngày '{text}' không hợp lệ, hãy viết dạng NĂM-THÁNG-NGÀY, ví dụ 2026-11-01"
        ) from None


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", help="mã khu vực (gồm cả các khu vực cấp dưới); mặc định: tất cả")
    parser.add_argument("--from", dest="start", type=_local_date, help="gửi từ ngày (YYYY-MM-DD, giờ địa phương)")
    parser.add_argument("--to", dest="end", type=_local_date, help="gửi đến hết ngày (YYYY-MM-DD)")
    parser.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv", help="định dạng (mặc định csv)")
    parser.add_argument("--output", "-o", type=Path, help="ghi ra tệp này (mặc định: đầu ra chuẩn)")


def run_requests(settings: Settings, args: argparse.Namespace) -> int:
    from bot.database import reading
    from handlers.helpdesk import export, reports

    if args.start and args.end and args.start > args.end:
        print("--from phải trước hoặc bằng --to.", file=sys.stderr)
        return 1
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        print("Tệp XLSX không in ra màn hình được; hãy thêm --output TỆP.xlsx", file=sys.stderr)
        return 1
    local = zone(settings)
    low = datetime.combine(args.start, time(), local) if args.start else None
    high = datetime.combine(args.end + timedelta(days=1), time(), local) if args.end else None
    with reading(settings) as database, database.read_only() as session:
        scope = reports.Scope("toàn hệ thống")
        if args.area:
            area = require_area(session, args.area)
            scope = reports.Scope(area.name, area_ids=subtree_ids(session, area.id))
        requests = reports.load(session, scope, low, high)
        table, summary = export.rows(requests, local), reports.summarise(requests, utcnow())
    data = {"csv": lambda: export.to_csv(table), "xlsx": lambda: export.to_xlsx(table, summary),
            "json": lambda: export.to_json(table, summary)}[args.format]()  # fmt: skip
    return _write(data, args.output, len(table))


def _write(data: bytes, output: Path | None, count: int) -> int:
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        output.write_bytes(data)
    except OSError as error:
        print(f"Không ghi được tệp {output}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"Đã ghi {count} yêu cầu hỗ trợ vào {output}", file=sys.stderr)
    return 0
