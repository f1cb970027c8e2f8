"""Bringing the Telegram side of `troly serve` up and down: PTB Application, command menu, webhook or polling.

A wrong token stops start-up with a clear message (an operator error). Telegram being unreachable does
not: the other channels keep serving, the webhook answers 503 (Telegram retries) and start-up is retried
in the background with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

from telegram import BotCommand
from telegram.error import InvalidToken, NetworkError, TelegramError

from adapters.telegram.bridge import ALLOWED_UPDATES, TelegramApp, TelegramBridge
from adapters.telegram.links import TelegramLinks
from adapters.telegram.sender import TelegramSender
from bot.app import Troly
from bot.onboarding import INVITE_LINKERS
from bot.router import Command

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
POLL_TIMEOUT = 10  # seconds a getUpdates call waits for new updates
MAX_BACKOFF = 60.0
_COMMAND_FORMAT = re.compile(r"[a-z0-9_]{1,32}")


class TelegramRunner:
    """Owns the PTB Application for one server run; `application` is handed to the webhook once ready."""

    def __init__(self, troly: Troly, sender: TelegramSender, *, polling: bool, secret: str) -> None:
        self.troly = troly
        self.polling = polling
        self.secret = secret
        self.bridge = TelegramBridge(troly, sender, polling=polling)
        self.application = self.bridge.build_application(polling=polling)
        self.ready = False
        self._retry: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            await self._bring_up()
        except InvalidToken:  # PTB's message quotes the token: keep it out of logs
            await self.application.bot.request.shutdown()  # serve stops; aiohttp runs no cleanup after this
            raise RuntimeError("Telegram refused TROLY_TELEGRAM_TOKEN (401 Unauthorized); check the token") from None
        except NetworkError as error:
            log.error("Telegram: Bot API unreachable at start-up (%s); retrying in the background", error)
            self._retry = asyncio.create_task(self._keep_trying(), name="telegram-start")

    async def stop(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
        self.ready = False
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()  # waits for replies still being sent
        await application.shutdown()

    async def _keep_trying(self) -> None:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            try:
                await self._bring_up()
                return
            except InvalidToken:
                log.critical("Telegram refused TROLY_TELEGRAM_TOKEN; the Telegram channel stays off")
                return
            except NetworkError as error:
                log.warning("Telegram: still unreachable (%s); next try in %.0f s", error, delay)
                delay = min(delay * 2, MAX_BACKOFF)

    async def _bring_up(self) -> None:
        application = self.application
        await application.initialize()  # getMe
        log.info("Telegram: bot @%s ready (%s)", application.bot.username, "polling" if self.polling else "webhook")
        self._remember_username(application.bot.username or "")
        await set_menu(application, self.troly.router.menu())
        if self.polling and application.updater is not None:
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT)
        elif self.troly.settings.public_url:
            await register_webhook(application, self.troly.settings.public_url, self.secret)
        await application.start()
        self.ready = True

    def _remember_username(self, username: str) -> None:
        """Invite deep links need the bot's username; every process of the installation reads it from here."""
        for linker in self.troly.extensions[INVITE_LINKERS]:
            if isinstance(linker, TelegramLinks):
                linker.remember(username)


async def set_menu(application: TelegramApp, commands: list[Command]) -> None:
    """The menu lists the commands everyone may use; role-restricted ones are shown by /trogiup to who may."""
    menu = [
        BotCommand(command.name, command.description[:256])
        for command in commands
        if command.roles is None and _COMMAND_FORMAT.fullmatch(command.name) and command.description
    ]
    try:
        await application.bot.set_my_commands(menu)
    except TelegramError as error:
        log.error("Telegram: could not set the command menu: %s", error)


async def register_webhook(application: TelegramApp, public_url: str, secret: str) -> None:
    url = f"{public_url.rstrip('/')}{WEBHOOK_PATH}"
    try:
        await application.bot.set_webhook(url, secret_token=secret or None, allowed_updates=ALLOWED_UPDATES)
    except TelegramError as error:
        log.error("Telegram: could not register the webhook %s: %s", url, error)
        return
    log.info("Telegram: webhook registered at %s", url)
