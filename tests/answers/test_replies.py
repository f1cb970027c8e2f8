"""Section-level answers: the reply leads with the part that was asked, fits a phone, and refers honestly."""

from __future__ import annotations

import re
import statistics

import pytest

from knowledge.answers import Answerer, Outcome
from knowledge.guides import load_guides
from knowledge.intents import Intent, detect
from knowledge.referrals import Referrals

PHONE_OR_URL = re.compile(r"\d{3}[ .]?\d{3,}|https?://|www\.|\.vn\b|\.gov\b")


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Chữ ký số từ xa là gì?", Intent.DEFINITION),
        ("dvc toàn trình để làm gì", Intent.DEFINITION),
        ("đk cks có mất phí ko", Intent.COST),
        ("phí cấp lại căn cước là bao nhiêu", Intent.COST),
        ("làm mức 2 ở đâu", Intent.WHERE),
        ("làm căn cước mất bao lâu", Intent.DURATION),
        ("đi làm định danh cần mang gì", Intent.BRING),
        ("tự đăng ký mức 2 trên đt được không", Intent.YESNO),
        ("cài vneid thế nào", Intent.HOW),
        ("người gọi xưng công an bảo cài ứng dụng, có phải lừa đảo không", Intent.SCAM),
        ("nhận tin nhắn trúng thưởng bảo bấm link nhận quà", Intent.SCAM),
        ("quét mã qr trả tiền có an toàn không", Intent.YESNO),
        ("cách nhận biết lừa đảo", Intent.HOW),
    ],
)
def test_question_intent(question: str, intent: Intent) -> None:
    assert detect(question) is intent


def test_definition_is_answered_by_the_definition(answerer: Answerer) -> None:
    answer = answerer.answer("Chữ ký số từ xa là gì?")
    assert answer.outcome is Outcome.ANSWER and answer.topic == "cks-tu-xa-la-gi"
    assert answer.text.startswith("Chữ ký số là") and answer.source is not None and answer.source.section == "what"
    toan_trinh = answerer.answer("Dịch vụ công toàn trình là gì?")
    assert toan_trinh.text.startswith("Dịch vụ công toàn trình là thủ tục làm trọn trên mạng")


def test_cost_question_hears_about_cost(answerer: Answerer) -> None:
    answer = answerer.answer("đăng ký định danh mức 2 có mất phí không")
    assert answer.outcome is Outcome.ANSWER and answer.source is not None and answer.source.section == "cost"
    assert answer.text.startswith("Đăng ký tài khoản định danh điện tử mức 2 không mất phí")


def test_cost_a_guide_does_not_state_is_referred_not_guessed(answerer: Answerer) -> None:
    answer = answerer.answer("xin phiếu lý lịch tư pháp hết bao nhiêu tiền")
    assert answer.outcome is Outcome.ANSWER and "lệ phí" in answer.text  # the guide states there is a fee
    unknown = answerer.answer("thông báo lưu trú qua vneid có mất phí không")
    assert unknown.outcome is Outcome.REFERRAL and not unknown.confident
    assert "chưa có thông tin chắc chắn về chi phí" in unknown.text


def test_scam_question_is_led_by_the_warning(answerer: Answerer) -> None:
    for question in (
        "người gọi xưng công an bảo cài ứng dụng để cập nhật định danh, có phải lừa đảo không",
        "tin nhắn báo trúng thưởng xe máy, bảo bấm link để nhận",
    ):
        answer = answerer.answer(question)
        assert answer.text.startswith("Đây là lừa đảo."), question
        assert answer.topic == "canh-bao-lua-dao"


def test_yes_no_question_leads_with_the_faq_answer(answerer: Answerer) -> None:
    answer = answerer.answer("Mất điện thoại thì tài khoản VNeID có bị người khác dùng không?")
    assert answer.topic == "vneid-khoa-tai-khoan"
    assert answer.text.startswith("Muốn vào VNeID phải có mật khẩu và passcode")
    child = answerer.answer("làm căn cước cho trẻ dưới 14 tuổi được không")
    assert child.topic == "the-can-cuoc-tre-em" and child.text.startswith("Có, theo Luật Căn cước 2023")


def test_guide_replies_are_short_and_none_exceeds_the_channel_limit(answerer: Answerer) -> None:
    lengths = []
    for guide in load_guides():
        for question in guide.questions:
            answer = answerer.answer(question)
            assert len(answer.text) <= 2000, question
            if answer.confident and answer.topic:
                lengths.append(len(answer.text))
    assert statistics.median(lengths) <= 600


@pytest.mark.parametrize(
    ("question", "domain", "office"),
    [
        ("Thủ tục cấp sổ đỏ lần đầu cho đất ông bà để lại mất bao lâu?", "dat-dai", "Văn phòng đăng ký đất đai"),
        # The residence guide lists "sổ đỏ" among the papers proving a home: that does not make it the answer.
        ("làm sổ đỏ cần giấy tờ gì", "dat-dai", "Văn phòng đăng ký đất đai"),
        ("rut bhxh 1 lan can nhung giay to gi", "bhxh-che-do", "Bảo hiểm xã hội"),
        ("làm hộ chiếu gắn chip ở đâu", "ho-chieu", "Quản lý xuất nhập cảnh"),
        ("Không làm định danh mức 2 có bị phạt không?", "xu-phat", "Công an xã/phường"),
        ("đăng ký kết hôn cần giấy tờ gì", "ho-tich", "tư pháp"),
        ("quyết toán thuế thu nhập cá nhân online", "thue", "cơ quan thuế"),
    ],
)
def test_neighbouring_questions_are_referred_to_the_office(
    answerer: Answerer, question: str, domain: str, office: str
) -> None:
    answer = answerer.answer(question)
    assert answer.outcome is Outcome.REFERRAL and not answer.confident
    assert answer.domain == domain and office in answer.text


def test_referral_table_names_kinds_of_offices_with_sources() -> None:
    referrals = Referrals.load()
    assert len(referrals.domains) >= 11
    for domain in referrals.domains.values():
        assert domain.sources, domain.id
        assert not PHONE_OR_URL.search(domain.office), domain.id


def test_typed_diacritics_must_agree_with_a_domain_phrase(answerer: Answerer) -> None:
    from embeddings.text import analyze

    referrals = answerer.referrals
    assert not referrals.find(analyze("thuê bao của tôi bị khóa"))  # "thuê" is not "thuế"
    assert [m.payload for m in referrals.find(analyze("nop thue dat o dau"))] == ["thue"]
    assert not referrals.find(analyze("Kể cho tôi một câu chuyện cười"))


def test_id_numbers_typed_in_a_question_are_masked_and_warned_about(answerer: Answerer) -> None:
    answer = answerer.answer("số cccd của tôi là 012345678901, tra giúp tôi đã có mức 2 chưa")
    assert answer.personal and "012345678901" not in answer.question + answer.text
    assert "không tra cứu được hồ sơ cá nhân" in answer.text and "đừng gửi số căn cước" in answer.text


@pytest.mark.parametrize(
    "question", ["", "   ", "👍👍", "a" * 2000, "VNeID install on iPhone how?", "làm sao install vneid trên iphone"]
)
def test_bad_input_gets_a_polite_reply(answerer: Answerer, question: str) -> None:
    answer = answerer.answer(question)
    assert answer.text and len(answer.text) <= 2000
    if question.strip() == "👍👍":
        assert answer.outcome is Outcome.SMALLTALK
