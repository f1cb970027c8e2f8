"""What the feedback feature says, in Vietnamese, kept together so the wording stays consistent."""

RETENTION_DESCRIPTION = "câu hỏi đã ghi nhận và đánh giá của người dân (đã che số định danh, số điện thoại)"

# Ratings
HELPFUL_LABEL = "👍 Hữu ích"
NOT_HELPFUL_LABEL = "👎 Chưa đúng"
THANKS_HELPFUL = "Cảm ơn bạn đã đánh giá! Bạn cứ hỏi tiếp nếu cần nhé."
ASK_WHAT_WAS_MISSING = (
    "Cảm ơn bạn đã cho biết, mình sẽ chuyển để cán bộ bổ sung câu trả lời. "
    "Bạn cần biết thêm điều gì? Bạn cứ gõ câu hỏi, mình sẽ cố gắng trả lời."
)
OFFER_HELP_DESK = "Nếu muốn, bạn có thể nhờ Tổ công nghệ số cộng đồng hỗ trợ trực tiếp."
HELP_DESK_LABEL = "Nhờ người hỗ trợ"
ALREADY_RATED = "Mình đã ghi nhận đánh giá của bạn cho câu trả lời này rồi. Cảm ơn bạn!"
RATING_NOT_UNDERSTOOD = "Mình chưa hiểu đánh giá này. Bạn bấm nút «Hữu ích» hoặc «Chưa đúng» dưới câu trả lời nhé."
RATING_UNKNOWN_ANSWER = (
    "Mình không tìm thấy câu trả lời này để ghi nhận đánh giá (có thể nó đã quá cũ). Bạn cứ hỏi lại nhé."
)

# Local answers: validation
EMPTY_ANSWER = "câu trả lời đang trống"
ANSWER_TOO_LONG = (
    "câu trả lời dài {length} ký tự, tối đa {limit} ký tự để vừa một tin nhắn Zalo; bạn rút gọn hoặc tách thành "
    "hai câu trả lời nhé"
)
NO_QUESTIONS = "chưa có câu hỏi nào gắn với câu trả lời"
TOO_MANY_QUESTIONS = "tối đa {limit} cách hỏi cho một câu trả lời"
QUESTION_TOO_LONG = "câu hỏi «{question}…» dài quá {limit} ký tự"
BAD_SOURCE = "nguồn (cơ quan chịu trách nhiệm) phải có và không quá {limit} ký tự"
DUPLICATE_QUESTION = "câu hỏi «{question}» đã có trong câu trả lời #{id} của khu vực này"
NO_SUCH_REVISION = "câu trả lời #{id} không có phiên bản {revision} để quay lại (chỉ quay về phiên bản cũ hơn)"

# The gap report and publishing in chat
NO_GAPS = "Trong {days} ngày qua, ở {area} không có câu hỏi nào bị bỏ ngỏ. Rất tốt!"
GAPS_HEADER = "Câu hỏi chưa có câu trả lời tốt ở {area} ({days} ngày qua), nhiều người hỏi nhất trước:"
GAP_LINE = "{n}. «{example}» – {count} lần, {askers} người hỏi, gần nhất {last}"
GAPS_FOOTER = "Bạn chọn một nhóm để viết câu trả lời cho người dân (hoặc gửi /huy)."
CHOOSE_NUMBER = "Bạn chọn số thứ tự của một nhóm câu hỏi trong danh sách (từ 1 đến {count}), hoặc gửi /huy."
CLUSTER_DETAIL = "Nhóm câu hỏi: {count} lần, {askers} người hỏi (từ {first} đến {last}); khu vực: {areas}."
EXAMPLES = "Các cách hỏi:"
COMMENTS = "Người hỏi cần biết thêm:"
ASK_ANSWER = (
    "Bạn hãy gõ câu trả lời cho người dân ở {area} (tối đa {limit} ký tự, chỉ ghi điều chắc chắn đúng). "
    "Gửi /huy để thôi."
)
ASK_SOURCE = (
    "Câu trả lời sẽ ghi nguồn: «Theo {source}, cập nhật {date}». Bạn bấm để giữ nguồn này, "
    "hoặc gõ tên cơ quan khác (ví dụ «Công an phường»)."
)
PREVIEW = "Xem trước – người dân ở {area} hỏi những câu này sẽ nhận được:"
PREVIEW_QUESTIONS = "Các cách hỏi được gắn với câu trả lời:"
PUBLISH_LABEL = "Đăng"
PROPOSE_LABEL = "Gửi đề xuất"
REWRITE_LABEL = "Viết lại"
CANCEL_LABEL = "Hủy"
CONFIRM_HINT = "Bạn chọn «{action}», «Viết lại», hoặc gửi /huy để thôi."
PUBLISHED = (
    "Đã đăng câu trả lời #{id} cho {area}. Từ bây giờ người dân ở đây hỏi những câu tương tự sẽ nhận được ngay. "
    "Xem hoặc gỡ: /cautraloi {id}"
)
PROPOSED = "Đã gửi đề xuất #{id} để cán bộ phụ trách {area} xem xét. Khi được đăng, mình sẽ báo bạn."
NOT_SAVED = "Chưa lưu được vì:\n{problems}"

