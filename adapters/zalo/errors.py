"""What Zalo's `error` codes mean for us. Zalo answers HTTP 200 even on failure, so every body is read.

The table is the reference for docs/zalo.md; codes not listed are treated as transient and logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.senders import SendStatus


class Action(StrEnum):
    OK = "ok"
    REFRESH = "refresh"  # the access token is invalid or expired: refresh it and retry once
    BACK_OFF = "back_off"  # too many calls: wait, then retry
    GIVE_UP = "give_up"  # this user cannot be messaged now (window, not following, inactive)
    BLOCKED = "blocked"  # this user does not want our messages: remember it
    FIX = "fix"  # our payload was refused: simplify it once, then give up and log
    CONFIGURE = "configure"  # the OA/app is not set up for this: an admin must act; retry later
    RETRY = "retry"  # unknown or temporary trouble


@dataclass(frozen=True, slots=True)
class Meaning:
    action: Action
    status: SendStatus
    reason: str
    retry_after: float | None = None


TOKEN_ERRORS = frozenset({-124, -216, -220})

_TABLE: dict[int, Meaning] = {
    0: Meaning(Action.OK, SendStatus.SENT, "sent"),
    -124: Meaning(Action.REFRESH, SendStatus.TRANSIENT, "access token invalid"),
    -216: Meaning(Action.REFRESH, SendStatus.TRANSIENT, "access token invalid"),
    -220: Meaning(Action.REFRESH, SendStatus.TRANSIENT, "access token expired or removed"),
    -32: Meaning(Action.BACK_OFF, SendStatus.RATE_LIMITED, "app reached its API call limit", 60.0),
    -211: Meaning(Action.BACK_OFF, SendStatus.RATE_LIMITED, "OA message quota used up", 3600.0),
    -213: Meaning(Action.BLOCKED, SendStatus.BLOCKED, "user does not follow the OA"),
    -244: Meaning(Action.BLOCKED, SendStatus.BLOCKED, "user restricted this message type from the OA"),
    -230: Meaning(Action.GIVE_UP, SendStatus.UNREACHABLE, "user has not interacted with the OA in 7 days"),
    -232: Meaning(Action.GIVE_UP, SendStatus.UNREACHABLE, "user has no interaction that allows this message"),
    -227: Meaning(Action.GIVE_UP, SendStatus.UNREACHABLE, "user is banned or inactive for more than 45 days"),
    -218: Meaning(Action.GIVE_UP, SendStatus.UNREACHABLE, "user reached the limit of messages they can receive"),
    -201: Meaning(Action.FIX, SendStatus.INVALID, "invalid parameter in the message"),
    -210: Meaning(Action.FIX, SendStatus.INVALID, "parameter exceeds the allowed limit"),
    -233: Meaning(Action.FIX, SendStatus.INVALID, "message type invalid or not supported"),
    -100: Meaning(Action.FIX, SendStatus.INVALID, "attachment expired"),
    -200: Meaning(Action.FIX, SendStatus.INVALID, "send message failed"),
    -204: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "Official Account is disabled"),
    -205: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "Official Account does not exist"),
    -209: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "API not supported for this app"),
    -212: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "app has not registered this API"),
    -219: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "app is removed or disabled"),
    -221: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "OA must be verified for this feature"),
    -223: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "OA has not authorised this API for the app"),
    -224: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "OA service package must be upgraded"),
    -235: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "API does not support this type of OA"),
    -320: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "app must be linked to a Zalo Cloud Account"),
    -321: Meaning(Action.CONFIGURE, SendStatus.TRANSIENT, "Zalo Cloud Account cannot pay"),
}


def classify(code: int) -> Meaning:
    found = _TABLE.get(code)
    if found is not None:
        return found
    return Meaning(Action.RETRY, SendStatus.TRANSIENT, f"unknown Zalo error {code}", 30.0)


def table() -> dict[int, Meaning]:
    """The whole classification, for documentation and tests."""
    return dict(_TABLE)
