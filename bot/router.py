"""Maps an inbound message to one handler: commands, the active dialog, events, then free text."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from bot import texts
from bot.context import Context, Reply
from bot.dialogs import Dialog
from bot.messages import Outbound
from bot.storage.models import Role
from bot.textutil import fold

Handler = Callable[[Context], Reply]
# Runs after the handler, inside the same transaction, and may add to the replies (a rating, "still need a
# person?", a log row): it receives every reply of the message and returns the replies to send.
ReplyHook = Callable[[Context, list[Outbound]], list[Outbound]]
# Whether the sender is in a plugin's mode (talking to another user through the bot): checked per message.
ModeCheck = Callable[[Context], bool]

log = logging.getLogger(__name__)

EVENTS = ("follow", "unfollow", "location", "attachment", "reaction", "open")
# What someone the channel cannot identify (Inbound.anonymous) may run; other commands ask for a follow.
ANONYMOUS_COMMANDS = frozenset({"start", "trogiup", "huy"})


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: Handler
    description: str
    roles: frozenset[Role] | None
    menu: bool
    read_only: bool = False  # reads only: run outside the write transaction, off the citizens' worker


class Router:
    """Registries filled by plugins at start-up; the app asks it which handler a message goes to."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.dialogs: dict[str, Handler] = {}
        self.dialog_roles: dict[str, frozenset[Role]] = {}
        self.events: dict[str, Handler] = {}
        self.text_handlers: list[tuple[Callable[[str], bool], Handler]] = []
        self.text_handler: Handler | None = None
        self.text_precompute: Callable[[str], Any] | None = None
        self.reply_hooks: list[ReplyHook] = []
        self.modes: list[tuple[ModeCheck, Handler]] = []

    def command(
        self,
        name: str,
        handler: Handler,
        *,
        description: str,
        roles: Collection[Role] | None = None,
        menu: bool = True,
        read_only: bool = False,
    ) -> None:
        """Register `/name`. `read_only=True` promises the handler only reads (reports, exports): the core then
        runs it in a read-only session outside the write lock, in a worker of its own (bot.lanes), and records
        the message afterwards; a write attempted in it fails."""
        key = name.lower().lstrip("/")
        if key in self.commands:
            raise ValueError(f"command /{key} registered twice")
        allowed = frozenset(roles) if roles is not None else None
        self.commands[key] = Command(key, handler, description, allowed, menu, read_only)

    def dialog(self, name: str, handler: Handler, *, roles: Collection[Role] | None = None) -> None:
        """Every message of an active dialog `name` goes to `handler`, while the user holds one of `roles`.

        Besides these, a dialog keeps the roles of the command that started it (Context.start_dialog), and
        both are checked again at every step: a user demoted halfway through can no longer act.
        """
        self.dialogs[name] = handler
        if roles is not None:
            self.dialog_roles[name] = frozenset(roles)

    def event(self, kind: str, handler: Handler) -> None:
        if kind not in EVENTS:
            raise ValueError(f"unknown event {kind!r}; expected one of {EVENTS}")
        self.events[kind] = handler

    def text(self, handler: Handler, *, when: Callable[[str], bool]) -> None:
        """Free text for which `when(text)` holds goes to `handler` (checked in order, before the fallback)."""
        self.text_handlers.append((when, handler))

    def mode(self, handler: Handler, *, active: ModeCheck) -> None:
        """While `active(ctx)` holds for the sender, their free text, locations and media go to `handler`.

        A mode outlives dialogs and their 30-minute expiry (a citizen talking with a helper for days through
        the bot): it is the plugin's own state, checked after the active dialog and before the text matchers.
        Commands are not affected and do not end it; the plugin ends it (and may offer /huy for that, see
        bot.extensions.CANCEL_HOOKS).
        """
        self.modes.append((active, handler))

    def mode_handler_for(self, ctx: Context) -> Handler | None:
        for active, handler in self.modes:
            if active(ctx):
                return handler
        return None

    def fallback(self, handler: Handler, *, precompute: Callable[[str], Any] | None = None) -> None:
        """Every other free text: in practice, question answering.

        `precompute(text)` is the handler's work that needs the text alone, not the database (retrieval). The app
        runs it before the transaction and the handler finds the result with `ctx.precomputed()`: SQLite
        admits one writer at a time, so CPU work inside a transaction holds up every other message.
        """
        self.text_handler = handler
        self.text_precompute = precompute

    def after(self, hook: ReplyHook) -> None:
        """Let `hook` see (and add to) the replies of every message, in registration order.

        Hooks read `Outbound.meta` to know what produced a reply; one that adds choices should add them to
        the replies it recognises and leave the others alone.
        """
        self.reply_hooks.append(hook)

    def text_handler_for(self, text: str) -> Handler | None:
        for matches, handler in self.text_handlers:
            if matches(text):
                return handler
        return self.text_handler

    def menu(self) -> list[Command]:
        """Commands to show in help texts and channel command menus, in registration order."""
        return [command for command in self.commands.values() if command.menu]

    def read_only_command(self, text: str) -> tuple[Command, str] | None:
        """The read-only command `text` invokes, with its arguments; None for anything else."""
        parsed = parse_command(text)
        command = self.commands.get(parsed[0]) if parsed is not None else None
        return (command, parsed[1]) if command is not None and command.read_only and parsed is not None else None

    def run_command(self, ctx: Context, name: str) -> Reply:
        command = self.commands.get(name)
        if command is None:
            return texts.UNKNOWN_COMMAND.format(command=name[:32])
        if command.roles is not None and ctx.user.role not in command.roles:
            names = ", ".join(texts.ROLE_NAMES[role.value] for role in sorted(command.roles))
            return texts.NOT_ALLOWED.format(roles=names)
        ctx.command_roles = command.roles
        return command.handler(ctx)

    def run_dialog(self, ctx: Context, dialog: Dialog) -> Reply:
        """The dialog's next step, if the user (whose row was read in this very transaction) still holds a
        role the dialog requires; otherwise the dialog ends and nothing it would have done happens."""
        role = ctx.user.role.value
        required = (self.dialog_roles.get(dialog.name), dialog.roles)
        if any(roles is not None and role not in roles for roles in required):
            ctx.end_dialog()
            log.warning("dialog %s ended: user %s no longer holds its role (now %s)", dialog.name, ctx.user.id, role)
            return texts.DIALOG_ROLE_CHANGED
        return self.dialogs[dialog.name](ctx)


def parse_command(text: str) -> tuple[str, str] | None:
    """`/ghinhan@TrolyBot a ; b` → ("ghinhan", "a ; b"); plain text → None."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name or not all(ch.isalnum() or ch == "_" for ch in name):
        return None
    return name, args.strip()


def is_cancel_word(text: str) -> bool:
    """Plain "hủy"/"huy"/"hủy bỏ" (with or without diacritics) cancels like /huy."""
    return fold(text) in {"huy", "huy bo", "thoat", "dung lai"}
