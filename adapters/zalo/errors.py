"""What Zalo's `error` codes mean for us. Zalo answers HTTP 200 even on failure, so every body is read.

The table follows Zalo's list of Official Account API error codes (docs/zalo.md says where it comes from);
every code listed there has a row. What we do about a code decides whether a send is tried again:
- the token is refreshed and the send retried once (-216, -220, -124);
- a rate or quota limit waits, then retries (-32, -211, -234);
- this user cannot get messages now, or ever (window, not following, restricted, inactive): give up, no retry;
- our message was refused (a bad parameter, the platform's content standards -248, a template -249): no
  retry, except that a message with buttons is sent once more as plain text;
- the OA or app lacks a permission or setting (-209, -212, -221, -223, -224, -235, -240, -242, -320…): no
  retry (it would fail the same way until an admin acts), an operator alert instead;
- a code not in Zalo's list (or a documented temporary one) is retried once, then the send fails: an unknown
  code must not be retried forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.senders import SendStatus


class Action(StrEnum):
    OK = "ok"
    REFRESH = "refresh"  # the access token is invalid or expired: refresh it and retry once
    BACK_OFF = "back_off"  # too many calls, quota, night hours: wait, then retry
    GIVE_UP = "give_up"  # this user cannot be messaged now (window, inactive, receive limit)
    BLOCKED = "blocked"  # this user does not want our messages: remember it
    FIX = "fix"  # our payload was refused: simplify it once (buttons), then give up and log
    REFUSED = "refused"  # the platform refuses this content or message kind: never retried
    CONFIGURE = "configure"  # the OA/app lacks a permission or setting: an admin must act; never retried
    RETRY_ONCE = "retry_once"  # unknown or temporary trouble: one more try, then the send fails


@dataclass(frozen=True, slots=True)
class Meaning:
    action: Action
    status: SendStatus
    reason: str
    retry_after: float | None = None


TOKEN_ERRORS = frozenset({-124, -216, -220})
ATTACHMENT_EXPIRED = -100


def _m(action: Action, status: SendStatus, reason: str, retry_after: float | None = None) -> Meaning:
    return Meaning(action, status, reason, retry_after)


_REFRESH, _TRANSIENT = Action.REFRESH, SendStatus.TRANSIENT
_CONFIGURE, _INVALID = Action.CONFIGURE, SendStatus.INVALID

_TABLE: dict[int, Meaning] = {
    0: _m(Action.OK, SendStatus.SENT, "sent"),
    # The token.
    -124: _m(_REFRESH, _TRANSIENT, "access token invalid"),
    -216: _m(_REFRESH, _TRANSIENT, "access token is invalid"),
    -220: _m(_REFRESH, _TRANSIENT, "access_token is expired or removed"),
    # Limits: wait, then retry.
    -32: _m(Action.BACK_OFF, SendStatus.RATE_LIMITED, "app or OA reached its API call limit", 60.0),
    -211: _m(Action.BACK_OFF, SendStatus.RATE_LIMITED, "out of quota", 3600.0),
    -234: _m(Action.BACK_OFF, SendStatus.RATE_LIMITED, "this message cannot be sent at night (22:00-06:00)", 3600.0),
    # This user, now or for good.
    -213: _m(Action.BLOCKED, SendStatus.BLOCKED, "user has not followed the OA"),
    -217: _m(Action.BLOCKED, SendStatus.BLOCKED, "user has blocked invitations from the OA"),
    -244: _m(Action.BLOCKED, SendStatus.BLOCKED, "user has restricted this message type from the OA"),
    -218: _m(Action.GIVE_UP, SendStatus.UNREACHABLE, "user reached the limit of messages they can receive"),
    -227: _m(Action.GIVE_UP, SendStatus.UNREACHABLE, "user is banned or inactive for more than 45 days"),
    -230: _m(Action.GIVE_UP, SendStatus.UNREACHABLE, "user has not interacted with the OA in the past 7 days"),
    -232: _m(Action.GIVE_UP, SendStatus.UNREACHABLE, "user has not interacted, or the last interaction expired"),
    # Our message.
    -100: _m(Action.FIX, _INVALID, "attachment_id was expired"),
    -200: _m(Action.RETRY_ONCE, _TRANSIENT, "send message failed"),
    -201: _m(Action.FIX, _INVALID, "a parameter is invalid"),
    -210: _m(Action.FIX, _INVALID, "a parameter exceeds the allowed limit"),
    -233: _m(Action.FIX, _INVALID, "message type is invalid or not supported"),
    -237: _m(Action.REFUSED, _INVALID, "the group is disabled"),
    -238: _m(Action.REFUSED, _INVALID, "asset_id is already used or disabled"),
    -241: _m(Action.REFUSED, _INVALID, "asset_id is already used"),
    -248: _m(Action.REFUSED, _INVALID, "the message violates Zalo's platform standards"),
    -249: _m(Action.REFUSED, _INVALID, "the template does not support sending by user id"),
    -403: _m(Action.REFUSED, _INVALID, "the OA is not in the group"),
    -214: _m(Action.RETRY_ONCE, _TRANSIENT, "article is being processed"),
    # The OA or the app: an admin must act.
    -204: _m(_CONFIGURE, _INVALID, "Official Account is disabled"),
    -205: _m(_CONFIGURE, _INVALID, "Official Account does not exist"),
    -209: _m(_CONFIGURE, _INVALID, "API not supported for this app (not activated)"),
    -212: _m(_CONFIGURE, _INVALID, "the OA has not registered this API"),
    -219: _m(_CONFIGURE, _INVALID, "the app is removed or disabled"),
    -221: _m(_CONFIGURE, _INVALID, "the OA must be verified to use this feature"),
    -223: _m(_CONFIGURE, _INVALID, "the OA has not authorised this API (or reached its article quota)"),
    -224: _m(_CONFIGURE, _INVALID, "the OA must upgrade its tier package"),
    -235: _m(_CONFIGURE, _INVALID, "this API does not support this type of OA"),
    -240: _m(_CONFIGURE, _INVALID, "MessageV2 API has been shut down; MessageV3 is required"),
    -242: _m(_CONFIGURE, _INVALID, "invalid appsecret_proof in the API call"),
    -320: _m(_CONFIGURE, _INVALID, "the app must be connected to a Zalo Cloud Account"),
    -321: _m(_CONFIGURE, _INVALID, "the Zalo Cloud Account is out of money or cannot be charged"),
}


def classify(code: int) -> Meaning:
    found = _TABLE.get(code)
    if found is not None:
        return found
    return Meaning(Action.RETRY_ONCE, SendStatus.TRANSIENT, f"unknown Zalo error {code}", 30.0)


def table() -> dict[int, Meaning]:
    """The whole classification, for documentation and tests."""
    return dict(_TABLE)
