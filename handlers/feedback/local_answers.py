"""Writing local answers: validation, proposal, publication, edits, retirement and rollback, each one audited.

Every change records a revision (a full snapshot, so any state can be restored), an audit row, and bumps the
index version in the same transaction: every process sees the change with its next question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.storage.models import Area, AuditLog
from handlers.feedback import texts
from handlers.feedback.models import AnswerStatus, IndexVersion, LocalAnswer, LocalAnswerRevision
from handlers.feedback.similarity import normalise

MAX_ANSWER_CHARS = 1500  # with the attribution and the rating choices it still fits one Zalo message (2000)
MAX_QUESTION_CHARS = 300
MAX_QUESTIONS = 30
MAX_SOURCE_CHARS = 200
LIVE = (AnswerStatus.PUBLISHED, AnswerStatus.PROPOSED)


class LocalAnswerError(ValueError):
    """What is wrong with a local answer, in Vietnamese, one problem per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Actor:
    label: str  # "telegram:12" for a chat user, "cli" for the command line
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    area: Area
    questions: list[str]
    answer: str
    source: str
    valid_until: date | None = None


def clean_questions(questions: Sequence[str]) -> list[str]:
    """Variants trimmed, blanks dropped, repeated ones (same normalised form) kept once, in order."""
    seen: set[str] = set()
    kept = []
    for question in questions:
        question = " ".join(question.split())
        key = normalise(question) if question else ""
        if key and key not in seen:
            seen.add(key)
            kept.append(question)
    return kept


def keys_of(questions: Sequence[str]) -> list[str]:
    return [normalise(question) for question in questions]


def answer_problems(answer: str) -> list[str]:
    answer = answer.strip()
    if not answer:
        return [texts.EMPTY_ANSWER]
    if len(answer) > MAX_ANSWER_CHARS:
        return [texts.ANSWER_TOO_LONG.format(length=len(answer), limit=MAX_ANSWER_CHARS)]
    return []


def problems_of(session: Session, draft: Draft, *, ignore_id: int | None = None) -> list[str]:
    """Every reason not to save `draft` (empty list: it may be saved)."""
    problems = answer_problems(draft.answer)
    if not draft.questions:
        problems.append(texts.NO_QUESTIONS)
    if len(draft.questions) > MAX_QUESTIONS:
        problems.append(texts.TOO_MANY_QUESTIONS.format(limit=MAX_QUESTIONS))
    problems += [
        texts.QUESTION_TOO_LONG.format(question=q[:40], limit=MAX_QUESTION_CHARS)
        for q in draft.questions
        if len(q) > MAX_QUESTION_CHARS
    ]
    if not draft.source.strip() or len(draft.source) > MAX_SOURCE_CHARS:
        problems.append(texts.BAD_SOURCE.format(limit=MAX_SOURCE_CHARS))
    problems += duplicate_problems(session, draft.area.id, draft.questions, ignore_id)
    return problems


def duplicate_problems(session: Session, area_id: int, questions: Sequence[str], ignore_id: int | None) -> list[str]:
    """A question already answered (or proposed) in the same area would make two answers compete."""
    existing: dict[str, int] = {}
    query = select(LocalAnswer.id, LocalAnswer.question_keys)
    for other_id, keys in session.execute(query.where(LocalAnswer.area_id == area_id, LocalAnswer.status.in_(LIVE))):
        if other_id != ignore_id:
            existing.update({key: other_id for key in keys})
    return [
        texts.DUPLICATE_QUESTION.format(question=question[:60], id=existing[normalise(question)])
        for question in questions
        if normalise(question) in existing
    ]


def create(
    session: Session, draft: Draft, *, status: AnswerStatus, actor: Actor, origin: str, now: datetime
) -> LocalAnswer:
    problems = problems_of(session, draft)
    if problems:
        raise LocalAnswerError(problems)
    answer = LocalAnswer(
        area_id=draft.area.id,
        status=status.value,
        questions=list(draft.questions),
        question_keys=keys_of(draft.questions),
        answer=draft.answer.strip(),
        source=draft.source.strip(),
        valid_until=draft.valid_until,
        author_id=actor.user_id,
        author_label=actor.label,
        origin=origin[:64],
        reviewed_at=now,
        created_at=now,
        updated_at=now,
        revision=1,
    )
    session.add(answer)
    session.flush()
    _record(session, answer, actor, "publish" if status is AnswerStatus.PUBLISHED else "propose", now)
    return answer


