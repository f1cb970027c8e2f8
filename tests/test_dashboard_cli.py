"""The console's commands through the `troly` script: population files, web-login, web-token, report monthly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from tests.test_cli import SAMPLE, troly


def test_population_from_import_columns_and_from_its_own_file(tmp_path: Path) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text(
        "code,name,level,parent_code,households,adults\n22,Tỉnh Quảng Ninh,province,,,\n"
        "22-MC,Phường Móng Cái 1,commune,22,1.200,3000\n",
        encoding="utf-8",
    )
    assert troly("areas", "import", str(areas)).returncode == 0
    population = tmp_path / "population.csv"
    population.write_text("code,households,adults\n22-MC,,3100\nKHONG-CO,1,2\n22,abc,\n", encoding="utf-8")
    refused = troly("areas", "population", str(population))
    assert refused.returncode == 1
    assert "dòng 4" in refused.stdout  # every format problem first, before looking codes up
    assert "households phải là số nguyên" in refused.stdout
    population.write_text("code,households,adults\n22-MC,,3100\n", encoding="utf-8")
    done = troly("areas", "population", str(population))
    assert done.returncode == 0 and "1 khu vực" in done.stdout
    report = troly("report", "monthly", "--month", date.today().strftime("%Y-%m"), "--area", "22-MC", "--json")
    figures = json.loads(report.stdout)["figures"]
    assert {f["population"] for f in figures if f["basis"] == "adults"} == {3100}  # updated
    assert {f["population"] for f in figures if f["basis"] == "households"} == {1200}  # kept


def test_web_login_prints_a_link_on_its_last_line_for_officials_only(tmp_path: Path) -> None:
    assert troly("areas", "import", str(SAMPLE)).returncode == 0
    grant = ("users", "grant", "--channel", "telegram", "--user-id", "42", "--area", "22-MC")
    assert troly(*grant, "--role", "official").returncode == 0
    result = troly("web-login", "--channel", "telegram", "--user-id", "42", env={"TROLY_PUBLIC_URL": "https://x.vn/"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("https://x.vn/quan-ly/dang-nhap/")
    local = troly("web-login", "--channel", "telegram", "--user-id", "42", env={"TROLY_PORT": "9090"})
    assert local.stdout.strip().splitlines()[-1].startswith("http://127.0.0.1:9090/quan-ly/dang-nhap/")
    assert troly(*grant[:-2], "--role", "member", "--area", "22-MC-K1").returncode == 0
    member = troly("web-login", "--channel", "telegram", "--user-id", "42")
    assert member.returncode == 1 and "quan-ly" not in member.stdout
    assert troly("web-login", "--channel", "zalo", "--user-id", "nobody").returncode == 1


def test_report_monthly_writes_the_xlsx_and_refuses_bad_months(tmp_path: Path) -> None:
    assert troly("areas", "import", str(SAMPLE)).returncode == 0
    output = tmp_path / "thang.xlsx"
    result = troly("report", "monthly", "--month", "2026-11", "--area", "22-MC", "--output", str(output))
    assert result.returncode == 0, result.stderr
    book = load_workbook(output)
    assert book.sheetnames[0] == "Tổng hợp" and "Định danh điện tử mức 2" in book.sheetnames
    assert book["Tổng hợp"]["A2"].value.date() == date(2026, 11, 1)
    bad = troly("report", "monthly", "--month", "2026-13", "--area", "22-MC")
    assert bad.returncode == 2 and "NĂM-THÁNG" in bad.stderr
    unknown = troly("report", "monthly", "--month", "2026-11", "--area", "KHONG")
    assert unknown.returncode == 2 and "Không có khu vực mã KHONG" in unknown.stderr


def test_web_token_prints_the_token_once(tmp_path: Path) -> None:
    assert troly("areas", "import", str(SAMPLE)).returncode == 0
    result = troly("web-token", "--name", "IOC Móng Cái", "--area", "22-MC")
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1].startswith("troly_")
