"""Benchmark: a province's reports (issue 17): /baocao, `report summary`, the monthly XLSX, an announcement.

    PYTHONPATH=. .venv/bin/python -m bench.reports_bench                    # SQLite, province generated first
    PYTHONPATH=. .venv/bin/python -m bench.reports_bench --postgres         # a throw-away PostgreSQL
    PYTHONPATH=. .venv/bin/python -m bench.reports_bench --database-url URL # a province generated before

Each figure beside its plain SQL baseline (bench.report_sql) on the same data:
1. /baocao of a province official and of a commune official, through `Troly.handle` (chart included), today
   and on the last day of last month (a whole month of visits); p50, p95, max over `--runs`.
2. `troly report summary --area PROVINCE` (every visit ever) as a command: wall time and peak memory, and the
   report's own time in the process (without the interpreter's start).
3. `troly report visits` of last month as XLSX: wall time and peak memory; the rows alone.
4. `troly announce` to the province's subscribers: wall time and peak memory (the rows are removed after).
Peak memory is the command's maximum resident set, the interpreter and its imports included (measured one
process away from the benchmark: see MEASURED).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report_sql  # noqa: E402
from bench.province_data import Scale, generate, roll_up_as_served  # noqa: E402
from bot.app import Troly, create_app  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.messages import Inbound  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.models import Area, AreaLevel, AuditLog, Role, User  # noqa: E402
from bot.worker_process import settle_heap  # noqa: E402
from handlers.announcements.models import Announcement, OutboxItem  # noqa: E402
from handlers.visits import export, reports  # noqa: E402
from handlers.visits.records import VIETNAM  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402

CPU: list[float] = []  # this process's CPU seconds of each timed action (SQLite's work included, not PostgreSQL's)


def timed(action: Callable[[], object]) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    action()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started


def cpu_of(count: int) -> str:
    """The median CPU of the last `count` timed actions: on a busy shared machine, wall time waits for the CPU."""
    return f"CPU p50 {statistics.median(CPU[-count:]) * 1000:5.0f} ms"


def spread(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms  max {ordered[-1] * 1000:7.0f} ms"
    )


# Runs the command and reports its own peak and wall time. The peak is read here, one process away from the
# benchmark: a child forked from the benchmark (190 MB) would count the benchmark's pages in its maximum
# resident set until it replaced them (Linux keeps the high-water mark across exec).
MEASURED = (
    "import resource, subprocess, sys, time; started = time.perf_counter(); code = subprocess.call(sys.argv[1:]); "
    "wall = time.perf_counter() - started; peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
    "print(f'measured {wall} {peak}', file=sys.stderr); sys.exit(code)"
)


def command(settings: Settings, *args: str) -> tuple[float, int, str]:
    """Run `troly ARGS` as the operator would: (wall seconds, peak RSS in MB, a summary line with its CPU)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TROLY_DATA_DIR": str(settings.data_dir)}
    env["TROLY_DATABASE_URL"] = settings.resolved_database_url
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed troly has its bytecode (pip compiles it)
    process = subprocess.Popen(
        [sys.executable, "-c", MEASURED, sys.executable, "-m", "bot", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)  # CPU: the command's and the few ms of the wrapper's
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"troly {' '.join(args)} failed:\n{output}")
    *lines, measured = [line for line in output.splitlines() if line.strip()]
    _word, wall, peak_kb = measured.split()
    said = f"CPU {usage.ru_utime + usage.ru_stime:.2f} s; {lines[-1][:60] if lines else ''}"
    return float(wall), int(peak_kb) // 1024, said


def baocao_runs(troly: Troly, user_id: str, runs: int) -> list[float]:
    """/baocao as the chat sends it, `runs` times (each a new message), through the whole core path."""
    seconds = []
    for n in range(runs):
        inbound = Inbound("telegram", user_id, user_id, "/baocao", message_id=f"bench-{time.time_ns()}-{n}")
        seconds.append(timed(lambda message=inbound: troly.handle(message)))
    return seconds


