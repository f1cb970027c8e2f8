"""The satisfaction report: per guide and local answer, and per ward/commune and month (Vietnam time).

Per area and month: questions, answered (a confident answer, guide or local), rated and helpful, plus the
ratings other features contribute (RATING_SUMMARIES, e.g. help requests rated 1-5). Per source: ratings and
share helpful. Guides and local answers last reviewed more than six months ago are listed as due for review.
Areas are rolled up to the ward/commune (villages would make the table too thin to read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.extensions import RatingSummary
from bot.storage.models import Area, AreaLevel
from handlers.feedback.models import AnswerStatus, LocalAnswer, LoggedQuestion, Rating
from handlers.feedback.scope import VIETNAM, Scope, local_day

Summaries = Callable[[Session, list[int] | None, datetime, datetime], list[RatingSummary]]
REVIEW_MONTHS = 6


@dataclass
class AreaMonth:
    month: str
    area_code: str
    area_name: str
    questions: int = 0
    answered: int = 0
    rated: int = 0
    helpful: int = 0
    extras: dict[str, list[int]] = field(default_factory=dict)  # label -> [ratings, satisfied]


@dataclass
class SourceRating:
    kind: str  # guide | local
    id: str
    title: str
    ratings: int = 0
    helpful: int = 0


@dataclass(frozen=True, slots=True)
class DueReview:
    kind: str
    id: str
    title: str
    reviewed: str  # ISO date, or "" when the guide does not say


@dataclass
class Report:
    area: str
    start: date
    end: date  # exclusive
    areas: list[AreaMonth]
    sources: list[SourceRating]
    due: list[DueReview]
    extra_labels: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "areas": [asdict(row) | {"helpful_share": share(row.helpful, row.rated)} for row in self.areas],
            "sources": [asdict(row) | {"helpful_share": share(row.helpful, row.ratings)} for row in self.sources],
            "due_for_review": [asdict(row) for row in self.due],
        }


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None


def build_report(
    session: Session, scope: Scope, start: datetime, end: datetime, *, summaries: Sequence[Summaries], now: datetime
) -> Report:
    wards = WardOf(session)
    rows: dict[tuple[str, int | None], AreaMonth] = {}
    sources: dict[tuple[str, str], SourceRating] = {}
    for question, helpful in _questions(session, scope, start, end):
        row = _row(rows, wards, _month(question.asked_at), question.area_id)
        row.questions += 1
        row.answered += question.outcome == "answer"
        if helpful is None:
            continue
        row.rated += 1
        row.helpful += helpful
        if question.source_kind in ("guide", "local") and question.source_id:
            key = (question.source_kind, question.source_id)
            source = sources.setdefault(key, SourceRating(*key, title=""))
            source.ratings += 1
            source.helpful += helpful
    labels: list[str] = []
    for summarise in summaries:
        for summary in summarise(session, scope.area_ids, start, end):
            row = _row(rows, wards, summary.month, summary.area_id)
            counts = row.extras.setdefault(summary.label, [0, 0])
            counts[0] += summary.ratings
            counts[1] += summary.satisfied
            labels += [summary.label] if summary.label not in labels else []
    _titles(session, sources)
    ordered = sorted(rows.values(), key=lambda r: (r.month, r.area_code))
    ranked = sorted(sources.values(), key=lambda s: (share(s.helpful, s.ratings) or 0.0, -s.ratings))
    return Report(scope.title, local_day(start), local_day(end), ordered, ranked, due_reviews(session, now), labels)


def _questions(session: Session, scope: Scope, start: datetime, end: datetime) -> Any:
    query = (
        select(LoggedQuestion, Rating.helpful)
        .outerjoin(Rating, Rating.question_id == LoggedQuestion.id)
        .where(LoggedQuestion.asked_at >= start, LoggedQuestion.asked_at < end)
    )
    if scope.area_ids is not None:
        query = query.where(LoggedQuestion.area_id.in_(scope.area_ids))
    return session.execute(query)


class WardOf:
    """Maps an area to its ward/commune (a village to its parent); provinces stay themselves."""

    def __init__(self, session: Session) -> None:
        self.areas = {area.id: area for area in session.scalars(select(Area))}

    def __call__(self, area_id: int | None) -> Area | None:
        area = self.areas.get(area_id) if area_id is not None else None
        if area is not None and area.level is AreaLevel.VILLAGE and area.parent_id in self.areas:
            return self.areas[area.parent_id]
        return area


def _row(rows: dict[tuple[str, int | None], AreaMonth], wards: WardOf, month: str, area_id: int | None) -> AreaMonth:
    ward = wards(area_id)
    key = (month, ward.id if ward else None)
    if key not in rows:
        rows[key] = AreaMonth(month, ward.code if ward else "", ward.name if ward else "(chưa rõ khu vực)")
    return rows[key]


def _month(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%Y-%m")


def _titles(session: Session, sources: dict[tuple[str, str], SourceRating]) -> None:
    guides = {guide.id: guide.title for guide in _guides()}
    local_ids = [int(key[1]) for key in sources if key[0] == "local" and key[1].isdigit()]
    found = session.scalars(select(LocalAnswer).where(LocalAnswer.id.in_(local_ids)))
    locals_ = {str(answer.id): (answer.questions or [""])[0] for answer in found}
    for (kind, source_id), source in sources.items():
        source.title = (guides if kind == "guide" else locals_).get(source_id, source_id)


def due_reviews(session: Session, now: datetime) -> list[DueReview]:
    """Guides and published local answers whose last review is more than REVIEW_MONTHS months old."""
    cutoff = months_before(local_day(now), REVIEW_MONTHS)
    due = [
        DueReview("guide", guide.id, guide.title, guide.reviewed)
        for guide in _guides()
        if (_parse_day(guide.reviewed) or date.min) < cutoff
    ]
    published = select(LocalAnswer).where(LocalAnswer.status == AnswerStatus.PUBLISHED).order_by(LocalAnswer.id)
    for answer in session.scalars(published):
        if local_day(answer.reviewed_at) < cutoff:
            reviewed = local_day(answer.reviewed_at).isoformat()
            due.append(DueReview("local", str(answer.id), (answer.questions or [""])[0], reviewed))
    return due


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _guides() -> list[Any]:
    from knowledge.guides import load_guides

    return load_guides()
