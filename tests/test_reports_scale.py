"""The SQL report aggregates against the row-by-row reference, on a small generated province (both databases),
and the columns the database's triggers keep (a visit's services, a household's latest visit) after every kind
of write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bench.province_data import Province, Scale, generate
from bot.app import Troly, create_app
from bot.settings import Settings
from bot.storage.models import Area, AreaLevel, Role, User
from handlers.announcements.models import Announcement, OutboxItem, Target
from handlers.announcements.outbox import enqueue, enqueue_for
from handlers.announcements.recipients import count_recipients, preview, recipients, who
from handlers.visits import reports, summary
from handlers.visits.models import Household, Visit, VisitService
from handlers.visits.records import VIETNAM
from handlers.visits.reports import Scope
from handlers.visits.rollup import roll_up, rolled_until
from tests import reports_reference as reference
from tests.helpers import say

END = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # a Friday afternoon, Vietnam time
TODAY = END.astimezone(VIETNAM).date()


@dataclass
class Generated:
    app: Troly
    province: Province


@pytest.fixture
def generated(database_url: str, make_settings: Callable[..., Settings]) -> Iterator[Generated]:
    province = generate(database_url, Scale.of(0.002), seed=5, end=END)
    app = create_app(make_settings(database_url=database_url))
    yield Generated(app, province)
    app.close()


def scopes(session: Session) -> list[Scope]:
    """The province, a commune, a village, a team, a member, and everything (an admin without an area)."""
    commune = session.scalar(select(Area).where(Area.level == AreaLevel.COMMUNE).order_by(Area.code))
    village = session.scalar(select(Area).where(Area.level == AreaLevel.VILLAGE).order_by(Area.code.desc()))
    busiest = session.execute(select(Visit.member_id, Visit.team_id).order_by(Visit.id.desc()).limit(1)).one()
    assert commune is not None and village is not None
    return [
        reports.area_scope(session, 1),
        reports.area_scope(session, commune.id),
        reports.area_scope(session, village.id),
        Scope("tổ", team_id=busiest.team_id),
        Scope("của bạn", member_id=busiest.member_id),
        Scope("toàn hệ thống"),
    ]


PERIODS: list[tuple[date | None, date | None]] = [
    (None, None),
    (TODAY.replace(day=1), TODAY),
    (reports.week_start(TODAY), TODAY),
    (date(2026, 3, 1), date(2026, 3, 31)),
]


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rolled-up"])
def test_sql_aggregates_match_the_row_by_row_reference(generated: Generated, rolled_up: bool) -> None:
    """Counting every visit, or the closed days from the roll-ups and the rest live: the same figures."""
    if rolled_up:
        assert roll_up(generated.app.database, END) > 10  # the generated year, a week per step
    with generated.app.database.transaction() as session:
        assert (rolled_until(session) is not None) is rolled_up
        for scope in scopes(session):
            for start, end in PERIODS:
                expected = reference.collect(session, scope, start, end).as_dict()
                assert reports.collect(session, scope, start, end).as_dict() == expected, (scope, start, end)
                assert reports.by_member(session, scope, start, end) == reference.by_member(session, scope, start, end)
                assert reports.by_sub_area(session, scope, start, end) == reference.by_sub_area(
                    session, scope, start, end
                )
            assert reports.pending_follow_ups(session, scope) == reference.pending_follow_ups(session, scope), scope
            assert reports.weekly(session, scope, TODAY) == reference.weekly(session, scope, TODAY), scope


def test_the_generated_province_is_busy_enough_to_mean_something(generated: Generated) -> None:
    """Guard against a vacuous comparison: every figure compared above is far from zero."""
    with generated.app.database.transaction() as session:
        province = reports.area_scope(session, 1)
        month = reports.collect(session, province, TODAY.replace(day=1), TODAY)
        assert month.visits > 30 and month.households > 20 and len(month.services) >= 5
        assert reports.pending_follow_ups(session, province) > 20
        assert sum(row["visits"] > 0 for row in reports.by_sub_area(session, province, None, None)) >= 3
    assert generated.province.counts["visits"] == 2000 and generated.province.counts["areas"] > 40


def assert_kept_columns_are_right(session: Session) -> None:
    """`visits.service_list` and each household's latest visit equal what the rows say."""
    codes: dict[int, list[str]] = {}
    for visit_id, code in session.execute(select(VisitService.visit_id, VisitService.service_code)):
        codes.setdefault(visit_id, []).append(code)
    for visit_id, service_list in session.execute(select(Visit.id, Visit.service_list)):
        expected = sorted(codes.get(visit_id, []))
        assert service_list == ("," + ",".join(expected) + "," if expected else ""), visit_id
    latest: dict[int, tuple[datetime, int, str]] = {}
    live = select(Visit.household_id, Visit.created_at, Visit.id, Visit.outcome).where(Visit.deleted_at.is_(None))
    for household_id, created_at, visit_id, outcome in session.execute(live):
        if household_id not in latest or (created_at, visit_id) > latest[household_id][:2]:
            latest[household_id] = (created_at, visit_id, outcome)
    for household_id, outcome, seen in session.execute(
        select(Household.id, Household.last_outcome, Household.last_visit_at)
    ):
        found = latest.get(household_id)
        assert (outcome, seen) == ((found[2], found[0]) if found else (None, None)), household_id


