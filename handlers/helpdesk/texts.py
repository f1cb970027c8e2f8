"""What citizens and members read, in one place so the wording stays consistent (short: people read on phones)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.extensions import CatalogueService
from handlers.helpdesk.models import HelpRequest

OFFER_AFTER_ANSWER = "🙋 Vẫn cần người hỗ trợ?"
OFFER_AFTER_FALLBACK = "🙋 Nhờ người của tổ hỗ trợ"
CLAIM = "✋ Nhận hỗ trợ"
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

ASK_NEED = "Bạn cần tổ hỗ trợ việc gì? Chạm vào một mục, hoặc gõ vài chữ mô tả (ví dụ: không đăng nhập được VNeID)."
ASK_NEED_WITH_LAST = "Bạn cần tổ hỗ trợ việc gì? Chạm vào câu bạn vừa hỏi, một mục khác, hoặc gõ vài chữ mô tả."
EMPTY_NEED = "Bạn gõ vài chữ cho biết cần hỗ trợ việc gì nhé (ví dụ: cài VNeID, ký số)."
ASK_COMMUNE = "Bạn ở phường/xã nào? Chạm để chọn, hoặc gõ tên (có dấu hay không đều được)."
ASK_COMMUNE_BY_NAME = "Bạn ở phường/xã nào? Gõ tên, ví dụ: Móng Cái 1 (có dấu hay không đều được)."
ASK_VILLAGE = "Bạn ở khu/thôn/tổ dân phố nào của {commune}?"
AREA_NOT_FOUND = "Mình không tìm thấy «{query}». Bạn gõ lại tên phường/xã, hoặc gửi /huy để thôi."
NO_AREAS = "Hiện chưa có danh sách phường/xã nên mình chưa chuyển được yêu cầu. "
ASK_CONTACT = "Tổ liên hệ với bạn bằng cách nào?"
ASK_PHONE = (
    "Bạn gửi số điện thoại để thành viên tổ gọi lại. Bằng việc gửi số, bạn đồng ý để số này chỉ được cho "
    "người nhận hỗ trợ bạn xem, và được xóa {days} ngày sau khi yêu cầu kết thúc."
)
BAD_PHONE = "Số «{shown}» chưa đúng dạng số điện thoại Việt Nam (10 số, ví dụ 0912 345 678). Bạn gửi lại nhé."
ASK_VISIT = "Bạn có cần thành viên tổ đến tận nhà hỗ trợ không?"
TOO_MANY = (
    "Bạn đang có {count} yêu cầu chưa xong (tối đa {limit}). Bạn chờ tổ trả lời, hoặc gửi /xong SỐ để kết thúc "
    "một yêu cầu."
)
CHOOSE_ONE = "Bạn chạm vào một lựa chọn bên dưới nhé."

CREATED = (
    "✅ Đã gửi yêu cầu số {number} đến {team}. Khi có người nhận, mình sẽ báo tên người hỗ trợ bạn.\n"
    "Trong lúc chờ, bạn vẫn hỏi mình bình thường. Xem lại: /yeucau {number}"
)
CREATED_NOBODY = (
    "✅ Đã ghi yêu cầu số {number}. Hiện khu vực của bạn chưa có thành viên tổ nào nhận tin qua trợ lý, nên mình "
    "đã báo cán bộ phụ trách. {help_line}"
)


def short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime, zone: tzinfo) -> str:
    """ "09:00 Thứ Bảy 05/12" in local time."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {WEEKDAYS[local.weekday()]} {local:%d/%m}"


def need_line(request: HelpRequest, services: list[CatalogueService]) -> str:
    labels = {service.code: service.label for service in services}
    service = labels.get(request.service_code, "")
    if service and request.need and request.need != service:
        return f"{service} – «{short(request.need)}»"
    return service or f"«{short(request.need)}»"
