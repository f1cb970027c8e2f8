"""Vietnamese normalisation: tone placement, folding, teencode and typo tolerance."""

from __future__ import annotations

import unicodedata

import pytest

from embeddings.query import parse_query
from embeddings.text import analyze, fold, place_tone
from embeddings.typos import Corrector


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [("hòa", "hoà"), ("thúy", "thuý"), ("khỏe", "khoẻ"), ("Hóa", "hoá"), ("quý", "quý"), ("người", "người")],
)
def test_one_tone_placement_for_both_styles(old_style: str, new_style: str) -> None:
    assert place_tone(old_style.lower()) == place_tone(new_style)


def test_decomposed_input_is_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Đăng ký hoà mạng")
    assert analyze(decomposed).accented == analyze("đăng ký hòa mạng").accented


def test_folding_removes_every_diacritic_including_d_stroke() -> None:
    assert fold("Định danh điện tử mức độ hai") == "Dinh danh dien tu muc do hai"
    assert analyze("ĐĂNG KÝ").folded == analyze("dang ki").folded == ("dang", "ki")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("dk cks ntn", "đăng ký chữ ký số như thế nào"),
        ("ko dc", "không được"),
        ("đki vneid bằng sdt", "đăng ký vneid bằng số điện thoại"),
        ("cccd gắn chip", "căn cước công dân gắn chip"),
        ("dvc bhxh bhyt gplx", "dịch vụ công bảo hiểm xã hội bảo hiểm y tế giấy phép lái xe"),
        ("tải app", "tải ứng dụng"),
    ],
)
def test_teencode_and_abbreviations_expand(typed: str, meant: str) -> None:
    assert analyze(typed).folded == analyze(meant).folded


def test_accented_word_that_folds_onto_teencode_is_kept() -> None:
    # "hỏng" (broken) must not become "không" because unaccented "hong" can be teencode elsewhere
    assert analyze("điện thoại hỏng").folded[-1] == "hong"


def test_typos_are_corrected_against_the_vocabulary() -> None:
    corrector = Corrector({"vneid": 9, "dang": 30, "nhap": 12, "dich": 8, "vu": 8, "cong": 20, "quen": 5})
    assert corrector.correct("vnied").tokens == ("vneid",)  # swapped letters
    assert corrector.correct("nhapp").tokens == ("nhap",)
    assert corrector.correct("dichvu").tokens == ("dich", "vu")  # glued syllables
    assert corrector.correct("wen").tokens == ("quen",)  # teencode spelling
    assert corrector.correct("dang").confidence == 1.0  # known words are never touched
    assert corrector.correct("xyzzyq").confidence == 0.0


def test_query_marks_corrected_words_as_less_certain() -> None:
    query = parse_query("dang nhapp vnied", Corrector({"vneid": 9, "dang": 30, "nhap": 12}))
    assert query.folded == ("dang", "nhap", "vneid")
    assert query.confidence[0] == 1.0
    assert query.confidence[1] < 1.0 and query.confidence[2] < 1.0
