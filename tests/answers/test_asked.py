"""Plan questions that ask for a date, a share or a number are answered by the line that states one."""

from __future__ import annotations

import pytest

from knowledge.answers import Answerer, Outcome
from knowledge.asked import Asked, asked_kind, best_line_score, states
from knowledge.formatting import trim_passage


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Trà Vinh bao giờ phủ sóng 5G toàn tỉnh?", Asked.DATE),
        ("tra vinh bao gio phu song 5g toan tinh", Asked.DATE),
        ("phải xong trước ngày nào", Asked.DAY),
        ("xây kế hoạch riêng xong trong tháng mấy", Asked.MONTH),
        ("bao nhiêu phần trăm người dân rất hài lòng", Asked.PERCENT),
        ("có bao nhiêu hộ dân được thăm", Asked.NUMBER),
        ("cài vneid thế nào", None),
        ("máy cũ có cài được không", None),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question: str, kind: Asked | None) -> None:
    assert asked_kind(question) is kind


def test_the_date_a_cited_document_was_issued_is_not_a_date_the_plan_sets() -> None:
    assert not states(Asked.DAY, "Kế hoạch số 59/KH-UBND ngày 01/3/2022 của UBND tỉnh Quảng Ninh")
    assert not states(Asked.DAY, "Nghị quyết số 09-NQ/TU, ngày 05/02/2022 của Ban Thường vụ Tỉnh ủy")
    assert states(Asked.DAY, "Thời gian thực hiện: Hoàn thành trước 30/10/2023.")
    assert states(Asked.DATE, "đến năm 2030 đảm bảo phủ cập mạng 5G") and not states(Asked.DAY, "đến năm 2030")
    assert states(Asked.PERCENT, "rất hài lòng 1.428 phiếu (94%)") and not states(None, "94%")


def test_the_quote_leads_with_the_line_that_states_what_was_asked() -> None:
    lines = [f"Dòng mở đầu số {n} nói về việc khác hẳn, không liên quan đến câu hỏi của người dân." for n in range(6)]
    general = "Phủ sóng di động toàn tỉnh được duy trì ở mọi ấp, khóm."
    dated = "Phủ sóng mạng 5G toàn tỉnh hoàn thành đến năm 2030."
    text = "\n".join([*lines, general, *lines, dated])
    weights = {"phu": 2.0, "song": 2.0, "toan": 1.0, "tinh": 1.0}
    assert best_line_score(text, weights, Asked.DATE) == pytest.approx(6.0)
    without = trim_passage(text, weights, limit=120)
    with_kind = trim_passage(text, weights, limit=120, asked=Asked.DATE)
    assert general in without and dated not in without  # the first of equally good lines, when nothing is asked
    assert dated in with_kind


def test_a_share_asked_is_quoted_from_the_clause_beside_the_question_words() -> None:
    """A statistics paragraph lists many shares; the sentence naming the place and the year holds the most
    question words, but the share asked ("rất hài lòng") is in a later sentence's clause."""
    opening = (
        "Năm 2023, Trung tâm Hành chính công thành phố nhận 1.519 phiếu, kết quả đánh giá: công khai thủ tục "
        "hành chính: rất tốt 1.519 phiếu (100%);"
    )
    filler = [f"tiêu chí phụ số {n}: đạt yêu cầu {n * 10} phiếu ({n}%);" for n in range(1, 9)]
    asked = "đánh giá chung: rất hài lòng 1.428 phiếu (94%), hài lòng 91 phiếu (6%)."
    text = " ".join([opening, *filler, asked])
    weights = {"nam": 0.5, "2023": 1.0, "trung": 1.0, "tam": 1.0, "hanh": 1.0, "chinh": 1.0, "thu": 1.0,
               "tuc": 1.0, "rat": 1.0, "hai": 2.5, "long": 2.5}  # fmt: skip
    quote = trim_passage(text, weights, limit=200, asked=Asked.PERCENT)
    assert "rất hài lòng 1.428 phiếu (94%)" in quote
    assert "rất hài lòng" not in trim_passage(text, weights, limit=200)  # without the kind: the opening leads


def test_a_when_question_quotes_the_passage_with_the_date(answerer: Answerer) -> None:
    answer = answerer.answer("tra vinh bao gio phu song 5g toan tinh")
    assert answer.outcome is Outcome.ANSWER
    assert "5G" in answer.text and "2030" in answer.text


def test_a_which_month_question_quotes_the_deadline(answerer: Answerer) -> None:
    answer = answerer.answer(
        "Hải Phòng yêu cầu các sở, quận huyện xây kế hoạch chuyển đổi số riêng xong trong tháng mấy?"
    )
    assert answer.outcome is Outcome.ANSWER
    assert "tháng 4/2022" in answer.text


def test_a_deadline_at_the_end_of_a_section_stays_with_its_task(answerer: Answerer) -> None:
    answer = answerer.answer(
        "Theo kế hoạch năm 2023 của Móng Cái, việc cấp miễn phí chữ ký số từ xa cho người dân phải xong trước ngày nào?"
    )
    assert answer.outcome is Outcome.ANSWER
    assert "Hoàn thành trước 30/10/2023" in answer.text


def test_a_year_or_a_date_is_not_the_number_a_how_many_question_asks_for() -> None:
    assert not states(Asked.NUMBER, "Kế hoạch chuyển đổi số toàn diện thành phố năm 2023")
    assert not states(Asked.NUMBER, "Thời gian hoàn thành: Trước 15/3/2023.")
    assert states(Asked.NUMBER, "88% hộ gia đình có Internet cáp quang") and states(Asked.NUMBER, "1.519 phiếu")


def test_a_how_many_question_leads_with_the_figure(answerer: Answerer) -> None:
    question = "kế hoạch chuyển đổi số năm 2023 của Móng Cái đặt chỉ tiêu bao nhiêu hộ có Internet cáp quang?"
    answer = answerer.answer(question)
    assert answer.outcome is Outcome.ANSWER
    assert "88% hộ gia đình" in answer.text.split("Cùng văn bản")[0]  # in the first quote, not the runner-up
