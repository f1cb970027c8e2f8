"""Signing in without passwords: one-time links, session cookies, CSRF tokens, machine tokens.

A link from /web (or `troly web-login`) holds 32 random bytes; only their SHA-256 is stored, it is valid for
10 minutes and is spent by the first sign-in. The session cookie is another random secret, stored hashed too,
ended by logout, by the user from the sessions page, or after `web_idle_minutes` without a request. The CSRF
token of a session is an HMAC of the session's secret: forms carry it, a cross-site page cannot read it, and
the server keeps no extra state for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.console import CONSOLE_ROLES
from bot.storage.models import AuditLog, User
from handlers.dashboard.models import ApiToken, LoginLink, WebSession

LINK_VALIDITY = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)  # even an active session signs in again after this
LOGIN_PATH = "/quan-ly/dang-nhap"


class LoginRefused(Exception):
    """The link cannot sign anyone in; the message is ready for the page."""


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_for(session_secret: str) -> str:
    return hmac.new(session_secret.encode(), b"troly-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_secret: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(csrf_for(session_secret), given)


def base_url(public_url: str, host: str, port: int) -> str:
    """TROLY_PUBLIC_URL when set, else the address `troly serve` listens on."""
    return public_url.rstrip("/") if public_url else f"http://{host}:{port}"


def create_link(session: Session, user: User, now: datetime) -> str:
    """A fresh one-time secret for `user` (leader, official or admin); returns the secret to put in the link."""
    if user.role not in CONSOLE_ROLES:
        raise LoginRefused("Chỉ tổ trưởng, cán bộ và quản trị viên mới đăng nhập trang quản lý được.")
    secret = new_secret()
    session.add(LoginLink(token_hash=digest(secret), user_id=user.id, created_at=now, expires_at=now + LINK_VALIDITY))
    session.flush()
    return secret


def check_link(session: Session, secret: str, now: datetime, *, lock: bool = True) -> LoginLink:
    """The link if it can still sign in, else LoginRefused (unknown, used, expired, or the role was taken).

    Redeeming locks the row (two clicks sign in once); the page before it only looks, in a read-only session."""
    query = select(LoginLink).where(LoginLink.token_hash == digest(secret))
    link = session.scalar(query.with_for_update() if lock else query)
    if link is None:
        raise LoginRefused("Liên kết đăng nhập không đúng. Bạn gửi /web cho trợ lý để nhận liên kết mới nhé.")
    if link.used_at is not None:
        raise LoginRefused(
            "Liên kết này đã được dùng rồi. Mỗi liên kết chỉ đăng nhập được một lần; gửi /web để lấy mới."
        )
    if link.expires_at <= now:
        raise LoginRefused("Liên kết này đã hết hạn (chỉ dùng được trong 10 phút). Bạn gửi /web để lấy liên kết mới.")
    user = session.get(User, link.user_id)
    if user is None or user.role not in CONSOLE_ROLES:
        raise LoginRefused("Tài khoản này không còn quyền vào trang quản lý.")
    return link


@dataclass(frozen=True, slots=True)
class SignedIn:
    secret: str  # the cookie's value
    session_id: int
    user_id: int


def redeem_link(session: Session, secret: str, now: datetime, user_agent: str) -> SignedIn:
    """Spend the link and open a session, in the caller's transaction (the link row is locked first)."""
    link = check_link(session, secret, now)
    link.used_at = now
    cookie = new_secret()
    web = WebSession(
        token_hash=digest(cookie), user_id=link.user_id, created_at=now, last_seen_at=now, user_agent=user_agent[:200]
    )
    session.add(web)
    session.flush()
    session.add(
        AuditLog(
            at=now,
            actor_user_id=link.user_id,
            actor_label=f"web:{link.user_id}",
            action="web.login",
            target=f"web_session:{web.id}",
            details={"user_agent": user_agent[:120]},
        )
    )
    return SignedIn(cookie, web.id, link.user_id)


def find_session(session: Session, cookie: str, now: datetime, idle: timedelta) -> WebSession | None:
    """The live session behind a cookie, or None (unknown, ended, idle too long, too old, role taken away)."""
    if not cookie or len(cookie) > 100:
        return None
    web = session.scalar(select(WebSession).where(WebSession.token_hash == digest(cookie)))
    if web is None or web.ended_at is not None:
        return None
    if now - web.last_seen_at > idle or now - web.created_at > SESSION_LIFETIME:
        return None
    if web.user.role not in CONSOLE_ROLES:
        return None
    return web


def touch(session: Session, session_id: int, now: datetime) -> None:
    """Keep an active session alive; written at most once a minute so page views do not all write."""
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.last_seen_at < now - timedelta(minutes=1))
        .values(last_seen_at=now)
    )


def end_session(session: Session, user_id: int, session_id: int, now: datetime, action: str) -> bool:
    """End one of the user's own sessions; False when there is no such live session of theirs."""
    ended = session.execute(  # type: ignore[attr-defined]
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=now)
    ).rowcount
    if ended:
        session.add(
            AuditLog(
                at=now,
                actor_user_id=user_id,
                actor_label=f"web:{user_id}",
                action=action,
                target=f"web_session:{session_id}",
                details={"via": "web"},
            )
        )
    return bool(ended)


def live_sessions(session: Session, user_id: int, now: datetime, idle: timedelta) -> list[WebSession]:
    query = (
        select(WebSession)
        .where(
            WebSession.user_id == user_id,
            WebSession.ended_at.is_(None),
            WebSession.last_seen_at > now - idle,
            WebSession.created_at > now - SESSION_LIFETIME,
        )
        .order_by(WebSession.last_seen_at.desc())
    )
    return list(session.scalars(query))


def create_api_token(session: Session, name: str, area_id: int, now: datetime) -> str:
    secret = "troly_" + new_secret()
    session.add(ApiToken(name=name[:100], token_hash=digest(secret), area_id=area_id, created_at=now))
    session.flush()
    return secret


def find_api_token(session: Session, secret: str, now: datetime) -> ApiToken | None:
    if not secret.startswith("troly_") or len(secret) > 100:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return token
