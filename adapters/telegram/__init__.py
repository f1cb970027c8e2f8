"""The Telegram channel, on python-telegram-bot: webhook or polling in, sending out within the shared budget.

A plugin (see bot/plugins.py): the core loads it by name and never imports it. PTB types stay in this
package; the core only sees `Inbound` and `Outbound`. PTB is imported by the hooks, not when the plugin is
loaded: commands that never talk to Telegram (`troly ask`, `chat`, reports) start without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels import ChannelPolicy

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.telegram.sender import TelegramSender
    from bot.app import Troly

__all__ = ["channel_policy", "make_sender", "setup", "setup_web"]


def setup(troly: Troly) -> None:
    """With a token, invites get Telegram's deep link (bot/onboarding.py)."""
    if troly.settings.telegram_token.get_secret_value():
        from adapters.telegram.links import TelegramLinks
        from bot.onboarding import INVITE_LINKERS

        troly.extensions.add(INVITE_LINKERS, TelegramLinks(troly.settings))


def channel_policy() -> ChannelPolicy:
    from adapters.telegram.inbound import CHANNEL
    from adapters.telegram.render import MAX_TEXT

    return ChannelPolicy(name=CHANNEL, max_text_chars=MAX_TEXT)


def make_sender(troly: Troly) -> TelegramSender | None:
    """None without a token: Telegram is optional."""
    settings = troly.settings
    if not settings.telegram_token.get_secret_value():
        return None
    from adapters.telegram.inbound import CHANNEL
    from adapters.telegram.sender import TelegramSender, build_bot, telegram_limits
    from bot.sendbudget import budget_for

    return TelegramSender(build_bot(settings), budget_for(troly, CHANNEL, telegram_limits(settings)))


def setup_web(troly: Troly, app: web.Application) -> None:
    from adapters.telegram.web import setup_web as telegram_setup_web

    telegram_setup_web(troly, app)
