"""The console in a real browser: Debian's headless Chromium driven by Selenium (tests/support/browser.py).

Screenshots of every page, at a phone's and a desktop's size, are saved as test artefacts in the directory
printed by the test (TROLY_TEST_ARTEFACTS, or pytest's temporary directory).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.app import Troly, create_app
from bot.areas import area_by_code, subtree_ids
from bot.server import create_web_app
from bot.settings import Settings
from handlers.announcements.models import Announcement, OutboxItem
from handlers.visits.models import Visit, VisitService
from tests.announce_helpers import PLUGINS
from tests.dashboard_helpers import console_data, login_link
from tests.support.browser import browser_available, chromium, console_errors, serving

pytestmark = pytest.mark.skipif(
    not browser_available() and os.environ.get("CI") != "true",
    reason="chromium and chromium-driver are not installed (.ci/run installs them)",
)
PAGES = [
    ("tong-quan", "/quan-ly/", "Tiến độ so với chỉ tiêu"),
    ("khu-vuc", "/quan-ly/khu-vuc", "Chỉ tiêu của"),
    ("to", "/quan-ly/to", "Các tổ"),
    ("bao-cao", "/quan-ly/bao-cao", "Tải báo cáo XLSX"),
    ("luot-tham", "/quan-ly/p/luot-tham", "lượt phù hợp"),
    ("thong-bao", "/quan-ly/p/thong-bao", "Soạn thông báo mới"),
    ("soan-thong-bao", "/quan-ly/p/thong-bao/moi", "Nội dung"),
    ("phien", "/quan-ly/phien", "Kết thúc phiên"),
]
SIZES = {"dien-thoai": (390, 844), "may-tinh": (1366, 900)}


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("TROLY_TEST_ARTEFACTS") or tmp_path_factory.mktemp("console-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {folder}")
    return folder


@pytest.fixture
def console_url(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[tuple[Troly, str]]:
    troly = create_app(make_settings(database_url=sqlite_url, plugins=PLUGINS))
    console_data(troly)
    with serving(create_web_app(troly)) as url:
        yield troly, url
    troly.close()


def sign_in(driver: Any, app: Troly, base: str, user: str) -> str:
    from selenium.webdriver.common.by import By

    link = base + login_link(app, user)
    driver.get(link)
    click_and_wait(driver, driver.find_element(By.ID, "dang-nhap"))
    assert driver.current_url == f"{base}/quan-ly/", driver.page_source[:500]
    return link


def click_and_wait(driver: Any, element: Any) -> None:
    """Click, then wait until the next page has replaced this one (a form's POST and its redirect)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def full_screenshot(driver: Any, path: Path, width: int) -> None:
    """The whole page, not only the first screen: the window grows to the document's height."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height + 120, 600), 6000))
    driver.save_screenshot(str(path))


def test_every_page_renders_for_an_official_on_a_phone_and_a_desktop(
    console_url: tuple[Troly, str], artefacts: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    app, base = console_url
    for size, (width, height) in SIZES.items():
        with chromium(tmp_path / "downloads", width, height) as driver:
            link = sign_in(driver, app, base, "hoa")
            for name, path, expected in PAGES:
                driver.set_window_size(width, height)
                driver.get(base + path)
                body = driver.find_element(By.TAG_NAME, "body").text
                assert expected in body, (path, body[:300])
                assert "Server got itself in trouble" not in body
                assert console_errors(driver) == [], path
                full_screenshot(driver, artefacts / f"{name}-{size}.png", width)
            driver.get(link)  # the link again, in the same browser: refused
            assert "đã được dùng" in driver.find_element(By.TAG_NAME, "body").text


def test_the_overview_shows_progress_against_the_target(console_url: tuple[Troly, str], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    app, base = console_url
    with chromium(tmp_path / "downloads") as driver:
        sign_in(driver, app, base, "hoa")
        card = driver.find_element(By.XPATH, "//article[h3[text()='Định danh điện tử mức 2']]").text
        assert "3 người" in card and "Chỉ tiêu 95%" in card
        assert "ước tính" in driver.find_element(By.CLASS_NAME, "estimate").text
        rows = driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=h-units] tbody tr")
        assert [row.find_element(By.TAG_NAME, "th").text for row in rows] == ["Khu 1", "Khu 2"]


def test_an_announcement_composed_on_the_web_is_queued(
    console_url: tuple[Troly, str], tmp_path: Path, artefacts: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    app, base = console_url
    with chromium(tmp_path / "downloads") as driver:
        sign_in(driver, app, base, "hoa")
        driver.get(f"{base}/quan-ly/p/thong-bao/moi")
        driver.find_element(By.ID, "a-text").send_keys("Chủ nhật này phường làm định danh mức 2 tại nhà văn hóa.")
        Select(driver.find_element(By.ID, "a-area")).select_by_value("22-MC")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "button[value=preview]"))
        preview = driver.find_element(By.TAG_NAME, "main").text
        full_screenshot(driver, artefacts / "thong-bao-xem-truoc-may-tinh.png", 1280)
        assert "Người nhận: 7" in preview
        zalo = driver.find_element(By.XPATH, "//tr[th[text()='Zalo']]").text
        assert "5" in zalo and "2 (quá 7 ngày chưa nhắn tin)" in zalo
        click_and_wait(driver, driver.find_element(By.ID, "xac-nhan"))
        status = driver.find_element(By.TAG_NAME, "main").text
        full_screenshot(driver, artefacts / "thong-bao-ket-qua-may-tinh.png", 1280)
        assert "Đã xếp thông báo #" in status and "cho 7 người" in status and "Tổng số người nhận: 7" in status
        with app.database.transaction() as session:
            announcement = session.scalar(select(Announcement))
            assert announcement is not None and announcement.created_by_label.startswith("web:")
            assert session.scalar(select(func.count()).select_from(OutboxItem)) == 7
        assert f"/quan-ly/p/thong-bao/{announcement.id}" in driver.current_url
        driver.get(f"{base}/quan-ly/p/thong-bao")
        assert f"#{announcement.id}" in driver.find_element(By.TAG_NAME, "table").text
        assert console_errors(driver) == []


def test_an_export_downloads_exactly_the_filtered_rows(console_url: tuple[Troly, str], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    app, base = console_url
    downloads = tmp_path / "downloads"
    with chromium(downloads) as driver:
        sign_in(driver, app, base, "hoa")
        driver.get(f"{base}/quan-ly/p/luot-tham")
        Select(driver.find_element(By.ID, "f-service")).select_by_value("muc2")
        Select(driver.find_element(By.ID, "f-outcome")).select_by_value("done")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form.filters button"))
        assert "3 lượt phù hợp" in driver.find_element(By.TAG_NAME, "main").text
        driver.find_element(By.ID, "xuat-xlsx").click()
        files = _wait_for_download(downloads, ".xlsx")
    sheet = load_workbook(files[0]).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    with app.database.transaction() as session:
        commune = area_by_code(session, "22-MC")
        assert commune is not None
        scope = subtree_ids(session, commune.id)
        wanted = set(
            session.scalars(
                select(Visit.id)
                .join(VisitService, VisitService.visit_id == Visit.id)
                .where(VisitService.service_code == "muc2", Visit.outcome == "done", Visit.area_id.in_(scope))
            )
        )
    assert {row[0] for row in rows} == wanted and len(rows) == 3
    heads = {row[7] for row in rows}
    assert '\'=HYPERLINK("http://x","bấm")' in heads  # neutralised: shown as text, never run
    assert all(row[1].year > 2000 for row in rows)  # real dates


def _wait_for_download(folder: Path, suffix: str) -> list[Path]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done = [path for path in folder.glob(f"*{suffix}")]
        if done and not list(folder.glob("*.crdownload")):
            return done
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def test_another_commune_is_forbidden_and_a_member_cannot_sign_in(
    console_url: tuple[Troly, str], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    from tests.helpers import joined
    from tests.visits_helpers import say_as

    app, base = console_url
    with chromium(tmp_path / "downloads") as driver:
        sign_in(driver, app, base, "binh")
        for path in ("/quan-ly/?area=22-MC", "/quan-ly/p/luot-tham?area=22-MC", "/quan-ly/bao-cao?area=22-MC"):
            driver.get(base + path)
            text = driver.find_element(By.TAG_NAME, "main").text
            assert "Không có quyền" in text and "Móng Cái" not in text, path
        driver.get(f"{base}/quan-ly/p/luot-tham")
        assert "Phạm Văn Cường" in driver.page_source and "Nguyễn Văn An" not in driver.page_source
    assert "quan-ly" not in joined(say_as(app, "/web", "lan"))


def test_an_invite_is_shown_with_its_qr_code(console_url: tuple[Troly, str], tmp_path: Path, artefacts: Path) -> None:
    from selenium.webdriver.common.by import By

    app, base = console_url
    with chromium(tmp_path / "downloads", 390, 844) as driver:
        sign_in(driver, app, base, "hoa")
        driver.get(f"{base}/quan-ly/to")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form.narrow button"))
        image = driver.find_element(By.CSS_SELECTOR, ".invite img")
        assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 100
        assert "/thamgia " in driver.find_element(By.CLASS_NAME, "invite").text
        assert console_errors(driver) == []
        full_screenshot(driver, artefacts / "moi-thanh-vien-dien-thoai.png", 390)
