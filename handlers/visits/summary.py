"""/baocao: the report a member, leader or official reads in chat, with the chart when there is data."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.context import Context, Reply
from bot.extensions import REPORT_SECTIONS
from bot.messages import Outbound
from bot.textutil import number
from handlers.visits import reports
from handlers.visits.catalogue import OUTCOME_LABELS, SERVICE_BY_CODE, Outcome
from handlers.visits.chart import render_chart
from handlers.visits.records import VIETNAM
from handlers.visits.reports import Scope, Stats

BREAKDOWN_ROWS = 10  # the busiest units a chat report lists: a province has a hundred communes, a phone one screen


def show_report(ctx: Context) -> Reply:
    scope = reports.scope_for(ctx.session, ctx.user)
    if scope is None:
        return "Tài khoản của bạn chưa được gán tổ hay khu vực nên chưa có báo cáo. Bạn nhờ tổ trưởng hỗ trợ nhé."
    today = ctx.now.astimezone(VIETNAM).date()
    text, image = report_text(ctx.session, scope, today)
    for section in ctx.troly.extensions[REPORT_SECTIONS]:
        if lines := section(ctx):
            text += "\n\n" + "\n".join(lines)
    replies = [Outbound(text)]
    if image is not None:
        replies.append(Outbound("Biểu đồ: lượt thăm theo tuần và dịch vụ đã hỗ trợ trong tháng.", image=image))
    return replies


def report_text(session: Session, scope: Scope, today: date) -> tuple[str, bytes | None]:
    week_from, month_from = reports.week_start(today), today.replace(day=1)
    week = reports.collect(session, scope, week_from, today)
    month = reports.collect(session, scope, month_from, today)
    trend = reports.weekly(session, scope, today)
    lines = [f"Báo cáo hỗ trợ hộ dân {scope.title} (đến ngày {today:%d/%m/%Y})", ""]
    lines += _period(f"Tuần này (từ {week_from:%d/%m})", week)
    lines += _period(f"Tháng {today:%m/%Y}", month)
    lines.append(f"Hộ đang hẹn lại, cần quay lại: {number(reports.pending_follow_ups(session, scope))}")
    lines.append(_trend_line(trend))
    lines += _breakdown(session, scope, month_from, today)
    return "\n".join(lines), render_chart(scope.title, trend, month.services)


def _period(title: str, stats: Stats) -> list[str]:
    if not stats.visits:
        return [f"{title}: chưa có lượt thăm nào.", ""]
    services = ", ".join(
        f"{SERVICE_BY_CODE[code].label} {number(count)}" for code, count in stats.as_dict()["services"].items()
    )
    outcomes = ", ".join(f"{OUTCOME_LABELS[o].lower()} {number(stats.outcomes[o.value])}" for o in Outcome)
    return [
        f"{title}:",
        f"• {number(stats.visits)} lượt thăm, {number(stats.households)} hộ được tiếp cận, "
        f"{number(stats.people)} người được hỗ trợ",
        f"• Dịch vụ: {services}",
        f"• Kết quả: {outcomes}",
        "",
    ]


def _trend_line(trend: list[tuple[date, int]]) -> str:
    this_week, last_week = trend[-1][1], trend[-2][1]
    if this_week > last_week:
        change = f"tăng {number(this_week - last_week)} so với tuần trước ({number(last_week)})"
    elif this_week < last_week:
        change = f"giảm {number(last_week - this_week)} so với tuần trước ({number(last_week)})"
    else:
        change = f"bằng tuần trước ({number(last_week)})"
    series = " · ".join(number(count) for _, count in trend)
    return f"Xu hướng: tuần này {number(this_week)} lượt, {change}. {len(trend)} tuần gần đây: {series}"


def _breakdown(session: Session, scope: Scope, start: date, end: date) -> list[str]:
    """This month per member of a team, or per sub-area of an area: the busiest `BREAKDOWN_ROWS`, then the
    rest in one line (the web console and `troly report summary` list them all)."""
    if scope.team_id is not None:
        members = reports.by_member(session, scope, start, end)  # most active first
        shown = [f"• {name}: {number(n)} lượt" for name, n in members[:BREAKDOWN_ROWS]]
        others = members[BREAKDOWN_ROWS:]
        more = [f"• … và {len(others)} thành viên khác: {number(sum(n for _, n in others))} lượt"] if others else []
        return ["", "Theo thành viên (tháng này):", *shown, *more] if members else []
    rows = sorted(reports.by_sub_area(session, scope, start, end), key=lambda r: (-r["visits"], r["code"]))
    if not rows:
        return []
    shown = [f"• {r['name']}: {number(r['visits'])} lượt, {number(r['households'])} hộ" for r in rows[:BREAKDOWN_ROWS]]
    rest = rows[BREAKDOWN_ROWS:]
    visits, households = sum(r["visits"] for r in rest), sum(r["households"] for r in rest)
    more = [f"• … và {len(rest)} địa bàn khác: {number(visits)} lượt, {number(households)} hộ"] if rest else []
    title = f"Theo địa bàn (tháng này, {BREAKDOWN_ROWS} nơi nhiều nhất):" if rest else "Theo địa bàn (tháng này):"
    return ["", title, *shown, *more]
