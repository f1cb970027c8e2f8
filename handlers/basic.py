"""Greeting, /start, /trogiup and small talk: what a newcomer sees first, and what "cảm ơn" or "ok" gets.

Small talk (thanks, greetings, goodbyes, "ok", insults, emoji) is recognised by knowledge.smalltalk and answered
with a short natural reply instead of a search; the first greeting also introduces the bot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.messages import Outbound

if TYPE_CHECKING:
    from bot.app import Troly
    from bot.context import Context, Reply

SMALLTALK_META = {"kind": "smalltalk"}

INTRO = (
    "Xin chào{name}! Mình là troly, trợ lý số của Tổ công nghệ số cộng đồng. "
    "Mình có thể hướng dẫn bạn cài và dùng VNeID, đăng ký định danh điện tử mức 2, chữ ký số từ xa, "
    "dịch vụ công trực tuyến, thanh toán số, và cách phòng tránh lừa đảo trên mạng."
)
ASK_HINT = "Bạn cứ gõ câu hỏi như khi nói chuyện, có dấu hay không dấu đều được, ví dụ: «cài vneid thế nào»."


def setup(troly: Troly) -> None:
    troly.router.command("start", start, description="Bắt đầu trò chuyện với trợ lý", menu=False)
    troly.router.command("trogiup", show_help, description="Xem trợ lý giúp được những gì")
    troly.router.text(small_talk, when=is_small_talk)


def is_small_talk(text: str) -> bool:
    """A whole message that only says hello, thanks, ok, bye, praises, insults or is emoji."""
    from knowledge import smalltalk  # here, not at the top: every `troly` command loads this plugin

    return smalltalk.classify(text) is not None


def is_greeting(text: str) -> bool:
    from knowledge import smalltalk

    return smalltalk.classify(text) is smalltalk.Kind.GREETING


def small_talk(ctx: Context) -> Outbound:
    """Greetings introduce the bot; the rest get a short reply (knowledge.smalltalk.REPLIES)."""
    from knowledge import smalltalk

    kind = smalltalk.classify(ctx.text)
    if kind is smalltalk.Kind.GREETING or kind is None:
        return greet(ctx)
    return Outbound(smalltalk.reply(kind), meta=SMALLTALK_META)


def greet(ctx: Context) -> Outbound:
    name = f" {ctx.user.display_name}" if ctx.user.display_name else ""
    text = f"{INTRO.format(name=name)}\n\n{ASK_HINT}\nGửi /trogiup để xem tất cả các chức năng."
    return Outbound(text, meta=SMALLTALK_META)


def start(ctx: Context) -> Reply:
    """`/start` (with an invite code when opened from an invite link) greets and shows the help."""
    if ctx.args and "thamgia" in ctx.troly.router.commands:
        return ctx.troly.router.run_command(ctx, "thamgia")
    return [greet(ctx), *help_messages(ctx)]


def show_help(ctx: Context) -> Reply:
    return help_messages(ctx)


def help_messages(ctx: Context) -> list[Outbound]:
    lines = [
        "Mình có thể giúp bạn những việc sau:",
        "",
        "• Hỏi đáp: gõ câu hỏi bất kỳ về VNeID, chữ ký số, "
        "dịch vụ công trực tuyến, thanh toán số, lừa đảo qua mạng, kế hoạch chuyển đổi số của địa phương.",
        "",
    ]
    lines.append("Các lệnh:")
    for command in ctx.troly.router.menu():
        allowed = command.roles is None or ctx.user.role in command.roles
        if allowed:
            lines.append(f"/{command.name} – {command.description}")
    lines += ["", ctx.help_line()]
    return [Outbound("\n".join(lines))]
