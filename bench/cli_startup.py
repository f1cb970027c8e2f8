"""Benchmark: how long a `troly` command takes to start, and a province's `report summary` as a command.

    PYTHONPATH=. .venv/bin/python -m bench.cli_startup                                   # --help only
    PYTHONPATH=. .venv/bin/python -m bench.cli_startup --database-url URL --area CODE     # and the reports

Each command runs `--runs` times after one warm-up, as `python -m bot` in a child process with bytecode
written (an installed troly has it; a sandbox that exports PYTHONDONTWRITEBYTECODE=1 recompiles some 200
modules on every run, +0.15 s). Printed: median, fastest and slowest wall time, and how many modules the
command imported. Start-up up to the report's first query is measured as `report summary` of an area code
that does not exist: settings, plugins, parser, opening the database, and one lookup.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTED = re.compile(r"^import time:.*\|\s*(\S+)\s*$", re.MULTILINE)


def environment(database_url: str | None, data_dir: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    if database_url:
        env["TROLY_DATABASE_URL"] = database_url
    if data_dir:
        env["TROLY_DATA_DIR"] = data_dir
    return env


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):  # 1: an area that does not exist, on purpose
        raise SystemExit(f"troly {' '.join(args)} failed:\n{result.stderr.decode()[-2000:]}")
    return elapsed


def modules(args: list[str], env: dict[str, str]) -> int:
    command = [sys.executable, "-X", "importtime", "-m", "bot", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return len(set(IMPORTED.findall(result.stderr)))


def measure(label: str, args: list[str], env: dict[str, str], runs: int) -> None:
    timed(args, env)  # warm-up: bytecode written, files in the page cache
    walls = sorted(timed(args, env) for _ in range(runs))
    print(
        f"{label:<44} median {statistics.median(walls):.3f} s  (fastest {walls[0]:.3f}, slowest {walls[-1]:.3f}; "
        f"{modules(args, env)} modules imported)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="a database with data (bench.province_data) for the reports")
    parser.add_argument("--data-dir", help="TROLY_DATA_DIR for the reports (default: the current one)")
    parser.add_argument("--area", help="the area code of `report summary` (the province)")
    options = parser.parse_args()
    env = environment(options.database_url, options.data_dir)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load {load:.2f} at the start; {options.runs} runs after a warm-up")
    measure("troly --help", ["--help"], env, options.runs)
    measure("troly report --help", ["report", "--help"], env, options.runs)
    if options.database_url and options.area:
        missing = ["report", "summary", "--area", "KHONG-CO"]
        measure("report summary, up to its first query", missing, env, options.runs)
        summary = ["report", "summary", "--area", options.area]
        measure(f"report summary --area {options.area}", summary, env, options.runs)
    print(f"load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
