"""`troly gaps`, `troly contacts ...` and `troly report satisfaction`: the feedback reports from the command line.

The reports and `contacts list` only read: they open the database without migrating it (bot.database). Their
modules, and the app, are imported by the command that runs.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.commands import Commands
from bot.settings import Settings
from bot.storage.models import Area
from bot.storage.types import utcnow
from handlers.feedback.cli_common import (
    CliError,
    add_output,
    day_argument,
    emit,
    find_area,
    reading_session,
    reporting,
    session_for,
)
from handlers.feedback.models import ContactCard
from handlers.feedback.scope import Scope, area_scope, day_start, local_day
from handlers.feedback.sheets import Sheet

if TYPE_CHECKING:
    from handlers.feedback.gaps import Cluster


def register_cli(commands: Commands) -> None:
    commands.add(
        "gaps", help="Câu hỏi chưa được trả lời tốt, gom theo nhóm cùng nhu cầu", run=run_gaps, configure=_gaps
    )
    report = commands.group("report", help="Báo cáo hoạt động của Tổ công nghệ số cộng đồng")
    report.add("satisfaction", help="Mức độ hài lòng của người dân với câu trả lời", run=run_satisfaction,
               configure=_satisfaction)  # fmt: skip
    contacts = commands.group("contacts", help="Thông tin liên hệ riêng của từng khu vực")
    contacts.add("set", help="Đặt thông tin liên hệ cho một khu vực", run=run_contact_set, configure=_contact_set)
    contacts.add("list", help="Xem thông tin liên hệ của các khu vực", run=run_contact_list)
    contacts.add("remove", help="Bỏ thông tin liên hệ riêng của một khu vực", run=run_contact_remove,
                 configure=lambda p: p.add_argument("--area", required=True, help="mã khu vực"))  # fmt: skip


def _gaps(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", help="mã khu vực (gồm cả các khu vực cấp dưới); mặc định: tất cả")
    parser.add_argument(
        "--since", type=day_argument, metavar="NGÀY", help="từ ngày (YYYY-MM-DD); mặc định: 90 ngày qua"
    )
    add_output(parser, ("text", "csv", "xlsx", "json"))


def _satisfaction(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", help="mã khu vực (gồm cả các khu vực cấp dưới); mặc định: tất cả")
    parser.add_argument("--from", dest="start", type=day_argument, help="từ ngày (mặc định: đầu tháng trước)")
    parser.add_argument("--to", dest="end", type=day_argument, help="đến hết ngày (mặc định: hôm nay)")
    parser.add_argument("--table", choices=("areas", "answers", "reviews"), default="areas",
                        help="bảng xuất ra CSV: theo khu vực và tháng, theo câu trả lời, cần rà soát")  # fmt: skip
    add_output(parser, ("text", "csv", "xlsx", "json"))


def _contact_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", required=True, help="mã khu vực")
    parser.add_argument("--team", required=True, help="tên tổ hoặc nơi người dân liên hệ")
    parser.add_argument("--meets", default="", metavar="NƠI_GẶP", help="ở đâu, khi nào gặp được tổ")
    parser.add_argument(
        "--hotline", default="", metavar="SỐ_ĐT", help="số điện thoại khu vực muốn công khai (tùy chọn)"
    )


@reporting
def run_gaps(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.feedback.gaps import find_gaps
    from handlers.feedback.services import make_local_index

    now = utcnow()
    since = day_start(args.since) if args.since else now - timedelta(days=90)
    with reading_session(settings) as session:
        scope = area_scope(session, find_area(session, args.area))
        clusters = find_gaps(session, scope, since, make_local_index(), now)
    return emit(args, text=lambda: gaps_text(scope, clusters), json_data=lambda: [c.as_dict() for c in clusters],
                tables=[gaps_sheet(clusters)])  # fmt: skip


def gaps_text(scope: Scope, clusters: list[Cluster]) -> str:
    if not clusters:
        return f"Không có câu hỏi nào bị bỏ ngỏ ở {scope.title}."
    lines = [f"Câu hỏi chưa có câu trả lời tốt ở {scope.title}, nhiều người hỏi nhất trước:"]
    for n, gap in enumerate(clusters, start=1):
        lines.append(f"{n}. {gap.count} lần, {gap.askers} người hỏi, khu vực {', '.join(gap.area_codes()) or '-'}")
        lines += [f"   • {example}" for example in gap.examples(5)]
    return "\n".join(lines)


def gaps_sheet(clusters: list[Cluster]) -> Sheet:
    header = ["Số lần hỏi", "Số người hỏi", "Ví dụ câu hỏi", "Lần đầu", "Lần cuối", "Khu vực",
              "Chưa trả lời được", "Chưa chắc chắn", "Bị chê", "Người hỏi cần biết thêm"]  # fmt: skip
    rows: list[list[object]] = []
    for gap in clusters:
        data = gap.as_dict()
        rows.append([
            gap.count, gap.askers, " | ".join(data["examples"]),
            local_day(gap.first_seen).strftime("%d/%m/%Y"), local_day(gap.last_seen).strftime("%d/%m/%Y"),
            ", ".join(data["areas"]), data["unanswered"], data["low_confidence"], data["disliked"],
            " | ".join(data["comments"]),
        ])  # fmt: skip
    return Sheet("Khoảng trống", header, rows, (10, 10, 70, 12, 12, 20, 10, 10, 8, 50))


@reporting
def run_satisfaction(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app
    from bot.database import schema_checked
    from bot.extensions import RATING_SUMMARIES
    from handlers.feedback.satisfaction import build_report
    from handlers.feedback.satisfaction_views import sheets, summary_text

    today = local_day(utcnow())
    first = args.start or (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    last = args.end or today
    if first > last:
        raise CliError("--from phải trước hoặc bằng --to.")
    troly = create_app(settings, reading=True)
    try:
        with schema_checked(troly.database), troly.database.read_only() as session:
            scope = area_scope(session, find_area(session, args.area))
            summaries = troly.extensions[RATING_SUMMARIES]
            report = build_report(session, scope, day_start(first), day_start(last + timedelta(days=1)),
                                  summaries=summaries, now=utcnow())  # fmt: skip
    finally:
        troly.close()
    tables = sheets(report)
    months = sorted({row.month for row in report.areas}) or [today.strftime("%Y-%m")]
    ordered = [tables[args.table], *(sheet for name, sheet in tables.items() if name != args.table)]
    return emit(args, text=lambda: summary_text(report, months), json_data=report.as_dict, tables=ordered)


@reporting
def run_contact_set(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.feedback.contacts import card_text, save_card, valid_hotline

    hotline = valid_hotline(args.hotline) if args.hotline.strip() else ""
    if hotline is None:
        raise CliError("--hotline chưa đúng (8–15 chữ số, có thể bắt đầu bằng +84).")
    if not args.team.strip() or len(args.team) > 200 or len(args.meets) > 300:
        raise CliError("--team phải có và không quá 200 ký tự; --meets không quá 300 ký tự.")
    with session_for(settings) as session:
        area = find_area(session, args.area)
        assert area is not None
        values = {"team_name": " ".join(args.team.split()), "meets": " ".join(args.meets.split()), "hotline": hotline}
        save_card(session, area, values, actor="cli", actor_id=None, now=utcnow())
        preview = card_text(ContactCard(**values))
    print(f"Đã lưu. Người dân ở {area.name} sẽ thấy:\n{preview}")
    return 0


def run_contact_list(settings: Settings, _args: argparse.Namespace) -> int:
    from handlers.feedback.contacts import card_text

    with reading_session(settings) as session:
        query = select(ContactCard, Area).join(Area, Area.id == ContactCard.area_id).order_by(Area.code)
        lines = [f"{area.code}  {area.name}: {card_text(card)}" for card, area in session.execute(query)]
    print("\n".join(lines) or "Chưa khu vực nào có thông tin liên hệ riêng. Dùng: troly contacts set --help")
    return 0


@reporting
def run_contact_remove(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.feedback.contacts import remove_card

    with session_for(settings) as session:
        area = find_area(session, args.area)
        assert area is not None
        card = session.get(ContactCard, area.id)
        if card is None:
            raise CliError(f"{area.name} chưa có thông tin liên hệ riêng.")
        remove_card(session, card, actor="cli", now=utcnow())
    print(f"Đã bỏ thông tin liên hệ riêng của {area.name}; người dân sẽ thấy thông tin của khu vực cấp trên.")
    return 0
