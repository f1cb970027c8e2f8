"""`troly prune` and `troly jobs`: apply the retention rules now, see and run the scheduled jobs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.commands import Commands
from bot.settings import Settings
from bot.storage.models import JobRun

if TYPE_CHECKING:
    from bot.app import Troly


def _app(settings: Settings) -> Troly:
    """The app with every plugin's jobs and retention rules (imported here: other commands start without it)."""
    from bot.app import create_app

    return create_app(settings)


def register_cli(commands: Commands) -> None:
    commands.add(
        "prune",
        help="Xóa ngay dữ liệu đã quá thời hạn lưu giữ (serve cũng tự làm việc này mỗi ngày)",
        run=run_prune,
    )
    jobs = commands.group("jobs", help="Các việc định kỳ của máy chủ")
    jobs.add("list", help="Xem các việc định kỳ và lần chạy gần nhất", run=run_jobs_list)
    jobs.add("run", help="Chạy ngay các việc đã đến hạn (như serve làm định kỳ)", run=run_jobs_due)


def run_prune(settings: Settings, _args: argparse.Namespace) -> int:
    troly = _app(settings)
    try:
        deleted = troly.jobs.prune(troly.database, troly.clock.now())
        for name, count in deleted.items():
            print(f"{troly.jobs.retentions[name].description}: đã xóa {count} dòng")
    finally:
        troly.close()
    return 0


def run_jobs_list(settings: Settings, _args: argparse.Namespace) -> int:
    troly = _app(settings)
    try:
        with troly.database.transaction() as session:
            runs = {run.name: run for run in session.scalars(select(JobRun))}
        for name, job in troly.jobs.jobs.items():
            run = runs.get(name)
            last = run.started_at.strftime("%d/%m/%Y %H:%M UTC") if run and run.started_at else "chưa chạy"
            error = f"; lỗi lần trước: {run.last_error}" if run and run.last_error else ""
            label = f"{name} ({job.description})" if job.description else name
            print(f"{label}: mỗi {_period(job.every.total_seconds())}, lần gần nhất: {last}{error}")
    finally:
        troly.close()
    return 0


def run_jobs_due(settings: Settings, _args: argparse.Namespace) -> int:
    troly = _app(settings)
    try:
        ran = troly.jobs.run_due(troly, troly.clock.now())
        print(f"Đã chạy: {', '.join(ran)}" if ran else "Không có việc nào đến hạn.")
    finally:
        troly.close()
    return 0


def _period(seconds: float) -> str:
    if seconds % 86400 == 0:
        return f"{int(seconds // 86400)} ngày"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} giờ"
    return f"{int(seconds // 60)} phút"
