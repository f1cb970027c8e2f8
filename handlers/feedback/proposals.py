"""Leaders propose, officials publish: saving a draft by role, `/duyet` for proposals, `/cautraloi` to see and
retire answers, and the ANSWER_PROPOSALS entry through which another feature (the help desk) offers a helper's
good reply as a proposed local answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import texts as core_texts
from bot.context import Context, Reply
from bot.extensions import AnswerProposal
from bot.messages import Choice, Outbound
from bot.privacy import mask_personal
from bot.storage.models import Area, Role, User
from handlers.feedback import texts
from handlers.feedback.local_answers import Actor, Draft, LocalAnswerError, clean_questions, create, set_status
from handlers.feedback.local_index import attributed
from handlers.feedback.models import AnswerStatus, LocalAnswer
from handlers.feedback.scope import PUBLISHERS, default_source, lineage, manager_scope, parent_map, short_date

LISTED = 10


def actor_of(ctx: Context) -> Actor:
    return Actor(f"{ctx.user.channel}:{ctx.user.id}", ctx.user.id)


def save_draft(ctx: Context, draft: Draft, actor: Actor, *, origin: str) -> LocalAnswer:
    """Officials and admins publish; anyone else proposes, and the area's officials are told."""
    status = AnswerStatus.PUBLISHED if ctx.user.role in PUBLISHERS else AnswerStatus.PROPOSED
    saved = create(ctx.session, draft, status=status, actor=actor, origin=origin, now=ctx.now)
    if status is AnswerStatus.PROPOSED:
        author = ctx.user.display_name or core_texts.ROLE_NAMES[ctx.user.role.value]
        notify_officials(ctx, saved, draft.area, author)
    return saved


def notify_officials(ctx: Context, answer: LocalAnswer, area: Area, author: str) -> None:
    """A push to each official of the area or an area above it, with a button to review the proposal."""
    areas = lineage(area.id, parent_map(ctx.session))
    officials = ctx.session.scalars(select(User).where(User.role == Role.OFFICIAL, User.area_id.in_(areas)))
    question = answer.questions[0][:80] if answer.questions else ""
    text = texts.PROPOSAL_NOTICE.format(id=answer.id, area=area.name, author=author[:60], question=question)
    message = Outbound(text, choices=(Choice(texts.REVIEW_LABEL, f"/duyet {answer.id}"),))
    for official in officials:
        if official.id != ctx.user.id:
            ctx.push(official, message, key=f"feedback:proposal:{answer.id}:{official.id}")


def propose_from_feature(ctx: Context, proposal: AnswerProposal) -> str | None:
    """ANSWER_PROPOSALS: another feature offers a good answer; it waits for an official like a leader's."""
    area = ctx.session.get(Area, proposal.area_id)
    if area is None:
        return None
    questions = clean_questions([mask_personal(proposal.question)[:300]])
    draft = Draft(area, questions, mask_personal(proposal.answer), default_source(area))
    actor = Actor(proposal.author_label or f"{ctx.user.channel}:{ctx.user.id}", ctx.user.id)
    try:
        saved = create(
            ctx.session, draft, status=AnswerStatus.PROPOSED, actor=actor, origin=proposal.origin, now=ctx.now
        )
    except LocalAnswerError as error:
        return "; ".join(error.problems)
    notify_officials(ctx, saved, area, proposal.author_label or ctx.user.display_name)
    return texts.FEATURE_PROPOSED.format(area=area.name, id=saved.id)


def in_scope(ctx: Context, answer_id: str) -> LocalAnswer | None:
    scope = manager_scope(ctx.session, ctx.user)
    answer = ctx.session.get(LocalAnswer, int(answer_id[:9])) if answer_id.isdigit() else None
    if scope is None or answer is None:
        return None
    return answer if scope.area_ids is None or answer.area_id in scope.area_ids else None


