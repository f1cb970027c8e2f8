"""The officials' web console (plugin "handlers.dashboard"), served by `troly serve` under /quan-ly/.

Sign-in without passwords (/web in chat, or `troly web-login`), progress against the plan's targets, teams and
invites, areas and targets, the monthly report (XLSX, and JSON at /api/v1/ for the city's IOC), and the pages
other plugins register through the `console_pages` hook (bot/console.py). See docs/console.md.

Loading the plugin registers its tables on `Base`; the pages, the sign-in code and the commands' work are
imported by the hooks and commands that use them, so every other `troly` command starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Commands
from bot.console import CONSOLE_ROLES
from handlers.dashboard import auth
from handlers.dashboard import models as models  # registers the tables on Base

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import Troly
    from bot.context import Context, Reply

__all__ = ["register_cli", "setup", "setup_web"]


def setup(troly: Troly) -> None:
    troly.router.command(
        "web", send_login_link, description="Nhận liên kết đăng nhập trang quản lý", roles=CONSOLE_ROLES
    )


def send_login_link(ctx: Context) -> Reply:
    """A one-time link, valid 10 minutes; only its hash is stored."""
    secret = auth.create_link(ctx.session, ctx.user, ctx.now)
    settings = ctx.troly.settings
    link = f"{auth.base_url(settings.public_url, settings.host, settings.port)}{auth.LOGIN_PATH}/{secret}"
    ctx.audit("web.link", target=f"user:{ctx.user.id}")
    return (
        f"Liên kết đăng nhập trang quản lý (chỉ dùng một lần, hết hạn sau 10 phút; đừng chuyển cho người khác):\n{link}"
    )


def setup_web(troly: Troly, app: web.Application) -> None:
    """The pages (aiohttp, Jinja2) are imported here: commands other than `serve` start without them."""
    from handlers.dashboard import api, areas_page, pages, teams_page
    from handlers.dashboard.web import mount

    mount(troly, app)
    pages.add_routes(app)
    areas_page.add_routes(app)
    teams_page.add_routes(app)
    api.add_routes(app)


def register_cli(commands: Commands) -> None:
    """`troly web-login`, `troly web-token` and `troly report monthly`."""
    from handlers.dashboard import cli

    cli.register_cli(commands)
