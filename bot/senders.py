"""What the core needs from a channel to push messages: one `send` with a classified result."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.messages import Outbound
from bot.services import ServiceKey


class SendStatus(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot or unfollowed: stop sending
    RATE_LIMITED = "rate_limited"  # try again after `retry_after`
    TRANSIENT = "transient"  # network or server trouble: retry with backoff
    UNREACHABLE = "unreachable"  # the channel forbids this send now (e.g. Zalo outside its window)
    INVALID = "invalid"  # our payload was refused: retrying will not help
    DEFERRED = "deferred"  # this process is stopping and did not send it: send it again from another


# The `detail` of an UNREACHABLE result when the user is outside the channel's window (as the channel itself
# judges it): delivery loops record it as the reason "outside_window".
OUTSIDE_WINDOW = "outside_window"


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    retry_after: float | None = None
    detail: str = ""
    message_id: str = ""  # the channel's id of the message sent (its last part), when the channel gives one

    @property
    def ok(self) -> bool:
        return self.status is SendStatus.SENT


class Sender(Protocol):
    """A channel's outgoing side. Implementations own their HTTP clients and close them in `aclose`.

    `bulk=True` marks announcement traffic: it must wait behind replies to users, which go first.
    """

    channel: str

    async def send(self, chat_id: str, message: Outbound, *, bulk: bool = False) -> SendResult: ...

    async def aclose(self) -> None: ...


# Where `troly serve` and `troly deliver` keep one sender per configured channel.
SENDERS: ServiceKey[dict[str, Sender]] = ServiceKey("senders")
