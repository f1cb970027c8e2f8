"""Announcements (plugin "handlers.announcements"): subscriptions, the /thongbao dialog, the outbox and its
delivery worker (inside `troly serve` and as `troly deliver`), and `troly announce` on the command line.

Loading the plugin registers its tables on `Base`; the chat handlers, the console page, the metrics and the
delivery loop are imported by the hooks that use them, so a `troly` command starts without them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.commands import Commands
from bot.storage.models import Role
from handlers.announcements import models as models  # registers the tables on Base

if TYPE_CHECKING:
    from aiohttp import web
    from prometheus_client.metrics_core import Metric

    from bot.app import Troly
    from bot.console import ConsolePage

OFFICIALS = {Role.OFFICIAL, Role.ADMIN}

__all__ = ["collect_metrics", "console_pages", "register_cli", "setup", "setup_web"]


def setup(troly: Troly) -> None:
    from handlers.announcements import compose, results, subscriptions

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


def register_cli(commands: Commands) -> None:
    """`troly announce ...` and `troly deliver`."""
    from handlers.announcements.cli import register_cli as register

    register(commands)


def console_pages(troly: Troly) -> list[ConsolePage]:
    """The announcements page of the web console (bot/console.py)."""
    from handlers.announcements.console import console_pages as pages

    return pages(troly)


def collect_metrics(troly: Troly) -> Iterator[Metric]:
    """The outbox's depth, read when /metrics is scraped."""
    from handlers.announcements.metrics import collect_metrics as collect

    yield from collect(troly)


def setup_web(troly: Troly, app: web.Application) -> None:
    """`troly serve` runs the delivery loop next to the webhooks, with the senders the core made (imported here:
    other commands start without the web server's modules)."""
    from handlers.announcements.serve import delivery_context

    app.cleanup_ctx.append(delivery_context)
