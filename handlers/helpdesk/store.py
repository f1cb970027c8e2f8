"""Reading and changing requests: the timeline, modes, numbers typed by users, and the notifier that pushes
messages to other users in the caller's transaction (crash-safe: bot.outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.context import Context
from bot.dialogs import DialogStore
from bot.messages import Outbound
from bot.storage.models import User
from handlers.helpdesk.models import HelpEvent, HelpMode, HelpRequest, Mode, Status

if TYPE_CHECKING:
    from bot.app import Troly

ACTIVE = (Status.OPEN.value, Status.TAKEN.value)


@dataclass
class Notifier:
    """Pushes to other users from a message handler or a scheduled job, with the channel's reachability."""

    troly: Troly
    session: Session
    now: datetime

    @classmethod
    def of(cls, ctx: Context) -> Notifier:
        return cls(ctx.troly, ctx.session, ctx.now)

    def can_reach(self, user: User) -> bool:
        if user.blocked:
            return False
        policy = self.troly.policies.get(user.channel)
        return policy is None or policy.can_push(user.last_interaction_at, self.now)

    def push(self, user: User, message: Outbound, key: str, *, at: datetime | None = None) -> None:
        """Queue `message` once per `key`; its choices become what a typed number means for `user` (on Zalo
        and the console people answer by number), unless they are in the middle of a dialog."""
        outbox.push_to_user(self.session, user, message, now=self.now, key=key, not_before=at)
        if message.choices and at is None:
            timeout = timedelta(minutes=self.troly.settings.dialog_timeout_minutes)
            dialogs = DialogStore(self.session, user.channel, user.channel_user_id, timeout, self.now)
            if dialogs.active() is None:
                dialogs.remember_choices([message])


def number_of(text: str) -> int | None:
    """The request number at the start of `text` ("12", "#12", "số 12 ..."), or None."""
    word = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    word = word.lstrip("#").removeprefix("số").lstrip("#")
    return int(word) if word.isdigit() and len(word) < 10 else None


def rest_after_number(text: str) -> str:
    parts = text.strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def get(session: Session, request_id: int | None, *, lock: bool = False) -> HelpRequest | None:
    if request_id is None:
        return None
    query = select(HelpRequest).where(HelpRequest.id == request_id)
    return session.scalar(query.with_for_update() if lock else query)


def record(session: Session, request: HelpRequest, kind: str, now: datetime, actor: User | None = None,
           **details: Any) -> None:  # fmt: skip
    actor_id = actor.id if actor is not None else None
    session.add(HelpEvent(request_id=request.id, at=now, actor_id=actor_id, kind=kind, details=details))


def open_of_citizen(session: Session, citizen_id: int) -> list[HelpRequest]:
    query = select(HelpRequest).where(HelpRequest.citizen_id == citizen_id, HelpRequest.status.in_(ACTIVE))
    return list(session.scalars(query.order_by(HelpRequest.id)))


def taken_by(session: Session, member_id: int) -> list[HelpRequest]:
    query = select(HelpRequest).where(HelpRequest.assignee_id == member_id, HelpRequest.status == Status.TAKEN.value)
    return list(session.scalars(query.order_by(HelpRequest.id)))


def count_active(session: Session, citizen_id: int) -> int:
    query = select(func.count()).where(HelpRequest.citizen_id == citizen_id, HelpRequest.status.in_(ACTIVE))
    return int(session.scalar(query) or 0)


def mode_of(session: Session, user_id: int) -> HelpMode | None:
    return session.get(HelpMode, user_id)


def in_mode(session: Session, user_id: int) -> bool:
    """Checked for every free-text message: one indexed lookup by primary key, no ORM object."""
    return session.execute(select(HelpMode.user_id).where(HelpMode.user_id == user_id)).first() is not None


def set_mode(session: Session, user: User, request: HelpRequest, kind: Mode, now: datetime) -> None:
    row = session.get(HelpMode, user.id)
    if row is None:
        session.add(HelpMode(user_id=user.id, request_id=request.id, kind=kind.value, since=now))
    else:
        row.request_id, row.kind, row.since = request.id, kind.value, now


def end_modes(session: Session, request: HelpRequest) -> None:
    """Nobody talks about this request any more (closed or handed back)."""
    session.execute(delete(HelpMode).where(HelpMode.request_id == request.id))


def end_mode(session: Session, user_id: int) -> None:
    session.execute(delete(HelpMode).where(HelpMode.user_id == user_id))


def helper_name(user: User | None) -> str:
    """How a citizen is told who helps them: the name the member's channel gave, else a neutral phrase."""
    if user is None or not user.display_name.strip():
        return "thành viên tổ"
    return user.display_name.strip()[:60]
