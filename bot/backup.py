"""`troly backup [--to FILE]` and `troly restore FILE`: the database and the files that matter, in one archive.

The archive is a .tar.gz holding `manifest.json` (format, database kind, schema revisions, rows per table),
the database (`database.sqlite`, a SQLite online backup, or `database.pgdump`, pg_dump's custom format) and,
under `data/`, the parts of the data directory that plugins name with their `backup_paths(settings)` hook
(the ingested plans, a fine-tuned encoder). What can be rebuilt (the search index), logs and lock files are
left out; secrets live in the environment or troly.toml, which the operator keeps elsewhere.

A restore refuses to overwrite a database that already has users unless told `--force`, checks the rows of
every table against the manifest, then migrates to this version's schema if the backup is older.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import func, inspect, select, table

from bot.commands import Commands
from bot.database import open_database
from bot.errors import OperatorError
from bot.plugins import hooks, load_plugins
from bot.settings import Settings
from bot.storage import dumps
from bot.storage.db import Database

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
DATA = "data"


def register_cli(commands: Commands) -> None:
    commands.add(
        "backup",
        help="Sao lưu cơ sở dữ liệu và tài liệu đã nạp vào một tệp .tar.gz",
        run=run_backup,
        configure=lambda p: p.add_argument(
            "--to",
            type=Path,
            metavar="TỆP",
            help="tệp sao lưu (mặc định: THƯ_MỤC_DỮ_LIỆU/backups/troly-NGÀY-GIỜ.tar.gz)",
        ),
    )
    commands.add("restore", help="Khôi phục từ một tệp sao lưu của troly backup", run=run_restore, configure=_restore)


def _restore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="TỆP", help="tệp .tar.gz do troly backup tạo")
    parser.add_argument("--force", action="store_true", help="ghi đè cả khi cơ sở dữ liệu đích đã có người dùng")


@dataclass(frozen=True, slots=True)
class Manifest:
    database: str
    revisions: list[str]
    counts: dict[str, int]
    files: list[str]
    created_at: str
    format: int = FORMAT

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Manifest:
        if raw.get("format") != FORMAT:
            raise OperatorError(
                f"Tệp sao lưu có định dạng {raw.get('format')}, phiên bản troly này đọc định dạng {FORMAT}."
            )
        return cls(**raw)


def run_backup(settings: Settings, args: argparse.Namespace) -> int:
    plugins = load_plugins(settings.plugins)
    database = open_database(settings, plugins)
    target: Path = args.to or settings.data_dir / "backups" / f"troly-{datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    try:
        manifest = write_backup(settings, plugins, database, target)
    finally:
        database.dispose()
    rows = sum(manifest.counts.values())
    print(
        f"Đã sao lưu vào {target}: {len(manifest.counts)} bảng, {rows} dòng; "
        f"tệp: {', '.join(manifest.files) or 'không có'}."
    )
    return 0


def write_backup(settings: Settings, plugins: list[ModuleType], database: Database, target: Path) -> Manifest:
    kind = dumps.backend(database.url)
    paths = backup_paths(settings, plugins)
    with tempfile.TemporaryDirectory(prefix="troly-backup-") as scratch:
        dump = Path(scratch) / DATABASE_MEMBERS[kind]
        counts = dumps.row_counts(database.engine)  # before the dump: rows only get added between the two
        if kind == "sqlite":
            dumps.dump_sqlite(database.url, dump)
        else:
            dumps.dump_postgres(database.url, dump)
        manifest = Manifest(
            database=kind,
            revisions=sorted(database.current_revisions()),
            counts=counts,
            files=[str(path.relative_to(settings.data_dir)) for path in paths],
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(asdict(manifest), indent=2))
            archive.add(dump, arcname=dump.name)
            for path in paths:
                archive.add(path, arcname=f"{DATA}/{path.relative_to(settings.data_dir)}")
        partial.replace(target)  # a backup interrupted half-way never looks complete
    return manifest


def backup_paths(settings: Settings, plugins: list[ModuleType]) -> list[Path]:
    """What the plugins want kept, inside the data directory and existing."""
    root = settings.data_dir.resolve()
    found = []
    for hook in hooks(plugins, "backup_paths"):
        for path in hook(settings):
            if path.exists() and path.resolve().is_relative_to(root):
                found.append(path)
    return found


def run_restore(settings: Settings, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="troly-restore-") as scratch:
        manifest = unpack(args.file, Path(scratch))
        plugins = load_plugins(settings.plugins)
        database = open_database(settings, plugins, migrate=False)
        try:
            _check_target(database, manifest, force=args.force)
            restore_database(database, manifest, Path(scratch))
            _check_counts(database, manifest)
            before = database.current_revisions()
            database.upgrade()
            upgraded = database.current_revisions() != before
        finally:
            database.dispose()
        restore_files(settings, manifest, Path(scratch) / DATA)
    rows = sum(manifest.counts.values())
    print(
        f"Đã khôi phục từ {args.file} (sao lưu lúc {manifest.created_at}): "
        f"{len(manifest.counts)} bảng, {rows} dòng, khớp với bản sao lưu."
    )
    if upgraded:
        print("Cấu trúc dữ liệu đã được nâng cấp lên phiên bản hiện tại.")
    return 0


def unpack(archive_path: Path, scratch: Path) -> Manifest:
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(scratch, filter="data")  # no absolute paths, links out or devices
        raw = json.loads((scratch / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, tarfile.TarError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise OperatorError(
            f"Không đọc được tệp sao lưu {archive_path}: {error}. Hãy dùng tệp do troly backup tạo."
        ) from error
    manifest = Manifest.from_json(raw)
    if not (scratch / DATABASE_MEMBERS.get(manifest.database, "?")).exists():
        raise OperatorError(f"Tệp sao lưu {archive_path} thiếu phần cơ sở dữ liệu; hãy dùng tệp do troly backup tạo.")
    return manifest


def _check_target(database: Database, manifest: Manifest, *, force: bool) -> None:
    kind = dumps.backend(database.url)
    if kind != manifest.database:
        raise OperatorError(
            f"Bản sao lưu là của {manifest.database}, còn TROLY_DATABASE_URL trỏ tới {kind}. "
            "Hãy khôi phục vào cùng loại cơ sở dữ liệu (chuyển giữa hai loại chưa được hỗ trợ)."
        )
    if force:
        return
    users = _count_users(database)
    if users:
        raise OperatorError(
            f"Cơ sở dữ liệu đích đã có {users} người dùng; khôi phục sẽ ghi đè toàn bộ.\n"
            "Nếu chắc chắn, hãy dừng troly serve/deliver rồi chạy lại với --force."
        )


def _count_users(database: Database) -> int:
    with database.engine.connect() as connection:
        if "users" not in inspect(connection).get_table_names():
            return 0
        return int(connection.execute(select(func.count()).select_from(table("users"))).scalar_one())


def restore_database(database: Database, manifest: Manifest, scratch: Path) -> None:
    source = scratch / DATABASE_MEMBERS[manifest.database]
    database.engine.dispose()  # no pooled connection of ours holds the old file or tables
    if manifest.database == "sqlite":
        dumps.restore_sqlite(database.url, source)
    else:
        dumps.restore_postgres(database.url, source)


def _check_counts(database: Database, manifest: Manifest) -> None:
    restored = dumps.row_counts(database.engine)
    different = {
        name: (count, restored.get(name)) for name, count in manifest.counts.items() if restored.get(name) != count
    }
    if different:
        details = ", ".join(f"{name}: {want} → {got}" for name, (want, got) in sorted(different.items()))
        raise OperatorError(f"Khôi phục xong nhưng số dòng không khớp bản sao lưu ({details}); hãy kiểm tra lại.")


def restore_files(settings: Settings, manifest: Manifest, unpacked: Path) -> None:
    """Put each saved path back, replacing what is there (moved aside first, removed once the new is in)."""
    for relative in manifest.files:
        source, target = unpacked / relative, settings.data_dir / relative
        if not source.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        old = target.with_name(target.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        shutil.move(str(source), target)
        shutil.rmtree(old, ignore_errors=True)


def _add_bytes(archive: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))
