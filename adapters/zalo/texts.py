"""Vietnamese texts the Zalo adapter writes to operators (alerts)."""

from __future__ import annotations


def token_refresh_failed(reason: str) -> str:
    return (
        "Zalo: làm mới mã truy cập thất bại, trợ lý tạm thời không gửi được tin trên Zalo.\n"
        f"Lý do: {reason[:200]}\n"
        "Việc cần làm: kiểm tra TROLY_ZALO_APP_ID và TROLY_ZALO_APP_SECRET; nếu mã làm mới đã hết hạn hoặc bị "
        "thu hồi, cấp quyền lại cho ứng dụng trên trang Zalo cho nhà phát triển rồi đặt cặp mã mới vào "
        "TROLY_ZALO_ACCESS_TOKEN / TROLY_ZALO_REFRESH_TOKEN và khởi động lại. Xem: troly zalo status"
    )


def needs_configuration(code: int, detail: str) -> str:
    return (
        f"Zalo từ chối gửi tin vì Official Account hoặc ứng dụng chưa được cấp quyền hay cấu hình (mã lỗi {code}).\n"
        f"Chi tiết: {detail[:200]}\n"
        "Tin này không được gửi lại tự động. Quản trị viên OA cần kiểm tra quyền của ứng dụng, gói dịch vụ và "
        "tình trạng xác thực của OA trên trang quản trị Zalo."
    )
