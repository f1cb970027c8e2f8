"""PTB handlers that carry updates to the core and its replies back, one idea per handler.

The core is synchronous (database work, CPU-bound retrieval), so each update is handled off the event loop by
the server's core runner (a thread, or worker processes: bot.workers); the replies then go to the core's reply
queue (bot.replies), so a webhook is acknowledged as soon as the core has committed, not after the send
budget let every part out, and a stopping server keeps what it could not send.
When the core could not store an update (the database or the disk failed: bot.failures), `on_error` notes its
id and the webhook answers 503, so Telegram delivers it again; with polling the update is retried here.
Dialog state lives in the core's store, not in a ConversationHandler, so any worker or restart carries on.

PTB runs up to 64 updates at once, so one user's quick messages (a batch in polling mode) would race each
other into the core. Every handler takes the user's ticket of the core's sequencer (bot/sequencer.py) before
its first `await` and hands the replies to the reply queue before giving it back: the core sees one user's
updates in the order they arrived, and the reply queue (in order per chat) sends their replies in that order.
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
from bot.failures import InfrastructureFailure, describe, is_infrastructure
from bot.messages import Inbound, Outbound
from bot.replies import REPLIES
from bot.sequencer import Ticket, sequencer
from bot.users import mark_blocked
from bot.workers import CORE_RUNNER

log = logging.getLogger(__name__)

# What the bot asks Telegram for; edited messages, channel posts and the rest are not requested and, should
# they arrive anyway, no handler matches them: they are acknowledged and deliberately ignored.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLLING_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)  # polling: Telegram will not redeliver, so retry here

TelegramApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


class TelegramBridge:
    """Owns the PTB Application built around the sender's Bot, and its handlers."""

    def __init__(self, troly: Troly, sender: TelegramSender, *, polling: bool = False) -> None:
        self.troly = troly
        self.sender = sender
        self.polling = polling
        self.order = sequencer(troly)
        self.not_stored: set[int] = set()  # updates the core could not store: the webhook answers 503

    def take_failure(self, update_id: int) -> bool:
        """Whether the update could not be stored (and forget it: the answer is given once)."""
        if update_id in self.not_stored:
            self.not_stored.discard(update_id)
            return True
        return False

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
            await self._core(inbound)
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
        self.troly[REPLIES].submit(CHANNEL, str(message.chat.id), "", [Outbound(texts.GROUP_NOTICE)])

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Infrastructure failures: note the update (the webhook answers 503); anything else is a bug: log it."""
        error = context.error
        if isinstance(update, Update) and error is not None and is_infrastructure(error):
            self.not_stored.add(update.update_id)
            log.warning("telegram update %s not stored, Telegram will send it again: %s", update.update_id,
                        describe(error))  # fmt: skip
            return
        update_id = update.update_id if isinstance(update, Update) else "-"
        log.error("telegram update %s failed", update_id, exc_info=error)

    async def relay(self, inbound: Inbound, context: ContextTypes.DEFAULT_TYPE) -> None:
        replies = await self._core(inbound)
        if replies:
            self.troly[REPLIES].submit(CHANNEL, inbound.chat_id, inbound.user_id, replies)

    def _ticket(self, inbound: Inbound) -> Ticket:
        return self.order.ticket(CHANNEL, inbound.user_id)

    async def _core(self, inbound: Inbound) -> list[Outbound]:
        """The core's replies. With polling, an update the core could not store is retried here for a while
        (getUpdates has already moved past it; the user's later updates wait behind it in the sequencer);
        the webhook instead lets Telegram deliver it again."""
        for delay in POLLING_RETRY_DELAYS if self.polling else ():
            try:
                return await self.troly[CORE_RUNNER].handle(inbound)
            except InfrastructureFailure as error:
                log.warning("telegram message not stored (%s); retrying in %.0f s", error, delay)
                await asyncio.sleep(delay)
        return await self.troly[CORE_RUNNER].handle(inbound)


async def _quietly(call: Awaitable[object]) -> None:
    """Answering a callback or editing its buttons may fail (too old, already edited): never worth an error."""
    try:
        await call
    except TelegramError as error:
        log.debug("telegram housekeeping call failed: %s", error)
