"""Announcements (plugin "handlers.announcements"): subscriptions, the /thongbao dialog, the outbox and its
delivery worker (inside `troly serve` and as `troly deliver`), and `troly announce` on the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.app import Troly
from bot.storage.models import Role
from handlers.announcements import compose, results, subscriptions
from handlers.announcements.cli import register_cli
from handlers.announcements.console import console_pages
from handlers.announcements.metrics import collect_metrics

if TYPE_CHECKING:
    from aiohttp import web

OFFICIALS = {Role.OFFICIAL, Role.ADMIN}

__all__ = ["collect_metrics", "console_pages", "register_cli", "setup", "setup_web"]


def setup(troly: Troly) -> None:
    router = troly.router
    router.command("dangky", subscriptions.subscribe_command, description="Đăng ký nhận thông báo của phường/xã")
    router.command("huydangky", subscriptions.unsubscribe_command, description="Ngừng nhận thông báo")
    router.dialog(subscriptions.DIALOG, subscriptions.subscribe_dialog)
    router.command("thongbao", compose.start, description="Gửi thông báo cho người dân", roles=OFFICIALS)
    router.dialog(compose.DIALOG, compose.step, roles=OFFICIALS)
    router.command(
        "ketquathongbao",
        results.show_results,
        description="Xem kết quả gửi thông báo",
        roles=OFFICIALS,
        read_only=True,
    )


def setup_web(troly: Troly, app: web.Application) -> None:
    """`troly serve` runs the delivery loop next to the webhooks, with the senders the core made (imported here:
    other commands start without the web server's modules)."""
    from handlers.announcements.serve import delivery_context

    app.cleanup_ctx.append(delivery_context)