def review(ctx: Context) -> Reply:
    """`/duyet` lists proposals; `/duyet <id>` previews one; `/duyet <id> dang|tuchoi` decides."""
    parts = ctx.args.split()
    if not parts:
        return _listing(ctx, AnswerStatus.PROPOSED, "/duyet", texts.PROPOSALS_HEADER, texts.NO_PROPOSALS)
    answer = in_scope(ctx, parts[0])
    if answer is None or answer.status != AnswerStatus.PROPOSED:
        return texts.ANSWER_NOT_FOUND.format(id=parts[0][:12])
    decision = parts[1] if len(parts) > 1 else ""
    if decision not in ("dang", "tuchoi"):
        choices = (
            Choice(texts.PUBLISH_LABEL, f"/duyet {answer.id} dang"),
            Choice(texts.REJECT_LABEL, f"/duyet {answer.id} tuchoi"),
        )
        return Outbound(describe(ctx.session, answer), choices=choices)
    status = AnswerStatus.PUBLISHED if decision == "dang" else AnswerStatus.REJECTED
    try:
        set_status(ctx.session, answer, status, actor_of(ctx), ctx.now)
    except LocalAnswerError as error:
        return texts.NOT_SAVED.format(problems="\n".join(f"• {p}" for p in error.problems))
    _tell_author(ctx, answer, status)
    if status is AnswerStatus.PUBLISHED:
        return texts.PUBLISHED.format(id=answer.id, area=answer.area.name)
    return texts.REJECTED.format(id=answer.id)


def manage(ctx: Context) -> Reply:
    """`/cautraloi` lists the area's answers; `/cautraloi <id>` shows one; `/cautraloi <id> go` retires it."""
    parts = ctx.args.split()
    if not parts:
        return _listing(ctx, AnswerStatus.PUBLISHED, "/cautraloi", texts.ANSWERS_HEADER, texts.NO_ANSWERS)
    answer = in_scope(ctx, parts[0])
    if answer is None:
        return texts.ANSWER_NOT_FOUND.format(id=parts[0][:12])
    can_retire = ctx.user.role in PUBLISHERS and answer.status == AnswerStatus.PUBLISHED
    if len(parts) > 1 and parts[1] == "go" and can_retire:
        set_status(ctx.session, answer, AnswerStatus.RETIRED, actor_of(ctx), ctx.now)
        return texts.RETIRED.format(id=answer.id)
    choices = (Choice(texts.RETIRE_LABEL, f"/cautraloi {answer.id} go"),) if can_retire else ()
    return Outbound(describe(ctx.session, answer), choices=choices)


def describe(session: Session, answer: LocalAnswer) -> str:
    header = texts.ANSWER_DETAIL.format(
        id=answer.id,
        status=texts.STATUS_NAMES.get(answer.status, answer.status),
        area=answer.area.name,
        author=answer.author_label or "-",
        updated=short_date(answer.updated_at),
    )
    questions = [texts.PREVIEW_QUESTIONS, *(f"• {q}" for q in answer.questions)]
    return "\n".join([header, "", attributed(answer.answer, answer.source, answer.reviewed_at), "", *questions])


def _listing(ctx: Context, status: AnswerStatus, command: str, header: str, empty: str) -> Reply:
    scope = manager_scope(ctx.session, ctx.user)
    if scope is None:
        return texts.NEEDS_AREA
    query = select(LocalAnswer).where(LocalAnswer.status == status.value).order_by(LocalAnswer.id.desc())
    if scope.area_ids is not None:
        query = query.where(LocalAnswer.area_id.in_(scope.area_ids))
    answers = list(ctx.session.scalars(query.limit(LISTED)))
    if not answers:
        return empty.format(area=scope.title)
    lines = [header.format(area=scope.title)]
    lines += [f"#{a.id} «{(a.questions or [''])[0][:70]}» ({a.area.name})" for a in answers]
    choices = tuple(Choice(f"#{a.id} {(a.questions or [''])[0]}"[:60], f"{command} {a.id}") for a in answers)
    return Outbound("\n".join(lines), choices=choices)


def _tell_author(ctx: Context, answer: LocalAnswer, status: AnswerStatus) -> None:
    author = ctx.session.get(User, answer.author_id) if answer.author_id else None
    if author is None or author.id == ctx.user.id:
        return
    template = texts.PROPOSAL_PUBLISHED_NOTICE if status is AnswerStatus.PUBLISHED else texts.PROPOSAL_REJECTED_NOTICE
    ctx.push(author, Outbound(template.format(id=answer.id)), key=f"feedback:decision:{answer.id}:{answer.revision}")
