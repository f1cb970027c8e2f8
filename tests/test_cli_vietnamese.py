"""Operators read Vietnamese: argparse's own words, every option's help, roles and levels in both languages."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.areas import parse_areas_csv
from bot.cli import build_parser, main
from bot.settings import load_settings
from bot.storage.models import AreaLevel, Role
from bot.vocabulary import parse_level, parse_role

ENGLISH = ("usage:", "options:", "show this help message", "positional arguments", "error:", "subcommands")


def all_parsers(parser: argparse.ArgumentParser, path: str = "troly") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from all_parsers(child, f"{path} {name}")


def test_every_command_and_option_has_vietnamese_help() -> None:
    parser = build_parser(load_settings())
    seen = 0
    for path, command in all_parsers(parser):
        text = command.format_help()
        assert text.startswith("cách dùng: "), path
        for word in ENGLISH:
            assert word not in text, (path, word)
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (path, action.option_strings or action.dest)
            if action.nargs != 0 and action.choices is None:  # its value has a Vietnamese name in the usage
                assert action.metavar, (path, action.option_strings or action.dest)
        seen += 1
    assert seen > 25  # every command of the core and of the default plugins


def test_argparse_is_back_to_itself_after_ours() -> None:
    """The translation is swapped in only while our parser works: another parser in the process is untouched."""
    build_parser(load_settings()).format_help()
    assert argparse.ArgumentParser(prog="x").format_help().startswith("usage: x")


def test_usage_errors_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["invite", "--area"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "cách dùng: troly invite" in error and "troly invite: lỗi: tham số --area: cần một giá trị" in error
    with pytest.raises(SystemExit):
        main(["nosuch"])
    assert "lỗi: tham số LỆNH: 'nosuch' không hợp lệ (chọn một trong: 'db'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("typed", "role"),
    [
        ("leader", Role.LEADER),
        ("to-truong", Role.LEADER),
        ("Tổ trưởng", Role.LEADER),
        ("thanh vien", Role.MEMBER),
        ("cán bộ", Role.OFFICIAL),
        ("ADMIN", Role.ADMIN),
        ("quan-tri", Role.ADMIN),
        ("nguoi dan", Role.CITIZEN),
    ],
)
def test_roles_are_accepted_in_both_languages(typed: str, role: Role) -> None:
    assert parse_role(typed) is role


def test_levels_are_accepted_in_both_languages() -> None:
    assert parse_level("phường") is AreaLevel.COMMUNE and parse_level("commune") is AreaLevel.COMMUNE
    assert parse_level("to dan pho") is AreaLevel.VILLAGE and parse_level("Tỉnh") is AreaLevel.PROVINCE
    assert parse_level("huyện") is None  # no district level any more
    rows = parse_areas_csv("code,name,level,parent_code\nT,Tỉnh A,tỉnh,\nX,Phường B,phường,T\nK,Khu 1,village,X\n")
    assert [row.level for row in rows] == [AreaLevel.PROVINCE, AreaLevel.COMMUNE, AreaLevel.VILLAGE]


def test_grant_with_a_vietnamese_role_and_list_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    csv = "code,name,level,parent_code\nT,Tỉnh A,tỉnh,\nX,Phường B,xã/phường,T\n"
    Path("areas.csv").write_text(csv, encoding="utf-8")
    assert main(["areas", "import", "areas.csv"]) == 0
    assert main(["users", "grant", "--channel", "zalo", "--user-id", "42", "--role", "to-truong", "--area", "X"]) == 0
    assert "Đã cấp vai trò tổ trưởng cho zalo:42." in capsys.readouterr().out
    assert main(["users", "list"]) == 0
    assert capsys.readouterr().out.startswith("tổ trưởng")
    assert main(["areas", "list"]) == 0
    assert "X  Phường B  (xã/phường)" in capsys.readouterr().out
    assert main(["invite", "--area", "X", "--role", "leader"]) == 0
    assert "vai trò tổ trưởng" in capsys.readouterr().out
