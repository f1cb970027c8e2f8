"""The gap report: unanswered, low-confidence and disliked questions, grouped into clusters of the same need.

A question is a gap when troly fell back ("I don't know"), could only suggest ("did you mean"), or its answer was
rated "Chưa đúng". It stops being one when a published local answer of its area now matches it (unless that very
answer was disliked and has not been edited since). The rest are clustered by lexical similarity of their
normalised text (handlers.feedback.similarity), and each cluster reports its size, distinct askers, examples,
first and last time seen, areas and what the askers said was missing: after "Chưa đúng", the asker's next question
within COMMENT_WINDOW (found here, when the report is made, so that logging a question stays one insert).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from bot.storage.models import Area
from handlers.feedback.local_index import LocalIndex, Snapshot
from handlers.feedback.models import LoggedQuestion, Rating
from handlers.feedback.scope import Scope, local_day
from handlers.feedback.similarity import TextSpace, cluster, normalise

GAP_OUTCOMES = ("fallback", "suggest")
COVERED_AT = 0.5  # the confidence at which the questions feature gives a provided (local) answer
MAX_QUESTIONS = 5000  # the most recent gap questions clustered (the distance matrix grows with the square)
MAX_EXAMPLES = 10
COMMENT_WINDOW = timedelta(minutes=15)  # how long the next question counts as "what I needed to know"


@dataclass(frozen=True, slots=True)
class GapQuestion:
    id: int
    asked_at: datetime
    asker: str
    area_id: int | None
    area_code: str | None
    question: str
    outcome: str
    source_kind: str | None
    source_id: str | None
    disliked: bool
    rated_at: datetime | None
    comment: str = ""


@dataclass
class Cluster:
    questions: list[GapQuestion] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def askers(self) -> int:
        return len({question.asker for question in self.questions})

    @property
    def first_seen(self) -> datetime:
        return min(question.asked_at for question in self.questions)

    @property
    def last_seen(self) -> datetime:
        return max(question.asked_at for question in self.questions)

    def examples(self, limit: int = MAX_EXAMPLES) -> list[str]:
        """Distinct wordings, the most frequent first."""
        counts = Counter(question.question for question in self.questions)
        return [text for text, _ in counts.most_common(limit)]

    def area_codes(self) -> list[str]:
        counts = Counter(question.area_code or "" for question in self.questions)
        return [code for code, _ in counts.most_common() if code]

    def main_area_id(self) -> int | None:
        counts = Counter(question.area_id for question in self.questions if question.area_id is not None)
        return counts.most_common(1)[0][0] if counts else None

    def as_dict(self) -> dict[str, Any]:
        kinds = Counter("disliked" if q.disliked else q.outcome for q in self.questions)
        return {
            "count": self.count,
            "askers": self.askers,
            "examples": self.examples(5),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "areas": self.area_codes(),
            "unanswered": kinds["fallback"],
            "low_confidence": kinds["suggest"],
            "disliked": kinds["disliked"],
            "comments": [q.comment for q in self.questions if q.comment][:5],
        }


def gap_questions(session: Session, scope: Scope, since: datetime | None) -> list[GapQuestion]:
    disliked = Rating.helpful == false()
    query = (
        select(LoggedQuestion, Area.code, Rating.helpful, Rating.rated_at)
        .outerjoin(Rating, Rating.question_id == LoggedQuestion.id)
        .outerjoin(Area, Area.id == LoggedQuestion.area_id)
        .where(or_(LoggedQuestion.outcome.in_(GAP_OUTCOMES), disliked))
        .order_by(LoggedQuestion.asked_at.desc(), LoggedQuestion.id.desc())
        .limit(MAX_QUESTIONS)
    )
    if scope.area_ids is not None:
        query = query.where(LoggedQuestion.area_id.in_(scope.area_ids))
    if since is not None:
        query = query.where(LoggedQuestion.asked_at >= since)
    found = [
        GapQuestion(
            row.id,
            row.asked_at,
            row.asker,
            row.area_id,
            code,
            row.question,
            row.outcome,
            row.source_kind,
            row.source_id,
            helpful is False,
            rated_at if helpful is False else None,
        )
        for row, code, helpful, rated_at in session.execute(query)
    ]
    said = comments(session, [(q.id, q.asker, q.rated_at) for q in found if q.rated_at is not None])
    return [replace(q, comment=said[q.id]) if q.id in said else q for q in found]


def comments(session: Session, disliked: list[tuple[int, str, datetime]]) -> dict[int, str]:
    """For each (question id, asker, time of its "Chưa đúng"): the asker's next question within COMMENT_WINDOW."""
    if not disliked:
        return {}
    askers = {asker for _, asker, _ in disliked}
    since = min(rated_at for _, _, rated_at in disliked)
    query = (
        select(LoggedQuestion.id, LoggedQuestion.asker, LoggedQuestion.asked_at, LoggedQuestion.question)
        .where(LoggedQuestion.asker.in_(askers), LoggedQuestion.asked_at >= since)
        .order_by(LoggedQuestion.asked_at, LoggedQuestion.id)
    )
    later: dict[str, list[tuple[int, datetime, str]]] = {}
    for number, asker, asked_at, question in session.execute(query):
        later.setdefault(asker, []).append((number, asked_at, question))
    found = {}
    for question_id, asker, rated_at in disliked:
        end = rated_at + COMMENT_WINDOW
        within = (q for n, at, q in later.get(asker, ()) if n > question_id and rated_at <= at <= end)
        comment = next(within, None)
        if comment is not None:
            found[question_id] = comment
    return found


def find_gaps(
    session: Session, scope: Scope, since: datetime | None, index: LocalIndex, now: datetime
) -> list[Cluster]:
    """The clusters of open gaps in `scope` since `since`, the most widely asked first."""
    snapshot = index.current(session)
    today = local_day(now)
    questions = [q for q in gap_questions(session, scope, since) if not is_covered(q, snapshot, today)]
    folded = {text: normalise(text) for text in {question.question for question in questions}}
    texts = sorted(set(folded.values()))
    labels = dict(zip(texts, cluster(texts, TextSpace([*index.background(), *texts])), strict=True))
    clusters: dict[int, Cluster] = {}
    for question in questions:
        clusters.setdefault(labels[folded[question.question]], Cluster()).questions.append(question)
    return sorted(clusters.values(), key=lambda c: (-c.askers, -c.count, -c.last_seen.timestamp()))


def is_covered(question: GapQuestion, snapshot: Snapshot, today: date) -> bool:
    if question.area_id is None:
        return False
    found = snapshot.match(question.question, question.area_id, today)
    if found is None or found[1] < COVERED_AT:
        return False
    entry = found[0]
    disliked_this_one = question.disliked and question.source_kind == "local" and question.source_id == str(entry.id)
    return not (disliked_this_one and entry.reviewed_at <= question.asked_at)
