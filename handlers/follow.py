"""Follow, unfollow and open events (Zalo OA today; any channel that reports them): welcome, and stop sending.

A follower is greeted and offered the ward's announcements (the `/dangky` command of the announcements
feature, offered only when that feature is installed). Someone who opens the chat for the first time
(Zalo's «Nhắn tin» button, before writing anything) gets the same welcome; someone who comes back does not
(the event still counts as an interaction for the channel's window). Someone who unfollows is unsubscribed
and marked blocked, so announcement delivery skips them until they write again (the core clears the flag).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.messages import Choice, Outbound

if TYPE_CHECKING:
    from bot.app import Troly
    from bot.context import Context, Reply

SUBSCRIBE_COMMAND = "dangky"
WELCOME = (
    "Cảm ơn bạn đã quan tâm! Mình là troly, trợ lý số của Tổ công nghệ số cộng đồng. "
    "Bạn cứ gõ câu hỏi về VNeID, định danh điện tử mức 2, dịch vụ công trực tuyến, chữ ký số, "
    "thanh toán số hay cách phòng tránh lừa đảo trên mạng, có dấu hay không dấu đều được. "
    "Gửi /trogiup để xem tất cả các chức năng."
)
OFFER = "Bạn có muốn nhận thông báo của phường/xã nơi bạn ở qua đây không?"


def setup(troly: Troly) -> None:
    troly.router.event("follow", welcome_follower)
    troly.router.event("unfollow", forget_follower)
    troly.router.event("open", greet_newcomer)


def welcome_follower(ctx: Context) -> Reply:
    if SUBSCRIBE_COMMAND not in ctx.troly.router.commands:
        return WELCOME
    return Outbound(f"{WELCOME}\n\n{OFFER}", choices=(Choice("Đăng ký nhận thông báo", f"/{SUBSCRIBE_COMMAND}"),))


def greet_newcomer(ctx: Context) -> Reply:
    """Only a first visit is greeted: the core created this user's row in this very message."""
    if ctx.user.created_at != ctx.now:
        return None
    return welcome_follower(ctx)


def forget_follower(ctx: Context) -> Reply:
    ctx.user.subscribed_area_id = None
    ctx.user.blocked = True
    ctx.end_dialog()
    return None
