"""User-facing Vietnamese texts of the core, kept together so wording stays consistent and reviewable."""

APOLOGY = (
    "Xin lỗi bạn, hệ thống vừa gặp sự cố khi xử lý tin nhắn này. "
    "Bạn vui lòng thử lại sau ít phút. Nếu vẫn chưa được, bạn có thể nhờ Tổ công nghệ số cộng đồng "
    "nơi bạn ở hỗ trợ trực tiếp."
)
EMPTY_MESSAGE = "Mình chưa nhận được nội dung nào. Bạn hãy gõ câu hỏi, hoặc gửi /trogiup để xem mình giúp được gì."
TOO_LONG = (
    "Tin nhắn của bạn dài quá ({length} ký tự), mình chỉ đọc được tối đa {limit} ký tự. "
    "Bạn vui lòng gửi ngắn gọn hơn, mỗi tin một ý nhé."
)
UNKNOWN_COMMAND = "Mình chưa hiểu lệnh /{command}. Bạn gửi /trogiup để xem các lệnh mình hỗ trợ nhé."
NOT_ALLOWED = "Xin lỗi, chức năng này chỉ dành cho {roles}. Nếu bạn là thành viên, hãy dùng mã mời: /thamgia MÃ"
CANCELLED = "Đã hủy thao tác đang làm dở. Không có gì được lưu."
NOTHING_TO_CANCEL = "Hiện không có thao tác nào đang làm dở để hủy."
DIALOG_INTERRUPTED = "Mình đã dừng thao tác đang làm dở (không lưu gì) để làm theo lệnh mới của bạn."
DIALOG_ROLE_CHANGED = (
    "Vai trò của bạn vừa được thay đổi, nên thao tác đang làm dở đã dừng lại; không có gì được lưu hay gửi đi. "
    "Bạn gửi /trogiup để xem những việc bạn làm được nhé."
)
DIALOG_EXPIRED = (
    "Thao tác bạn làm dở trước đó đã hết hạn sau {minutes} phút không có trả lời, nên mình đã hủy và không lưu gì. "
    "Bạn có thể bắt đầu lại bất cứ lúc nào."
)
PREPARING = "Mình đang tổng hợp số liệu, bạn chờ một chút nhé…"
NO_TEXT_HANDLER = "Hiện mình chưa trả lời được câu hỏi tự do. Bạn gửi /trogiup để xem các chức năng nhé."
ATTACHMENT_NOT_SUPPORTED = (
    "Cảm ơn bạn đã gửi. Hiện mình chỉ đọc được tin nhắn chữ, chưa xem được ảnh, nhãn dán, tệp hay tin nhắn thoại. "
    "Bạn vui lòng gõ câu hỏi bằng chữ nhé."
)
CONTACT_NOT_EXPECTED = (
    "Mình đã nhận được số điện thoại bạn chia sẻ, nhưng lúc này chưa cần đến nó nên mình không lưu. "
    "Bạn cần mình giúp gì ạ?"
)
NEEDS_FOLLOW = (
    "Chức năng này cần biết bạn là ai, nên bạn hãy bấm «Quan tâm» trang của trợ lý rồi nhắn lại nhé. "
    "Còn câu hỏi thì bạn cứ gõ bình thường, mình vẫn trả lời."
)
LOCATION_NOT_EXPECTED = "Mình đã nhận được vị trí của bạn, nhưng lúc này chưa cần đến nó. Bạn cần mình giúp gì ạ?"

HELP_LINE = (
    "Cần người hỗ trợ trực tiếp, bạn hãy liên hệ Tổ công nghệ số cộng đồng hoặc Công an xã/phường nơi bạn cư trú."
)

ROLE_NAMES = {
    "citizen": "người dân",
    "member": "thành viên Tổ công nghệ số cộng đồng",
    "leader": "tổ trưởng Tổ công nghệ số cộng đồng",
    "official": "cán bộ phụ trách",
    "admin": "quản trị viên",
}
TOO_FAST = (
    "Bạn gửi nhanh quá, mình chưa kịp đọc hết. Bạn vui lòng chờ khoảng một phút rồi gửi tiếp nhé; "
    "các tin gửi trong lúc này mình sẽ bỏ qua."
)
