"""The feedback loop's tables: the question log and its ratings, local answers with their history, the
version counter that tells every process its local-answer index is stale, and the areas' contact cards.

Privacy (Decree 13/2023/NĐ-CP): the log holds no user id, only a keyed pseudonym (`asker`), and question text is
masked (citizen ID and phone numbers) before it is stored; rows older than the retention setting are deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.models import Area, Base

QUESTION_CHARS = 500


class AnswerStatus(StrEnum):
    PROPOSED = "proposed"  # written by a leader (or offered by another feature), waiting for an official
    PUBLISHED = "published"  # served to citizens of its area
    RETIRED = "retired"  # withdrawn; kept for the history and the reports
    REJECTED = "rejected"  # a proposal an official turned down


class LoggedQuestion(Base):
    """One free-text question and what troly made of it."""

    __tablename__ = "feedback_questions"
    __table_args__ = (
        Index("ix_feedback_questions_area_asked", "area_id", "asked_at"),
        Index("ix_feedback_questions_asker_asked", "asker", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16))
    asker: Mapped[str] = mapped_column(String(32))  # keyed hash of channel and user id (handlers.feedback.pseudonym)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(String(QUESTION_CHARS))  # masked
    outcome: Mapped[str] = mapped_column(String(16))  # answer | suggest | fallback | referral
    topic: Mapped[str | None] = mapped_column(String(64))
    source_kind: Mapped[str | None] = mapped_column(String(16))  # guide | plan | local
    source_id: Mapped[str | None] = mapped_column(String(128))
    section: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float, default=0.0)

    rating: Mapped[Rating | None] = relationship(back_populates="question", passive_deletes=True)


class Rating(Base):
    """A citizen's "Hữu ích" / "Chưa đúng" for one logged answer (one per answer; a later tap changes it)."""

    __tablename__ = "feedback_ratings"
    __table_args__ = (Index("ix_feedback_ratings_asker_rated", "asker", "rated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("feedback_questions.id", ondelete="CASCADE"), unique=True)
    asker: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool]
    via: Mapped[str] = mapped_column(String(16))  # choice | reaction
    rated_at: Mapped[datetime]  # the asker's next question soon after "Chưa đúng" says what was missing

    question: Mapped[LoggedQuestion] = relationship(back_populates="rating")


class LocalAnswer(Base):
    """An answer an official published for their area (and the areas below it), with its question variants."""

    __tablename__ = "local_answers"
    __table_args__ = (Index("ix_local_answers_area_status", "area_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    status: Mapped[str] = mapped_column(String(16))  # AnswerStatus
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # question variants, as written
    question_keys: Mapped[list[str]] = mapped_column(JSON, default=list)  # the same, normalised (similarity)
    answer: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))  # "UBND phường Móng Cái 1"
    valid_until: Mapped[date | None] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[str] = mapped_column(String(64), default="")  # chat | cli | import | gap | <feature>:<id>
    reviewed_at: Mapped[datetime]  # shown as "cập nhật dd/mm/yyyy"
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(default=1)

    area: Mapped[Area] = relationship()


class LocalAnswerRevision(Base):
    """Every state a local answer has been in, so any change can be rolled back (and shown in the history)."""

    __tablename__ = "local_answer_revisions"
    __table_args__ = (UniqueConstraint("answer_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("local_answers.id", ondelete="CASCADE"))
    revision: Mapped[int]
    at: Mapped[datetime]
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IndexVersion(Base):
    """One row counting changes to published local answers: every process compares it with the version of its
    in-memory index before answering, so a publication is searchable at once everywhere, without a restart."""

    __tablename__ = "local_answer_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime | None]


class ContactCard(Base):
    """An area's own "who to contact" text, set by its officials; shown instead of the generic help line."""

    __tablename__ = "contact_cards"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    team_name: Mapped[str] = mapped_column(String(200))
    meets: Mapped[str] = mapped_column(String(300), default="")  # where and when the team can be found
    hotline: Mapped[str] = mapped_column(String(32), default="")  # only a number the official chose to publish
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200), default="")

    area: Mapped[Area] = relationship()
