"""Masking phone and identity numbers however they are typed, without masking the other numbers of a note.

The examples come from the attack report (issue 15); the properties generate numbers, group them at random
and join the groups with the separators people use.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.privacy import ID_PLACEHOLDER, mask_citizen_id, mask_personal, mask_phone


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("0012 3456 7890", ID_PLACEHOLDER),
        ("001-234-567-890", ID_PLACEHOLDER),
        ("001.234.567.890", ID_PLACEHOLDER),
        ("036099012345", ID_PLACEHOLDER),
        ("CMND 123 456 789 cấp năm 2010", f"CMND {ID_PLACEHOLDER} cấp năm 2010"),
        ("(+84) 912 345 678", "********678"),
        ("(84) 912 345 678", "********678"),
        ("+84 (0) 912 345 678", "*********678"),
        ("0912 - 345 - 678", "*******678"),
        ("0912-345-678", "*******678"),
        ("0912.345.678", "*******678"),
        ("0912 345 678", "*******678"),
        ("091 234 5678", "*******678"),
        ("+84912345678", "********678"),
        ("+84-912-345-678", "********678"),
        ("84 912 345 678", "********678"),
        ("84912345678", "********678"),
        ("0084 912 345 678", "**********678"),
        ("(024) 3825 1234", "********234"),
        ("0203 3881 234", "********234"),
        ("０９１２３４５６７８", "*******678"),
        ("sđt: 0987-654-321, cccd 036099012345.", f"sđt: *******321, cccd {ID_PLACEHOLDER}."),
        ("số 12 0912345678", "số 12 *******678"),
        ("gọi 0912345678 trước 5 giờ", "gọi *******678 trước 5 giờ"),
    ],
)
def test_the_reported_spellings_are_masked(typed: str, masked: str) -> None:
    assert mask_personal(typed) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Số 12 ngõ 5 Trần Phú",
        "số 12/3 đường 30/4",
        "năm 2024, tháng 12",
        "ngày 12/05/2024 lúc 14:30",
        "ngày 12.05.2024 lúc 14.30",
        "05.03.2024 14.30",
        "12-05-2024",
        "học kỳ 2024-2025",
        "phí 150.000.000 đồng",
        "1.500.000đ",
        "100.000.000 VND",
        "lãi 3.5 triệu, tăng 12 %",
        "hỗ trợ 4 người, 2 lần",
        "mã hồ sơ 2024-001",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_personal(text) == text


SEPARATORS = st.sampled_from([" ", "  ", "-", " - ", ".", " . ", "\u00a0", "–", " – "])
MOBILE = st.tuples(st.sampled_from("35789"), st.text("0123456789", min_size=8, max_size=8)).map("".join)
LANDLINE = st.tuples(st.just("2"), st.text("0123456789", min_size=9, max_size=9)).map("".join)
PREFIXES = st.sampled_from(["0", "+84 ", "+84", "(+84) ", "(+84)", "84 ", "0084 ", "+84 (0) ", "(84) "])


@st.composite
def grouped(draw: st.DrawFn, digits: str, smallest: int = 1, largest: int = 5, first_smallest: int = 1) -> str:
    """`digits` in groups of `smallest`..`largest` digits (the first at least `first_smallest`), joined by
    separators people type."""
    groups: list[str] = []
    rest = digits
    while rest:
        low = max(smallest, first_smallest) if not groups else smallest
        sizes = [
            n for n in range(low, min(largest, len(rest)) + 1) if len(rest) - n in range(smallest, 99) or n == len(rest)
        ]
        size = draw(st.sampled_from(sizes))
        groups.append(rest[:size])
        rest = rest[size:]
    text = groups[0]
    for group in groups[1:]:
        text += draw(SEPARATORS) + group
    return text


@st.composite
def phone_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(as typed, the national number without its 0)."""
    national = draw(st.one_of(MOBILE, LANDLINE))
    prefix = draw(PREFIXES)
    if prefix == "0":  # written nationally: the first group keeps the 0 and at least 3 digits
        return draw(grouped("0" + national, first_smallest=3)), national
    return prefix + draw(grouped(national)), national


CONTEXT = st.sampled_from(["Gọi {} nhé", "{}", "sđt: {}, ", "(sđt {})", "số điện thoại con trai {}. Hẹn mai"])


@given(phone_numbers(), CONTEXT)
@example(("(+84) 912 345 678", "912345678"), "{}")
@example(("0912 - 345 - 678", "912345678"), "Gọi {} nhé")
def test_every_spelling_of_a_phone_number_keeps_only_its_last_three_digits(
    phone: tuple[str, str], context: str
) -> None:
    typed, national = phone
    masked = mask_phone(context.format(typed))
    assert re.findall(r"\d", masked) == list(national[-3:]), masked
    assert mask_personal(context.format(typed)) == masked


@st.composite
def identity_numbers(draw: st.DrawFn) -> str:
    digits = draw(
        st.one_of(st.text("0123456789", min_size=12, max_size=12), st.text("0123456789", min_size=9, max_size=9))
    )
    return draw(grouped(digits, smallest=3, largest=6))


@given(identity_numbers(), st.sampled_from(["CCCD {}", "{}", "số định danh: {}, cấp tại Quảng Ninh"]))
def test_every_spelling_of_an_identity_number_is_removed(typed: str, context: str) -> None:
    masked = mask_personal(context.format(typed))
    assert not re.findall(r"\d", masked) and ID_PLACEHOLDER in masked, masked
    assert mask_citizen_id(context.format(typed)) == masked


@given(
    st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=9999).map(str),
            st.integers(min_value=1, max_value=999).map(lambda n: f"số {n}"),
            st.dates().map(lambda day: f"{day.day:02d}/{day.month:02d}/{day.year}"),
            st.dates().map(lambda day: f"{day.day:02d}.{day.month:02d}.{day.year}"),
            st.integers(min_value=1, max_value=10**12).map(lambda n: f"{n:,}".replace(",", ".") + " đồng"),
        ),
        max_size=4,
    )
)
def test_years_house_numbers_dates_and_amounts_stay(parts: list[str]) -> None:
    text = " và ".join(parts)
    assert mask_personal(text) == text
