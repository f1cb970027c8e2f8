"""/dangky and /huydangky: a resident chooses the ward/commune whose announcements they want, or stops."""

from __future__ import annotations

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.storage.models import Area
from handlers.announcements.areas import MAX_CHOICES, communes, find_areas, label

DIALOG = "dangky"

ASK_AREA = (
    "Bạn muốn nhận thông báo của phường/xã nào? Bạn chọn trong danh sách dưới đây, "
    "hoặc gõ tên phường/xã (có dấu hay không dấu đều được), ví dụ: «Móng Cái 1»."
)
ASK_AREA_BY_NAME = "Bạn gõ tên phường/xã muốn nhận thông báo (có dấu hay không dấu đều được), ví dụ: «Móng Cái 1»."
NO_AREAS = "Hiện chưa có danh sách phường/xã nào để đăng ký. Bạn vui lòng quay lại sau nhé."
NOT_FOUND = "Mình không tìm thấy khu vực «{query}». Bạn kiểm tra lại tên, gõ tên khác, hoặc gửi /huy để thôi đăng ký."
SEVERAL = "Có vài khu vực gần giống «{query}». Bạn chọn một nhé:"
SUBSCRIBED = (
    "Bạn đã đăng ký nhận thông báo của {area}. Khi chính quyền có tin mới (lịch tiêm chủng, "
    "làm VNeID, cảnh báo lừa đảo...), mình sẽ gửi cho bạn. Gửi /huydangky nếu muốn ngừng nhận."
)
ALREADY = "Bạn đang nhận thông báo của {area} rồi. Gửi /huydangky nếu muốn ngừng nhận."
UNSUBSCRIBED = "Bạn đã ngừng nhận thông báo của {area}. Khi muốn nhận lại, bạn gửi /dangky nhé."
NOT_SUBSCRIBED = "Bạn chưa đăng ký nhận thông báo nào. Gửi /dangky để đăng ký."


def subscribe_command(ctx: Context) -> Reply:
    """`/dangky` asks for the area; `/dangky <name or code>` subscribes in one step when unambiguous."""
    if ctx.args:
        return _choose(ctx, ctx.args)
    options = communes(ctx.session)
    if not options:
        return NO_AREAS
    ctx.start_dialog(DIALOG, "area")
    if len(options) > MAX_CHOICES:
        return ASK_AREA_BY_NAME
    return Outbound(ASK_AREA, choices=_choices(options))


def subscribe_dialog(ctx: Context) -> Reply:
    return _choose(ctx, ctx.text)


def unsubscribe_command(ctx: Context) -> Reply:
    area = ctx.user.subscribed_area
    if area is None:
        return NOT_SUBSCRIBED
    ctx.user.subscribed_area_id = None
    return UNSUBSCRIBED.format(area=label(area))


def _choose(ctx: Context, query: str) -> Reply:
    query = query.strip()[:100]
    found = find_areas(ctx.session, query)
    if len(found) == 1:
        ctx.end_dialog()
        return _subscribe(ctx, found[0])
    ctx.start_dialog(DIALOG, "area")
    if not found:
        return NOT_FOUND.format(query=query)
    return Outbound(SEVERAL.format(query=query), choices=_choices(found[:MAX_CHOICES]))


def _subscribe(ctx: Context, area: Area) -> str:
    if ctx.user.subscribed_area_id == area.id:
        return ALREADY.format(area=label(area))
    ctx.user.subscribed_area_id = area.id
    return SUBSCRIBED.format(area=label(area))


def _choices(areas: list[Area]) -> tuple[Choice, ...]:
    return tuple(Choice(label=label(area), value=area.code) for area in areas)
