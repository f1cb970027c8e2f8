"""Benchmark of the default install (not a test): venv size, `troly ask` cold start, memory of `chat` and of
`serve` with its core workers.

    PYTHONPATH=$PWD .venv/bin/python -m bench.footprint [--runs 5] [--venv DIR] [--updates 300]

It creates a fresh virtual environment in a temporary directory and installs this repository into it without
extras (`pip install .`: what `make chat` installs, no torch), or measures an existing one given by --venv.
Then, with the sample plans of examples/plans ingested:

- venv size: the bytes of every file under the venv (what `du -sb` counts), and the largest packages;
- cold start: wall time of `troly ask "cài vneid thế nào"`, process start to answer, median of --runs;
- chat: the resident memory of `troly chat` once it has answered a guide question and a plan question;
- serve: `troly serve` with one core worker (the default) behind the fake Telegram Bot API of the tests, after
  --updates questions through the webhook; the sum over the server and its child processes, as RSS (what
  `ps` shows, counting shared pages in each process) and as PSS (shared pages split between the processes:
  what the machine actually spends).

Goals (issue 16): venv <= 500 MB, cold start <= 1 s, serve <= 250 MB in all.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import closed_loop  # noqa: E402
from bench.telegram_webhook import SECRET, Load  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402
from tests.support.serve_process import wait_healthy  # noqa: E402

MB = 1024 * 1024
QUESTIONS = ("cài vneid thế nào", "Móng Cái năm 2023 đặt mục tiêu gì về chuyển đổi số")
HEAVY = ("torch", "sentence_transformers", "transformers", "faiss")


def make_venv(target: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    pip = target / "bin" / "pip"
    subprocess.run([str(pip), "install", "--quiet", str(ROOT)], check=True)
    return target


def tree_bytes(path: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            file = Path(folder) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def largest_packages(venv: Path, count: int = 6) -> list[tuple[str, int]]:
    site = next(venv.glob("lib/python3*/site-packages"))
    sizes = [(entry.name, tree_bytes(entry) if entry.is_dir() else entry.stat().st_size) for entry in site.iterdir()]
    return sorted(sizes, key=lambda item: -item[1])[:count]


def environment(venv: Path, data: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without troly's settings, PYTHONPATH or PYTHONDONTWRITEBYTECODE (an ordinary
    machine caches bytecode, and troly's own modules would otherwise be compiled at every start)."""
    dropped = ("TROLY_", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    clean = {name: value for name, value in os.environ.items() if not name.startswith(dropped)}
    return {**clean, "TROLY_DATA_DIR": str(data), "VIRTUAL_ENV": str(venv), **extra}


def cold_starts(venv: Path, data: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall time of each run, and its CPU time (user + system): on a busy machine the wall time includes the
    wait for a free core, the CPU time does not."""
    timings, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [str(venv / "bin" / "troly"), "ask", QUESTIONS[0]],
            env=environment(venv, data),
            cwd=data,
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return timings, cpu


def memory_of(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process, in bytes."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1]) * 1024
        elif line.startswith("Pss:"):
            pss = int(line.split()[1]) * 1024
    return rss, pss


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found.extend(frontier)
    return found


def chat_memory(venv: Path, data: Path) -> tuple[int, int, str]:
    process = subprocess.Popen(
        [str(venv / "bin" / "troly"), "chat"],
        env=environment(venv, data),
        cwd=data,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    output: list[str] = []
    cited = threading.Event()
    reader = threading.Thread(target=_read_until_cited, args=(process.stdout, output, cited), daemon=True)
    reader.start()
    process.stdin.write("\n".join(QUESTIONS) + "\n")
    process.stdin.flush()
    if not cited.wait(120):
        process.kill()
        raise RuntimeError("troly chat did not answer the plan question:\n" + "".join(output))
    rss, pss = memory_of(process.pid)
    process.stdin.close()
    process.wait(60)
    return rss, pss, "".join(output)


def _read_until_cited(stream: object, output: list[str], cited: threading.Event) -> None:
    for line in stream:  # type: ignore[attr-defined]
        output.append(line)
        if "(Nguồn:" in line:
            cited.set()


async def serve_memory(venv: Path, data: Path, updates: int) -> tuple[int, int, int]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
        env = environment(
            venv,
            data,
            TROLY_PORT=str(port),
            TROLY_TELEGRAM_TOKEN=fake.token,
            TROLY_TELEGRAM_API_URL=fake.api_url,
            TROLY_TELEGRAM_WEBHOOK_SECRET=SECRET,
            TROLY_TELEGRAM_RATE="1000000",
            TROLY_LOG_LEVEL="WARNING",
        )
        process = await asyncio.create_subprocess_exec(str(venv / "bin" / "troly"), "serve", env=env, cwd=data)
        try:
            await wait_healthy(session, url, process, within=300)
            load = Load(session, url, chats=1000)
            fake.listeners.append(load.on_call)
            await closed_loop(load.one, updates, 8)
            pids = [process.pid, *descendants(process.pid)]
            totals = [memory_of(pid) for pid in pids]
            for pid, (rss, pss) in zip(pids, totals, strict=True):
                print(f"    {_name(pid):<40} {rss / MB:5.0f} MB RSS, {pss / MB:4.0f} MB PSS")
        finally:
            process.terminate()
            await process.wait()
    return sum(rss for rss, _ in totals), sum(pss for _, pss in totals), len(pids)


def _name(pid: int) -> str:
    """What the process is: its command line, shortened (the core workers are multiprocessing spawns)."""
    words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    text = " ".join(word.decode(errors="replace") for word in words if word)
    return text.replace(str(Path(text.split()[0]).parent) + "/", "")[:40] if text else str(pid)


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="troly-footprint-") as scratch:
        venv = Path(args.venv) if args.venv else make_venv(Path(scratch) / "venv")
        data = Path(scratch) / "data"
        data.mkdir()
        check = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                f"import importlib.util as u; print([m for m in {HEAVY!r} if u.find_spec(m)])",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        plans = sorted(str(path) for path in (ROOT / "examples" / "plans").glob("*.txt"))
        subprocess.run(
            [str(venv / "bin" / "troly"), "ingest", *plans],
            env=environment(venv, data),
            cwd=data,
            check=True,
            capture_output=True,
        )
        size, biggest = tree_bytes(venv), largest_packages(venv)
        starts, cpu = cold_starts(venv, data, args.runs)
        chat_rss, chat_pss, _transcript = chat_memory(venv, data)
        serve_rss, serve_pss, processes = asyncio.run(serve_memory(venv, data, args.updates))
    print(
        f"default install ({'given' if args.venv else 'fresh'} venv), heavy libraries installed: {check.stdout.strip()}"
    )
    print(f"  venv size            {size / MB:8.0f} MB   (goal <= 500 MB)")
    for name, bytes_ in biggest:
        print(f"    {name:<30} {bytes_ / MB:6.1f} MB")
    print(
        f"  troly ask cold start {statistics.median(starts):8.2f} s    median of {args.runs} "
        f"(min {min(starts):.2f} s, max {max(starts):.2f} s; CPU {statistics.median(cpu):.2f} s; goal <= 1 s)"
    )
    print(f"  troly chat           {chat_rss / MB:8.0f} MB RSS, {chat_pss / MB:.0f} MB PSS")
    print(
        f"  troly serve, {processes} processes after {args.updates} updates: {serve_rss / MB:.0f} MB RSS, "
        f"{serve_pss / MB:.0f} MB PSS in all (goal <= 250 MB)"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts to time")
    parser.add_argument("--venv", help="measure this venv instead of installing a fresh one")
    parser.add_argument("--updates", type=int, default=300, help="webhook updates before serve's memory is read")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
