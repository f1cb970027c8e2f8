"""Vietnamese texts that only the Telegram adapter shows (keyboard buttons, the note for group chats)."""

LOCATION_BUTTON = "📍 Gửi vị trí hiện tại"
SKIP_BUTTON = "Bỏ qua"
CONTACT_BUTTON = "📱 Gửi số điện thoại của tôi"
CHOOSE_PROMPT = "Mời bạn chọn một trong các mục dưới đây:"
LOCATION_PROMPT = "Bạn bấm nút bên dưới để gửi vị trí hiện tại nhé."
GROUP_NOTICE = (
    "Mình chỉ trò chuyện riêng với từng người để giữ kín thông tin của bạn. "
    "Bạn bấm vào tên mình và chọn «Gửi tin nhắn» để hỏi nhé."
)
