"""Contact cards: an official sets the area's card in chat or with the CLI; citizens of the area (and below) see
it instead of the generic help sentence in /lienhe, /trogiup and "I don't know" replies."""

from __future__ import annotations

from sqlalchemy import select

from bot import texts as core_texts
from bot.app import Troly
from bot.storage.models import AuditLog, Role
from tests.feedback.helpers import grant, subscribe
from tests.helpers import joined, say
from tests.test_cli import troly

UNANSWERED = "loa phat thanh bi hong bao ai"
CARD = (
    "Cần người hỗ trợ trực tiếp, bạn hãy liên hệ Tổ công nghệ số cộng đồng phường Móng Cái 1: "
    "Nhà văn hóa khu 3, sáng thứ Bảy 8–11 giờ. Điện thoại: 0203 3881 234."
)


def test_an_official_sets_the_card_in_chat_and_the_wards_citizens_see_it(fb_app: Troly) -> None:
    grant(fb_app, "official", Role.OFFICIAL, "22-MC")
    subscribe(fb_app, "village", "22-MC-K1")
    subscribe(fb_app, "other", "22-UB")
    shown = say(fb_app, "/lienhe", user="official")[0]
    assert "chưa có thông tin liên hệ riêng" in shown.text and shown.choices[0].value == "/lienhe sua"
    assert "Tên tổ" in joined(say(fb_app, "1", user="official"))
    assert "Ở đâu và khi nào" in joined(say(fb_app, "Tổ công nghệ số cộng đồng phường Móng Cái 1", user="official"))
    assert "Số điện thoại" in joined(say(fb_app, "Nhà văn hóa khu 3, sáng thứ Bảy 8–11 giờ", user="official"))
    assert "chưa đúng" in joined(say(fb_app, "gọi anh Nam nhé", user="official"))
    preview = joined(say(fb_app, "0203 3881 234", user="official"))
    assert CARD in preview
    assert "Đã lưu thông tin liên hệ của Phường Móng Cái 1" in joined(say(fb_app, "1", user="official"))

    assert joined(say(fb_app, "/lienhe", user="village")) == CARD
    assert CARD in joined(say(fb_app, "/trogiup", user="village"))
    fallback = joined(say(fb_app, UNANSWERED, user="village"))
    assert CARD in fallback and core_texts.HELP_LINE not in fallback
    assert joined(say(fb_app, "/lienhe", user="other")) == core_texts.HELP_LINE
    assert core_texts.HELP_LINE in joined(say(fb_app, UNANSWERED, user="other"))
    with fb_app.database.transaction() as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "contact_card.set")).one()
    assert audit.details["hotline"] == "0203 3881 234" and audit.details["area"] == "22-MC"


def test_the_hotline_is_optional_and_citizens_cannot_edit(lite_app: Troly) -> None:
    grant(lite_app, "official", Role.OFFICIAL, "22-MC")
    for line in ("/lienhe sua", "Tổ CNSCĐ phường Móng Cái 1", "bỏ qua", "bỏ qua"):
        reply = joined(say(lite_app, line, user="official"))
    assert "Cần người hỗ trợ trực tiếp, bạn hãy liên hệ Tổ CNSCĐ phường Móng Cái 1." in reply
    say(lite_app, "lưu", user="official")
    subscribe(lite_app, "c1", "22-MC")
    assert (
        joined(say(lite_app, "/lienhe sua", user="c1"))
        == "Cần người hỗ trợ trực tiếp, bạn hãy liên hệ Tổ CNSCĐ phường Móng Cái 1."
    )


def test_cards_from_the_command_line_nearest_area_first(lite_app: Troly, sqlite_url: str) -> None:
    env = {"TROLY_DATABASE_URL": sqlite_url}
    subscribe(lite_app, "k1", "22-MC-K1")
    subscribe(lite_app, "k2", "22-MC-K2")
    ward = troly("contacts", "set", "--area", "22-MC", "--team", "Tổ CNSCĐ phường Móng Cái 1", env=env)
    assert ward.returncode == 0 and "Tổ CNSCĐ phường Móng Cái 1" in ward.stdout
    village = troly("contacts", "set", "--area", "22-MC-K1", "--team", "Tổ CNSCĐ Khu 1", "--meets",
                    "Nhà văn hóa Khu 1, tối thứ Năm", "--hotline", "+84 912 345 678", env=env)  # fmt: skip
    assert village.returncode == 0, village.stderr
    assert "Tổ CNSCĐ Khu 1: Nhà văn hóa Khu 1, tối thứ Năm. Điện thoại: +84 912 345 678" in joined(
        say(lite_app, "/lienhe", user="k1")
    )
    assert "Tổ CNSCĐ phường Móng Cái 1." in joined(say(lite_app, "/lienhe", user="k2"))
    bad = troly("contacts", "set", "--area", "22-MC", "--team", "Tổ", "--hotline", "gọi tôi", env=env)
    assert bad.returncode == 1 and "--hotline chưa đúng" in bad.stderr
    listing = troly("contacts", "list", env=env).stdout
    assert "22-MC  Phường Móng Cái 1" in listing and "22-MC-K1  Khu 1" in listing
    assert troly("contacts", "remove", "--area", "22-MC-K1", env=env).returncode == 0
    assert "Tổ CNSCĐ phường Móng Cái 1." in joined(say(lite_app, "/lienhe", user="k1"))
