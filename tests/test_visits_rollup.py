"""The console's visit figures read roll-ups of closed days plus a live window: the same numbers as counting
every visit, before and after rolling up, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.app import Troly, create_app
from bot.areas import area_by_code, subtree_ids
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import Area
from handlers.dashboard.figures import month_bounds
from handlers.visits.models import Visit
from handlers.visits.progress import VisitProgress
from handlers.visits.records import VIETNAM
from handlers.visits.rollup import roll_up
from tests.announce_helpers import PLUGINS
from tests.dashboard_helpers import console_data
from tests.helpers import joined
from tests.visits_helpers import say_as

GROUPS = {"muc2": ["muc2"], "cks": ["cks"], "dvc": ["dvc"], "pay": ["thanhtoan"], "vneid": ["vneid"]}


@pytest.fixture
def spread_app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    """The console's data, plus repeat visits, spread over the last 70 days (some today, some yesterday)."""
    troly = create_app(make_settings(database_url=database_url, plugins=PLUGINS))
    console_data(troly)
    repeats = (
        "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; mức 2 ; xong",
        "/ghinhan Số 7 Hòa Bình ; Trần Thị Bình ; dvc, cks ; xong",
    )
    for line in repeats:
        assert "Đã lưu" in joined(say_as(troly, line, "lan"))
    with troly.database.transaction() as session:
        ids = list(session.scalars(select(Visit.id).order_by(Visit.id)))
        for index, visit_id in enumerate(ids):
            shift = timedelta(days=[0, 1, 9, 25, 33, 47, 61, 70][index % 8], hours=index)
            moment = datetime.now(UTC) - shift
            session.execute(update(Visit).where(Visit.id == visit_id).values(created_at=moment, updated_at=moment))
    yield troly
    troly.close()


def reference(app: Troly, start: datetime, end: datetime) -> dict[tuple[int, str], tuple[int, int, int, int]]:
    """Counted the slow way: every completed visit, first reach per household and service."""
    with app.database.transaction() as session:
        visits = list(session.scalars(select(Visit).where(Visit.deleted_at.is_(None), Visit.outcome == "done")))
        first: dict[tuple[int, str], tuple[datetime, int]] = {}
        people: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
        for visit in visits:
            for code in visit.service_codes:
                key = (visit.household_id, code)
                if key not in first or visit.created_at < first[key][0]:
                    first[key] = (visit.created_at, visit.area_id)
                if visit.created_at < end:
                    people[(visit.area_id, code)][1] += visit.people_helped
                    people[(visit.area_id, code)][0] += visit.people_helped if visit.created_at >= start else 0
    found: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (_household, code), (moment, area) in first.items():
        if moment < end:
            found[(area, code)][2] += 1
            found[(area, code)][0] += 1 if moment >= start else 0
    for key, (period, total) in people.items():
        found[key][1] += period
        found[key][3] += total
    wanted = {code for codes in GROUPS.values() for code in codes}
    by_unit: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for unit, members in units(app).items():  # every area counts its whole subtree
        for (area, code), numbers in found.items():
            if area in members and code in wanted:
                by_unit[(unit, code)] = [a + b for a, b in zip(by_unit[(unit, code)], numbers, strict=True)]
    return {key: (n[0], n[1], n[2], n[3]) for key, n in by_unit.items() if any(n)}


def units(app: Troly) -> dict[int, list[int]]:
    with app.database.reading() as session:
        return {area: subtree_ids(session, area) for area in session.scalars(select(Area.id))}


def computed(app: Troly, start: datetime, end: datetime) -> dict[tuple[int, str], tuple[int, int, int, int]]:
    every = units(app)
    with app.database.reading() as session:
        rows = VisitProgress().reach(session, every, GROUPS, start, end)
    by_code = {group: codes[0] for group, codes in GROUPS.items()}
    numbers = ((r.households, r.people, r.total_households, r.total_people) for r in rows)
    return {(r.area_id, by_code[r.group]): n for r, n in zip(rows, numbers, strict=True) if any(n)}


