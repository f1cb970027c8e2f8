"""Household visits by community digital technology teams: logging in chat, corrections, reports.

Plugin "handlers.visits": chat commands on the core router (identical on every channel) and the
`troly report` CLI commands. See docs/visits.md for the flows and the decisions behind them.

Loading the plugin registers its tables on `Base` and nothing else: every `troly` command loads it, so the
chat handlers, the web console's pages and the reports are imported by the hooks that use them (`setup`,
`console_pages`, the commands' `run`), as pytest and Sphinx plugins do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.commands import Commands
from bot.storage.models import Role
from handlers.visits import models as models  # registers the tables on Base
from handlers.visits import rollup_models as rollup_models

if TYPE_CHECKING:
    from bot.app import Troly
    from bot.console import ConsolePage

ROLLUP_JOB = "visits-rollup"
ROLLUP_DESCRIPTION = "cộng dồn các lượt hỗ trợ của những ngày đã chốt cho trang quản lý"

REPORT_READERS = frozenset({Role.MEMBER, Role.LEADER, Role.OFFICIAL, Role.ADMIN})


def setup(troly: Troly) -> None:
    from bot.console import PROGRESS
    from bot.extensions import SERVICE_CATALOGUE, CatalogueService
    from bot.jobs import Job
    from handlers.visits import actions, commands, dialog, summary
    from handlers.visits.catalogue import SERVICES
    from handlers.visits.progress import VisitProgress
    from handlers.visits.rollup import roll_up

    router = troly.router
    loggers = commands.LOGGERS
    router.command("ghinhan", commands.log_visit, description="Ghi nhận một lượt thăm hộ dân", roles=loggers)
    router.command("sua", commands.correct_visit, description="Sửa lượt thăm vừa ghi (trong 24 giờ)", roles=loggers)
    router.command("xoa", actions.ask_delete, description="Xóa lượt thăm vừa ghi (trong 24 giờ)", roles=loggers)
    router.command(
        "baocao", summary.show_report, description="Xem báo cáo lượt thăm hộ dân", roles=REPORT_READERS, read_only=True
    )
    router.dialog(dialog.NAME, dialog.handle, roles=loggers)
    router.dialog(actions.DELETE_DIALOG, actions.confirm_delete, roles=loggers)
    router.text(commands.stale_button, when=commands.is_stale_button)
    for service in SERVICES:
        troly.extensions.add(SERVICE_CATALOGUE, CatalogueService(service.code, service.label))
    troly.provide(PROGRESS, VisitProgress)  # the web console's figures (bot/console.py)
    troly.jobs.add(
        Job(ROLLUP_JOB, timedelta(minutes=10), lambda app, now: roll_up(app.database, now), ROLLUP_DESCRIPTION)
    )


def console_pages(troly: Troly) -> list[ConsolePage]:
    """The visits page of the web console (bot/console.py)."""
    from handlers.visits.console import console_pages as pages

    return pages(troly)


def register_cli(commands_: Commands) -> None:
    """`troly report visits` and `troly report summary`."""
    from handlers.visits import cli

    cli.register_cli(commands_)
