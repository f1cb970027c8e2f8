"""Each user's last question, kept ten minutes for follow-ups, and when they last saw the help line.

One row per user, overwritten by every question: the question text is stored masked (ID and phone numbers
replaced, bot.privacy) and cut to 300 characters; it is only read within `followups.WINDOW_MINUTES`, and the
daily retention rule blanks texts older than a day (`troly prune`). Small talk does not overwrite it, so "cảm ơn"
between two questions does not break the follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.storage.models import Base, User
from knowledge.answers import Answer
from knowledge.followups import WINDOW_MINUTES, Previous
from knowledge.intents import Intent

CONVERSATION_GAP = timedelta(hours=1)  # after this much silence, a new conversation begins
KEEP_QUESTION = timedelta(days=1)
MAX_QUESTION_CHARS = 300
RETENTION_DESCRIPTION = "xóa câu hỏi gần nhất của người dùng (dùng cho câu hỏi nối tiếp) sau 1 ngày"


class QuestionMemory(Base):
    __tablename__ = "question_memory"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    question: Mapped[str] = mapped_column(String(MAX_QUESTION_CHARS), default="")
    intent: Mapped[str] = mapped_column(String(16), default="")
    kind: Mapped[str | None] = mapped_column(String(8))
    target: Mapped[str | None] = mapped_column(String(200))
    asked_at: Mapped[datetime | None]
    seen_at: Mapped[datetime | None]  # the user's last message that reached this feature
    help_shown_at: Mapped[datetime | None]


@dataclass(frozen=True, slots=True)
class Recall:
    previous: Previous | None
    help_due: bool  # the help line has not been shown in this conversation yet


def recall(session: Session, user: User, now: datetime) -> Recall:
    row = session.get(QuestionMemory, user.id)
    if row is None:
        return Recall(None, True)
    previous = None
    if row.question and row.asked_at is not None and now - row.asked_at <= timedelta(minutes=WINDOW_MINUTES):
        previous = Previous(row.question, _intent(row.intent), row.kind, row.target)
    new_conversation = row.seen_at is None or now - row.seen_at > CONVERSATION_GAP
    return Recall(previous, new_conversation or row.help_shown_at is None)


def remember(session: Session, user: User, answer: Answer | None, now: datetime, help_shown: bool) -> None:
    """Record this message: the question it asked (if any) and whether the help line went with the reply."""
    row = session.get(QuestionMemory, user.id)
    if row is None:
        row = QuestionMemory(user_id=user.id)
        session.add(row)
    if row.seen_at is not None and now - row.seen_at > CONVERSATION_GAP:
        row.help_shown_at = None
    row.seen_at = now
    if help_shown:
        row.help_shown_at = now
    if answer is not None:
        row.question = answer.question[:MAX_QUESTION_CHARS]
        row.intent = answer.intent.value
        row.kind = answer.source.kind if answer.source else None
        row.target = answer.source.id[:200] if answer.source else None
        row.asked_at = now


def prune(session: Session, now: datetime) -> int:
    """Blank the questions older than a day (the rows keep only times, no text)."""
    statement = (
        update(QuestionMemory)
        .where(QuestionMemory.asked_at < now - KEEP_QUESTION, QuestionMemory.question != "")
        .values(question="", kind=None, target=None)
    )
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)


def _intent(value: str) -> Intent:
    try:
        return Intent(value)
    except ValueError:
        return Intent.OTHER
