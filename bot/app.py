"""The app object and its factory: settings, database, router and services, and the inbound pipeline.

`Troly.handle` is the one path every channel uses: clean the text, skip redeliveries, upsert the user, route
to one handler inside a guard, remember offered choices, commit. It is synchronous on purpose: handlers do
database work and CPU-bound retrieval, and async adapters call it in a worker thread.

The guard tells the handler's bugs (the user gets a polite apology, the message counts as handled) from
infrastructure failures (bot.failures: the database or the disk): those raise InfrastructureFailure, so that
the channel is told to deliver the message again instead of being told it was handled.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import outbox, texts
from bot.arrivals import DuplicateMessage, claim_message, clean_text, upsert_user
from bot.channels import ChannelPolicy
from bot.clock import Clock, SystemClock
from bot.context import Context, Reply, as_replies
from bot.database import open_database as open_database  # where commands and tests have long found it
from bot.database import open_for_reading
from bot.dialogs import DialogStore
from bot.extensions import CANCEL_HOOKS, Extensions
from bot.failures import InfrastructureFailure, describe, is_infrastructure
from bot.jobs import Jobs, Retention
from bot.messages import Inbound, Outbound, check_inbound
from bot.metrics import CORE_METRICS, Metrics
from bot.plugins import channel_policies, hooks, load_plugins
from bot.privacy import mask_user_id
from bot.router import ANONYMOUS_COMMANDS, Command, Router, is_cancel_word, parse_command
from bot.services import ServiceKey, ServiceRegistry
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import AuditLog, DialogState, ProcessedMessage, User

T = TypeVar("T")
log = logging.getLogger(__name__)


class Troly:
    """Everything a handler or adapter needs, created once per process by `create_app`."""

    def __init__(
        self, settings: Settings, database: Database, plugins: list[ModuleType], clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.database = database
        self.plugins = plugins
        self.clock: Clock = clock or SystemClock()
        self.router = Router()
        self.services = ServiceRegistry()
        self.extensions = Extensions()
        self.jobs = Jobs()
        self.policies: dict[str, ChannelPolicy] = channel_policies(plugins)
        self.metrics = Metrics(CORE_METRICS)
        for definitions in hooks(plugins, "metric_definitions"):
            self.metrics.define(definitions())
        self.router.command("huy", _cancel, description="Hủy thao tác đang làm dở")
        register_core_retention(self)

    def provide(self, key: ServiceKey[T], factory: Any) -> None:
        self.services.provide(key, factory)

    def __getitem__(self, key: ServiceKey[T]) -> T:
        return self.services[key]

    def __setitem__(self, key: ServiceKey[T], value: T) -> None:
        self.services[key] = value

    def __contains__(self, key: ServiceKey[Any]) -> bool:
        return key in self.services

    def handle(self, inbound: Inbound) -> list[Outbound]:
        """Process one inbound message exactly once and return the replies to send to its chat.

        Raises only InfrastructureFailure (nothing could be stored: the channel must deliver the message again).
        Every other step, from checking and cleaning the text on, is inside the guard, so a malformed message
        (an adapter let a number through where text belongs) gets the apology instead of taking a core worker
        process down with it.
        """
        started = time.perf_counter()
        try:
            return self._handle(inbound)
        except InfrastructureFailure:
            raise
        except Exception:
            return self._apologise(inbound)
        finally:
            self.metrics.observe("troly_core_seconds", time.perf_counter() - started)

    def _handle(self, inbound: Inbound) -> list[Outbound]:
        check_inbound(inbound)
        text = clean_text(inbound.text)
        if len(text) > self.settings.max_message_chars:
            return [Outbound(texts.TOO_LONG.format(length=len(text), limit=self.settings.max_message_chars))]
        read_only = self.read_only_command(inbound, text)
        if read_only is not None:
            replies = self._handle_read_only(inbound, text, *read_only)
            if replies is not None:
                return replies
        precomputed = self._precompute(inbound, text)
        for attempt in (1, 2):
            try:
                with self.database.transaction() as session:
                    claim_message(session, inbound, self.clock.now())
                    return self._dispatch(session, inbound, text, precomputed)
            except DuplicateMessage:
                log.info("duplicate %s message %s ignored", inbound.channel, inbound.message_id)
                return []
            except IntegrityError:
                if attempt == 2:
                    return self._apologise(inbound)
                log.warning("integrity conflict for %s, retrying once", _who(inbound))
            except Exception as error:
                if is_infrastructure(error):
                    raise InfrastructureFailure(describe(error)) from error
                return self._apologise(inbound)
        raise AssertionError("unreachable")

    def read_only_command(self, inbound: Inbound, text: str | None = None) -> tuple[Command, str] | None:
        """The read-only command (bot.router) this message invokes, if any: where a runner sends it (bot.lanes)
        and whether `handle` runs it outside the write transaction."""
        if inbound.event != "message" or "/" not in inbound.text:  # the server asks this of every message
            return None
        return self.router.read_only_command(clean_text(inbound.text) if text is None else text)

    def _handle_read_only(self, inbound: Inbound, text: str, command: Command, args: str) -> list[Outbound] | None:
        """Run a read-only command in a read-only session, then record the message (claim, sender, dialog, reply
        hooks, audit rows) in a short write transaction. None when the ordinary path must answer (an unknown
        sender, a role refused)."""
        timeout = timedelta(minutes=self.settings.dialog_timeout_minutes)
        try:
            with self.database.read_only() as session:
                user = session.scalar(
                    select(User).where(User.channel == inbound.channel, User.channel_user_id == inbound.user_id)
                )
                if user is None or (command.roles is not None and user.role not in command.roles):
                    return None
                now = self.clock.now()
                dialogs = DialogStore(session, inbound.channel, inbound.user_id, timeout, now)
                replies = as_replies(command.handler(Context(self, session, inbound, user, text, now, dialogs, args)))
                audits = [row for row in session.new if isinstance(row, AuditLog)]  # written with the claim
        except Exception:
            return self._apologise(inbound)
        try:
            with self.database.transaction() as session:
                now = self.clock.now()
                claim_message(session, inbound, now)
                user = upsert_user(session, inbound, now)
                dialogs = DialogStore(session, inbound.channel, inbound.user_id, timeout, now)
                ctx = Context(self, session, inbound, user, text, now, dialogs, args)
                ctx.notices = self._leave_dialog(dialogs)
                session.add_all(audits)
                for hook in self.router.reply_hooks:
                    replies = hook(ctx, replies)
                dialogs.remember_choices(replies)
        except DuplicateMessage:
            log.info("duplicate %s message %s ignored", inbound.channel, inbound.message_id)
            return []
        except Exception:
            return self._apologise(inbound)
        return [Outbound("\n".join(ctx.notices)), *replies] if ctx.notices else replies

    def _leave_dialog(self, dialogs: DialogStore) -> list[str]:
        """A command ends the dialog in progress, as `_route` does: the notices that say so."""
        if dialogs.expired():
            dialogs.end()
            return [texts.DIALOG_EXPIRED.format(minutes=self.settings.dialog_timeout_minutes)]
        if dialogs.active() is not None:
            dialogs.end()
            return [texts.DIALOG_INTERRUPTED]
        return []

    def prepare(self) -> None:
        """Build what a long-running process needs before its first message (each plugin's `prepare`), such
        as the search index: no user waits for it, and worker processes find it built instead of racing."""
        for prepare in hooks(self.plugins, "prepare"):
            prepare(self)

    def close(self) -> None:
        self.database.dispose()

    def _precompute(self, inbound: Inbound, text: str) -> tuple[str, Any] | None:
        """Run the fallback's database-free work (retrieval) before the transaction, for text that may reach it.

        Commands, cancel words and numbers (a choice) never do; a message that turns out to belong to a dialog
        or a greeting wastes the work, outside any lock. A failure here is left for the handler to meet again.
        """
        precompute = self.router.text_precompute
        if precompute is None or inbound.event != "message" or not text or text.isdecimal():
            return None
        if parse_command(text) is not None or is_cancel_word(text):
            return None
        try:
            return text, precompute(text)
        except Exception:
            log.warning("precomputing the answer for %s failed; the handler will try again", _who(inbound))
            return None

    def _dispatch(
        self, session: Session, inbound: Inbound, text: str, precomputed: tuple[str, Any] | None
    ) -> list[Outbound]:
        now = self.clock.now()
        user = upsert_user(session, inbound, now)
        timeout = timedelta(minutes=self.settings.dialog_timeout_minutes)
        dialogs = DialogStore(session, inbound.channel, inbound.user_id, timeout, now)
        text = dialogs.resolve_choice(text) if text else text
        ctx = Context(self, session, inbound, user, text, now, dialogs, precomputed_for=precomputed)
        replies = as_replies(self._route(ctx))
        for hook in self.router.reply_hooks:
            replies = hook(ctx, replies)
        if ctx.notices:
            replies.insert(0, Outbound("\n".join(ctx.notices)))
        dialogs.remember_choices(replies)
        return replies

    def _route(self, ctx: Context) -> Reply:
        inbound, router = ctx.inbound, self.router
        if inbound.event != "message":
            handler = router.events.get(inbound.event)
            return handler(ctx) if handler else None
        if ctx.dialogs.expired():
            ctx.dialogs.end()
            ctx.notices.append(texts.DIALOG_EXPIRED.format(minutes=self.settings.dialog_timeout_minutes))
        if not ctx.text:
            return self._route_non_text(ctx)
        command = parse_command(ctx.text) or (("huy", "") if is_cancel_word(ctx.text) else None)
        if command is not None:
            name, ctx.args = command
            if inbound.anonymous and (name not in ANONYMOUS_COMMANDS or (name == "start" and ctx.args)):
                return texts.NEEDS_FOLLOW  # "/start CODE" would redeem an invite
            if name != "huy" and ctx.dialog is not None:
                ctx.end_dialog()
                ctx.notices.append(texts.DIALOG_INTERRUPTED)
            return router.run_command(ctx, name)
        dialog = ctx.dialog
        if dialog is not None and dialog.name in router.dialogs:
            return router.run_dialog(ctx, dialog)
        handler = router.mode_handler_for(ctx) or router.text_handler_for(ctx.text)
        return handler(ctx) if handler else texts.NO_TEXT_HANDLER

    def _route_non_text(self, ctx: Context) -> Reply:
        """Locations and shared phone numbers go to the active dialog first (a visit may ask for a location, a
        help request for a number), then to a plugin's mode; other media get a polite note."""
        dialog, inbound = ctx.dialog, ctx.inbound
        answers_dialog = inbound.location is not None or inbound.contact is not None
        if answers_dialog and dialog is not None and dialog.name in self.router.dialogs:
            return self.router.run_dialog(ctx, dialog)
        mode = self.router.mode_handler_for(ctx) if inbound.location or inbound.attachments else None
        if mode is not None:
            return mode(ctx)
        if inbound.location is not None:
            handler = self.router.events.get("location")
            return handler(ctx) if handler else texts.LOCATION_NOT_EXPECTED
        if inbound.attachments:
            handler = self.router.events.get("attachment")
            return handler(ctx) if handler else texts.ATTACHMENT_NOT_SUPPORTED
        if inbound.contact is not None:
            return texts.CONTACT_NOT_EXPECTED
        return texts.EMPTY_MESSAGE

    def _apologise(self, inbound: Inbound) -> list[Outbound]:
        """A handler bug: apologise once, and mark the message handled so a redelivery does not repeat it.

        The sender is recorded too (the handler's transaction was rolled back): a channel that only writes to
        users it knows (Zalo) can then deliver the apology. When even that cannot be stored, the database is
        away: the channel delivers the message again.
        """
        log.exception("handler failed for %s message %s", _who(inbound), inbound.message_id or "-")
        self.metrics.count("troly_handler_errors_total")
        try:
            with self.database.transaction() as session:
                now = self.clock.now()
                claim_message(session, inbound, now)
                upsert_user(session, inbound, now)
        except DuplicateMessage:
            return []
        except Exception as error:
            if is_infrastructure(error):
                raise InfrastructureFailure(describe(error)) from error
            log.warning("could not mark failed message %s as processed", inbound.message_id or "-")
        return [Outbound(texts.APOLOGY)]


def create_app(settings: Settings, *, migrate: bool = True, reading: bool = False, clock: Clock | None = None) -> Troly:
    """Build the app: load plugins, open the database (migrating it), let each plugin register its handlers.

    `reading`: for a command that only reads, the database is opened by `bot.database.open_for_reading` (not
    migrated unless it is new, never written); run its queries inside `bot.database.schema_checked`."""
    plugins = load_plugins(settings.plugins)
    database = open_for_reading(settings, plugins) if reading else open_database(settings, plugins, migrate=migrate)
    troly = Troly(settings, database, plugins, clock)
    for setup in hooks(troly.plugins, "setup"):
        setup(troly)
    return troly


def register_core_retention(troly: Troly) -> None:
    """The core's own growing tables: message ids outlive the channels' redelivery windows, then go."""
    settings = troly.settings

    def processed(session: Session, now: datetime) -> int:
        cutoff = now - timedelta(days=settings.processed_retention_days)
        return _rowcount(session.execute(delete(ProcessedMessage).where(ProcessedMessage.processed_at < cutoff)))

    def dialogs(session: Session, now: datetime) -> int:
        cutoff = now - timedelta(days=1, minutes=settings.dialog_timeout_minutes)
        stale = DialogState.updated_at < cutoff
        return _rowcount(session.execute(delete(DialogState).where(stale)))

    def pushes(session: Session, now: datetime) -> int:
        return outbox.prune_finished(session, now - timedelta(days=settings.push_retention_days))

    troly.jobs.retain(Retention("processed_messages", "mã tin nhắn đã xử lý (chống xử lý trùng)", processed))
    troly.jobs.retain(Retention("dialog_states", "trạng thái hội thoại đã hết hạn hơn một ngày", dialogs))
    troly.jobs.retain(Retention("push_outbox", "tin nhắn chủ động đã gửi xong", pushes))


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _cancel(ctx: Context) -> Reply:
    """/huy ends the dialog; with none, a plugin may end a mode of its own (CANCEL_HOOKS) and say so."""
    if ctx.dialog is None:
        for hook in ctx.troly.extensions[CANCEL_HOOKS]:
            said = hook(ctx)
            if said:
                return said
        return texts.NOTHING_TO_CANCEL
    ctx.end_dialog()
    return texts.CANCELLED


def _who(inbound: Inbound) -> str:
    return mask_user_id(inbound.channel, inbound.user_id)
