"""The question log: a reply hook that records every answered free-text question and puts the rating pair under
answers, and the retention rule that deletes old rows.

The hook runs inside the message's transaction (bot.router `after`), so a question is logged exactly when its
reply is committed, and the rating choices can carry the new row's id. It reads `Outbound.meta` as written by the
questions feature ({"kind": "answer", "outcome", "question" (masked), "topic", "source_kind", ...}); small talk
and every other reply is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from bot.context import Context
from bot.jobs import Retention
from bot.messages import Choice, Outbound
from bot.privacy import mask_personal
from bot.settings import Settings
from handlers.feedback import texts
from handlers.feedback.models import QUESTION_CHARS, LoggedQuestion, Rating
from handlers.feedback.pseudonym import Pseudonymizer
from handlers.feedback.scope import user_area_id

RATED_OUTCOMES = frozenset({"answer", "referral"})  # a fallback or a "did you mean" is a gap, not an answer
RATE_COMMAND = "phanhoi"
HELPFUL, NOT_HELPFUL = "co", "khong"


def rating_choices(question_id: int) -> tuple[Choice, Choice]:
    return (
        Choice(texts.HELPFUL_LABEL, f"/{RATE_COMMAND} {question_id} {HELPFUL}"),
        Choice(texts.NOT_HELPFUL_LABEL, f"/{RATE_COMMAND} {question_id} {NOT_HELPFUL}"),
    )


def make_hook(pseudonyms: Callable[[], Pseudonymizer]) -> Callable[[Context, list[Outbound]], list[Outbound]]:
    # Built once: statements with bound parameters are compiled once and then only executed (this runs for every
    # question, and building an ORM statement per call costs more than the insert itself).
    log = cast(Table, LoggedQuestion.__table__).insert().returning(LoggedQuestion.id)

    def log_and_offer_rating(ctx: Context, replies: list[Outbound]) -> list[Outbound]:
        position = _last_answer(replies)
        if position is None:
            return replies
        reply = replies[position]
        asker = pseudonyms()(ctx.user.channel, ctx.user.channel_user_id)
        question_id = int(ctx.session.execute(log, row_values(ctx, reply.meta, asker)).scalar_one())
        if reply.meta.get("outcome") in RATED_OUTCOMES and not any(_is_rating(r) for r in replies):
            replies = list(replies)
            replies[position] = replace(reply, choices=(*reply.choices, *rating_choices(question_id)))
        return replies

    return log_and_offer_rating


def row_values(ctx: Context, meta: Mapping[str, Any], asker: str) -> dict[str, Any]:
    """The log row: the masked question (as the answerer reports it), outcome, source, area and time."""
    return {
        "asked_at": ctx.now,
        "channel": ctx.user.channel[:16],
        "asker": asker,
        "area_id": user_area_id(ctx.user),
        "question": str(meta.get("question") or mask_personal(ctx.text))[:QUESTION_CHARS],
        "outcome": str(meta.get("outcome") or "")[:16],
        "topic": _short(meta.get("topic"), 64),
        "source_kind": _short(meta.get("source_kind"), 16),
        "source_id": _short(meta.get("source_id"), 128),
        "section": _short(meta.get("section"), 200),
        "score": float(meta.get("score") or 0.0),
    }


def _last_answer(replies: list[Outbound]) -> int | None:
    """The last reply that is an answer: it carries the one rating prompt of the message."""
    for position in range(len(replies) - 1, -1, -1):
        if replies[position].meta.get("kind") == "answer":
            return position
    return None


def _is_rating(reply: Outbound) -> bool:
    return any(choice.value.startswith(f"/{RATE_COMMAND} ") for choice in reply.choices)


def _short(value: object, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def retention(settings: Settings) -> Retention:
    def prune(session: Session, now: datetime) -> int:
        cutoff = now - timedelta(days=settings.question_log_retention_days)
        old = select(LoggedQuestion.id).where(LoggedQuestion.asked_at < cutoff)
        session.execute(delete(Rating).where(Rating.question_id.in_(old)))
        result = session.execute(delete(LoggedQuestion).where(LoggedQuestion.asked_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

    return Retention("question_log", texts.RETENTION_DESCRIPTION, prune)
