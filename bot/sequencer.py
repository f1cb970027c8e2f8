"""One user's messages are handled in the order they arrived, whatever the channel.

Channels hand messages to the core concurrently (Zalo answers its webhook at once and works in the background;
Telegram's PTB runs up to 64 updates at a time, and in polling mode a batch of one user's quick messages
arrives together). A dialog answer must never overtake its question, so every channel takes a `ticket` for
the user the moment a message arrives (synchronously: the place in the queue is the arrival order, not the
order in which tasks happen to reach an `await`), and enters it before calling the core. Entering waits until
every earlier ticket of the same user has been used up. Different users never wait for each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from types import TracebackType
from typing import TYPE_CHECKING

from bot.services import ServiceKey

if TYPE_CHECKING:
    from bot.app import Troly


class UserSequencer:
    """A chain of tickets per key; a key disappears when its last ticket is used."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    def ticket(self, channel: str, user_id: str) -> Ticket:
        """Reserve the next place for this user now; `async with` the ticket to wait for the earlier ones."""
        key = (channel, user_id)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        previous = self._tails.get(key)
        self._tails[key] = done
        return Ticket(self, key, previous, done)

    def waiting(self) -> int:
        """Users with a message being handled or queued (for tests and health figures)."""
        return len(self._tails)

    def _release(self, key: Hashable, done: asyncio.Future[None]) -> None:
        if not done.done():
            done.set_result(None)
        if self._tails.get(key) is done:
            del self._tails[key]


class Ticket:
    """A reserved place in one user's queue. Always use it (`async with`), even to give it back unused."""

    def __init__(
        self, owner: UserSequencer, key: Hashable, previous: asyncio.Future[None] | None, done: asyncio.Future[None]
    ) -> None:
        self._owner, self._key, self._previous, self._done = owner, key, previous, done

    async def __aenter__(self) -> None:
        if self._previous is None:
            return
        try:
            await asyncio.shield(self._previous)
        except BaseException:  # cancelled while waiting: the next ones go on once the earlier ones are done
            self._previous.add_done_callback(lambda _: self._owner._release(self._key, self._done))
            raise

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._owner._release(self._key, self._done)


# The one sequencer of a server process; every channel adapter takes its tickets here.
SEQUENCER: ServiceKey[UserSequencer] = ServiceKey("core.sequencer")


def sequencer(troly: Troly) -> UserSequencer:
    """The process's sequencer (made on first use)."""
    if SEQUENCER not in troly:
        troly.provide(SEQUENCER, UserSequencer)
    return troly[SEQUENCER]
