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
    assert len(answer.text) <= 650 and "**" not in answer.text


def test_plan_question_quotes_the_passage_and_cites_it(answerer: Answerer) -> None:
    answer = answerer.answer("Kế hoạch chuyển đổi số Móng Cái năm 2023: bao nhiêu hộ gia đình có Internet cáp quang?")
    assert answer.confident and answer.topic is None
    assert answer.source is not None and answer.source.kind == "plan"
    assert answer.source.document == "001_bcb478adb2ba6af6"
    assert "88% hộ gia đình" in answer.text
    assert "Kế hoạch Chuyển đổi số toàn diện thành phố Móng Cái năm 2023, mục 2.4" in answer.text


def test_question_with_diacritics_reaches_the_ocr_plan_quoted_with_diacritics(answerer: Answerer) -> None:
    answer = answerer.answer("Hải Phòng năm 2022 phấn đấu hạ tầng cáp quang phủ bao nhiêu phần trăm hộ gia đình?")
    assert answer.source is not None and answer.source.document == "004_8440493076699264"
    assert "80% hộ gia đình" in answer.text and "ho gia dinh" not in answer.text
    assert "Kế hoạch Chuyển đổi số thành phố Hải Phòng năm 2022" in answer.text
    assert "bản quét" in answer.text  # OCR excerpts are marked as such


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


def test_ask_json_follow_ups_of_one_user_are_read_in_order(data_dir: Path) -> None:
    lines = [
        {"user": "an", "text": "đăng ký định danh mức 2 ở đâu"},
        {"user": "binh", "text": "cài vneid thế nào"},
        {"user": "an", "text": "thế còn mức 1?"},
        {"user": "binh", "text": "cảm ơn"},
        {"user": "cuong", "text": "thế còn mức 1?"},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    result = troly("ask", "--json", "-", stdin=stdin, env={"TROLY_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["outcome"] for row in rows[:4]] == ["answer", "answer", "answer", "smalltalk"]
    assert rows[0]["topic"] == "vneid-dang-ky-muc-2" and rows[2]["topic"] == "vneid-dang-ky-muc-1"
    assert rows[3]["confident"] is False and rows[3]["topic"] is None
    assert rows[4]["topic"] != "vneid-dang-ky-muc-1" or rows[4]["outcome"] != "answer"  # no previous question


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
    keys = {"question", "answer", "confident", "score", "topic", "source", "alternatives", "outcome"}
    assert all(keys <= set(row) for row in rows)
    assert rows[0]["topic"] == "vneid-cai-dat" and rows[0]["confident"] is True
    assert rows[0]["source"]["kind"] == "guide" and rows[0]["source"]["section"] == "steps"
    assert [row["outcome"] for row in rows] == ["answer", "fallback", "answer"]
    assert all(row["confident"] == (row["outcome"] == "answer") for row in rows)
    assert rows[1]["confident"] is False and rows[1]["topic"] is None
    assert rows[2]["source"]["kind"] == "plan" and rows[2]["source"]["document"] == "001_bcb478adb2ba6af6"
    assert rows[2]["source"]["section"].endswith("2.4. Về phát triển xã hội số")
    assert all(len(row["alternatives"]) <= 3 for row in rows)


def test_ask_builds_the_index_on_first_use(tmp_path: Path) -> None:
    result = troly("ask", "--json", "quên mật khẩu vneid", env={"TROLY_DATA_DIR": str(tmp_path / "fresh")})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["topic"] == "vneid-quen-mat-khau"
    assert (tmp_path / "fresh" / "index" / "meta.json").exists()


@pytest.fixture
def chat_app(data_dir: Path, sqlite_url: str) -> Iterator[Troly]:
    app = create_app(Settings(data_dir=data_dir, database_url=sqlite_url))
    yield app
    app.close()


def test_chat_free_text_goes_to_the_answerer(chat_app: Troly) -> None:
    (reply,) = say(chat_app, "quen mat khau vneid")
    # the full view first, then the help desk's offer and handlers.feedback's "Hữu ích / Chưa đúng"
    assert [(choice.label, choice.value) for choice in reply.choices][:1] == [
        ("Xem đầy đủ", "/huongdan vneid-quen-mat-khau")
    ]
    assert reply.meta["kind"] == "answer" and reply.meta["outcome"] == "answer"
    assert reply.meta["topic"] == reply.meta["source_id"] == "vneid-quen-mat-khau"
    assert reply.meta["source_kind"] == "guide" and isinstance(reply.meta["score"], float)
    (full,) = say(chat_app, "1")  # the numbered choice opens the whole guide
    assert "Lỗi thường gặp" in full.text and len(full.text) <= 2000


def test_chat_fallback_offers_the_grouped_menu_that_fits_a_phone(chat_app: Troly) -> None:
    (reply,) = say(chat_app, "Cách nấu phở bò ngon tại nhà")
    assert "chưa có câu trả lời chắc chắn" in reply.text
    assert reply.meta["outcome"] == "fallback" and reply.meta["topic"] is None
    assert [choice.value for choice in reply.choices][:1] == ["/huongdan"]  # then the help desk's offer
    (menu,) = say(chat_app, "1")
    assert [choice.value for choice in menu.choices] == [
        "/huongdan vneid",
        "/huongdan cks",
        "/huongdan dvc",
        "/huongdan khac",
    ]
    assert len(menu.text) < 400 and all(len(choice.label) <= 32 for choice in menu.choices)
    (group,) = say(chat_app, "1")
    assert "/huongdan vneid-cai-dat" in [choice.value for choice in group.choices]
    assert all(len(choice.label) <= 32 for choice in group.choices) and len(group.text) < 700


def test_huongdan_unknown_topic_is_polite(chat_app: Troly) -> None:
    (reply,) = say(chat_app, "/huongdan khong-co-chu-de-nay")
    assert "không tìm thấy" in reply.text and len(reply.choices) == 4  # the group menu
