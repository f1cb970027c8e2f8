"""PTB handlers that carry updates to the core and its replies back, one idea per handler.

The core is synchronous (database work, CPU-bound retrieval), so each update is handled off the event loop by
the server's core runner (a thread, or worker processes: bot.workers); the replies are then sent in a task
the PTB Application tracks (and awaits on shutdown), so a webhook is acknowledged as soon as the core has
committed, not after the rate limiter let every part out.
Dialog state lives in the core's store, not in a ConversationHandler, so any worker or restart carries on.

PTB runs up to 64 updates at once, so one user's quick messages (a batch in polling mode) would race each
other into the core. Every handler takes the user's ticket of the core's sequencer (bot/sequencer.py) before
its first `await`: the core sees one user's updates in the order they arrived, and their replies are sent in
that order too (each chat's replies wait for the previous reply task of that chat).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeAlias

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.telegram import texts
from adapters.telegram.inbound import CHANNEL, choice_inbound, membership_inbound, message_inbound
from adapters.telegram.sender import TelegramSender
from bot.app import Troly
from bot.messages import Inbound, Outbound
from bot.privacy import mask_user_id
from bot.senders import SendStatus
from bot.sequencer import Ticket, sequencer
from bot.users import mark_blocked
from bot.workers import CORE_RUNNER

log = logging.getLogger(__name__)

# What the bot asks Telegram for; edited messages, channel posts and the rest are not requested and, should
# they arrive anyway, no handler matches them: they are acknowledged and deliberately ignored.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

TelegramApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


class TelegramBridge:
    """Owns the PTB Application built around the sender's Bot, and its handlers."""

    def __init__(self, troly: Troly, sender: TelegramSender) -> None:
        self.troly = troly
        self.sender = sender
        self.order = sequencer(troly)
        self._last_delivery: dict[str, asyncio.Task[None]] = {}

    def build_application(self, *, polling: bool) -> TelegramApp:
        builder = ApplicationBuilder().bot(self.sender.bot).concurrent_updates(64)
        application = (builder if polling else builder.updater(None)).build()
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        application.add_handler(MessageHandler(private, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_choice))
        application.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.COMMAND
        application.add_handler(MessageHandler(groups, self.on_group_command))
        application.add_error_handler(self.on_error)
        return application

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Text, a location or media from a private chat; service messages are ignored."""
        inbound = message_inbound(update)
        if inbound is not None:
            async with self._ticket(inbound):
                await self.relay(inbound, context)

    async def on_choice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A tapped button: stop the spinner, take the buttons away (they are used), answer the choice."""
        query = update.callback_query
        if query is None:
            return
        inbound = choice_inbound(update)
        if inbound is None:
            await _quietly(query.answer())
            return
        async with self._ticket(inbound):
            await _quietly(query.answer())
            if query.message is not None and query.message.chat.type != "private":
                return
            context.application.create_task(_quietly(query.edit_message_reply_markup(None)), update=update)
            await self.relay(inbound, context)

    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Blocked or unblocked in a private chat: tell the core (follow/unfollow), send nothing.

        Nothing is sent on `follow` because Telegram also delivers the /start the user taps, which greets.
        """
        inbound = membership_inbound(update)
        if inbound is None:
            return
        async with self._ticket(inbound):
            await self.troly[CORE_RUNNER].handle(inbound)
        if inbound.event == "unfollow":
            await asyncio.to_thread(mark_blocked, self.troly.database, CHANNEL, inbound.user_id)

    async def on_group_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In groups the bot only answers commands meant for it, with a note to write privately."""
        message = update.message
        if message is None or not message.text:
            return
        command = message.text.split(maxsplit=1)[0]
        if "@" in command and command.split("@", 1)[1].lower() != (context.bot.username or "").lower():
            return
        await self.sender.send(str(message.chat.id), Outbound(texts.GROUP_NOTICE))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else "-"
        log.error("telegram update %s failed", update_id, exc_info=context.error)

    async def relay(self, inbound: Inbound, context: ContextTypes.DEFAULT_TYPE) -> None:
        replies = await self.troly[CORE_RUNNER].handle(inbound)
        if replies:
            previous = self._last_delivery.get(inbound.chat_id)
            task = context.application.create_task(self.deliver(inbound, replies, after=previous))
            self._last_delivery[inbound.chat_id] = task
            task.add_done_callback(lambda done: self._forget_delivery(inbound.chat_id, done))

    def _ticket(self, inbound: Inbound) -> Ticket:
        return self.order.ticket(CHANNEL, inbound.user_id)

    def _forget_delivery(self, chat_id: str, task: asyncio.Task[None]) -> None:
        if self._last_delivery.get(chat_id) is task:
            del self._last_delivery[chat_id]

    async def deliver(
        self, inbound: Inbound, replies: list[Outbound], *, after: asyncio.Task[None] | None = None
    ) -> None:
        """Send the replies in order, after the previous message's replies to this chat; stop at the first
        failure (a later part alone would make no sense)."""
        if after is not None:
            await asyncio.wait([after])
        for reply in replies:
            result = await self.sender.send(inbound.chat_id, reply)
            if result.status is SendStatus.BLOCKED:
                await asyncio.to_thread(mark_blocked, self.troly.database, CHANNEL, inbound.user_id)
                log.info("telegram user %s blocked the bot", mask_user_id(CHANNEL, inbound.user_id))
                return
            if not result.ok:
                log.warning(
                    "telegram reply to %s not sent: %s %s",
                    mask_user_id(CHANNEL, inbound.user_id), result.status, result.detail,
                )  # fmt: skip
                return


async def _quietly(call: Awaitable[object]) -> None:
    """Answering a callback or editing its buttons may fail (too old, already edited): never worth an error."""
    try:
        await call
    except TelegramError as error:
        log.debug("telegram housekeeping call failed: %s", error)
