"""Plans located by place: honest "no plan" answers, the user's own area, documents identified by their place."""

from __future__ import annotations

from knowledge.answers import Answerer, Asker, Outcome
from knowledge.followups import Previous
from knowledge.places import Gazetteer

UONG_BI, MONG_CAI_2023, TRA_VINH, HAI_PHONG = (
    "002_b09c2ca8446c836c",
    "001_bcb478adb2ba6af6",
    "003_fce860d30c10c25e",
    "004_8440493076699264",
)


def test_provinces_before_and_after_the_2025_mergers() -> None:
    gazetteer = Gazetteer.load()
    assert len([place for place in gazetteer.places.values() if place.kind != "city"]) == 63
    assert len({gazetteer.today(place).key for place in gazetteer.places.values()}) == 34
    (hai_duong,) = gazetteer.find("kế hoạch của tỉnh Hải Dương")
    assert gazetteer.today(hai_duong).name == "Hải Phòng"
    (hcm,) = gazetteer.find("ke hoach cds tphcm")
    assert hcm.name == "Thành phố Hồ Chí Minh"
    (mong_cai,) = gazetteer.find("Phường Móng Cái 1")
    assert gazetteer.province_of(mong_cai).name == "Quảng Ninh"


def test_documents_are_identified_by_their_place(answerer: Answerer) -> None:
    places = answerer.knowledge.places
    assert places[UONG_BI] == "uong bi" and places[MONG_CAI_2023] == "mong cai"
    assert places[TRA_VINH] == "tra vinh" and places[HAI_PHONG] == "hai phong"


def test_a_place_without_a_plan_is_answered_honestly(answerer: Answerer) -> None:
    answer = answerer.answer("Kế hoạch chuyển đổi số của Hà Nội năm 2025 có những mục tiêu gì?")
    assert answer.outcome is Outcome.FALLBACK and not answer.confident
    assert answer.text.startswith("Mình chưa có kế hoạch chuyển đổi số của thành phố Hà Nội.")
    assert "Kế hoạch Chuyển đổi số toàn diện thành phố Móng Cái năm 2023" in answer.text  # what is loaded
    merged = answerer.answer("kế hoạch chuyển đổi số của Hải Dương")
    assert "Hải Dương" in merged.text and "Hải Phòng" in merged.text  # merged into Hải Phòng in 2025


def test_a_named_place_without_a_plan_is_never_answered_from_another_places_plan(answerer: Answerer) -> None:
    answer = answerer.answer("Đà Nẵng đặt chỉ tiêu bao nhiêu hộ gia đình có Internet cáp quang?")
    assert answer.source is None or answer.source.kind != "plan"


def test_the_users_area_picks_the_document(answerer: Answerer) -> None:
    question = "kế hoạch chuyển đổi số năm 2023 của phường tôi đặt chỉ tiêu bao nhiêu hộ có Internet cáp quang?"
    answer = answerer.answer(question, Asker(places=("mong cai", "quang ninh")))
    assert answer.confident and answer.source is not None and answer.source.document == MONG_CAI_2023
    assert "88% hộ gia đình" in answer.text
    nowhere = answerer.answer(question, Asker(places=("ha noi",)))
    assert nowhere.outcome is Outcome.FALLBACK and "chưa có kế hoạch" in nowhere.text


def test_without_a_place_or_an_area_the_locality_is_asked(answerer: Answerer) -> None:
    answer = answerer.answer("kế hoạch chuyển đổi số của phường tôi có gì")
    assert answer.outcome is Outcome.SUGGEST and "Móng Cái" in answer.options
    previous = Previous(answer.question, answer.intent)
    chosen = answerer.answer("Uông Bí", Asker(previous=previous))
    assert chosen.source is not None and chosen.source.document == UONG_BI


def test_passages_with_figures_are_preferred_to_openings(answerer: Answerer) -> None:
    answer = answerer.answer("Kế hoạch chuyển đổi số Móng Cái năm 2023 có mục tiêu gì?")
    assert answer.confident and answer.source is not None and answer.source.kind == "plan"
    assert "Căn cứ" not in answer.text.split("\n")[1] and "%" in answer.text
