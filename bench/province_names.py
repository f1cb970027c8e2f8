"""Vietnamese words the province-scale generator builds its names and addresses from (invented places).

The province, communes and streets are made up (no real unit carries these codes); the family, middle and given
names are the common ones, so reports and exports look and sort like a real province's.
"""

from __future__ import annotations

PROVINCE_CODE = "MP"
PROVINCE_NAME = "Tỉnh Mô Phỏng"

COMMUNE_WORDS = (
    "An Bình", "An Hòa", "An Phú", "Bình Minh", "Cẩm Phả", "Đông Hải", "Đồng Tâm", "Hòa Bình", "Hòa Lạc",
    "Hồng Hà", "Hưng Đạo", "Kim Sơn", "Lê Lợi", "Long Hải", "Minh Khai", "Nam Sơn", "Ngọc Xuyên", "Phú Lộc",
    "Phước Hưng", "Quang Trung", "Quyết Thắng", "Tân An", "Tân Lập", "Tân Tiến", "Thắng Lợi", "Thanh Sơn",
    "Thịnh Lang", "Thống Nhất", "Tiền Phong", "Trần Phú", "Trung Hòa", "Vạn Ninh", "Việt Hưng", "Vĩnh Tuy",
    "Xuân Hòa", "Yên Thanh",
)  # fmt: skip
STREETS = (
    "Trần Phú", "Lê Lợi", "Nguyễn Trãi", "Hùng Vương", "Quang Trung", "Lý Thường Kiệt", "Hai Bà Trưng",
    "Trần Hưng Đạo", "Ngô Quyền", "Phan Chu Trinh", "Lê Thánh Tông", "Nguyễn Du", "Bạch Đằng", "Hoàng Diệu",
    "Điện Biên Phủ", "Võ Thị Sáu",
)  # fmt: skip
FAMILY = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý",
)  # fmt: skip
FAMILY_WEIGHTS = (38, 11, 9.5, 7, 5, 4, 4.5, 3.9, 3, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5)
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thanh", "Ngọc", "Hữu", "Quang", "Xuân", "Thu")
GIVEN = (
    "An", "Anh", "Bình", "Chi", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Lan",
    "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Thủy",
    "Trang", "Tuấn", "Vân", "Việt", "Yến",
)  # fmt: skip
NOTES = (
    "đã kích hoạt mức 2",
    "hẹn cuối tuần quay lại, con trai đi làm",
    "điện thoại cũ, không cài được VNeID",
    "cụ già, cần con cháu hỗ trợ thêm",
    "đã hướng dẫn nộp hồ sơ trên Cổng dịch vụ công",
    "chưa mang căn cước",
    "liên hệ *******678",
)