def set_status(session: Session, answer: LocalAnswer, status: AnswerStatus, actor: Actor, now: datetime) -> None:
    """Publish a proposal, reject it, or retire an answer; publishing counts as a review (the shown date)."""
    if status is AnswerStatus.PUBLISHED:
        problems = duplicate_problems(session, answer.area_id, answer.questions, answer.id)
        if problems:
            raise LocalAnswerError(problems)
        answer.reviewed_at = now
    answer.status = status.value
    _bump(answer, now)
    _record(session, answer, actor, {"published": "publish", "rejected": "reject"}.get(status.value, "retire"), now)


def edit(session: Session, answer: LocalAnswer, draft: Draft, actor: Actor, now: datetime) -> None:
    problems = problems_of(session, draft, ignore_id=answer.id)
    if problems:
        raise LocalAnswerError(problems)
    answer.area_id, answer.questions = draft.area.id, list(draft.questions)
    answer.question_keys = keys_of(draft.questions)
    answer.answer, answer.source, answer.valid_until = draft.answer.strip(), draft.source.strip(), draft.valid_until
    answer.reviewed_at = now
    _bump(answer, now)
    _record(session, answer, actor, "edit", now)


def rollback(session: Session, answer: LocalAnswer, revision: int, actor: Actor, now: datetime) -> None:
    """Restore the content and status `answer` had at `revision` (as a new revision: nothing is lost)."""
    found = session.scalar(
        select(LocalAnswerRevision).where(
            LocalAnswerRevision.answer_id == answer.id, LocalAnswerRevision.revision == revision
        )
    )
    if found is None or revision >= answer.revision:
        raise LocalAnswerError([texts.NO_SUCH_REVISION.format(id=answer.id, revision=revision)])
    state = found.snapshot
    if state["status"] in LIVE:
        problems = duplicate_problems(session, int(state["area_id"]), state["questions"], answer.id)
        if problems:
            raise LocalAnswerError(problems)
    answer.status, answer.area_id, answer.questions = state["status"], int(state["area_id"]), list(state["questions"])
    answer.question_keys = keys_of(answer.questions)
    answer.answer, answer.source = state["answer"], state["source"]
    answer.valid_until = date.fromisoformat(state["valid_until"]) if state["valid_until"] else None
    answer.reviewed_at = datetime.fromisoformat(state["reviewed_at"])
    _bump(answer, now)
    _record(session, answer, actor, f"rollback:{revision}", now)


def snapshot(answer: LocalAnswer) -> dict[str, Any]:
    return {
        "status": answer.status,
        "area_id": answer.area_id,
        "questions": list(answer.questions),
        "answer": answer.answer,
        "source": answer.source,
        "valid_until": answer.valid_until.isoformat() if answer.valid_until else None,
        "reviewed_at": answer.reviewed_at.isoformat(),
    }


def _bump(answer: LocalAnswer, now: datetime) -> None:
    answer.revision += 1
    answer.updated_at = now


def _record(session: Session, answer: LocalAnswer, actor: Actor, action: str, now: datetime) -> None:
    """The revision, the audit row and the version bump that makes every process reload its index."""
    session.add(
        LocalAnswerRevision(
            answer_id=answer.id,
            revision=answer.revision,
            at=now,
            actor_label=actor.label[:200],
            action=action[:32],
            snapshot=snapshot(answer),
        )
    )
    details = {"revision": answer.revision, "status": answer.status, "area_id": answer.area_id}
    session.add(
        AuditLog(
            at=now,
            actor_user_id=actor.user_id,
            actor_label=actor.label[:64],
            action=f"local_answer.{action.split(':')[0]}",
            target=f"local_answer:{answer.id}",
            details=details,
        )
    )
    bump_version(session, now)


def bump_version(session: Session, now: datetime) -> None:
    version = IndexVersion.version + 1
    session.execute(update(IndexVersion).where(IndexVersion.id == 1).values(version=version, changed_at=now))