def measure_baocao(settings: Settings, runs: int, officials: tuple[str, str], last_month_end: date) -> None:
    for label, moment in (("today", datetime.now(UTC)), (f"on {last_month_end}", _evening(last_month_end))):
        troly = create_app(settings, migrate=False, clock=ManualClock(moment))
        settle_heap()  # as a core worker does once its app is built
        try:
            baocao_runs(troly, officials[0], 1)  # warm up: imports, the chart's fonts
            province = baocao_runs(troly, officials[0], runs)
            province_cpu = cpu_of(runs)
            commune = baocao_runs(troly, officials[1], runs)
            commune_cpu = cpu_of(runs)
            today = moment.astimezone(VIETNAM).date()
            with troly.database.engine.connect() as connection:
                plain = [timed(lambda: report_sql.baocao(connection, 1, today)) for _ in range(max(3, runs // 5))]  # noqa: B023
        finally:
            troly.close()
        print(f"/baocao {label}: province  {spread(province)}  {province_cpu}")
        print(f"/baocao {label}: commune   {spread(commune)}  {commune_cpu}")
        print(f"/baocao {label}: plain SQL {spread(plain)}  {cpu_of(len(plain))} (province figures, no chart)")


def measure_summary(settings: Settings, troly: Troly, province: str) -> None:
    wall, memory, said = command(settings, "report", "summary", "--area", province, "--json")
    arguments = argparse.Namespace(area=province, start=None, end=None)
    with troly.database.read_only() as session:
        scope = reports.area_scope(session, 1)
        inside = min(timed(lambda: _summarise(session, scope, arguments)) for _ in range(3))
    with troly.database.engine.connect() as connection:
        plain = min(timed(lambda: report_sql.summary(connection, 1, date.today())) for _ in range(2))
    print(f"report summary (every visit): command {wall:5.2f} s, peak {memory} MB ({said.split(';')[0]});")
    print(f"  report alone {inside:5.2f} s; plain SQL {plain:5.2f} s")


def _summarise(session: object, scope: reports.Scope, arguments: argparse.Namespace) -> None:
    from handlers.visits.cli import summarise

    summarise(session, scope, arguments)  # type: ignore[arg-type]


def measure_export(settings: Settings, troly: Troly, province: str, month: tuple[date, date]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "thang.xlsx"
        span = ("--from", month[0].isoformat(), "--to", month[1].isoformat())
        wall, memory, said = command(
            settings, "report", "visits", "--area", province, *span, "--format", "xlsx", "-o", str(target)
        )
        size = target.stat().st_size // 1024
    with troly.database.read_only() as session:
        scope = reports.area_scope(session, 1)
        rows = 0

        def count() -> None:
            nonlocal rows
            rows = sum(1 for _ in export.visit_rows(session, scope, *month))

        alone = timed(count)
    with troly.database.engine.connect() as connection:
        plain = timed(lambda: report_sql.rows(connection, 1, *month))
    print(f"monthly XLSX {month[0]:%m/%Y} ({rows} rows, {size} KB): command {wall:5.2f} s, peak {memory} MB ({said})")
    print(f"  rows alone {alone:5.2f} s; plain SQL rows {plain:5.2f} s")


def measure_announcement(settings: Settings, troly: Troly, province: str) -> None:
    text_ = "Thông báo thử: thứ Bảy này, 8:00, trụ sở phường hỗ trợ kích hoạt định danh điện tử mức 2."
    wall, memory, said = command(settings, "announce", "--area", province, "--text", text_)
    with troly.database.transaction() as session:
        number = session.scalar(select(Announcement.id).order_by(Announcement.id.desc()))
        queued = session.scalar(select(func.count()).where(OutboxItem.announcement_id == number))
        session.execute(delete(OutboxItem).where(OutboxItem.announcement_id == number))
        session.execute(delete(AuditLog).where(AuditLog.target == f"announcement:{number}"))
        session.execute(delete(Announcement).where(Announcement.id == number))
    with troly.database.engine.connect() as connection, connection.begin() as transaction:
        connection.execute(
            text("INSERT INTO announcements (id, text, area_id, target, created_by_label, created_at, send_at) "
                 "VALUES (999999, 'x', 1, 'subscribers', 'bench', :now, :now)"),
            {"now": report_sql.stamp(connection, datetime.now(UTC))},
        )  # fmt: skip
        plain = timed(lambda: report_sql.queue(connection, 1, 999999, datetime.now(UTC)))
        transaction.rollback()
    print(f"announcement to {queued} subscribers: command {wall:5.2f} s, peak {memory} MB ({said.split(';')[0]});")
    print(f"  plain SQL INSERT ... SELECT {plain:5.2f} s")


def officials(troly: Troly) -> tuple[str, str]:
    """Telegram ids of an official of the province (the root area) and of its busiest commune."""
    with troly.database.read_only() as session:
        root = session.scalar(select(Area.id).where(Area.parent_id.is_(None)).order_by(Area.id))
        first = session.scalar(select(User.channel_user_id).where(User.role == Role.OFFICIAL, User.area_id == root))
        communes = select(Area.id).where(Area.level == AreaLevel.COMMUNE)
        second = session.scalar(
            select(User.channel_user_id).where(User.role == Role.OFFICIAL, User.area_id.in_(communes)).limit(1)
        )
    assert first is not None and second is not None, "no officials: is this a generated province?"
    return first, second


def run(database_url: str, args: argparse.Namespace) -> None:
    _fill_if_empty(database_url, args.scale)
    with tempfile.TemporaryDirectory(prefix="troly-reports-") as folder:
        settings = Settings(database_url=database_url, data_dir=Path(folder), core_workers=0)
        troly = create_app(settings)
        try:
            with troly.database.read_only() as session:
                province = session.scalar(select(Area.code).where(Area.id == 1))
            assert province is not None
            today = datetime.now(VIETNAM).date()
            month_end = today.replace(day=1) - timedelta(days=1)
            print(f"{_describe(database_url)}; load average {os.getloadavg()[0]:.1f} (2 cores, shared)")
            command(settings, "--help")  # writes the bytecode of every module, once
            measure_baocao(settings, args.runs, officials(troly), month_end)
            measure_summary(settings, troly, province)
            measure_export(settings, troly, province, (month_end.replace(day=1), month_end))
            measure_announcement(settings, troly, province)
        finally:
            troly.close()


def _fill_if_empty(database_url: str, scale: float) -> None:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            filled = connection.scalar(text("SELECT count(*) FROM areas"))
    except Exception:
        filled = 0
    finally:
        engine.dispose()
    if not filled:
        province = generate(database_url, Scale() if scale == 1 else Scale.of(scale))
        print(f"generated {province.counts} in {province.seconds:.0f} s")
        print(f"rolled up in {roll_up_as_served(database_url):.0f} s")


def _describe(database_url: str) -> str:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        visits = connection.scalar(text("SELECT count(*) FROM visits"))
        users = connection.scalar(text("SELECT count(*) FROM users WHERE subscribed_area_id IS NOT NULL"))
    engine.dispose()
    return f"{engine.dialect.name}: {visits} visits, {users} subscribers"


def _evening(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 20, 0, tzinfo=VIETNAM)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.database_url:
        yield args.database_url
    elif args.postgres:
        with running_postgres() as admin_url:
            yield admin_url
    else:
        with tempfile.TemporaryDirectory(prefix="troly-province-") as folder:
            yield f"sqlite:///{folder}/province.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="a generated province (generated here when empty)")
    parser.add_argument("--postgres", action="store_true", help="start a throw-away PostgreSQL server and use it")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the province to generate")
    parser.add_argument("--runs", type=int, default=20, help="/baocao requests per kind")
    args = parser.parse_args()
    with database(args) as url:
        run(url, args)


if __name__ == "__main__":
    main()
