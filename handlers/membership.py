"""Joining a community digital technology team: /thamgia CODE redeems an invite, /moi lets a leader invite a
member to their own team (the code, each channel's link and a QR code), and /toi shows who you are to the bot
(the channel, the id an administrator needs for `troly users grant`, your role and team)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.extensions import MEMBERSHIP_CHANGED
from bot.invites import InviteRefused, create_invite, redeem_invite
from bot.messages import Outbound
from bot.storage.models import Role
from bot.texts import ROLE_NAMES

if TYPE_CHECKING:
    from bot.app import Troly
    from bot.context import Context, Reply

CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "console": "cửa sổ dòng lệnh"}


def setup(troly: Troly) -> None:
    troly.router.command("thamgia", join_team, description="Tham gia Tổ công nghệ số cộng đồng bằng mã mời")
    troly.router.command("toi", who_am_i, description="Xem mã người dùng và vai trò của bạn")
    troly.router.command("moi", invite_member, description="Tạo mã mời thành viên vào tổ của bạn", roles=[Role.LEADER])


def join_team(ctx: Context) -> Reply:
    try:
        joined = redeem_invite(ctx.session, ctx.user, ctx.args, ctx.now)
    except InviteRefused as refusal:
        return str(refusal)
    ctx.audit("invite.redeem", target=f"user:{ctx.user.id}", details={"code": ctx.args.strip().upper()})
    for changed in ctx.troly.extensions[MEMBERSHIP_CHANGED]:
        changed(ctx.session, ctx.user, ctx.now)
    role = "tổ trưởng" if joined.role.value == "leader" else "thành viên"
    return (
        f"Chào mừng bạn! Bạn đã là {role} của {joined.team_name} ({joined.area_name}). "
        "Sau mỗi lần hỗ trợ một hộ dân, bạn gửi /ghinhan để ghi lại, và /baocao để xem kết quả."
    )


def who_am_i(ctx: Context) -> Reply:
    user = ctx.user
    channel = CHANNEL_NAMES.get(user.channel, user.channel)
    lines = [
        f"Bạn đang trò chuyện với trợ lý qua {channel}.",
        f"Mã người dùng của bạn: {user.channel_user_id}",
        f"Vai trò: {ROLE_NAMES[user.role.value]}",
    ]
    if user.team is not None:
        lines.append(f"Tổ: {user.team.name}")
    if user.area is not None:
        lines.append(f"Khu vực phụ trách: {user.area.name} (mã {user.area.code})")
    if user.role is Role.CITIZEN:
        lines += [
            "",
            "Khi cần được cấp vai trò, bạn gửi mã người dùng này cho quản trị viên. Quản trị viên dùng lệnh:",
            f"troly users grant --channel {user.channel} --user-id {user.channel_user_id} --role member --area MÃ",
        ]
    return "\n".join(lines)


def invite_member(ctx: Context) -> Reply:
    """A leader's invite for a new member of their own team, with the QR code to show on a phone."""
    from bot.onboarding import invite_lines, invite_links, qr_content, qr_png  # a QR encoder: only when asked

    team = ctx.user.team
    if team is None:
        return "Bạn chưa được gán vào tổ nào nên chưa tạo được mã mời. Bạn nhờ quản trị viên kiểm tra giúp nhé."
    hours = ctx.troly.settings.invite_valid_hours
    invite = create_invite(ctx.session, role=Role.MEMBER, area=team.area, team=team, now=ctx.now, hours=hours)
    ctx.audit("invite.create", target=f"team:{team.id}", details={"role": Role.MEMBER.value, "hours": hours})
    links = invite_links(ctx.troly, invite.code)  # what is known already: no network inside the transaction
    text = "\n".join(
        [
            f"Mã mời thành viên vào {team.name}: {invite.code}",
            f"Dùng một lần, hết hạn sau {hours} giờ.",
            *invite_lines(invite.code, links),
        ]
    )
    caption = "Người được mời quét mã QR này bằng camera điện thoại."
    return [Outbound(text), Outbound(caption, image=qr_png(qr_content(invite.code, links)))]
