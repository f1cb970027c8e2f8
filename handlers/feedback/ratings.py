"""Ratings: the "Hữu ích / Chưa đúng" choices (`/phanhoi <id> co|khong`, a tap or a number) and reactions.

Callback data and typed numbers can be forged or replayed: a rating is accepted only for a logged answer that was
given to this very user (same pseudonym), once; a second tap with the same value changes nothing, a different
one changes the rating. "Chưa đúng" asks one optional question: the user's next question within a few minutes is
read as the comment (handlers.feedback.gaps), and is answered as usual. The help desk is offered when that
feature is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from handlers.feedback import texts
from handlers.feedback.models import LoggedQuestion, Rating
from handlers.feedback.pseudonym import Pseudonymizer
from handlers.feedback.questionlog import HELPFUL, NOT_HELPFUL, RATED_OUTCOMES

REACTION_WINDOW = timedelta(hours=24)  # a reaction rates the latest answer given within this time
HELP_DESK_COMMAND = "nhotro"


def make_rate_command(pseudonyms: Callable[[], Pseudonymizer]) -> Callable[[Context], Reply]:
    def rate(ctx: Context) -> Reply:
        parts = ctx.args.split()
        if len(parts) != 2 or not parts[0].isdigit() or parts[1] not in (HELPFUL, NOT_HELPFUL):
            return texts.RATING_NOT_UNDERSTOOD
        asker = pseudonyms()(ctx.user.channel, ctx.user.channel_user_id)
        question = ctx.session.get(LoggedQuestion, int(parts[0][:12]))
        if question is None or question.asker != asker or question.outcome not in RATED_OUTCOMES:
            return texts.RATING_UNKNOWN_ANSWER
        return save_rating(ctx, question, helpful=parts[1] == HELPFUL, via="choice")

    return rate


def make_reaction_handler(pseudonyms: Callable[[], Pseudonymizer]) -> Callable[[Context], Reply]:
    """A reaction ("+" or "-") rates the latest answer this user got within REACTION_WINDOW; approval is taken
    silently (a reply to a heart would be noise), disapproval asks what was missing like the button does."""

    def react(ctx: Context) -> Reply:
        polarity = ctx.inbound.text.strip()
        if polarity not in ("+", "-"):
            return None
        asker = pseudonyms()(ctx.user.channel, ctx.user.channel_user_id)
        latest = ctx.session.scalar(
            select(LoggedQuestion)
            .where(
                LoggedQuestion.asker == asker,
                LoggedQuestion.asked_at >= ctx.now - REACTION_WINDOW,
                LoggedQuestion.outcome.in_(RATED_OUTCOMES),
            )
            .order_by(LoggedQuestion.asked_at.desc(), LoggedQuestion.id.desc())
            .limit(1)
        )
        if latest is None:
            return None
        reply = save_rating(ctx, latest, helpful=polarity == "+", via="reaction")
        return reply if polarity == "-" else None

    return react


def save_rating(ctx: Context, question: LoggedQuestion, *, helpful: bool, via: str) -> Reply:
    rating = ctx.session.scalar(select(Rating).where(Rating.question_id == question.id))
    if rating is not None and rating.helpful == helpful:
        return texts.ALREADY_RATED
    if rating is None:
        rating = Rating(question_id=question.id, asker=question.asker, helpful=helpful, via=via)
        ctx.session.add(rating)
    rating.helpful, rating.via, rating.rated_at = helpful, via, ctx.now
    ctx.session.flush()  # a double tap racing this one fails here (unique question_id); the core retries it once
    if helpful:
        return texts.THANKS_HELPFUL
    return ask_what_was_missing(ctx)


def ask_what_was_missing(ctx: Context) -> Outbound:
    """The one optional question after "Chưa đúng", and the help desk when it is installed (discovered, not
    imported: features never require each other)."""
    if HELP_DESK_COMMAND in ctx.troly.router.commands:
        choices = (Choice(texts.HELP_DESK_LABEL, f"/{HELP_DESK_COMMAND}"),)
        return Outbound(f"{texts.ASK_WHAT_WAS_MISSING}\n{texts.OFFER_HELP_DESK}", choices=choices)
    return Outbound(f"{texts.ASK_WHAT_WAS_MISSING}\n{ctx.help_line()}")
