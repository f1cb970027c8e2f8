"""Pieces of the visits feature on their own: the catalogue, address keys, the chart, and the migration."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.plugins import load_plugins, migration_dirs
from bot.settings import DEFAULT_PLUGINS
from bot.storage.db import Database
from bot.storage.models import Base
from handlers.visits.catalogue import SERVICES, Outcome, find_outcome, find_service
from handlers.visits.chart import render_chart
from handlers.visits.households import address_key
from handlers.visits.parsing import parse_services

VISIT_TABLES = {"households", "visits", "visit_services"}


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("vneid", "vneid"),
        ("Cài đặt VNeID", "vneid"),
        ("MUC2", "muc2"),
        ("mức 2", "muc2"),
        ("Định danh điện tử mức 2", "muc2"),
        ("tích hợp", "tichhop"),
        ("chữ ký số", "cks"),
        ("Dịch vụ công", "dvc"),
        ("thanh toan", "thanhtoan"),
        ("VssID", "vssid"),
        ("lừa đảo", "luadao"),
        ("Khác", "khac"),
        ("bay lượn", None),
        ("", None),
    ],
)
def test_services_are_found_by_code_label_or_phrase(typed: str, code: str | None) -> None:
    assert find_service(typed) == code


def test_every_service_is_found_by_its_own_code_and_label() -> None:
    for service in SERVICES:
        assert find_service(service.code) == find_service(service.label) == service.code


@pytest.mark.parametrize(
    ("typed", "outcome"),
    [("xong", Outcome.DONE), ("Hẹn lại", Outcome.LATER), ("hen lai", Outcome.LATER), ("TỪ CHỐI", Outcome.DECLINED)],
)
def test_outcomes_with_or_without_diacritics(typed: str, outcome: Outcome) -> None:
    assert find_outcome(typed) is outcome
    assert find_outcome("có lẽ") is None


def test_service_lists_keep_catalogue_order_and_report_unknown_pieces() -> None:
    assert parse_services("dvc và vneid, vneid") == (["vneid", "dvc"], [])
    assert parse_services("dvc, nấu ăn") == (["dvc"], ["nấu ăn"])


def test_address_keys_fold_diacritics_and_punctuation() -> None:
    assert address_key("Số 12, ngõ 5 – Trần Phú.") == address_key("so 12 ngo 5 tran phu") == "so 12 ngo 5 tran phu"
    assert address_key("Số 12 ngõ 5 Trần Phú") != address_key("Số 13 ngõ 5 Trần Phú")


def test_chart_is_a_png_only_when_there_is_data() -> None:
    weeks = [(date(2026, 11, 2), 0), (date(2026, 11, 9), 2)]
    image = render_chart("của Khu 1", weeks, Counter({"vneid": 2, "muc2": 1}))
    assert image is not None and image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 5000
    assert render_chart("của Khu 1", [(date(2026, 11, 2), 0)], Counter()) is None


def test_migration_matches_the_models(database_url: str) -> None:
    import handlers.visits.models  # noqa: F401 - registers the visit tables on Base

    database = Database(database_url, migrations=migration_dirs(load_plugins(DEFAULT_PLUGINS)))
    database.upgrade()
    assert database.is_up_to_date()  # visits_0001 is an ancestor of the recorded heads (visits_rollup depends on it)
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [difference for difference in differences if any(f"'{table}'" in repr(difference) for table in VISIT_TABLES)]
    assert ours == []
    database.dispose()
