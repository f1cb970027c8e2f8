"""Zalo members' names, and the OA's own information, fetched by a scheduled job.

Zalo's webhook events carry no names, so a Zalo member would appear as "thành viên #id" in /baocao. The job
`zalo.profiles` asks `GET /v3.0/oa/user/detail` for the display name of every Zalo user who holds a role
(member, leader, official, admin: the people reports name; citizens' names are not needed, Decree
13/2023) and whose name is missing or older than a week, at most `BATCH` per run, and keeps it in
`zalo_profiles` and `users.display_name`. A failure (network, token, a user Zalo no longer knows) is
counted and tolerated: the old name stays and the user is tried again at the next run. The same run reads
`GET /v2.0/oa/getoa` (name, verification, type, followers) for `troly zalo status` and the webhook watch.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from adapters.zalo.api import ZaloApi
from adapters.zalo.events import ANONYMOUS_PREFIX, CHANNEL
from adapters.zalo.models import ZaloOaState, ZaloProfile
from adapters.zalo.tokens import RefreshFailed, TokenManager
from bot.app import Troly
from bot.storage.models import Role, User

log = logging.getLogger(__name__)

JOB = "zalo.profiles"
EVERY = timedelta(hours=6)  # new members are named within hours; each name is refreshed weekly
STALE = timedelta(days=7)
BATCH = 100
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class OaInfo:
    oa_id: str
    name: str
    is_verified: bool | None
    oa_type: str
    package_name: str
    followers: int | None


def parse_oa_info(data: dict[str, Any]) -> OaInfo:
    followers = data.get("num_follower")
    return OaInfo(
        oa_id=str(data.get("oa_id") or data.get("oaid") or "")[:64],
        name=str(data.get("name") or "")[:200],
        is_verified=data["is_verified"] if isinstance(data.get("is_verified"), bool) else None,
        oa_type=str(data.get("oa_type") if data.get("oa_type") is not None else "")[:64],
        package_name=str(data.get("package_name") or "")[:100],
        followers=followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
    )


def users_to_name(troly: Troly, now: datetime) -> list[str]:
    """Zalo users with a role whose name is missing or stale (oldest first)."""
    with troly.database.sessions() as session:
        query = (
            select(User.channel_user_id)
            .outerjoin(ZaloProfile, ZaloProfile.user_id == User.channel_user_id)
            .where(User.channel == CHANNEL, User.role != Role.CITIZEN)
            .where(User.channel_user_id.not_like(f"{ANONYMOUS_PREFIX}%"))
            .where(or_(ZaloProfile.fetched_at.is_(None), ZaloProfile.fetched_at < now - STALE))
            .order_by(ZaloProfile.fetched_at.is_not(None), ZaloProfile.fetched_at, User.id)
            .limit(BATCH)
        )
        return list(session.scalars(query))


def refresh_profiles(troly: Troly, now: datetime) -> dict[str, int]:
    """The job: names of members, and the OA's information; returns counts for the log."""
    from adapters.zalo.sender import sender_for

    sender = sender_for(troly)
    if sender is None:
        return {}
    wanted = users_to_name(troly, now)
    answers, info = asyncio.run(_fetch(sender.api, sender.tokens, wanted))
    named = failed = 0
    for user_id in wanted:
        answer = answers.get(user_id)
        if answer is not None and _save_name(troly, user_id, answer, now):
            named += 1
        else:
            failed += 1
            _count_failure(troly, user_id)
    if info is not None:
        save_oa_info(troly, info, now)
    if wanted:
        log.info("zalo: %d member name(s) refreshed, %d failed (kept as they were)", named, failed)
    return {"named": named, "failed": failed}


async def _fetch(
    api: ZaloApi, tokens: TokenManager, user_ids: list[str]
) -> tuple[dict[str, dict[str, Any]], OaInfo | None]:
    found: dict[str, dict[str, Any]] = {}
    info = None
    try:
        token = await tokens.access_token()
        for user_id in user_ids:
            code, reason, data = await api.user_detail(token, user_id)
            if code == 0 and data:
                found[user_id] = data
            else:
                log.info("zalo: user/detail failed (%s %s)", code, reason)
        code, reason, data = await api.oa_info(token)
        info = parse_oa_info(data) if code == 0 and data else None
    except RefreshFailed as error:
        log.warning("zalo: profiles not refreshed, no access token: %s", error)
    finally:
        await api.close()
    return found, info


async def fetch_oa_info(api: ZaloApi, tokens: TokenManager) -> OaInfo | str:
    """getoa now; the reason as text when Zalo does not answer."""
    try:
        token = await tokens.access_token()
        code, reason, data = await api.oa_info(token)
    except RefreshFailed as error:
        return f"không có mã truy cập: {error}"
    finally:
        await api.close()
    if code != 0 or not data:
        return f"Zalo trả lời lỗi {code}: {reason}"
    return parse_oa_info(data)


def save_oa_info(troly: Troly, info: OaInfo, now: datetime) -> None:
    with troly.database.transaction() as session:
        state = session.get(ZaloOaState, troly.settings.zalo_app_id)
        if state is None:
            state = ZaloOaState(app_id=troly.settings.zalo_app_id)
            session.add(state)
        state.oa_id, state.name, state.is_verified = info.oa_id, info.name, info.is_verified
        state.oa_type, state.package_name, state.followers = info.oa_type, info.package_name, info.followers
        state.checked_at = now


def _save_name(troly: Troly, user_id: str, data: dict[str, Any], now: datetime) -> bool:
    name = data.get("display_name")
    if not isinstance(name, str) or not name.strip():
        return False
    name = " ".join(name.split())[:MAX_NAME]
    follower = data.get("user_is_follower")
    with troly.database.transaction() as session:
        profile = session.get(ZaloProfile, user_id)
        if profile is None:
            profile = ZaloProfile(user_id=user_id, failures=0)
            session.add(profile)
        previous = profile.display_name
        profile.display_name, profile.fetched_at, profile.failures = name, now, 0
        profile.is_follower = follower if isinstance(follower, bool) else None
        user = session.scalar(select(User).where(User.channel == CHANNEL, User.channel_user_id == user_id))
        if user is not None and user.display_name in ("", previous):  # never overwrite a name set otherwise
            user.display_name = name
    return True


def _count_failure(troly: Troly, user_id: str) -> None:
    with troly.database.transaction() as session:
        profile = session.get(ZaloProfile, user_id)
        if profile is None:
            session.add(ZaloProfile(user_id=user_id, failures=1))
        else:
            profile.failures += 1
