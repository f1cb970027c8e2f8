"""Dialog state persisted per (channel, user), with expiry, plus the choices last offered to the user.

Keeping this in the database (not in a channel library's memory) lets any worker and any restart carry on a
dialog, and lets a user answer "2" on Zalo or the console exactly as a Telegram user taps the second button.
A dialog also remembers the roles it was started for (those of the command that started it), so the core can
refuse a later step to someone who lost that role in between (bot.router.Router.run_dialog).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.messages import Outbound
from bot.storage.models import DialogState
from bot.textutil import small_number

ROLES_KEY = "_roles"  # kept in the stored data beside the handler's own keys, never shown to the handler


@dataclass(frozen=True, slots=True)
class Dialog:
    """A snapshot of the user's active dialog handed to handlers."""

    name: str
    step: str
    data: dict[str, Any]
    roles: frozenset[str] | None = None  # the roles the dialog was started for; None: anyone


class DialogStore:
    """Reads and writes one user's dialog row inside the caller's transaction."""

    def __init__(self, session: Session, channel: str, user_id: str, timeout: timedelta, now: datetime) -> None:
        self._session = session
        self._key = (channel, user_id)
        self._timeout = timeout
        self._now = now
        self._row: DialogState | None = session.get(DialogState, self._key)

    def active(self) -> Dialog | None:
        row = self._row
        if row is None or row.name is None or self.expired():
            return None
        data = dict(row.data)
        roles = data.pop(ROLES_KEY, None)
        return Dialog(row.name, row.step, data, frozenset(roles) if isinstance(roles, list) else None)

    def expired(self) -> bool:
        row = self._row
        return bool(row and row.name and row.expires_at and row.expires_at <= self._now)

    def start(
        self, name: str, step: str, data: dict[str, Any] | None = None, roles: Collection[str] | None = None
    ) -> None:
        row = self._ensure_row()
        stored = dict(data or {})
        if roles is not None:
            stored[ROLES_KEY] = sorted(str(role) for role in roles)
        row.name, row.step, row.data = name, step, stored
        self._touch(row)

    def update(self, step: str, data: dict[str, Any] | None = None) -> None:
        row = self._ensure_row()
        if row.name is None:
            raise RuntimeError("update() without an active dialog")
        row.step = step
        if data is not None:
            roles = row.data.get(ROLES_KEY)
            row.data = {**data, ROLES_KEY: roles} if roles is not None else dict(data)
        self._touch(row)

    def end(self) -> None:
        if self._row is not None:
            self._row.name, self._row.step, self._row.data = None, "", {}
            self._row.expires_at = None

    def resolve_choice(self, text: str) -> str:
        """Turn "2" into the value of the second choice last offered, when there was one."""
        values = list(self._row.choices.get("values", [])) if self._row else []
        number = small_number(text.strip().rstrip(".)"))
        if values and number is not None and 1 <= number <= len(values):
            return str(values[number - 1])
        return text

    def remember_choices(self, replies: list[Outbound]) -> None:
        """Remember the last reply's choices (or forget old ones when the reply has none)."""
        offered = [choice.value for reply in replies for choice in reply.choices]
        if not offered and (self._row is None or not self._row.choices):
            return
        row = self._ensure_row()
        row.choices = {"values": offered} if offered else {}

    def _ensure_row(self) -> DialogState:
        if self._row is None:
            channel, user_id = self._key
            self._row = DialogState(channel=channel, channel_user_id=user_id, name=None, step="", data={}, choices={})
            self._session.add(self._row)
        return self._row

    def _touch(self, row: DialogState) -> None:
        row.updated_at = self._now
        row.expires_at = self._now + self._timeout
