"""End to end: questions in many forms, plan citations, out-of-scope fallback, the CLI and chat contracts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Troly, create_app
from bot.settings import Settings
from knowledge.answers import Answerer, Outcome
from tests.helpers import say
from tests.test_cli import troly


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Làm thế nào để cài đặt ứng dụng VNeID trên điện thoại?", "vneid-cai-dat"),
        ("quen mat khau vneid thi lay lai the nao", "vneid-quen-mat-khau"),
        ("đki định danh mức 2 cần mang j ko", "vneid-dang-ky-muc-2"),
        ("dk cks ntn", "cks-dang-ky"),
        ("đăg nhập cổng dịch vụ côg bằng vneid", "dvc-dang-nhap"),
    ],
)
def test_guide_questions_in_any_form(answerer: Answerer, question: str, topic: str) -> None:
    answer = answerer.answer(question)
    assert answer.outcome is Outcome.ANSWER
    assert answer.topic == topic
    assert f"/huongdan {topic}" in answer.text
    assert len(answer.text) <= 2000 and "**" not in answer.text


def test_plan_question_quotes_the_passage_and_cites_it(answerer: Answerer) -> None:
    answer = answerer.answer("Kế hoạch chuyển đổi số Móng Cái năm 2023: bao nhiêu hộ gia đình có Internet cáp quang?")
    assert answer.confident and answer.topic is None
    assert answer.source is not None and answer.source.kind == "plan"
    assert answer.source.document == "001_bcb478adb2ba6af6"
    assert "88% hộ gia đình" in answer.text
    assert "Kế hoạch Chuyển đổi số toàn diện thành phố Móng Cái năm 2023, mục 2.4" in answer.text


def test_question_with_diacritics_reaches_the_ocr_plan(answerer: Answerer) -> None:
    answer = answerer.answer("Hải Phòng năm 2022 phấn đấu hạ tầng cáp quang phủ bao nhiêu phần trăm hộ gia đình?")
    assert answer.source is not None and answer.source.document == "004_8440493076699264"
    assert "80% ho gia dinh" in answer.text


def test_out_of_scope_is_never_answered_confidently(answerer: Answerer) -> None:
    for question in ["ket qua bong da dem qua", "giá vàng hôm nay bao nhiêu", "Viết giúp tôi bài thơ về mẹ"]:
        assert not answerer.answer(question).confident, question


@pytest.mark.parametrize("question", ["Cách nấu phở bò ngon tại nhà", "cong thuc lam banh flan", ""])
def test_out_of_scope_gets_an_honest_fallback(answerer: Answerer, question: str) -> None:
    answer = answerer.answer(question)
    assert answer.outcome is Outcome.FALLBACK and not answer.confident
    assert answer.topic is None
    assert "chưa có câu trả lời chắc chắn" in answer.text
    assert "Tổ công nghệ số cộng đồng" in answer.text and "Công an xã/phường" in answer.text


def test_ask_json_reads_one_question_per_line(data_dir: Path) -> None:
    questions = [
        "cài vneid ntn",
        "thoi tiet ha noi ngay mai",
        "Kế hoạch chuyển đổi số Móng Cái năm 2023 đặt chỉ tiêu bao nhiêu hộ gia đình có Internet cáp quang?",
    ]
    result = troly("ask", "--json", "-", stdin="\n".join(questions) + "\n", env={"TROLY_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["question"] for row in rows] == questions
    keys = {"question", "answer", "confident", "score", "topic", "source", "alternatives"}
    assert all(set(row) == keys for row in rows)
    assert rows[0]["topic"] == "vneid-cai-dat" and rows[0]["confident"] is True
    assert rows[0]["source"]["kind"] == "guide"
    assert rows[1]["confident"] is False and rows[1]["topic"] is None
    assert rows[2]["source"]["kind"] == "plan" and rows[2]["source"]["document"] == "001_bcb478adb2ba6af6"
    assert rows[2]["source"]["section"].endswith("2.4. Về phát triển xã hội số")
    assert all(len(row["alternatives"]) <= 3 for row in rows)


def test_ask_builds_the_index_on_first_use(tmp_path: Path) -> None:
    result = troly("ask", "quên mật khẩu vneid", env={"TROLY_DATA_DIR": str(tmp_path / "fresh")})
    assert result.returncode == 0, result.stderr
    assert "/huongdan vneid-quen-mat-khau" in result.stdout
    assert (tmp_path / "fresh" / "index" / "meta.json").exists()


@pytest.fixture
def chat_app(data_dir: Path, sqlite_url: str) -> Iterator[Troly]:
    app = create_app(Settings(data_dir=data_dir, database_url=sqlite_url))
    yield app
    app.close()


def test_chat_free_text_goes_to_the_answerer(chat_app: Troly) -> None:
    (reply,) = say(chat_app, "quen mat khau vneid")
    assert "/huongdan vneid-quen-mat-khau" in reply.text
    # the full guide first; handlers.feedback adds its "Hữu ích / Chưa đúng" after it
    assert [choice.value for choice in reply.choices][:1] == ["/huongdan vneid-quen-mat-khau"]
    (full,) = say(chat_app, "1")  # the numbered choice opens the whole guide
    assert "Lỗi thường gặp" in full.text


def test_chat_fallback_offers_the_topic_menu(chat_app: Troly) -> None:
    (reply,) = say(chat_app, "Cách nấu phở bò ngon tại nhà")
    assert "chưa có câu trả lời chắc chắn" in reply.text
    assert [choice.value for choice in reply.choices] == ["/huongdan"]
    (menu,) = say(chat_app, "1")
    assert "/huongdan vneid-cai-dat" in menu.text
    assert len(menu.choices) == 28


def test_huongdan_unknown_topic_is_polite(chat_app: Troly) -> None:
    (reply,) = say(chat_app, "/huongdan khong-co-chu-de-nay")
    assert "không tìm thấy" in reply.text and "/huongdan" in reply.text
