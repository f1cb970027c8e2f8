"""Every configuration or environment problem ends in one or two Vietnamese lines that name what to fix, exit
code 2 and no traceback (which goes to the log file at DEBUG). Each case runs the real `troly` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[1]
WITHOUT_DENSE = ROOT / "tests" / "support" / "without_dense"


def troly(*args: str, stdin: str = "", pythonpath: str = str(ROOT), **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": pythonpath, **env},
        timeout=300,
        check=False,
    )


def assert_told(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    """Exit code 2, the phrases on stderr in at most two lines, nothing that looks like a traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, lines
    for phrase in phrases:
        assert phrase in result.stderr, (phrase, result.stderr)


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """The path refuses writes even to root: the immutable attribute as root, the mode bits otherwise."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        path.chmod(mode)


def test_a_database_url_that_is_not_one() -> None:
    assert_told(troly("chat", TROLY_DATABASE_URL="nonsense"), "TROLY_DATABASE_URL", "không hợp lệ", "postgresql://")


def test_a_database_kind_troly_does_not_use() -> None:
    assert_told(troly("db", "upgrade", TROLY_DATABASE_URL="mysql://u:secret@127.0.0.1/troly"), "TROLY_DATABASE_URL")
    assert "secret" not in troly("db", "upgrade", TROLY_DATABASE_URL="mysql://u:secret@127.0.0.1/troly").stderr


def test_an_unreachable_postgresql_and_its_traceback_in_the_log(tmp_path: Path) -> None:
    url = f"postgresql://troly:secret@127.0.0.1:{free_port()}/troly"
    result = troly("chat", TROLY_DATABASE_URL=url, TROLY_LOG_LEVEL="DEBUG")
    assert_told(result, "Không kết nối được PostgreSQL tại 127.0.0.1", "TROLY_DATABASE_URL", "từ chối kết nối")
    assert "secret" not in result.stderr
    log = (tmp_path / "var" / "troly.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "OperationalError" in log  # the details, for whoever debugs


def test_an_unwritable_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "locked"
    data.mkdir()
    with unwritable(data):
        result = troly("chat", stdin="xin chao\n", TROLY_DATA_DIR=str(data))
    assert_told(result, "TROLY_DATA_DIR", str(data), "quyền ghi")


def test_a_data_dir_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = troly("ask", "cai vneid", TROLY_DATA_DIR=str(tmp_path / "file" / "var"))
    assert_told(result, "TROLY_DATA_DIR", "không phải thư mục")


def test_a_malformed_troly_toml(tmp_path: Path) -> None:
    (tmp_path / "troly.toml").write_text('port = 8080\ntelegram_token = "abc\n', encoding="utf-8")
    assert_told(troly("chat"), "troly.toml", "sai cú pháp", "line 2")


def test_an_unknown_key_in_troly_toml_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "troly.toml").write_text('telegram_tokne = "123:abc"\n', encoding="utf-8")
    assert_told(troly("serve"), "troly.toml", "telegram_tokne", "Có phải ý bạn là telegram_token?")


def test_an_unknown_variable_is_refused_with_a_suggestion() -> None:
    result = troly("serve", TROLY_TELEGRAM_TOKN="123:abc")
    assert_told(result, "TROLY_TELEGRAM_TOKN", "Có phải ý bạn là TROLY_TELEGRAM_TOKEN?")


def test_a_bad_value_names_the_variable_in_vietnamese() -> None:
    assert_told(troly("chat", TROLY_PORT="tám nghìn"), "TROLY_PORT", "cần một số nguyên")


def test_the_fine_tuned_encoder_before_training() -> None:
    result = troly("ask", "cai vneid", TROLY_EMBEDDING_MODEL="troly")
    assert_told(result, "TROLY_EMBEDDING_MODEL=troly", "troly train-encoder")
    chat = troly("chat", stdin="cai vneid\n", TROLY_EMBEDDING_MODEL="troly")
    assert_told(chat, "troly train-encoder")  # told at start, not as an apology to the first question


def test_the_dense_arm_without_its_extra() -> None:
    pythonpath = f"{WITHOUT_DENSE}{os.pathsep}{ROOT}"
    result = troly("ask", "cai vneid", pythonpath=pythonpath, TROLY_EMBEDDING_MODEL="minilm")
    assert_told(result, "TROLY_EMBEDDING_MODEL=minilm", "troly[dense]")


def test_an_unknown_plugin() -> None:
    assert_told(troly("chat", TROLY_PLUGINS="handlers.basic,handlers.nope"), "TROLY_PLUGINS", "handlers.nope")


def test_a_read_only_sqlite_database(tmp_path: Path) -> None:
    assert troly("db", "upgrade").returncode == 0
    database = tmp_path / "var" / "troly.db"
    with unwritable(database):
        result = troly("chat", stdin="xin chao\n")
    assert_told(result, "chỉ cho đọc", "TROLY_DATABASE_URL")


def test_a_read_only_postgresql_database(postgres_admin_url: str, postgres_url: str) -> None:
    database_url = postgres_url
    assert troly("db", "upgrade", TROLY_DATABASE_URL=database_url).returncode == 0
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    name = make_url(database_url).database
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    admin.dispose()
    result = troly("chat", stdin="xin chao\n", TROLY_DATABASE_URL=database_url)
    assert_told(result, "chỉ cho đọc", "default_transaction_read_only")


def test_argparse_usage_errors_are_vietnamese_too() -> None:
    result = troly("users", "grant", "--channel", "fax")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cách dùng: troly users grant" in result.stderr and "lỗi:" in result.stderr
    assert "usage:" not in result.stderr and "error:" not in result.stderr
