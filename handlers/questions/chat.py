"""Free text in the chat: the answer for this user (their area, their previous question) as a reply.

Every reply carries `Outbound.meta` ({"kind": "answer", "outcome", "question" (masked), "topic", "source_kind",
"source_id", "section", "score"}; {"kind": "smalltalk"} for small talk) so that other plugins' reply hooks know
what they are adding to. The help line ("where to find a person") goes with the first answer of a conversation
only, not with every message.
"""

from __future__ import annotations

from typing import Any

from bot.context import Context, Reply
from bot.extensions import ANSWER_PROVIDERS, ProvidedAnswer
from bot.messages import Choice, Outbound
from bot.privacy import mask_personal
from bot.storage.models import Area, User
from handlers.questions import memory
from handlers.questions.services import ANSWERER
from knowledge import formatting
from knowledge.answers import Answer, Asker, Outcome, Source
from knowledge.corpus import GUIDE_KIND, PLAN_KIND
from knowledge.followups import is_follow_up
from knowledge.locate import is_plan_question
from knowledge.places import Gazetteer

PROVIDED_ANSWER_AT = 0.5  # an answer from another plugin must be at least this confident to be given
MAX_CHOICE_VALUE_BYTES = 60
FULL_VIEW = "Xem đầy đủ"


def answer_question(ctx: Context) -> Reply:
    """The answer for this user; an answer from another plugin (ANSWER_PROVIDERS, e.g. a local answer for the
    user's area) wins when it is more confident."""
    answerer = ctx.troly[ANSWERER]
    recall = memory.recall(ctx.session, ctx.user, ctx.now)
    asker = Asker(places=area_places(ctx.user, answerer.gazetteer), previous=recall.previous)
    answer = ctx.precomputed()
    if not isinstance(answer, Answer) or _depends_on_asker(answer, asker):
        answer = answerer.answer(ctx.text, asker)
    provided = best_provided(ctx)
    if provided is not None and provided.score >= PROVIDED_ANSWER_AT and provided.score >= answer.score:
        ctx.troly.metrics.count("troly_answers_total", outcome=Outcome.ANSWER.value)
        memory.remember(ctx.session, ctx.user, None, ctx.now, help_shown=False)
        meta: dict[str, Any] = {"kind": "answer", "outcome": Outcome.ANSWER.value, "question": mask_personal(ctx.text)}
        meta |= {"source_kind": provided.source.get("kind"), "source_id": provided.source.get("id")}
        return Outbound(provided.text, choices=provided.choices, meta=meta | provided.meta | {"score": provided.score})
    ctx.troly.metrics.count("troly_answers_total", outcome=answer.outcome.value)
    help_line = ctx.help_line()
    with_help = recall.help_due and answer.outcome is Outcome.ANSWER
    reply = to_outbound(answer, help_line if with_help else None)
    if answer.outcome is Outcome.FALLBACK and help_line != formatting.HELP_LINE:
        reply = Outbound(reply.text.replace(formatting.HELP_LINE, help_line), reply.choices, meta=reply.meta)
    remembered = None if answer.outcome is Outcome.SMALLTALK else answer
    memory.remember(ctx.session, ctx.user, remembered, ctx.now, help_shown=with_help)
    return reply


def _depends_on_asker(answer: Answer, asker: Asker) -> bool:
    """Whether the answer computed before the transaction (without the asker) may differ for this asker."""
    if asker.previous is not None and is_follow_up(answer.question):
        return True
    plan_related = answer.source is not None and answer.source.kind == PLAN_KIND
    return bool(asker.places) and (plan_related or is_plan_question(answer.question))


def area_places(user: User, gazetteer: Gazetteer) -> tuple[str, ...]:
    """The place keys of the user's areas (their own, their team's, their subscription), most specific first."""
    keys: list[str] = []
    areas = [user.area, user.team.area if user.team else None, user.subscribed_area]
    for area in areas:
        node: Area | None = area
        while node is not None:
            keys.extend(place.key for place in gazetteer.find(node.name))
            node = node.parent
    return tuple(dict.fromkeys(keys))


def best_provided(ctx: Context) -> ProvidedAnswer | None:
    answers = [provider(ctx, ctx.text) for provider in ctx.troly.extensions[ANSWER_PROVIDERS]]
    return max((a for a in answers if a is not None), key=lambda a: a.score, default=None)


def to_outbound(answer: Answer, help_line: str | None = None) -> Outbound:
    """The answer with the choices that fit its outcome: the full text, the suggestions, or the topic menu."""
    meta = answer_meta(answer)
    text = f"{answer.text}\n\n{help_line}" if help_line else answer.text
    source = answer.source
    if answer.outcome is Outcome.SMALLTALK:
        return Outbound(text, meta={"kind": "smalltalk"})
    if answer.outcome in (Outcome.ANSWER, Outcome.REFERRAL) and source is not None:
        return Outbound(text, choices=_full_view(source), meta=meta)
    if answer.options:
        return Outbound(text, choices=tuple(Choice(option, option) for option in answer.options), meta=meta)
    if answer.outcome is Outcome.SUGGEST and source is not None:
        sources = [source, *answer.alternatives][:3]
        choices = tuple(choice for choice in map(source_choice, sources) if choice is not None)
        return Outbound(text, choices=choices, meta=meta)
    if answer.outcome in (Outcome.FALLBACK, Outcome.REFERRAL):
        return Outbound(text, choices=(Choice("Các chủ đề mình hướng dẫn", "/huongdan"),), meta=meta)
    return Outbound(text, meta=meta)


def _full_view(source: Source) -> tuple[Choice, ...]:
    command = "huongdan" if source.kind == GUIDE_KIND else "kehoach"
    value = f"/{command} {source.id}"
    return (Choice(FULL_VIEW, value),) if len(value.encode()) <= MAX_CHOICE_VALUE_BYTES else ()


def answer_meta(answer: Answer) -> dict[str, Any]:
    """What other plugins' reply hooks may read (ratings, the help desk, the question log)."""
    source = answer.source
    return {
        "kind": "answer",
        "outcome": answer.outcome.value,
        "question": mask_personal(answer.question),
        "topic": answer.topic,
        "source_kind": source.kind if source else None,
        "source_id": source.id if source else None,
        "section": source.section if source else None,
        "score": round(answer.score, 4),
        "intent": answer.intent.value,
        "referral": answer.domain,
    }


def source_choice(source: Source) -> Choice | None:
    command = "huongdan" if source.kind == GUIDE_KIND else "kehoach"
    value = f"/{command} {source.id}"
    if len(value.encode()) > MAX_CHOICE_VALUE_BYTES:
        return None
    return Choice(formatting.choice_label(source)[:64], value)
