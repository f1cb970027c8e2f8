"""The Telegram channel, on python-telegram-bot: webhook or polling in, rate-limited sending out.

A plugin (see bot/plugins.py): the core loads it by name and never imports it. PTB types stay in this
package; the core only sees `Inbound` and `Outbound`.
"""

from __future__ import annotations

from aiohttp import web

from adapters.telegram.inbound import CHANNEL
from adapters.telegram.render import MAX_TEXT
from adapters.telegram.sender import TelegramSender, build_bot, telegram_limits
from adapters.telegram.web import setup_web as _setup_web
from bot.app import Troly
from bot.channels import ChannelPolicy
from bot.sendbudget import budget_for

__all__ = ["CHANNEL", "channel_policy", "make_sender", "setup_web"]


def channel_policy() -> ChannelPolicy:
    return ChannelPolicy(name=CHANNEL, max_text_chars=MAX_TEXT)


def make_sender(troly: Troly) -> TelegramSender | None:
    """None without a token: Telegram is optional."""
    settings = troly.settings
    if not settings.telegram_token.get_secret_value():
        return None
    return TelegramSender(build_bot(settings), budget_for(troly, CHANNEL, telegram_limits(settings)))


def setup_web(troly: Troly, app: web.Application) -> None:
    _setup_web(troly, app)
