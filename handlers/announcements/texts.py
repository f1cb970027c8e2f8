"""The Vietnamese texts of the announcement dialogs, kept together for review."""

from __future__ import annotations

from handlers.announcements.recipients import Preview

NO_AREA = (
    "Bạn chưa được giao khu vực phụ trách nên chưa gửi thông báo được. "
    "Quản trị viên có thể giao khu vực bằng lệnh: troly users grant ... --area MÃ_KHU_VỰC"
)
ASK_TEXT = (
    "Bạn gõ nội dung thông báo muốn gửi cho người dân (tối đa {limit} ký tự), ví dụ lịch tiêm chủng, "
    "lịch làm VNeID tại trụ sở phường, hay cảnh báo lừa đảo. Gửi /huy để thôi."
)
TEXT_TOO_SHORT = "Nội dung thông báo ngắn quá. Bạn gõ lại đầy đủ hơn nhé (hoặc gửi /huy để thôi)."
TEXT_TOO_LONG = "Thông báo dài {length} ký tự, vượt quá {limit} ký tự cho phép. Bạn rút gọn lại rồi gửi lại nhé."
ASK_TARGET = "Bạn muốn gửi cho ai?"
TARGET_AREA = "Người dân đăng ký ở {area}"
TARGET_TEAM = "Chỉ thành viên Tổ công nghệ số cộng đồng"
TARGET_UNKNOWN = "Mình chưa rõ bạn chọn nhóm nào, hoặc khu vực đó ngoài phạm vi bạn phụ trách. "
AREA_CHANGED = (
    "Khu vực bạn phụ trách vừa được thay đổi, nên thông báo này không được gửi. "
    "Bạn gửi lại /thongbao nếu vẫn cần gửi cho khu vực mới của mình."
)
NOBODY = "Chưa có ai trong nhóm này để nhận thông báo. Bạn chọn nhóm khác, hoặc gửi /huy để thôi."
PREVIEW_HEADER = "Xem trước: người nhận sẽ thấy đúng nội dung dưới đây."
ASK_TIME = (
    "Bạn muốn gửi lúc nào (giờ Việt Nam)? Gõ giờ như «14:30» (hôm nay, hoặc ngày mai nếu đã qua giờ đó) "
    "hoặc kèm ngày như «8:00 25/12»."
)
TIME_NOT_UNDERSTOOD = "Mình chưa hiểu thời gian này. Bạn gõ theo dạng «14:30» hoặc «8:00 25/12» nhé."
TIME_OUT_OF_RANGE = "Thời gian hẹn phải ở sau bây giờ và trong vòng {days} ngày tới. Bạn gõ lại nhé."
CONFIRM_NOT_UNDERSTOOD = "Bạn chọn «Gửi», «Hẹn giờ gửi» hoặc «Hủy» nhé."
QUEUED = "Đã xếp thông báo #{id} vào hàng gửi cho {count} người, gửi {when}. Xem kết quả gửi: /ketquathongbao {id}"
INFORM_LABEL = "Gửi và nhờ tổ báo tận nơi"
HANDED_TO_TEAMS = "Đã giao việc báo tận nơi cho {asked} người của tổ ở {areas} khu vực."
NO_TEAM_TO_ASK = "Chưa có tổ nào để giao việc báo tận nơi ở: {areas}; bạn liên hệ trực tiếp giúp nhé."
NO_ANNOUNCEMENT = "Không tìm thấy thông báo nào của bạn{detail}."
TARGET_NAMES = {"subscribers": "người dân đã đăng ký", "team": "thành viên Tổ công nghệ số cộng đồng"}


def preview_summary(area_name: str, target: str, counts: Preview, when: str, quiet: str = "") -> str:
    lines = [f"Gửi đến: {TARGET_NAMES[target]} ở {area_name}, gửi {when}.", f"Số người nhận: {counts.total}"]
    for channel, count in sorted(counts.channels.items()):
        line = f"• {channel.capitalize()}: {count.total} người"
        if count.unreachable:
            line += (
                f": sẽ nhận {count.total - count.unreachable}, có thể không nhận được {count.unreachable} "
                f"(đã hơn {count.window_days} ngày không nhắn tin cho trợ lý nên {channel.capitalize()} "
                "có thể không cho gửi tới họ)"
            )
        else:
            line += ", tất cả sẽ nhận"
        lines.append(line)
    if counts.no_push:
        lines.append(f"• {counts.no_push} người dùng kênh không nhận được thông báo đẩy: sẽ không nhận")
    if quiet:
        lines.append(quiet)
    lines.append("Bạn xác nhận gửi chứ?")
    return "\n".join(lines)
