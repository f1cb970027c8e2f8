"""Local answers: scoped to an area and below, attributed, expiring, served by every process at once, proposed by
leaders (or by another feature) and published by officials, audited, retired and rolled back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from bot.app import Troly, create_app
from bot.areas import area_by_code
from bot.clock import ManualClock
from bot.context import Context, Reply
from bot.extensions import ANSWER_PROPOSALS, AnswerProposal
from bot.settings import Settings
from bot.storage.models import AuditLog, PushMessage, Role
from handlers.feedback.local_answers import MAX_ANSWER_CHARS, Actor, Draft, LocalAnswerError, create, rollback
from handlers.feedback.local_answers import set_status as change_status
from handlers.feedback.models import AnswerStatus, LocalAnswer
from tests.feedback.helpers import LOUDSPEAKER, LOUDSPEAKER_ANSWER, SIXTH, grant, local_answers, subscribe
from tests.helpers import joined, say

CLI = Actor("cli")


def publish(app: Troly, area_code: str, *, until: date | None = None, questions: list[str] | None = None) -> int:
    with app.database.transaction() as session:
        area = area_by_code(session, area_code)
        assert area is not None
        draft = Draft(area, questions or LOUDSPEAKER, LOUDSPEAKER_ANSWER, "UBND phường Móng Cái 1", until)
        return create(session, draft, status=AnswerStatus.PUBLISHED, actor=CLI, origin="test", now=app.clock.now()).id


def answered_locally(app: Troly, user: str, question: str = SIXTH) -> bool:
    reply = say(app, question, user=user)[0]
    return reply.meta.get("source_kind") == "local"


def test_scoped_to_the_area_and_below_with_attribution(fb_app: Troly) -> None:
    for user, area in (("ward", "22-MC"), ("village", "22-MC-K1"), ("other", "22-UB"), ("province", "22")):
        subscribe(fb_app, user, area)
    publish(fb_app, "22-MC")
    reply = say(fb_app, SIXTH, user="village")[0]
    assert reply.text == f"{LOUDSPEAKER_ANSWER}\n\nTheo UBND phường Móng Cái 1, cập nhật 02/12/2026."
    assert reply.meta["source"]["kind"] == "local" and reply.meta["source"]["area"] == "22-MC"
    assert answered_locally(fb_app, "ward")
    assert not answered_locally(fb_app, "other") and not answered_locally(fb_app, "province")
    assert not answered_locally(fb_app, "nobody")  # no area: no local answers
    assert not answered_locally(fb_app, "ward", "cài vneid ko được")  # the guides still answer their questions


def test_a_member_is_in_the_area_of_their_team(lite_app: Troly) -> None:
    grant(lite_app, "member", Role.MEMBER, "22-MC-K2")
    publish(lite_app, "22-MC")
    assert answered_locally(lite_app, "member")


def test_expired_retired_and_rolled_back(lite_app: Troly, clock: ManualClock) -> None:
    subscribe(lite_app, "c1", "22-MC")
    answer_id = publish(lite_app, "22-MC", until=date(2026, 12, 3))
    assert answered_locally(lite_app, "c1")
    clock.advance(timedelta(days=1, hours=14))  # 4 Dec in Vietnam
    assert not answered_locally(lite_app, "c1")
    clock.set(clock.now() - timedelta(days=2))
    with lite_app.database.transaction() as session:
        answer = session.get(LocalAnswer, answer_id)
        assert answer is not None
        change_status(session, answer, AnswerStatus.RETIRED, CLI, clock.now())
    assert not answered_locally(lite_app, "c1")
    with lite_app.database.transaction() as session:
        answer = session.get(LocalAnswer, answer_id)
        assert answer is not None and answer.revision == 2
        rollback(session, answer, 1, CLI, clock.now())
        assert answer.status == "published" and answer.revision == 3
    assert answered_locally(lite_app, "c1")
    with lite_app.database.transaction() as session:
        actions = list(session.scalars(select(AuditLog.action).where(AuditLog.target == f"local_answer:{answer_id}")))
    assert actions == ["local_answer.publish", "local_answer.retire", "local_answer.rollback"]


def test_a_publication_reaches_another_process_without_restart(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = make_settings(database_url=database_url)
    first, second = create_app(settings), create_app(settings)
    try:
        from tests.feedback.helpers import import_sample

        import_sample(first)
        subscribe(second, "c1", "22-MC")
        assert not answered_locally(second, "c1")  # the second process has built its (empty) index
        answer_id = publish(first, "22-MC")
        assert answered_locally(second, "c1")
        with first.database.transaction() as session:
            answer = session.get(LocalAnswer, answer_id)
            assert answer is not None
            change_status(session, answer, AnswerStatus.RETIRED, CLI, first.clock.now())
        assert not answered_locally(second, "c1")
    finally:
        first.close()
        second.close()


def test_bad_local_answers_are_refused_with_reasons(lite_app: Troly) -> None:
    publish(lite_app, "22-MC")
    with lite_app.database.transaction() as session:
        area = area_by_code(session, "22-MC")
        assert area is not None
        cases = {
            "dài": Draft(area, ["đèn đường hỏng báo ai"], "x" * (MAX_ANSWER_CHARS + 1), "UBND"),
            "trống": Draft(area, ["đèn đường hỏng báo ai"], "  ", "UBND"),
            "đã có trong câu trả lời #1": Draft(area, ["LOA PHÁT THANH BỊ HỎNG BÁO AI"], "Báo phường.", "UBND"),
            "chưa có câu hỏi": Draft(area, [], "Báo phường.", "UBND"),
            "nguồn": Draft(area, ["đèn đường hỏng báo ai"], "Báo phường.", ""),
        }
        for expected, draft in cases.items():
            try:
                create(
                    session, draft, status=AnswerStatus.PUBLISHED, actor=CLI, origin="test", now=lite_app.clock.now()
                )
            except LocalAnswerError as error:
                assert any(expected in problem for problem in error.problems), (expected, error.problems)
            else:
                raise AssertionError(f"accepted: {expected}")
    assert len(local_answers(lite_app)) == 1


def test_a_leader_proposes_an_official_is_told_and_publishes(fb_app: Troly) -> None:
    grant(fb_app, "leader", Role.LEADER, "22-MC-K1")
    grant(fb_app, "official", Role.OFFICIAL, "22-MC")
    grant(fb_app, "elsewhere", Role.OFFICIAL, "22-UB")
    subscribe(fb_app, "c1", "22-MC-K1")
    for n, question in enumerate(LOUDSPEAKER):
        say(fb_app, question, user=f"asker{n}")  # no area: the leader's ward does not see these
        subscribe(fb_app, f"k{n}", "22-MC-K1")
        say(fb_app, question, user=f"k{n}")
    assert "5 lần" in joined(say(fb_app, "/khoangtrong", user="leader"))
    say(fb_app, "1", user="leader")
    say(fb_app, LOUDSPEAKER_ANSWER, user="leader")
    preview = say(fb_app, "Ban điều hành Khu 1", user="leader")[0]
    assert "Theo Ban điều hành Khu 1, cập nhật 02/12/2026." in preview.text
    assert preview.choices[0].label == "Gửi đề xuất"
    assert "Đã gửi đề xuất #1" in joined(say(fb_app, "1", user="leader"))
    assert not answered_locally(fb_app, "c1")  # proposed, not published
    with fb_app.database.transaction() as session:
        pushes = list(session.scalars(select(PushMessage)))
    assert [(p.chat_id, p.payload["choices"]) for p in pushes] == [("official", [["Xem đề xuất", "/duyet 1"]])]
    assert "Không có câu trả lời #1" in joined(say(fb_app, "/duyet 1 dang", user="elsewhere"))
    assert "Xin lỗi, chức năng này chỉ dành cho" in joined(say(fb_app, "/duyet 1 dang", user="leader"))
    assert "Đề xuất chờ duyệt" in joined(say(fb_app, "/duyet", user="official"))
    assert "Đã đăng câu trả lời #1" in joined(say(fb_app, "/duyet 1 dang", user="official"))
    assert answered_locally(fb_app, "c1")
    with fb_app.database.transaction() as session:
        told = session.scalars(select(PushMessage.text).where(PushMessage.chat_id == "leader")).one()
    assert "đã được đăng" in told


def test_another_feature_can_propose_a_helpers_reply(lite_app: Troly) -> None:
    """What the help desk would do with a good reply: discover ANSWER_PROPOSALS and offer it."""
    grant(lite_app, "official", Role.OFFICIAL, "22-MC")

    def offer(ctx: Context) -> Reply:
        with_area = area_by_code(ctx.session, "22-MC-K1")
        assert with_area is not None
        proposal = AnswerProposal("loa phát thanh hỏng, số 0912345678 báo ai", LOUDSPEAKER_ANSWER, with_area.id,
                                  "helpdesk:7", "Chị Lan, Tổ CNSCĐ Khu 1")  # fmt: skip
        replies = [propose(ctx, proposal) for propose in ctx.troly.extensions[ANSWER_PROPOSALS]]
        return next(reply for reply in replies if reply)

    lite_app.router.command("demo", offer, description="-")
    assert "đề xuất #1" in joined(say(lite_app, "/demo", user="helper"))
    (proposal,) = local_answers(lite_app)
    assert proposal.status == "proposed" and proposal.origin == "helpdesk:7" and proposal.area.code == "22-MC-K1"
    assert proposal.questions == ["loa phát thanh hỏng, số *******678 báo ai"]
    assert proposal.author_label == "Chị Lan, Tổ CNSCĐ Khu 1"


def test_officials_see_and_retire_answers_in_chat(lite_app: Troly) -> None:
    grant(lite_app, "official", Role.OFFICIAL, "22-MC")
    grant(lite_app, "citizen", Role.CITIZEN, None)
    answer_id = publish(lite_app, "22-MC")
    listing = say(lite_app, "/cautraloi", user="official")[0]
    assert f"#{answer_id}" in listing.text and listing.choices[0].value == f"/cautraloi {answer_id}"
    shown = say(lite_app, f"/cautraloi {answer_id}", user="official")[0]
    assert LOUDSPEAKER_ANSWER in shown.text and shown.choices[0].value == f"/cautraloi {answer_id} go"
    assert "Đã gỡ câu trả lời" in joined(say(lite_app, "1", user="official"))
    assert local_answers(lite_app)[0].status == "retired"
    assert "chỉ dành cho" in joined(say(lite_app, "/cautraloi", user="citizen"))


def test_an_answer_too_long_for_one_message_is_refused_in_chat(lite_app: Troly) -> None:
    grant(lite_app, "official", Role.OFFICIAL, "22-MC")
    subscribe(lite_app, "c1", "22-MC")
    say(lite_app, LOUDSPEAKER[0], user="c1")
    say(lite_app, "/khoangtrong", user="official")
    say(lite_app, "1", user="official")
    refused = joined(say(lite_app, "Loa phát thanh. " * 110, user="official"))
    assert "Chưa lưu được vì" in refused and "tối đa 1500 ký tự" in refused
    assert "Theo UBND phường Móng Cái 1" in joined(say(lite_app, LOUDSPEAKER_ANSWER, user="official"))  # still asked
