"""The satisfaction report as an official reads it: a chat summary (`/hailong`), and sheets for CSV/XLSX whose
columns can be pasted into the monthly report as they are."""

from __future__ import annotations

from datetime import date, timedelta

from bot.context import Context, Reply
from bot.extensions import RATING_SUMMARIES
from handlers.feedback import texts
from handlers.feedback.satisfaction import Report, build_report, share
from handlers.feedback.scope import day_start, local_day, manager_scope
from handlers.feedback.sheets import Sheet

KIND_NAMES = {"guide": "Hướng dẫn", "local": "Câu trả lời địa phương"}
WORST_LISTED = 3


def show_satisfaction(ctx: Context) -> Reply:
    """`/hailong`: this month (and the previous one) in the manager's area, the least helpful answers, and how
    many guides are due for review."""
    scope = manager_scope(ctx.session, ctx.user)
    if scope is None:
        return texts.NEEDS_AREA
    today = local_day(ctx.now)
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    start, end = day_start(previous), day_start(today + timedelta(days=1))
    summaries = ctx.troly.extensions[RATING_SUMMARIES]
    report = build_report(ctx.session, scope, start, end, summaries=summaries, now=ctx.now)
    return summary_text(report, [previous.strftime("%Y-%m"), first.strftime("%Y-%m")])


def summary_text(report: Report, months: list[str]) -> str:
    lines: list[str] = []
    for month in months:
        lines += [*_month_lines(report, month), ""]
    worst = [s for s in report.sources if s.ratings > s.helpful][:WORST_LISTED]
    if worst:
        lines.append(texts.SATISFACTION_WORST)
        lines += [f"• {s.title[:70]}: {s.ratings - s.helpful}/{s.ratings} «Chưa đúng»" for s in worst]
    if report.due:
        lines.append(texts.SATISFACTION_REVIEWS.format(count=len(report.due)))
    return "\n".join(lines).strip()


def _month_lines(report: Report, month: str) -> list[str]:
    rows = [row for row in report.areas if row.month == month]
    lines = [texts.SATISFACTION_HEADER.format(area=report.area, month=_month_label(month))]
    questions, answered = sum(r.questions for r in rows), sum(r.answered for r in rows)
    rated, helpful = sum(r.rated for r in rows), sum(r.helpful for r in rows)
    if not questions and not any(r.extras for r in rows):
        return [*lines, texts.NO_QUESTIONS_YET]
    lines.append(
        texts.SATISFACTION_LINE.format(
            questions=questions,
            answered=answered,
            answered_share=_pct(answered, questions),
            rated=rated,
            helpful=helpful,
            helpful_share=_pct(helpful, rated),
        )
    )
    for label in report.extra_labels:
        ratings = sum(r.extras.get(label, [0, 0])[0] for r in rows)
        satisfied = sum(r.extras.get(label, [0, 0])[1] for r in rows)
        share_text = _pct(satisfied, ratings)
        lines.append(
            texts.SATISFACTION_EXTRA.format(label=label, ratings=ratings, satisfied=satisfied, share=share_text)
        )
    return lines


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{int(number)}/{year}"


def _pct(part: int, whole: int) -> str:
    value = share(part, whole)
    return texts.NO_DATA if value is None else f"{value:.1f} %".replace(".", ",")


def sheets(report: Report) -> dict[str, Sheet]:
    """The three tables: per area and month, per answer, and what is due for review."""
    extra_header = [h for label in report.extra_labels for h in (f"{label}: số đánh giá", f"{label}: hài lòng (%)")]
    areas = Sheet(
        "Theo khu vực và tháng",
        ["Tháng", "Mã khu vực", "Khu vực", "Số câu hỏi", "Trả lời được", "Tỷ lệ trả lời được (%)",
         "Số đánh giá", "Hữu ích", "Tỷ lệ hữu ích (%)", *extra_header],
        [
            [_month_label(r.month), r.area_code, r.area_name, r.questions, r.answered, share(r.answered, r.questions),
             r.rated, r.helpful, share(r.helpful, r.rated),
             *(v for label in report.extra_labels for v in _extra(r.extras.get(label)))]
            for r in report.areas
        ],
        (9, 12, 24, 11, 12, 12, 11, 9, 11),
    )  # fmt: skip
    answers = Sheet(
        "Theo câu trả lời",
        ["Loại", "Mã", "Tiêu đề", "Số đánh giá", "Hữu ích", "Chưa đúng", "Tỷ lệ hữu ích (%)"],
        [[KIND_NAMES.get(s.kind, s.kind), s.id, s.title, s.ratings, s.helpful, s.ratings - s.helpful,
          share(s.helpful, s.ratings)] for s in report.sources],
        (22, 20, 50, 11, 9, 10, 11),
    )  # fmt: skip
    reviews = Sheet(
        "Cần rà soát",
        ["Loại", "Mã", "Tiêu đề", "Rà soát lần cuối"],
        [[KIND_NAMES.get(d.kind, d.kind), d.id, d.title, _day(d.reviewed)] for d in report.due],
        (22, 24, 50, 16),
    )
    return {"areas": areas, "answers": answers, "reviews": reviews}


def _extra(counts: list[int] | None) -> tuple[int, float | None]:
    ratings, satisfied = counts or [0, 0]
    return ratings, share(satisfied, ratings)


def _day(iso: str) -> str:
    try:
        return date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return "chưa ghi"