# Proposals and answers in chat
PROPOSAL_NOTICE = "Có đề xuất câu trả lời #{id} cho {area} ({author}): «{question}». Bạn xem và duyệt nhé."
REVIEW_LABEL = "Xem đề xuất"
NO_PROPOSALS = "Hiện không có đề xuất câu trả lời nào chờ duyệt ở {area}."
PROPOSALS_HEADER = "Đề xuất chờ duyệt ở {area}:"
NO_ANSWERS = "Chưa có câu trả lời địa phương nào ở {area}. Gửi /khoangtrong để xem câu hỏi chưa được trả lời."
ANSWERS_HEADER = "Câu trả lời địa phương đang dùng ở {area}:"
ANSWER_NOT_FOUND = "Không có câu trả lời #{id} trong khu vực bạn phụ trách."
ANSWER_DETAIL = "Câu trả lời #{id} ({status}), {area}, người viết: {author}, sửa lần cuối {updated}."
RETIRE_LABEL = "Gỡ xuống"
RETIRED = "Đã gỡ câu trả lời #{id}. Người dân sẽ không nhận được nó nữa (có thể khôi phục: troly faq rollback {id})."
REJECT_LABEL = "Từ chối"
REJECTED = "Đã từ chối đề xuất #{id}."
PROPOSAL_PUBLISHED_NOTICE = "Đề xuất câu trả lời #{id} của bạn đã được đăng. Cảm ơn bạn!"
PROPOSAL_REJECTED_NOTICE = (
    "Đề xuất câu trả lời #{id} của bạn chưa được đăng. Bạn có thể hỏi cán bộ phụ trách để sửa lại."
)
FEATURE_PROPOSED = "Đã gửi câu trả lời này để cán bộ {area} xem xét đăng thành câu trả lời chung (đề xuất #{id})."
STATUS_NAMES = {"proposed": "chờ duyệt", "published": "đang dùng", "retired": "đã gỡ", "rejected": "bị từ chối"}

# Contact cards
CARD_LINE = "Cần người hỗ trợ trực tiếp, bạn hãy liên hệ {team}"
CARD_MEETS = ": {meets}"
CARD_HOTLINE = ". Điện thoại: {hotline}"
NO_CARD = "{area} chưa có thông tin liên hệ riêng, người dân đang thấy câu chung:"
CURRENT_CARD = "Người dân ở {area} đang thấy:"
EDIT_CARD_LABEL = "Sửa thông tin liên hệ"
ASK_TEAM = "Tên tổ hoặc nơi người dân liên hệ (ví dụ «Tổ công nghệ số cộng đồng phường Móng Cái 1»):"
ASK_MEETS = (
    "Ở đâu và khi nào người dân gặp được tổ (ví dụ «Nhà văn hóa khu 3, sáng thứ Bảy 8–11 giờ»), hoặc gõ «bỏ qua»:"
)
ASK_HOTLINE = "Số điện thoại mà phường/xã muốn công khai cho người dân (gõ «bỏ qua» nếu không có):"
BAD_HOTLINE = "Số điện thoại chưa đúng (8–15 chữ số, có thể bắt đầu bằng +84). Bạn gõ lại, hoặc gõ «bỏ qua»."
TOO_LONG_FIELD = "Nội dung dài quá {limit} ký tự, bạn viết ngắn lại nhé."
SKIP_LABEL = "Bỏ qua"
SAVE_LABEL = "Lưu"
CARD_PREVIEW = "Xem trước – người dân ở {area} sẽ thấy:"
CARD_CONFIRM_HINT = "Bạn chọn «Lưu», hoặc gửi /huy để thôi."
CARD_SAVED = "Đã lưu thông tin liên hệ của {area}."
NEEDS_AREA = "Tài khoản của bạn chưa gắn với khu vực nào, nên chưa làm được việc này. Bạn liên hệ quản trị viên nhé."

# Satisfaction
SATISFACTION_HEADER = "Mức độ hài lòng ở {area}, tháng {month}:"
SATISFACTION_LINE = (
    "Câu hỏi: {questions}; trả lời được: {answered} ({answered_share}); "
    "đánh giá: {rated}, hữu ích: {helpful} ({helpful_share})."
)
SATISFACTION_EXTRA = "{label}: {ratings} đánh giá, hài lòng {satisfied} ({share})."
SATISFACTION_WORST = "Câu trả lời bị chê nhiều nhất:"
SATISFACTION_REVIEWS = "Hướng dẫn cần rà soát lại (quá 6 tháng): {count}. Xem: troly report satisfaction --help"
NO_DATA = "chưa có"
NO_QUESTIONS_YET = "Chưa có câu hỏi nào."
