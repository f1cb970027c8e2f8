"""The Zalo Official Account channel: a signed webhook in, the OA API v3 out (see docs/zalo.md).

Plugin hooks: `channel_policy` (2000 characters, a 7-day window for messages the OA starts), `make_sender`
(None until the app id, app secret and a token pair are configured) and `setup_web` (the webhook route,
its background work, and a keeper that refreshes the access token before it expires).

The HTTP side (aiohttp, the sender, the webhook) is imported by the hooks that need it, not when the plugin
is loaded: commands that never talk to Zalo (`troly ask`, `chat`, reports) start without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

from adapters.zalo import models as models  # registers the token table on Base
from bot.channels import ChannelPolicy
from bot.commands import Commands

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.zalo.sender import ZaloSender
    from adapters.zalo.tokens import TokenManager
    from bot.app import Troly

log = logging.getLogger(__name__)

KEEPER_INTERVAL = 600.0  # seconds between checks of the access token's expiry
KEEPER_MARGIN = timedelta(hours=2)  # refresh when the token expires within this (or its expiry is unknown)
WATCH_EVERY = timedelta(minutes=15)


def setup(troly: Troly) -> None:
    """With Zalo configured: the members' names and OA information job, the webhook watch, receipts for
    announcements' reports, and their retention."""
    if not troly.settings.zalo_app_id:
        return
    from adapters.zalo import profiles, side_events, watch
    from bot.extensions import DELIVERY_STATES
    from bot.jobs import Job, Retention

    troly.jobs.add(
        Job(profiles.JOB, profiles.EVERY, profiles.refresh_profiles, "lấy tên thành viên Zalo và thông tin OA")
    )
    troly.jobs.add(Job(watch.JOB, WATCH_EVERY, watch.watch_webhook, "cảnh báo khi webhook Zalo im lặng quá lâu"))
    troly.jobs.retain(Retention("zalo_receipts", "trạng thái đã nhận/đã xem của tin Zalo", side_events.prune))
    troly.extensions.add(DELIVERY_STATES, side_events.delivery_states)


def register_cli(commands: Commands) -> None:
    from adapters.zalo.cli import register

    register(commands)


def channel_policy() -> ChannelPolicy:
    from adapters.zalo.sender import zalo_policy

    return zalo_policy()


def make_sender(troly: Troly) -> ZaloSender | None:
    from adapters.zalo.sender import sender_for

    return sender_for(troly)


def setup_web(troly: Troly, web_app: web.Application) -> None:
    """The webhook only when it can be verified (app id and OA secret key set); otherwise Zalo is off."""
    settings = troly.settings
    if not (settings.zalo_app_id and settings.zalo_oa_secret_key.get_secret_value()):
        return
    from adapters.zalo.webhook import setup_webhook

    setup_webhook(troly, web_app)
    web_app.cleanup_ctx.append(_token_keeper_ctx)


async def _token_keeper_ctx(web_app: web.Application) -> AsyncIterator[None]:
    from adapters.zalo.events import CHANNEL
    from adapters.zalo.sender import ZaloSender
    from bot.senders import SENDERS
    from bot.server import TROLY

    troly = web_app[TROLY]
    sender = troly[SENDERS].get(CHANNEL) if SENDERS in troly else None
    task = asyncio.create_task(_keep_token(sender.tokens)) if isinstance(sender, ZaloSender) else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _keep_token(tokens: TokenManager) -> None:
    """Refresh ahead of expiry even when nobody writes, so the 3-month refresh token never lapses unused."""
    from adapters.zalo.tokens import RefreshFailed, TokenManager

    while True:
        await asyncio.sleep(KEEPER_INTERVAL)
        try:
            current = await tokens.current()
            if current.expires_at is None or TokenManager.due(current, KEEPER_MARGIN):
                await tokens.refresh(current.access_token)
        except RefreshFailed:
            pass  # already logged loudly and audited by the manager
        except Exception:
            log.exception("zalo token keeper")
