"""The default install answers, chats, reports and serves without the `dense` extra (no torch), and imports
matplotlib and openpyxl only when it draws or writes a spreadsheet. The troly processes here run with the extra
made unimportable (tests/support/without_dense/sitecustomize.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.support.postgres import free_port
from tests.support.serve_process import wait_healthy

ROOT = Path(__file__).resolve().parents[1]
WITHOUT_DENSE = ROOT / "tests" / "support" / "without_dense"
PLANS = sorted((ROOT / "examples" / "plans").glob("*.txt"))
HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "matplotlib", "openpyxl")


def light_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{WITHOUT_DENSE}{os.pathsep}{ROOT}", **extra}


def troly(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=light_env(**env),
        timeout=300,
        check=False,
    )


def test_the_blocker_really_hides_torch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import torch"], capture_output=True, text=True, env=light_env(), check=False
    )
    assert result.returncode != 0 and "dense extra is not installed" in result.stderr


def test_chat_answers_a_guide_and_a_plan_question_without_torch() -> None:
    ingest = troly("ingest", "--first-run", *map(str, PLANS))
    assert ingest.returncode == 0, ingest.stderr
    assert "Đã lập chỉ mục" in ingest.stdout
    again = troly("ingest", "--first-run", *map(str, PLANS))
    assert again.returncode == 0 and again.stdout == ""  # the first run happened once

    chat = troly("chat", stdin="cai vneid\nMóng Cái năm 2023 đặt mục tiêu gì về chuyển đổi số\n")

    assert chat.returncode == 0, chat.stderr
    assert "VNeID" in chat.stdout and "App Store" in chat.stdout
    assert "(Nguồn: Kế hoạch Chuyển đổi số toàn diện thành phố Móng Cái năm 2023" in chat.stdout
    assert chat.stderr == ""  # log records went to the log file, not into the conversation
    assert "Xin chào root" not in chat.stdout


def test_ask_and_chat_import_no_heavy_library() -> None:
    """`ask` on a built index needs neither migrations nor the web server (aiohttp, PTB); neither
    command needs torch or charts."""
    assert troly("index").returncode == 0
    for args, heavy in ((["ask", "cai vneid"], (*HEAVY, "telegram", "alembic", "aiohttp")), (["chat"], HEAVY)):
        probe = (
            "import sys\nfrom bot.cli import main\ncode = main(sys.argv[1:])\n"
            f"print('HEAVY', sorted(name for name in {heavy!r} if name in sys.modules))\nsys.exit(code)"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe, *args],
            input="xin chao\n",
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},  # the extra installed: still not imported
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "HEAVY []" in result.stdout, result.stdout[-300:]


def test_reports_draw_and_write_without_torch(tmp_path: Path) -> None:
    sample = ROOT / "bot" / "data" / "areas-sample.csv"
    assert troly("areas", "import", str(sample)).returncode == 0
    xlsx = tmp_path / "visits.xlsx"
    report = troly("report", "visits", "--area", "22-MC", "--format", "xlsx", "--output", str(xlsx))
    assert report.returncode == 0, report.stderr
    assert xlsx.read_bytes()[:2] == b"PK"  # a zip: openpyxl was imported when it was needed


def test_serve_starts_its_worker_and_answers_health_without_torch() -> None:
    port = free_port()

    async def run() -> dict[str, object]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            env=light_env(TROLY_PORT=str(port), TROLY_CORE_WORKERS="1"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with aiohttp.ClientSession() as session:
                return await wait_healthy(session, f"http://127.0.0.1:{port}", process, within=120)
        finally:
            process.terminate()
            await process.wait()

    health = asyncio.run(run())
    assert health["status"] == "ok"
