"""What a handler receives: the message, its sender's row, a session and the app's services."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.dialogs import Dialog, DialogStore
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
