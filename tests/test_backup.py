"""`troly backup` then `troly restore` into an empty database and data directory gives back every row of every
table and the visit as it was logged, and the ingested plans; on SQLite and on PostgreSQL (pg_dump/pg_restore)."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.app import create_app
from bot.cli import main
from bot.settings import Settings
from bot.storage.dumps import row_counts
from tests.conftest import _fresh_postgres_database
from tests.visits_helpers import ONE_LINE, import_sample, join, say_as, visits

PLAN = Path(__file__).resolve().parents[1] / "examples" / "plans" / "001_bcb478adb2ba6af6.txt"


@pytest.fixture
def second_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as `database_url`: where the backup is restored."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'troly.db'}"
        return
    yield from _fresh_postgres_database(request.getfixturevalue("postgres_admin_url"))


def run(monkeypatch: pytest.MonkeyPatch, data_dir: Path, url: str, *args: str) -> int:
    monkeypatch.setenv("TROLY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TROLY_DATABASE_URL", url)
    return main(list(args))


def visit_as_logged(settings: Settings) -> tuple[object, ...]:
    troly = create_app(settings)
    try:
        (visit,) = visits(troly)
        return (
            visit.household.address,
            visit.household.head_name,
            tuple(visit.service_codes),
            visit.outcome,
            visit.note,
            visit.member.display_name,
            visit.created_at,
        )
    finally:
        troly.close()


def test_backup_then_restore_gives_everything_back(
    make_settings: Callable[..., Settings],
    database_url: str,
    second_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    original = make_settings(database_url=database_url, data_dir=tmp_path / "original")
    troly = create_app(original)
    import_sample(troly)
    join(troly, "lan")
    assert "Đã lưu lượt thăm" in "\n".join(reply.text for reply in say_as(troly, ONE_LINE, "lan"))
    counts = row_counts(troly.database.engine)
    troly.close()
    assert run(monkeypatch, original.data_dir, database_url, "ingest", str(PLAN)) == 0
    archive = tmp_path / "troly-backup.tar.gz"

    assert run(monkeypatch, original.data_dir, database_url, "backup", "--to", str(archive)) == 0

    assert "Đã sao lưu vào" in capsys.readouterr().out
    with tarfile.open(archive) as opened:
        names = set(opened.getnames())
        manifest = json.loads(opened.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert {"manifest.json", "data/plans/001_bcb478adb2ba6af6.txt"} <= names
    assert manifest["counts"] == counts and manifest["counts"]["visits"] == 1

    restored = make_settings(database_url=second_url, data_dir=tmp_path / "restored")
    assert run(monkeypatch, restored.data_dir, second_url, "restore", str(archive)) == 0

    assert "khớp với bản sao lưu" in capsys.readouterr().out
    assert visit_as_logged(restored) == visit_as_logged(original)
    troly = create_app(restored)
    assert row_counts(troly.database.engine) == counts
    troly.close()
    plan = restored.data_dir / "plans" / PLAN.name
    assert plan.read_text(encoding="utf-8") == (original.data_dir / "plans" / PLAN.name).read_text(encoding="utf-8")


def test_restore_refuses_to_overwrite_users_without_force(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "var"
    troly = create_app(make_settings(database_url=sqlite_url, data_dir=data))
    say_as(troly, "xin chào", "lan")
    troly.close()
    archive = tmp_path / "b.tar.gz"
    assert run(monkeypatch, data, sqlite_url, "backup", "--to", str(archive)) == 0
    troly = create_app(make_settings(database_url=sqlite_url, data_dir=data))
    say_as(troly, "xin chào", "hoa")  # written after the backup
    troly.close()

    assert run(monkeypatch, data, sqlite_url, "restore", str(archive)) == 2
    assert "đã có 2 người dùng" in capsys.readouterr().err

    assert run(monkeypatch, data, sqlite_url, "restore", "--force", str(archive)) == 0
    troly = create_app(make_settings(database_url=sqlite_url, data_dir=data))
    assert row_counts(troly.database.engine)["users"] == 1  # back to the state of the backup
    troly.close()


def test_a_file_that_is_not_a_backup_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")
    assert run(monkeypatch, tmp_path / "var", sqlite_url, "restore", str(junk)) == 2
    assert "Không đọc được tệp sao lưu" in capsys.readouterr().err
