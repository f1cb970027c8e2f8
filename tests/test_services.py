"""Lazy services are built once, even when several worker threads ask for them at the same moment."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bot.services import ServiceKey, ServiceRegistry

SLOW: ServiceKey[list[int]] = ServiceKey("slow")
INNER: ServiceKey[int] = ServiceKey("inner")


def test_concurrent_first_use_builds_once() -> None:
    registry = ServiceRegistry()
    calls: list[int] = []
    barrier = threading.Barrier(8)

    def build() -> list[int]:
        calls.append(threading.get_ident())
        time.sleep(0.1)  # an index being loaded
        return [len(calls)]

    registry.provide(SLOW, build)

    def first_use() -> list[int]:
        barrier.wait()
        return registry[SLOW]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: first_use(), range(8)))
    assert len(calls) == 1
    assert all(result is results[0] for result in results)


def test_a_factory_may_use_another_service() -> None:
    registry = ServiceRegistry()
    registry.provide(INNER, lambda: 41)
    registry.provide(SLOW, lambda: [registry[INNER] + 1])
    assert registry[SLOW] == [42]
