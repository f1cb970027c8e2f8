"""/thamgia CODE: a volunteer joins a community digital technology team with a single-use invite."""

from __future__ import annotations

from bot.app import Troly
from bot.context import Context, Reply
from bot.extensions import MEMBERSHIP_CHANGED
from bot.invites import InviteRefused, redeem_invite


def setup(troly: Troly) -> None:
    troly.router.command("thamgia", join_team, description="Tham gia Tổ công nghệ số cộng đồng bằng mã mời")


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
