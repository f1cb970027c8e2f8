"""/baocao: the report a member, leader or official reads in chat, with the chart when there is data."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.context import Context, Reply
from bot.extensions import REPORT_SECTIONS
from bot.messages import Outbound
from handlers.visits import reports
from handlers.visits.catalogue import OUTCOME_LABELS, SERVICE_BY_CODE, Outcome
from handlers.visits.chart import render_chart
from handlers.visits.records import VIETNAM
from handlers.visits.reports import Scope, Stats


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
    lines.append(f"Hộ đang hẹn lại, cần quay lại: {reports.pending_follow_ups(session, scope)}")
    lines.append(_trend_line(trend))
    lines += _breakdown(session, scope, month_from, today)
    return "\n".join(lines), render_chart(scope.title, trend, month.services)


def _period(title: str, stats: Stats) -> list[str]:
    if not stats.visits:
        return [f"{title}: chưa có lượt thăm nào.", ""]
    services = ", ".join(
        f"{SERVICE_BY_CODE[code].label} {count}" for code, count in stats.as_dict()["services"].items()
    )
    outcomes = ", ".join(f"{OUTCOME_LABELS[o].lower()} {stats.outcomes[o.value]}" for o in Outcome)
    return [
        f"{title}:",
        f"• {stats.visits} lượt thăm, {stats.households} hộ được tiếp cận, {stats.people} người được hỗ trợ",
        f"• Dịch vụ: {services}",
        f"• Kết quả: {outcomes}",
        "",
    ]


def _trend_line(trend: list[tuple[date, int]]) -> str:
    this_week, last_week = trend[-1][1], trend[-2][1]
    if this_week > last_week:
        change = f"tăng {this_week - last_week} so với tuần trước ({last_week})"
    elif this_week < last_week:
        change = f"giảm {last_week - this_week} so với tuần trước ({last_week})"
    else:
        change = f"bằng tuần trước ({last_week})"
    series = " · ".join(str(count) for _, count in trend)
    return f"Xu hướng: tuần này {this_week} lượt, {change}. {len(trend)} tuần gần đây: {series}"


def _breakdown(session: Session, scope: Scope, start: date, end: date) -> list[str]:
    if scope.team_id is not None:
        members = reports.by_member(session, scope, start, end)
        return ["", "Theo thành viên (tháng này):", *(f"• {name}: {n} lượt" for name, n in members)] if members else []
    rows = reports.by_sub_area(session, scope, start, end)
    if not rows:
        return []
    return [
        "",
        "Theo địa bàn (tháng này):",
        *(f"• {r['name']}: {r['visits']} lượt, {r['households']} hộ" for r in rows),
    ]
