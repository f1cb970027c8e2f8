"""What the webhook benchmarks share: the questions, a closed-loop load, percentiles, and CPU accounting."""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

QUESTIONS = (
    "cài vneid thế nào",
    "lam sao de dang ky dinh danh muc 2",
    "chữ ký số từ xa là gì",
    "nộp hồ sơ dịch vụ công trực tuyến ở đâu",
    "bị lừa chuyển tiền qua mạng thì làm gì",
)


async def closed_loop(one: Callable[[str], Awaitable[None]], count: int, concurrency: int) -> float:
    """`concurrency` clients each send their next question when the last is done, until `count` went out;
    returns the seconds it took."""
    counter = itertools.count()

    async def client() -> None:
        while (n := next(counter)) < count:
            await one(QUESTIONS[n % len(QUESTIONS)])

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.monotonic() - started


def percentiles(seconds: Sequence[float]) -> tuple[float, float, float]:
    """p50, p99 and max, in milliseconds."""
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


@dataclass(frozen=True)
class Costs:
    """CPU seconds of the server (with its core workers) and of this process, and the machine's CPU ticks in all
    and stolen by the hypervisor: on a shared virtual machine steal explains much of the run-to-run spread."""

    server: float
    bench: float
    machine_ticks: int
    stolen_ticks: int

    @classmethod
    def now(cls, server_pid: int) -> Costs:
        ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return cls(tree_cpu_seconds(server_pid), time.process_time(), sum(ticks), ticks[7])

    def __sub__(self, other: Costs) -> Costs:
        return Costs(
            self.server - other.server,
            self.bench - other.bench,
            self.machine_ticks - other.machine_ticks,
            self.stolen_ticks - other.stolen_ticks,
        )

    def report(self, count: int, unit: str) -> None:
        server, own = (seconds / count * 1000 for seconds in (self.server, self.bench))
        stolen = self.stolen_ticks / max(1, self.machine_ticks) * 100
        print(f"  server CPU   {server:8.2f} ms per {unit}, core workers included")
        print(f"  bench CPU    {own:8.2f} ms per {unit} (fake API and clients)")
        print(
            f"  machine      load average {os.getloadavg()[0]:.1f}, {stolen:.1f} % of CPU time stolen by the hypervisor"
        )


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (Linux /proc)."""
    stats = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        stats[int(path.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, ticks = {pid}, 0
    for child, (parent, used) in sorted(stats.items()):
        if child in tree or parent in tree:
            tree.add(child)
            ticks += used
    return ticks / os.sysconf("SC_CLK_TCK")
