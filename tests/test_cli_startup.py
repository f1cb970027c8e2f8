"""`troly` starts light: building the parser and running a report load neither the server's libraries nor the
chat's (retrieval, numpy), nor Alembic when the schema exists. Plugins import those in their hooks and commands
in their `run` (see bot/plugins.py). How fast that is, is measured by bench/cli_startup.py; this test fails when
an import that every command pays for comes back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.test_cli import ROOT, SAMPLE

# What only `troly serve`, the chat or an export needs; the value says who needs it.
HEAVY = {
    "aiohttp": "the web server",
    "jinja2": "the web console's pages",
    "telegram": "the Telegram channel",
    "prometheus_client": "/metrics",
    "matplotlib": "charts",
    "openpyxl": "XLSX files",
    "numpy": "retrieval",
    "torch": "the dense retrieval arm",
    "sentence_transformers": "the dense retrieval arm",
    "faiss": "the dense retrieval arm",
    "knowledge": "answering questions",
    "embeddings": "answering questions",
    "alembic": "migrating (the schema exists here)",
}
IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", re.MULTILINE)


def imported_by(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -m bot ARGS` and read which modules it imported from `-X importtime`'s report."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=False,
    )
    return result, set(IMPORTED.findall(result.stderr))


def heavy_in(modules: set[str]) -> dict[str, str]:
    return {module: HEAVY[module.split(".")[0]] for module in sorted(modules) if module.split(".")[0] in HEAVY}


def test_the_parser_is_built_without_the_heavy_libraries() -> None:
    result, modules = imported_by("--help")
    assert result.returncode == 0 and "report" in result.stdout
    assert {"bot.cli", "handlers.visits.models", "handlers.visits.cli"} <= modules  # the report itself was read
    assert heavy_in(modules) == {}


def test_a_report_reads_without_the_heavy_libraries(tmp_path: Path) -> None:
    prepared, _ = imported_by("areas", "import", str(SAMPLE))  # a command that writes: migrates first
    assert prepared.returncode == 0, prepared.stderr[-2000:]
    for report in (("summary", "--area", "22"), ("visits", "--area", "22", "--format", "csv")):
        result, modules = imported_by("report", *report)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "handlers.visits.reports" in modules
        assert heavy_in(modules) == {}, report
    assert "Tỉnh Quảng Ninh" in imported_by("report", "summary", "--area", "22")[0].stdout


def test_the_heavy_libraries_are_found_when_imported() -> None:
    """The check above can fail: a command that does need them shows them (`troly ask` answers a question)."""
    result, modules = imported_by("ask", "cài vneid thế nào")
    assert result.returncode == 0, result.stderr[-2000:]
    assert {"numpy", "knowledge"} <= set(heavy_in(modules))
