"""Household visits by community digital technology teams: logging in chat, corrections, reports.

Plugin "handlers.visits": chat commands on the core router (identical on every channel) and the
`troly report` CLI commands. See docs/visits.md for the flows and the decisions behind them.
"""

from __future__ import annotations

from datetime import timedelta

from bot.app import Troly
from bot.commands import Commands
from bot.console import PROGRESS
from bot.extensions import SERVICE_CATALOGUE, CatalogueService
from bot.jobs import Job
from bot.storage.models import Role
from handlers.visits import actions, cli, commands, dialog, summary
from handlers.visits import models as models  # registers the tables on Base
from handlers.visits import rollup_models as rollup_models
from handlers.visits.catalogue import SERVICES
from handlers.visits.console import console_pages as console_pages
from handlers.visits.progress import VisitProgress
from handlers.visits.rollup import roll_up

ROLLUP_JOB = "visits-rollup"
ROLLUP_DESCRIPTION = "cộng dồn các lượt hỗ trợ của những ngày đã chốt cho trang quản lý"

REPORT_READERS = frozenset({Role.MEMBER, Role.LEADER, Role.OFFICIAL, Role.ADMIN})


def setup(troly: Troly) -> None:
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


def register_cli(commands_: Commands) -> None:
    """`troly report visits` and `troly report summary`."""
    cli.register_cli(commands_)
