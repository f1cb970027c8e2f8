"""Noticing that Zalo has stopped reaching troly, and telling the operators (bot/alerts.py).

Two ways the Zalo channel dies without an error anywhere:
- The signature configuration is wrong (a changed OA secret key, another app id): every event is refused
  with 403 and dropped, and after repeated failures Zalo disables the webhook. The webhook counts refused
  signatures; `TROLY_ZALO_REFUSED_SIGNATURES` of them within ten minutes raise an alert.
- The webhook is disabled or unreachable: nothing arrives at all. The job `zalo.webhook_watch` raises an
  alert when no Zalo event has come for `TROLY_ZALO_SILENCE_HOURS` while the OA has followers (Zalo's count
  from `getoa`, else the Zalo users troly knows who did not unfollow). Events are dated from what they
  leave in the database (users' last interaction, delivery receipts), so several server processes agree.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import func, select

from adapters.zalo.events import ANONYMOUS_PREFIX, CHANNEL
from adapters.zalo.models import ZaloOaState, ZaloReceipt
from bot.alerts import Alerts, alerts
from bot.app import Troly
from bot.storage.models import User

log = logging.getLogger(__name__)

SIGNATURE_WINDOW = 600.0  # seconds
JOB = "zalo.webhook_watch"


class SignatureWatch:
    """Counts refused signatures over a sliding window and raises the alert once the threshold is reached."""

    def __init__(self, alerts: Alerts, threshold: int, window: float = SIGNATURE_WINDOW) -> None:
        self.alerts = alerts
        self.threshold = threshold
        self.window = window
        self._refused: deque[float] = deque()
        self._tasks: set[asyncio.Task[bool]] = set()

    def refused(self, remote: str | None) -> None:
        now = time.monotonic()
        self._refused.append(now)
        while self._refused and now - self._refused[0] > self.window:
            self._refused.popleft()
        if len(self._refused) < self.threshold:
            return
        count = len(self._refused)
        self._refused.clear()
        text = (
            f"Zalo: {count} yêu cầu gửi tới webhook bị từ chối vì sai chữ ký trong {int(self.window // 60)} phút "
            "qua. Nếu đó là Zalo thì mọi tin nhắn của người dân đang bị bỏ qua, và Zalo sẽ tắt webhook sau nhiều "
            "lần lỗi: kiểm tra TROLY_ZALO_OA_SECRET_KEY (khóa bí mật của OA, khác khóa của ứng dụng) và "
            "TROLY_ZALO_APP_ID."
        )
        details = {"count": count, "last_remote": remote or ""}
        task = asyncio.ensure_future(
            asyncio.to_thread(self.alerts.raise_alert, "zalo.signatures_refused", text, details)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def watch_webhook(troly: Troly, now: datetime) -> bool:
    """The job: raise the silence alert when due; True when it was raised."""
    settings = troly.settings
    with troly.database.transaction() as session:
        state = session.get(ZaloOaState, settings.zalo_app_id)
        if state is None:
            state = ZaloOaState(app_id=settings.zalo_app_id, watch_since=now)
            session.add(state)
        elif state.watch_since is None:
            state.watch_since = now
        zalo_users = (User.channel == CHANNEL, User.channel_user_id.not_like(f"{ANONYMOUS_PREFIX}%"))
        last_user = session.scalar(select(func.max(User.last_interaction_at)).where(*zalo_users))
        last_receipt = session.scalar(select(func.max(ZaloReceipt.updated_at)))
        followers = state.followers
        if followers is None:
            followers = session.scalar(select(func.count()).where(*zalo_users, User.blocked.is_(False))) or 0
        heard = max(moment for moment in (last_user, last_receipt, state.watch_since) if moment is not None)
    silence = now - heard
    if not followers or silence < timedelta(hours=settings.zalo_silence_hours):
        return False
    text = (
        f"Zalo: đã {silence.total_seconds() / 3600:.0f} giờ không nhận được sự kiện nào từ Zalo, trong khi OA có "
        f"{followers} người quan tâm. Webhook có thể đã bị Zalo tắt (sau nhiều lần gọi lỗi) hoặc không tới được "
        "máy chủ: kiểm tra địa chỉ webhook và các sự kiện đã bật trong trang quản lý ứng dụng Zalo, rồi nhắn thử "
        "cho OA. Xem: troly zalo status"
    )
    details = {"last_event": heard.isoformat(), "followers": followers}
    return alerts(troly).raise_alert("zalo.webhook_silent", text, details)
