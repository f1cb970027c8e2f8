"""`/khoangtrong`: an official (or leader) sees what went unanswered and answers it, all in chat.

Choose a cluster → write the answer → confirm its source → preview → publish (officials, admins) or propose
(leaders). The cluster's wordings become the answer's question variants, so the people who asked, and everyone
of the area who asks alike, get it from the next question on (handlers.feedback.local_index).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.storage.models import Area
from bot.textutil import fold
from handlers.feedback import texts
from handlers.feedback.gaps import Cluster, find_gaps
from handlers.feedback.local_answers import (
    MAX_ANSWER_CHARS,
    Draft,
    LocalAnswerError,
    answer_problems,
    clean_questions,
    duplicate_problems,
    problems_of,
)
from handlers.feedback.local_index import attributed
from handlers.feedback.proposals import actor_of, save_draft
from handlers.feedback.scope import PUBLISHERS, Scope, default_source, manager_scope, short_date
from handlers.feedback.services import LOCAL_INDEX

DIALOG = "feedback.gap"
DEFAULT_DAYS = 90
LISTED = 8


def show_gaps(ctx: Context) -> Reply:
    scope = manager_scope(ctx.session, ctx.user)
    if scope is None:
        return texts.NEEDS_AREA
    days = int(ctx.args) if ctx.args.isdigit() and 0 < int(ctx.args) <= 3650 else DEFAULT_DAYS
    clusters = find_gaps(ctx.session, scope, ctx.now - timedelta(days=days), ctx.troly[LOCAL_INDEX], ctx.now)
    if not clusters:
        return texts.NO_GAPS.format(days=days, area=scope.title)
    listed = clusters[:LISTED]
    lines = [texts.GAPS_HEADER.format(area=scope.title, days=days)]
    for n, gap in enumerate(listed, start=1):
        example = _clip(gap.examples(1)[0], 80)
        last = gap.last_seen.strftime("%d/%m")
        lines.append(texts.GAP_LINE.format(n=n, example=example, count=gap.count, askers=gap.askers, last=last))
    lines.append(texts.GAPS_FOOTER)
    ctx.start_dialog(DIALOG, "choose", {"clusters": [_remember(ctx, scope, gap) for gap in listed]})
    choices = tuple(Choice(_clip(gap.examples(1)[0], 60), str(n)) for n, gap in enumerate(listed, 1))
    return Outbound("\n".join(lines), choices=choices)


def _remember(ctx: Context, scope: Scope, gap: Cluster) -> dict[str, Any]:
    """What the next steps need of a cluster (the list may change while the official writes)."""
    area_id = scope.area.id if scope.area is not None else gap.main_area_id()
    return {
        "examples": gap.examples(),
        "count": gap.count,
        "askers": gap.askers,
        "first": gap.first_seen.strftime("%d/%m"),
        "last": gap.last_seen.strftime("%d/%m"),
        "areas": gap.area_codes()[:5],
        "comments": [q.comment for q in gap.questions if q.comment][:3],
        "area_id": area_id,
    }


def continue_dialog(ctx: Context) -> Reply:
    dialog = ctx.dialog
    assert dialog is not None
    steps = {"choose": _choose, "write": _write, "source": _source, "confirm": _confirm}
    return steps[dialog.step](ctx, dict(dialog.data))


def _choose(ctx: Context, data: dict[str, Any]) -> Reply:
    clusters = data["clusters"]
    text = ctx.text.strip().rstrip(".")
    if not text.isdigit() or not 1 <= int(text) <= len(clusters):
        return texts.CHOOSE_NUMBER.format(count=len(clusters))
    chosen = clusters[int(text) - 1]
    area = ctx.session.get(Area, chosen["area_id"]) if chosen["area_id"] is not None else None
    if area is None:
        ctx.end_dialog()
        return texts.NEEDS_AREA
    lines = [
        texts.CLUSTER_DETAIL.format(
            count=chosen["count"],
            askers=chosen["askers"],
            first=chosen["first"],
            last=chosen["last"],
            areas=", ".join(chosen["areas"]) or "-",
        ),
        texts.EXAMPLES,
        *(f"• {example}" for example in chosen["examples"]),
    ]
    if chosen["comments"]:
        lines += [texts.COMMENTS, *(f"• {comment}" for comment in chosen["comments"])]
    lines += ["", texts.ASK_ANSWER.format(area=area.name, limit=MAX_ANSWER_CHARS)]
    answered = duplicate_problems(ctx.session, area.id, chosen["examples"], None)
    open_questions = [q for q in chosen["examples"] if not duplicate_problems(ctx.session, area.id, [q], None)]
    if not open_questions:
        ctx.end_dialog()
        return texts.NOT_SAVED.format(problems="\n".join(f"• {p}" for p in answered))
    ctx.update_dialog("write", {"questions": open_questions, "area_id": area.id})
    return "\n".join(lines)


def _write(ctx: Context, data: dict[str, Any]) -> Reply:
    answer = ctx.text.strip()
    problems = answer_problems(answer)
    if problems:
        return texts.NOT_SAVED.format(problems="\n".join(f"• {p}" for p in problems))
    area = ctx.session.get(Area, data["area_id"])
    assert area is not None
    source = default_source(area)
    ctx.update_dialog("source", data | {"answer": answer})
    prompt = texts.ASK_SOURCE.format(source=source, date=short_date(ctx.now))
    return Outbound(prompt, choices=(Choice(_clip(source, 60), source),))


def _source(ctx: Context, data: dict[str, Any]) -> Reply:
    source = " ".join(ctx.text.split())
    draft = _draft(ctx, data, answer=data["answer"], source=source)
    problems = problems_of(ctx.session, draft)
    if problems:
        return texts.NOT_SAVED.format(problems="\n".join(f"• {p}" for p in problems))
    ctx.update_dialog("confirm", data | {"source": source})
    action = texts.PUBLISH_LABEL if ctx.user.role in PUBLISHERS else texts.PROPOSE_LABEL
    preview = [
        texts.PREVIEW.format(area=draft.area.name),
        "",
        attributed(draft.answer, draft.source, ctx.now),
        "",
        texts.PREVIEW_QUESTIONS,
        *(f"• {question}" for question in draft.questions),
    ]
    choices = (Choice(action, fold(action)), Choice(texts.REWRITE_LABEL, fold(texts.REWRITE_LABEL)))
    return Outbound("\n".join(preview), choices=(*choices, Choice(texts.CANCEL_LABEL, "/huy")))


def _confirm(ctx: Context, data: dict[str, Any]) -> Reply:
    wanted = fold(ctx.text)
    if wanted == fold(texts.REWRITE_LABEL):
        area = ctx.session.get(Area, data["area_id"])
        ctx.update_dialog("write", {"questions": data["questions"], "area_id": data["area_id"]})
        return texts.ASK_ANSWER.format(area=area.name if area else "", limit=MAX_ANSWER_CHARS)
    action = texts.PUBLISH_LABEL if ctx.user.role in PUBLISHERS else texts.PROPOSE_LABEL
    if wanted != fold(action):
        return texts.CONFIRM_HINT.format(action=action)
    draft = _draft(ctx, data, answer=data["answer"], source=data["source"])
    try:
        saved = save_draft(ctx, draft, actor_of(ctx), origin="gap")
    except LocalAnswerError as error:
        ctx.end_dialog()
        return texts.NOT_SAVED.format(problems="\n".join(f"• {p}" for p in error.problems))
    ctx.end_dialog()
    template = texts.PUBLISHED if ctx.user.role in PUBLISHERS else texts.PROPOSED
    return template.format(id=saved.id, area=draft.area.name)


def _draft(ctx: Context, data: dict[str, Any], *, answer: str, source: str) -> Draft:
    area = ctx.session.get(Area, data["area_id"])
    assert area is not None
    return Draft(area, clean_questions(data["questions"]), answer, source)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
