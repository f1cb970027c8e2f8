"""Issue 13's "done when", on SQLite and PostgreSQL, with the core running in two worker processes.

Five citizens of a ward ask one new question in five spellings and get the fallback; the ward's official finds it
as one cluster of five in /khoangtrong and publishes an answer in chat; from the next question on, with no restart,
a sixth citizen of the ward gets it confidently with its attribution while a citizen of another ward still gets
the fallback; `troly ask --json --area` shows the local source.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from bot.app import create_app
from bot.messages import Outbound
from bot.settings import Settings
from bot.storage.models import Role
from bot.workers import ProcessRunner, start_runner
from tests.feedback.helpers import LOUDSPEAKER, LOUDSPEAKER_ANSWER, SIXTH, grant, import_sample, local_answers
from tests.helpers import inbound, joined
from tests.test_cli import troly

ATTRIBUTION = "Theo UBND phường Móng Cái 1, cập nhật "


async def test_a_gap_found_answered_in_chat_and_served_at_once_by_every_worker(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = make_settings(database_url=database_url, core_workers=2)
    app = create_app(settings)
    import_sample(app)
    grant(app, "official", Role.OFFICIAL, "22-MC")
    runner = await start_runner(app)
    assert isinstance(runner, ProcessRunner) and len(runner.workers) == 2

    async def say(user: str, text: str) -> list[Outbound]:
        return await runner.handle(inbound(text, user=user, user_name=user.title()))

    try:
        for n in range(1, 8):
            area = "22-UB" if n == 7 else ("22-MC-K1" if n == 6 else "22-MC")
            assert "Bạn đã đăng ký" in joined(await say(f"c{n}", f"/dangky {area}"))
        for n, question in enumerate(LOUDSPEAKER, start=1):
            reply = (await say(f"c{n}", question))[0]
            assert reply.meta["outcome"] == "fallback", (question, reply.meta)

        listing = joined(await say("official", "/khoangtrong"))
        assert "1. «" in listing and "– 5 lần, 5 người hỏi" in listing.splitlines()[1], listing
        assert "2. «" not in listing
        detail = joined(await say("official", "1"))
        assert all(question in detail for question in LOUDSPEAKER)
        assert "Theo UBND phường Móng Cái 1" in joined(await say("official", LOUDSPEAKER_ANSWER))
        preview = await say("official", "UBND phường Móng Cái 1")
        assert [choice.label for choice in preview[0].choices][:2] == ["Đăng", "Viết lại"]
        assert "Đã đăng câu trả lời #1" in joined(await say("official", "1"))

        ward = await asyncio.gather(*(say(user, SIXTH) for user in ("c6", "c1", "c2", "c3")))
        for replies in ward:
            reply = replies[0]
            assert reply.text.startswith(LOUDSPEAKER_ANSWER) and ATTRIBUTION in reply.text
            assert reply.meta["outcome"] == "answer" and reply.meta["source_kind"] == "local"
            assert reply.meta["score"] >= 0.5
        elsewhere = (await say("c7", SIXTH))[0]
        assert elsewhere.meta["outcome"] == "fallback" and LOUDSPEAKER_ANSWER not in elsewhere.text
        assert "5 lần" not in joined(await say("official", "/khoangtrong"))  # the answered cluster dropped out
        (published,) = local_answers(app)
    finally:
        await runner.aclose()
        app.close()

    assert published.status == "published" and published.area.code == "22-MC"
    env = {"TROLY_DATABASE_URL": database_url, "TROLY_DATA_DIR": str(settings.data_dir)}
    result = troly("ask", "--json", "--area", "22-MC-K1", SIXTH, env=env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["source"]["kind"] == "local" and answer["confident"] is True
    assert answer["source"]["id"] == str(published.id) and ATTRIBUTION in answer["answer"]
    other = json.loads(troly("ask", "--json", "--area", "22-UB", SIXTH, env=env).stdout)
    assert other["confident"] is False and (other["source"] or {}).get("kind") != "local"