def test_rolled_up_figures_equal_counting_every_visit(spread_app: Troly) -> None:
    today = datetime.now(VIETNAM).date()
    months = [today.replace(day=1), (today.replace(day=1) - timedelta(days=1)).replace(day=1)]
    expected = {month: reference(spread_app, *month_bounds(month)) for month in months}
    assert any(value[0] for value in expected[months[1]].values())  # last month has new households too
    for month in months:
        assert computed(spread_app, *month_bounds(month)) == expected[month]  # nothing rolled up yet: all live
    steps = roll_up(spread_app.database, datetime.now(UTC))
    assert steps >= 10  # 70 days, a week per step
    for month in months:
        assert computed(spread_app, *month_bounds(month)) == expected[month]
    assert roll_up(spread_app.database, datetime.now(UTC)) == 1  # caught up: one look, nothing to do


def test_trend_buckets_count_the_same_rolled_up_or_live(spread_app: Troly) -> None:
    today = datetime.now(VIETNAM).date()
    edges = [datetime.combine(today - timedelta(days=7 * n), datetime.min.time(), VIETNAM) for n in (10, 5, 2, 0)]
    edges.append(datetime.combine(today + timedelta(days=1), datetime.min.time(), VIETNAM))
    with spread_app.database.reading() as session:
        province = area_by_code(session, "22")
        assert province is not None
        subtree = subtree_ids(session, province.id)
        live = VisitProgress().buckets(session, province.id, subtree, edges)
    roll_up(spread_app.database, datetime.now(UTC))
    with spread_app.database.reading() as session:
        rolled = VisitProgress().buckets(session, province.id, subtree, edges)
    assert rolled == live and sum(visits for visits, _ in live) == 8


def test_upgrading_tallies_the_days_already_rolled_up_as_the_job_does(database_url: str) -> None:
    """visits_rollup_0002 arrives on databases whose other roll-ups are filled: it tallies their closed days in
    SQL, and the result is what the job itself writes."""
    from alembic import command

    from bench.province_data import Scale, generate
    from bot.plugins import load_plugins, migration_dirs
    from bot.settings import DEFAULT_PLUGINS
    from bot.storage.db import alembic_config

    end = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    generate(database_url, Scale.of(0.002), seed=3, end=end)
    database = Database(database_url, migrations=migration_dirs(load_plugins(DEFAULT_PLUGINS)))
    try:
        assert roll_up(database, end) > 10
        kept = tallies(database)
        assert sum(visits for (_area, _outcome, _services), (visits, _people) in kept.items()) > 1000
        with database.engine.begin() as connection:
            command.downgrade(alembic_config(connection, database.migrations), "visits_rollup_0001")
        database.upgrade()
        assert tallies(database) == kept
    finally:
        database.dispose()


def tallies(database: Database) -> dict[tuple[int, str, str], tuple[int, int]]:
    from handlers.visits.rollup_models import RollupTally

    with database.reading() as session:
        rows = session.scalars(select(RollupTally))
        return {(r.area_id, r.outcome, r.service_list): (r.visits, r.people) for r in rows}


def test_the_rollup_and_console_migrations_match_their_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.plugins import load_plugins, migration_dirs
    from bot.settings import DEFAULT_PLUGINS
    from bot.storage.db import Database
    from bot.storage.models import Base

    database = Database(database_url, migrations=migration_dirs(load_plugins(DEFAULT_PLUGINS)))
    database.upgrade()
    tables = (
        "visit_rollup_state", "visit_rollup_days", "visit_rollup_months", "visit_rollup_totals", "visit_reached",
        "visit_rollup_tallies",
        "web_login_links", "web_sessions", "web_api_tokens", "indicators", "indicator_targets", "areas",
    )  # fmt: skip
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if any(f"'{table}'" in repr(d) for table in tables)] == []
    database.dispose()
