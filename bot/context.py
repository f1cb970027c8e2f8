"""What a handler receives: the message, its sender's row, a session and the app's services."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot import outbox, texts
from bot.dialogs import Dialog, DialogStore
from bot.extensions import HELP_LINES
from bot.messages import Inbound, Outbound
from bot.storage.models import AuditLog, Role, User

if TYPE_CHECKING:
    from bot.app import Troly

Reply = str | Outbound | Sequence[Outbound] | None


@dataclass
class Context:
    """One inbound message being handled. The core commits `session` when the handler returns."""

    troly: Troly
    session: Session
    inbound: Inbound
    user: User
    text: str
    now: datetime
    dialogs: DialogStore = field(repr=False)
    args: str = ""
    notices: list[str] = field(default_factory=list)
    precomputed_for: tuple[str, Any] | None = field(default=None, repr=False)  # (text, the fallback's result)
    command_roles: frozenset[Role] | None = None  # the roles the command being run requires (set by the router)

    def precomputed(self) -> Any:
        """What the fallback's `precompute` returned before the transaction for this very text, else None."""
        if self.precomputed_for is not None and self.precomputed_for[0] == self.text:
            return self.precomputed_for[1]
        return None

    @property
    def dialog(self) -> Dialog | None:
        return self.dialogs.active()

    def start_dialog(
        self, name: str, step: str, data: dict[str, Any] | None = None, *, roles: Collection[Role] | None = None
    ) -> None:
        """Start (or restart) a dialog. It requires `roles`, by default those of the command that starts it (or,
        restarted by its own step, those it had), and the core checks them again before every later step."""
        if roles is None:
            roles = self.command_roles
        current = self.dialog
        if roles is None and current is not None and current.name == name and current.roles is not None:
            roles = [Role(role) for role in current.roles]
        self.dialogs.start(name, step, data, roles)

    def update_dialog(self, step: str, data: dict[str, Any] | None = None) -> None:
        self.dialogs.update(step, data)

    def end_dialog(self) -> None:
        self.dialogs.end()

    def push(
        self, user: User, message: Outbound, *, key: str | None = None, not_before: datetime | None = None
    ) -> None:
        """Send `message` to another user (or later to this one) once this message's transaction commits.

        `key` makes it idempotent (queued once per key). Whether the channel still allows the push (Zalo's
        window) is checked when it is sent; ask `can_reach(user)` first to tell the sender now.
        """
        outbox.push_to_user(self.session, user, message, now=self.now, key=key, not_before=not_before)

    def can_reach(self, user: User) -> bool:
        """Whether a message pushed to `user` now would be allowed by their channel (not blocked, in window)."""
        if user.blocked:
            return False
        policy = self.troly.policies.get(user.channel)
        return policy is None or policy.can_push(user.last_interaction_at, self.now)

    def help_line(self) -> str:
        """Where this user finds a person: the first plugin's text for them (an area's contact card), else the
        generic sentence."""
        for provider in self.troly.extensions[HELP_LINES]:
            line = provider(self)
            if line:
                return line
        return texts.HELP_LINE

    def audit(self, action: str, target: str = "", details: dict[str, Any] | None = None) -> None:
        """Record a privileged action by this user in the audit log, in the same transaction."""
        self.session.add(
            AuditLog(
                at=self.now,
                actor_user_id=self.user.id,
                actor_label=f"{self.user.channel}:{self.user.id}",
                action=action,
                target=target,
                details=details or {},
            )
        )


def as_replies(reply: Reply) -> list[Outbound]:
    """Normalise whatever a handler returned into a list of outbound messages."""
    if reply is None:
        return []
    if isinstance(reply, str):
        return [Outbound(reply)]
    if isinstance(reply, Outbound):
        return [reply]
    return list(reply)
