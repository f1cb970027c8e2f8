"""Scheduled jobs and retention rules that plugins register, run by `troly serve` and by `troly prune`.

A plugin adds, in `setup(troly)`:
- `troly.jobs.add(Job(...))`: work that runs every so often (escalate unclaimed requests, send reminders, refresh
  names). With several server processes on one database, each run of a job is claimed in the `job_runs` table,
  so it happens once per period, not once per process.
- `troly.jobs.retain(Retention(...))`: how old rows of its tables are deleted (Decree 13: personal data is kept
  no longer than needed). The built-in daily "retention" job and `troly prune` apply every rule.

Jobs receive the app and the time to act as of (`troly.clock.now()` in the server; any time a test chooses),
so a test drives escalations and erasure by moving a ManualClock instead of waiting.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, and_, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.models import JobRun

if TYPE_CHECKING:
    from bot.app import Troly

log = logging.getLogger(__name__)

RETENTION_JOB = "retention"


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Troly, datetime], object]
    description: str = ""  # Vietnamese, shown by `troly jobs list`
    lease: timedelta = timedelta(minutes=10)  # a run that takes longer is presumed dead and may be redone


@dataclass(frozen=True, slots=True)
class Retention:
    """Delete what is older than the feature's retention setting; `prune(session, now)` returns the count."""

    name: str
    description: str  # Vietnamese, shown by `troly prune`
    prune: Callable[[Session, datetime], int]


class Jobs:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.retentions: dict[str, Retention] = {}
        self.owner = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.add(
            Job(
                RETENTION_JOB,
                timedelta(days=1),
                lambda troly, now: self.prune(troly.database, now),
                "xóa dữ liệu quá thời hạn lưu giữ",
            )
        )

    def add(self, job: Job) -> None:
        if job.name in self.jobs:
            raise ValueError(f"job {job.name!r} registered twice")
        self.jobs[job.name] = job

    def retain(self, retention: Retention) -> None:
        if retention.name in self.retentions:
            raise ValueError(f"retention rule {retention.name!r} registered twice")
        self.retentions[retention.name] = retention

    def prune(self, database: Database, now: datetime) -> dict[str, int]:
        """Apply every retention rule, each in its own transaction; returns rows deleted per rule."""
        deleted = {}
        for rule in self.retentions.values():
            with database.transaction() as session:
                deleted[rule.name] = rule.prune(session, now)
        if any(deleted.values()):
            log.info("retention: %s", ", ".join(f"{name}={count}" for name, count in deleted.items() if count))
        return deleted

    def run_due(self, troly: Troly, now: datetime) -> list[str]:
        """Run every job whose period has passed and that this process could claim; returns their names.

        A failing job is logged and recorded; the others still run.
        """
        ran = []
        for job in self.jobs.values():
            if not claim(troly.database, job, self.owner, now):
                continue
            error = ""
            try:
                job.run(troly, now)
            except Exception as failure:
                log.exception("job %s failed", job.name)
                error = f"{type(failure).__name__}: {failure}"[:2000]
            release(troly.database, job.name, self.owner, troly.clock.now(), error)
            ran.append(job.name)
        return ran


def claim(database: Database, job: Job, owner: str, now: datetime) -> bool:
    """Take this period's run of `job`: true for exactly one claimant among concurrent processes."""
    table = cast(Table, JobRun.__table__)
    with database.transaction() as session:
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
        session.execute(insert(table).values(name=job.name, owner="", last_error="").on_conflict_do_nothing())
        result = session.execute(
            update(JobRun)
            .where(
                JobRun.name == job.name,
                or_(JobRun.started_at.is_(None), JobRun.started_at <= now - job.every),  # its period has passed
                or_(JobRun.finished_at.is_not(None), JobRun.started_at.is_(None), JobRun.lease_until <= now),
            )
            .values(started_at=now, finished_at=None, lease_until=now + job.lease, owner=owner)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


def release(database: Database, name: str, owner: str, now: datetime, error: str) -> None:
    with database.transaction() as session:
        session.execute(
            update(JobRun)
            .where(and_(JobRun.name == name, JobRun.owner == owner))
            .values(finished_at=now, lease_until=None, last_error=error)
        )
