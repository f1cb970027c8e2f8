"""The web console over real HTTP (aiohttp's test server), on SQLite and PostgreSQL: sign-in, sessions, CSRF,
scopes, bad input, targets, the monthly report and the IOC feed. The browser tests are in
test_dashboard_browser.py."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.app import Troly, create_app
from bot.server import create_web_app
from bot.settings import Settings
from bot.storage.models import AuditLog
from handlers.dashboard import auth
from handlers.dashboard.models import LoginLink, Target, WebSession
from tests.announce_helpers import PLUGINS
from tests.dashboard_helpers import console_data, login_link
from tests.helpers import joined
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import telegram_settings
from tests.visits_helpers import say_as


@pytest.fixture
def console_app(make_settings: Callable[..., Settings], database_url: str) -> Troly:
    troly = create_app(make_settings(database_url=database_url, plugins=PLUGINS))
    console_data(troly)
    yield troly  # type: ignore[misc]
    troly.close()


@pytest.fixture
async def client(console_app: Troly) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(create_web_app(console_app))) as test_client:
        yield test_client


async def sign_in(client: TestClient, app: Troly, user: str) -> str:  # type: ignore[type-arg]
    """Sign in as `user` with the link /web gives; returns the CSRF token of the session."""
    path = login_link(app, user)
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303, await response.text()
    page = await (await client.get("/quan-ly/phien")).text()
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]


def audit_actions(app: Troly) -> list[str]:
    with app.database.transaction() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


async def test_the_link_signs_in_once_with_a_safe_cookie(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    path = login_link(console_app, "hoa")
    assert (await client.get(path)).status == 200  # a preview (GET) does not spend the link
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/quan-ly/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/quan-ly" in cookie
    again = await client.post(path, allow_redirects=False)
    assert again.status == 403 and "đã được dùng" in await again.text()
    overview = await client.get("/quan-ly/")
    assert overview.status == 200 and "Phường Móng Cái 1" in await overview.text()
    assert "web.login" in audit_actions(console_app)
    with console_app.database.transaction() as session:  # only the hash is stored
        assert all(len(h) == 64 for h in session.scalars(select(LoginLink.token_hash)))


async def test_forged_and_expired_links_are_refused(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    assert (await client.post("/quan-ly/dang-nhap/forged-token", allow_redirects=False)).status == 403
    path = login_link(console_app, "hoa")
    with console_app.database.transaction() as session:
        session.execute(update(LoginLink).values(expires_at=datetime.now().astimezone() - timedelta(seconds=1)))
    response = await client.post(path, allow_redirects=False)
    assert response.status == 403 and "hết hạn" in await response.text()
    assert (await client.get("/quan-ly/")).status == 401


async def test_a_member_cannot_sign_in(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    reply = joined(say_as(console_app, "/web", "lan"))
    assert "quan-ly" not in reply and "chỉ dành cho" in reply
    with console_app.database.transaction() as session:
        from bot.storage.models import User

        member = session.scalar(select(User).where(User.channel_user_id == "lan"))
        assert member is not None
        with pytest.raises(auth.LoginRefused):
            auth.create_link(session, member, datetime.now().astimezone())


async def test_logout_ends_the_session_and_the_cookie_cannot_be_replayed(
    client: TestClient,
    console_app: Troly,  # type: ignore[type-arg]
) -> None:
    csrf = await sign_in(client, console_app, "hoa")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/quan-ly/"))["troly_console"].value
    assert (await client.post("/quan-ly/dang-xuat", data={"csrf": csrf})).status == 200
    client.session.cookie_jar.update_cookies({"troly_console": cookie})  # the old cookie, replayed
    assert (await client.get("/quan-ly/")).status == 401
    assert "web.logout" in audit_actions(console_app)


async def test_a_user_ends_another_of_their_sessions(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    with console_app.database.transaction() as session:
        hoa = session.scalar(select(WebSession.user_id))  # none yet
    assert hoa is None
    csrf = await sign_in(client, console_app, "hoa")
    with console_app.database.transaction() as session:
        first = session.scalar(select(WebSession.id))
    other = TestClient(TestServer(create_web_app(console_app)))
    async with other:
        await sign_in(other, console_app, "hoa")
        page = await (await client.get("/quan-ly/phien")).text()
        assert page.count("Kết thúc phiên") == 2
        with console_app.database.transaction() as session:
            second = session.scalar(select(WebSession.id).where(WebSession.id != first))
        ended = await client.post("/quan-ly/phien/ket-thuc", data={"csrf": csrf, "id": str(second)})
        assert ended.status == 200
        assert (await other.get("/quan-ly/")).status == 401
    assert (await client.get("/quan-ly/")).status == 200


async def test_forms_without_the_csrf_token_are_refused(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    await sign_in(client, console_app, "hoa")
    form = {"area": "22-MC", "indicator": "cks", "percent": "50", "deadline": "2099-01-01"}
    response = await client.post("/quan-ly/khu-vuc/chi-tieu", data=form)
    assert response.status == 403 and "mã bảo vệ" in await response.text()
    wrong = await client.post("/quan-ly/khu-vuc/chi-tieu", data=form | {"csrf": "0" * 64})
    assert wrong.status == 403
    with console_app.database.transaction() as session:
        assert session.scalar(select(Target).where(Target.indicator_code == "cks")) is None


@pytest.mark.parametrize(
    "path",
    [
        "/quan-ly/?area=22-MC",
        "/quan-ly/khu-vuc?area=22-MC-K1",
        "/quan-ly/to?area=22-MC",
        "/quan-ly/bao-cao?area=22-MC",
        "/quan-ly/bao-cao.xlsx?area=22-MC",
        "/quan-ly/p/luot-tham?area=22-MC",
        "/quan-ly/p/luot-tham?area=22-MC&xuat=xlsx",
        "/quan-ly/?area=KHONG-CO",
    ],
)
async def test_another_communes_pages_and_exports_are_forbidden(
    client: TestClient,
    console_app: Troly,
    path: str,  # type: ignore[type-arg]
) -> None:
    await sign_in(client, console_app, "binh")
    response = await client.get(path)
    assert response.status == 403, path
    assert "Móng Cái" not in await response.text()


async def test_an_official_sees_only_their_communes_visits(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    await sign_in(client, console_app, "binh")
    page = await (await client.get("/quan-ly/p/luot-tham")).text()
    assert "Phạm Văn Cường" in page and "Nguyễn Văn An" not in page
    csv_text = (await (await client.get("/quan-ly/p/luot-tham?xuat=csv")).read()).decode("utf-8-sig")
    assert "Phạm Văn Cường" in csv_text and "Trần Phú" not in csv_text
    announcement = await client.get("/quan-ly/p/thong-bao")
    assert announcement.status == 200


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("trang=1%27%20OR%201%3D1", 400),
        ("trang=99999999999", 400),
        ("trang=9000", 200),  # beyond the last page: an empty page, said so
        ("truoc=1", 200),  # keyset: nothing logged before the first visit
        ("dv=muc2%27%3B%20DROP%20TABLE%20visits%3B--", 400),
        ("to=1%20OR%201%3D1", 400),
        ("tu=2026-13-45", 400),
        ("kq=%3Cscript%3E", 400),
    ],
)
async def test_tampered_filters_get_a_clear_answer(
    client: TestClient,
    console_app: Troly,
    query: str,
    status: int,  # type: ignore[type-arg]
) -> None:
    await sign_in(client, console_app, "hoa")
    response = await client.get(f"/quan-ly/p/luot-tham?{query}")
    assert response.status == status
    text = await response.text()
    assert "<script>" not in text
    if status == 200:
        assert "Không có lượt hỗ trợ nào phù hợp ở trang này" in text
    still = await client.get("/quan-ly/p/luot-tham")
    assert "Nguyễn Văn An" in await still.text()  # the visits table is intact


@pytest.mark.parametrize(
    ("percent", "deadline", "problem"),
    [
        ("120", "2099-01-01", "không quá 100%"),
        ("abc", "2099-01-01", "không phải là số"),
        ("0", "2099-01-01", "lớn hơn 0"),
        ("50", "2020-01-01", "đã qua"),
        ("50", "31/12/2099", "năm-tháng-ngày"),
    ],
)
async def test_bad_targets_are_refused_in_vietnamese(
    client: TestClient,
    console_app: Troly,
    percent: str,
    deadline: str,
    problem: str,  # type: ignore[type-arg]
) -> None:
    csrf = await sign_in(client, console_app, "hoa")
    form = {"csrf": csrf, "area": "22-MC", "indicator": "cks", "percent": percent, "deadline": deadline}
    response = await client.post("/quan-ly/khu-vuc/chi-tieu", data=form)
    assert response.status == 400 and problem in await response.text()
    with console_app.database.transaction() as session:
        assert session.scalar(select(Target).where(Target.indicator_code == "cks")) is None


async def test_a_valid_target_is_saved_and_audited(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    csrf = await sign_in(client, console_app, "hoa")
    form = {"csrf": csrf, "area": "22-MC-K1", "indicator": "cks", "percent": "50,5", "deadline": "2099-06-30"}
    response = await client.post("/quan-ly/khu-vuc/chi-tieu", data=form)
    assert response.status == 200 and "Đã lưu chỉ tiêu" in await response.text()
    with console_app.database.transaction() as session:
        target = session.scalar(select(Target).where(Target.indicator_code == "cks"))
        assert target is not None and target.percent == 50.5 and target.deadline == date(2099, 6, 30)
    assert "target.set" in audit_actions(console_app)
    population = {"csrf": csrf, "area": "22-MC-K1", "households": "=1+1", "adults": ""}
    refused = await client.post("/quan-ly/khu-vuc/dan-so", data=population)
    assert refused.status == 400 and "số nguyên" in await refused.text()


async def test_the_month_is_picked_from_a_list_in_vietnamese(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    await sign_in(client, console_app, "hoa")
    page = await (await client.get("/quan-ly/bao-cao?area=22-MC&thang=2019-03")).text()
    options = re.findall(r'<option value="(\d{4}-\d{2})"( selected)?>([^<]+)</option>', page)
    this_month = date.today().replace(day=1)
    assert (
        options[0][0] == this_month.strftime("%Y-%m") and options[0][2] == f"Tháng {this_month.month}/{this_month.year}"
    )
    assert len(options) == 25 and options[-1] == ("2019-03", " selected", "Tháng 3/2019")  # an old month asked for
    assert 'type="month"' not in page


async def test_the_monthly_report_is_a_real_spreadsheet(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    await sign_in(client, console_app, "hoa")
    month = date.today().strftime("%Y-%m")
    response = await client.get(f"/quan-ly/bao-cao.xlsx?area=22-MC&thang={month}")
    assert response.status == 200
    book = load_workbook(io.BytesIO(await response.read()))
    summary = book["Tổng hợp"]
    assert summary.freeze_panes == "A2" and summary["A1"].font.bold and summary.auto_filter.ref
    rows = {row[3]: row for row in summary.iter_rows(min_row=2, values_only=True) if row[3]}
    level2 = rows["Định danh điện tử mức 2"]
    assert isinstance(level2[0], datetime) and level2[0].month == date.today().month  # a real date
    # lan: 2 households with mức 2 (1 person each), minh: 1; 22-UB's visit is not counted here
    assert level2[4:8] == (3, 3, 3, 3)
    assert level2[8] == 2500 and abs(level2[9] - 3 / 2500) < 1e-9 and level2[10] == 0.95
    sheet = book["Định danh điện tử mức 2"]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in values[:2]] == ["Khu 1", "Khu 2"] and values[0][2] == 2 and values[1][2] == 1
    assert values[2][0] == "Cộng các đơn vị trực thuộc" and values[2][2] == "=SUM(C2:C3)"
    assert values[3][0] == "Toàn Phường Móng Cái 1" and values[3][2] == 3 and sheet["A4"].font.bold


async def test_the_ioc_feed_needs_a_token_of_the_right_area(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    assert (await client.get("/api/v1/bao-cao-thang?area=22-MC")).status == 401
    bad = await client.get("/api/v1/bao-cao-thang", headers={"Authorization": "Bearer troly_forged"})
    assert bad.status == 401
    with console_app.database.transaction() as session:
        from bot.areas import area_by_code

        area = area_by_code(session, "22-MC")
        assert area is not None
        token = auth.create_api_token(session, "IOC Móng Cái", area.id, datetime.now().astimezone())
    headers = {"Authorization": f"Bearer {token}"}
    other = await client.get("/api/v1/bao-cao-thang?area=22-UB", headers=headers)
    assert other.status == 403
    feed = await (await client.get("/api/v1/bao-cao-thang?area=22-MC", headers=headers)).json()
    level2 = next(f for f in feed["figures"] if f["indicator"] == "muc2" and f["unit"] == "22-MC")
    assert level2["cumulative"] == {"households": 3, "people": 3} and level2["target_percent"] == 95
    assert "ước tính" in feed["estimate"]


async def test_an_idle_session_expires(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    await sign_in(client, console_app, "hoa")
    idle = timedelta(minutes=console_app.settings.web_idle_minutes + 1)
    with console_app.database.transaction() as session:
        session.execute(update(WebSession).values(last_seen_at=datetime.now().astimezone() - idle))
    assert (await client.get("/quan-ly/")).status == 401


async def test_an_invite_has_a_qr_code_and_a_telegram_deep_link(
    make_settings: Callable[..., Settings], database_url: str, fake_telegram: FakeTelegram
) -> None:
    settings = telegram_settings(make_settings, fake_telegram, database_url=database_url, plugins=PLUGINS)
    troly = create_app(settings)
    console_data(troly)
    try:
        async with TestClient(TestServer(create_web_app(troly))) as client:
            csrf = await sign_in(client, troly, "hoa")
            page = await (await client.get("/quan-ly/to")).text()
            team = re.search(r'<option value="(\d+)">Tổ công nghệ số cộng đồng Khu 2', page).group(1)  # type: ignore[union-attr]
            created = await client.post(
                "/quan-ly/to/moi", data={"csrf": csrf, "team": team, "role": "member", "hours": "72"}
            )
            text = await created.text()
            code = re.search(r"Mã mời ([A-Z0-9]{8})", text).group(1)  # type: ignore[union-attr]
            assert f"https://t.me/{fake_telegram.bot_username}?start={code}" in text
            image = await client.get(f"/quan-ly/to/moi/{code}.png")
            assert image.status == 200 and (await image.read()).startswith(b"\x89PNG")
            asked = len(fake_telegram.calls("getMe"))
            await client.get(f"/quan-ly/to?moi={code}")
            await client.get(f"/quan-ly/to/moi/{code}.png")
            assert len(fake_telegram.calls("getMe")) == asked  # asked once, then cached
        assert "invite.create" in audit_actions(troly)
        joined_reply = joined(say_as(troly, f"/start {code}", "moi"))
        assert "Chào mừng" in joined_reply and "Khu 2" in joined_reply
    finally:
        troly.close()


async def test_the_next_page_starts_after_the_last_row_shown(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    await sign_in(client, console_app, "hoa")
    page = await (await client.get("/quan-ly/p/luot-tham?truoc=3")).text()
    assert "Trần Phú" in page and "Lê Lợi" in page  # visits 1 and 2
    assert "Hòa Bình" not in page and "Thôn Đông" not in page  # visits 3 and later


async def test_an_announcement_queued_on_the_web_can_be_cancelled(client: TestClient, console_app: Troly) -> None:  # type: ignore[type-arg]
    from handlers.announcements.models import OutboxItem

    csrf = await sign_in(client, console_app, "hoa")
    form = {"csrf": csrf, "text": "Lịch làm định danh mức 2 tuần sau.", "area": "22-MC-K1", "target": "subscribers"}
    preview = await (await client.post("/quan-ly/p/thong-bao/moi", data=form | {"action": "preview"})).text()
    assert "Người nhận: 3" in preview
    queued = await client.post(
        "/quan-ly/p/thong-bao/moi", data=form | {"action": "send", "send_at": "2099-01-01T08:00"}
    )
    assert queued.status == 400 or "60 ngày" in await queued.text()  # too far ahead: refused, nothing queued
    with console_app.database.transaction() as session:
        assert session.scalar(select(OutboxItem.id)) is None
    status = await client.post("/quan-ly/p/thong-bao/moi", data=form | {"action": "send"})
    number = re.search(r"Thông báo #(\d+)", await status.text()).group(1)  # type: ignore[union-attr]
    cancelled = await client.post(f"/quan-ly/p/thong-bao/{number}/huy", data={"csrf": csrf})
    assert "Đã hủy 3 tin chưa gửi" in await cancelled.text()
    with console_app.database.transaction() as session:
        assert set(session.scalars(select(OutboxItem.reason))) == {"cancelled"}
    assert {"announcement.create", "announcement.cancel"} <= set(audit_actions(console_app))
    other = await client.post(f"/quan-ly/p/thong-bao/{number}/huy", data={})
    assert other.status == 403  # no CSRF token


async def test_the_cookie_is_secure_behind_https(make_settings: Callable[..., Settings], sqlite_url: str) -> None:
    troly = create_app(make_settings(database_url=sqlite_url, plugins=PLUGINS, public_url="https://troly.example.vn"))
    console_data(troly)
    try:
        async with TestClient(TestServer(create_web_app(troly))) as https_client:
            path = login_link(troly, "hoa")
            response = await https_client.post(path, allow_redirects=False)
            assert "Secure" in response.headers["Set-Cookie"]
    finally:
        troly.close()