def test_triggers_keep_the_report_columns_through_every_kind_of_write(generated: Generated) -> None:
    app = generated.app
    with app.database.transaction() as session:
        assert_kept_columns_are_right(session)  # as generated
        member = session.scalar(select(User).where(User.role == Role.MEMBER).order_by(User.id))
        assert member is not None
        member_id, channel_id = member.id, member.channel_user_id
    # The app's own writes: a new visit, then its correction (other services and outcome), then deletion.
    say(app, "/ghinhan Số 7 Trần Phú ; Lê Thị Mai ; vneid, cks ; hẹn lại", user=channel_id, channel="telegram")
    say(app, "/sua Số 7 Trần Phú ; Lê Thị Mai ; dvc ; xong", user=channel_id, channel="telegram")
    with app.database.transaction() as session:
        assert_kept_columns_are_right(session)
        newest = session.scalar(select(Visit).where(Visit.member_id == member_id).order_by(Visit.id.desc()))
        assert newest is not None and newest.service_list == ",dvc," and newest.household.last_outcome == "done"
    say(app, "/xoa", user=channel_id, channel="telegram")
    say(app, "1", user=channel_id, channel="telegram")
    # Anyone's SQL: backdating, moving a visit to another household, a service removed, a visit deleted for good.
    with app.database.transaction() as session:
        first, second = session.scalars(select(Visit).order_by(Visit.id.desc()).limit(2)).all()
        session.execute(update(Visit).where(Visit.id == first.id).values(created_at=END - timedelta(days=900)))
        session.execute(update(Visit).where(Visit.id == second.id).values(household_id=1, outcome="later"))
        session.execute(delete(VisitService).where(VisitService.visit_id == second.id))
        session.execute(delete(VisitService).where(VisitService.visit_id == 3))
        session.execute(delete(Visit).where(Visit.id == 3))
    with app.database.transaction() as session:
        assert_kept_columns_are_right(session)


def outbox_rows(session: Session, announcement_id: int) -> set[tuple[object, ...]]:
    columns = (OutboxItem.user_id, OutboxItem.channel, OutboxItem.chat_id, OutboxItem.state, OutboxItem.reason)
    columns += (OutboxItem.not_before, OutboxItem.attempts, OutboxItem.finished_at, OutboxItem.uncertain)
    return {
        tuple(row) for row in session.execute(select(*columns).where(OutboxItem.announcement_id == announcement_id))
    }


def test_set_based_recipients_match_the_row_by_row_ones(generated: Generated) -> None:
    """Counting and queueing an announcement with one statement each gives what the Python loops gave."""
    app, now = generated.app, END + timedelta(hours=1)
    unreachable = skipped = 0
    with app.database.transaction() as session:
        commune = session.scalar(select(Area.id).where(Area.level == AreaLevel.COMMUNE).order_by(Area.code))
        for area_id, target in ((1, Target.SUBSCRIBERS), (commune, Target.SUBSCRIBERS), (1, Target.TEAM)):
            assert area_id is not None
            people = recipients(session, area_id, target)
            for pushable in ({"telegram", "zalo"}, {"telegram"}):
                expected = preview(people, app.policies, pushable, now)
                assert count_recipients(session, area_id, target, app.policies, pushable, now) == expected
                unreachable += sum(count.unreachable for count in expected.channels.values())
            by_rows = Announcement(text="a", area_id=area_id, target=target, created_at=now, send_at=now)
            set_based = Announcement(text="b", area_id=area_id, target=target, created_at=now, send_at=now)
            enqueue(session, by_rows, people, {"telegram"})
            assert enqueue_for(session, set_based, who(area_id, target), {"telegram"}) == len(people) > 0
            assert outbox_rows(session, set_based.id) == outbox_rows(session, by_rows.id)
            skipped += sum(row[3] == "skipped" for row in outbox_rows(session, set_based.id))
    assert unreachable > 0 and skipped > 0  # Zalo's window and a channel that cannot push were both exercised


def test_a_province_report_lists_its_busiest_communes_and_sums_the_rest(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    """A province has a hundred communes: /baocao names the ten busiest this month and sums the others in one
    line, so the report fits one phone message (Zalo's 2,000 characters) and still adds up."""
    generate(database_url, Scale.of(0.02), seed=11, end=END)  # 14 communes
    app = create_app(make_settings(database_url=database_url))
    try:
        with app.database.read_only() as session:
            province = reports.area_scope(session, 1)
            text, _chart = summary.report_text(session, province, TODAY)
            rows = reports.by_sub_area(session, province, TODAY.replace(day=1), TODAY)
            month = reports.collect(session, province, TODAY.replace(day=1), TODAY)
    finally:
        app.close()
    listed = text.split("Theo địa bàn")[1].splitlines()[1:]
    busiest = sorted(rows, key=lambda r: -r["visits"])[: summary.BREAKDOWN_ROWS]
    assert len(rows) > summary.BREAKDOWN_ROWS and len(listed) == summary.BREAKDOWN_ROWS + 1
    assert [line.split(":")[0] for line in listed[:-1]] == [f"• {r['name']}" for r in busiest]
    assert listed[-1].startswith(f"• … và {len(rows) - summary.BREAKDOWN_ROWS} địa bàn khác")
    counts = [int(line.split(": ")[1].split(" lượt")[0].replace(".", "")) for line in listed]
    assert sum(counts) == month.visits > 100 and len(text) <= 2000
