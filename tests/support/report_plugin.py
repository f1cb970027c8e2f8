"""A test plugin loaded by name (TROLY_PLUGINS): read-only commands, to watch where and how the core runs them.

`/tonghop N` reads the users table, waits N seconds and answers with its process id; `/ghithu` tries to write
(which a read-only command must not be able to do); `/xemnhatky` leaves an audit row.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import func, select

from bot.app import Troly
from bot.context import Context, Reply
from bot.storage.models import Area, AreaLevel, User


def setup(troly: Troly) -> None:
    router = troly.router
    router.command("tonghop", slow_report, description="Báo cáo chậm (kiểm thử)", menu=False, read_only=True)
    router.command("ghithu", tries_to_write, description="Ghi thử (kiểm thử)", menu=False, read_only=True)
    router.command("xemnhatky", audited_read, description="Đọc có ghi nhật ký (kiểm thử)", menu=False, read_only=True)


def slow_report(ctx: Context) -> Reply:
    users = ctx.session.scalar(select(func.count()).select_from(User))
    time.sleep(float(ctx.args or "0"))
    return f"tổng hợp xong {os.getpid()}: {users} người dùng"


def tries_to_write(ctx: Context) -> Reply:
    ctx.session.add(Area(code="GHI-THU", name="Ghi thử", level=AreaLevel.COMMUNE))
    ctx.session.flush()
    return "đã ghi"


def audited_read(ctx: Context) -> Reply:
    ctx.audit("report.read", target="test")
    return "đã đọc"
