"""Typed keys for the services features share through the app object, in the manner of aiohttp's AppKey."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


class ServiceKey(Generic[T]):
    """Names a service and carries its type, so `troly[KEY]` is typed without casts at the call site."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ServiceKey({self.name!r})"


class ServiceRegistry:
    """Holds services, building lazy ones on first use so start-up stays fast when they are not needed.

    Channels handle messages in worker threads, so two first questions can ask for the same lazy service at
    once: building happens under a lock (re-entrant, since a factory may ask for another service) so each
    factory runs once.
    """

    def __init__(self) -> None:
        self._values: dict[ServiceKey[Any], Any] = {}
        self._factories: dict[ServiceKey[Any], Callable[[], Any]] = {}
        self._building = threading.RLock()

    def provide(self, key: ServiceKey[T], factory: Callable[[], T]) -> None:
        self._factories[key] = factory
        self._values.pop(key, None)

    def __setitem__(self, key: ServiceKey[T], value: T) -> None:
        self._values[key] = value

    def __getitem__(self, key: ServiceKey[T]) -> T:
        if key not in self._values:
            with self._building:
                if key not in self._values:
                    if key not in self._factories:
                        raise KeyError(f"service {key.name!r} is not provided (is its plugin enabled?)")
                    self._values[key] = self._factories[key]()
        return cast(T, self._values[key])

    def built(self, key: ServiceKey[Any]) -> bool:
        """Whether the service exists already (a lazy one has been built)."""
        return key in self._values

    def __contains__(self, key: ServiceKey[Any]) -> bool:
        return key in self._values or key in self._factories
