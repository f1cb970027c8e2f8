"""CLI commands of the questions feature (handlers.questions): `troly ingest`, `index`, `ask`, `eval`, `train-encoder`.

`ask` and `eval` do not open the database: they only need the index, which keeps `troly ask` quick to start.
`ask --area CODE` / `--user CHANNEL:ID` does: it asks as a user of that area, so local answers apply.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commands import Commands
from bot.messages import Outbound
from bot.settings import Settings
from bot.storage.models import Role, User


def register(commands: Commands) -> None:
    commands.add(
        "ingest",
        help="Đọc tài liệu kế hoạch (.txt, .md, .docx, .pdf) vào thư mục dữ liệu và lập lại chỉ mục",
        run=run_ingest,
        configure=_configure_ingest,
    )
    commands.add("index", help="Lập (lại) chỉ mục tìm kiếm từ hướng dẫn và kế hoạch", run=run_index)
    commands.add(
        "ask",
        help="Hỏi trợ lý một câu (hoặc '-' để đọc mỗi dòng một câu)",
        run=run_ask,
        configure=_configure_ask,
    )
    commands.add(
        "eval",
        help="Đo độ chính xác và tốc độ trả lời trên bộ câu hỏi mẫu",
        run=run_eval,
        configure=_configure_eval,
    )
    commands.add(
        "train-encoder",
        help="Tinh chỉnh mô hình nhúng trên các câu hỏi của bộ hướng dẫn",
        run=run_train_encoder,
        configure=_configure_train,
    )


def _configure_ingest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="TỆP", help="tệp kế hoạch")
    parser.add_argument("--title", help="tên tài liệu dùng khi trích dẫn (chỉ khi nhập một tệp)")
    parser.add_argument(
        "--first-run",
        action="store_true",
        help="chỉ nạp khi thư mục dữ liệu chưa có kế hoạch nào (make chat dùng cho lần chạy đầu)",
    )


def _configure_ask(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="câu hỏi, hoặc '-' để đọc từ đầu vào chuẩn")
    parser.add_argument("--json", action="store_true", help="in kết quả dạng JSON (mỗi câu một dòng)")
    parser.add_argument("--area", help="hỏi như người dân của khu vực này (mã): có cả câu trả lời địa phương")
    parser.add_argument("--user", help="hỏi như người dùng KÊNH:MÃ đã có, ví dụ telegram:12345 (không lưu gì)")


def _configure_eval(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devset", type=Path, help="tệp JSONL câu hỏi có nhãn (mặc định: bộ mẫu kèm theo)")
    parser.add_argument("--split", choices=("a", "b", "all"), default="all", help="nửa bộ câu hỏi dùng để đo")
    parser.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    parser.add_argument("--misses", action="store_true", help="liệt kê các câu trả lời sai")


def _configure_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=3, help="số vòng huấn luyện")
    parser.add_argument("--base", default="minilm", help="mô hình gốc (tên hoặc đường dẫn)")


def run_ingest(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.questions.services import dense_problems, index_source
    from knowledge.ingest import IngestError, ingest, plans_dir
    from knowledge.store import build_index

    if args.first_run and any(plans_dir(settings.data_dir).glob("*.txt")):
        return 0  # `make chat` asks on every run; the plans were read the first time
    try:
        plans = ingest(list(args.paths), settings.data_dir, args.title)
    except IngestError as error:
        print(f"Không nhập được tài liệu: {error}", file=sys.stderr)
        return 1
    for plan in plans:
        sections = len({passage.section for passage in plan.passages})
        print(f"{plan.name}: «{plan.title}» – {len(plan.passages)} đoạn, {sections} mục")
    started = time.perf_counter()
    with dense_problems(settings):
        index, _ = build_index(index_source(settings))
    print(f"Đã lập chỉ mục: {index.lexical.num_docs} văn bản trong {time.perf_counter() - started:.1f} giây")
    return 0


def run_index(settings: Settings, _args: argparse.Namespace) -> int:
    from handlers.questions.services import dense_problems, index_source
    from knowledge.store import build_index

    started = time.perf_counter()
    with dense_problems(settings):
        index, knowledge = build_index(index_source(settings))
    elapsed = time.perf_counter() - started
    dense = index.meta.dense_model or "tắt"
    print(
        f"Đã lập chỉ mục: {len(knowledge.guides)} hướng dẫn, {len(knowledge.passages)} đoạn kế hoạch "
        f"({index.lexical.num_docs} văn bản), mô hình nhúng: {dense}, {elapsed:.1f} giây"
    )
    return 0


def run_ask(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.questions.services import make_answerer
    from knowledge.answers import Asker
    from knowledge.followups import Conversations

    questions: list[str] | TextIO = sys.stdin if args.question == "-" else [args.question]
    if args.area or args.user:
        return run_ask_as(settings, args, questions)
    answerer = make_answerer(settings)
    conversations = Conversations()
    for line in questions:
        user, text, places = parse_ask_line(line.rstrip("\n"))
        answer = answerer.answer(text, Asker(places=places, previous=conversations.previous(user)))
        conversations.remember(user, answer)
        if args.json:
            print(json.dumps(answer.as_dict(), ensure_ascii=False), flush=True)
        else:
            print(answer.text, end="\n\n" if args.question == "-" else "\n", flush=True)
    return 0


def parse_ask_line(line: str) -> tuple[str | None, str, tuple[str, ...]]:
    """A plain question, or {"user": ..., "text": ..., "places": [...]} (a user's follow-ups are read in order)."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            raw = json.loads(stripped)
        except json.JSONDecodeError:
            return None, line, ()
        if isinstance(raw, dict) and isinstance(raw.get("text"), str):
            user = raw.get("user")
            places = raw.get("places") or ()
            return (str(user) if user is not None else None), raw["text"], tuple(str(p) for p in places)
    return None, line, ()


def run_ask_as(settings: Settings, args: argparse.Namespace, questions: list[str] | TextIO) -> int:
    """`--area`/`--user`: each question goes through the app's routing as that user's free text, so the answer
    providers (local answers of the area) apply. It runs in a transaction that is rolled back: nothing is logged,
    remembered or created (the stand-in user of `--area` included)."""
    from datetime import timedelta

    from bot.app import create_app
    from bot.context import Context, as_replies
    from bot.dialogs import DialogStore
    from bot.messages import Inbound

    troly = create_app(settings)
    try:
        for line in questions:
            question = line.strip()
            with troly.database.sessions() as session:
                user = _asking_user(session, args)
                if isinstance(user, str):
                    print(user, file=sys.stderr)
                    return 1
                now, key = troly.clock.now(), (user.channel, user.channel_user_id)
                inbound = Inbound(channel=key[0], user_id=key[1], chat_id=user.chat_id, text=question)
                dialogs = DialogStore(session, *key, timedelta(minutes=1), now)
                handler = troly.router.text_handler_for(question)
                ctx = Context(troly, session, inbound, user, question, now, dialogs)
                replies = as_replies(handler(ctx)) if handler is not None else []
                session.rollback()
            _print_routed(question, replies, as_json=args.json)
    finally:
        troly.close()
    return 0


def _asking_user(session: Session, args: argparse.Namespace) -> User | str:
    from bot.areas import area_by_code

    area = area_by_code(session, args.area) if args.area else None
    if args.area and area is None:
        return f"Không có khu vực mã {args.area}. Xem: troly areas list"
    if args.user:
        channel, _, user_id = args.user.partition(":")
        user = session.scalar(select(User).where(User.channel == channel, User.channel_user_id == user_id))
        if user is None:
            return f"Không có người dùng {args.user} (dạng KÊNH:MÃ, ví dụ telegram:12345)."
    else:
        user = User(channel="cli", channel_user_id="ask", chat_id="ask", display_name="", role=Role.CITIZEN)
        session.add(user)  # rolled back with the rest: handlers see a user as real as any
    if area is not None:
        user.subscribed_area_id, user.subscribed_area = area.id, area
    session.flush()
    return user


def _print_routed(question: str, replies: list[Outbound], *, as_json: bool) -> None:
    text = "\n\n".join(reply.text for reply in replies)
    if not as_json:
        print(text, flush=True)
        return
    meta = replies[0].meta if replies else {}
    source = meta.get("source")
    if source is None and meta.get("source_kind"):
        source = {"kind": meta["source_kind"], "id": meta.get("source_id"), "section": meta.get("section")}
    result = {
        "question": question,
        "answer": text,
        "confident": meta.get("outcome") == "answer",
        "outcome": meta.get("outcome"),
        "score": meta.get("score"),
        "topic": meta.get("topic"),
        "source": source,
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.questions.services import make_answerer
    from knowledge.evaluation import default_devset, evaluate, load_examples, split

    answerer = make_answerer(settings)
    examples = load_examples(args.devset or default_devset())
    answerer.answer("khởi động")  # warm-up: first-call costs are not per-question latency
    halves = ("all", "a", "b") if args.split == "all" else (args.split,)
    reports = {half: evaluate(split(examples, half), answerer.answer) for half in halves}
    summaries = {half: report.summary() for half, report in reports.items()}
    if args.json:
        print(json.dumps(summaries if len(halves) > 1 else summaries[halves[0]], ensure_ascii=False, indent=2))
    else:
        print(format_summary(summaries))
    if args.misses:
        for miss in reports[halves[0]].misses:
            print(json.dumps(miss, ensure_ascii=False, default=str))
    return 0


def format_summary(summaries: dict[str, dict[str, Any]]) -> str:
    """One table per kind of measure, with a column per half (all, a, b)."""
    halves = list(summaries)
    first = summaries[halves[0]]
    head = "".join(f"{half:>20}" for half in halves)
    lines = [f"{'slice (n, Hit@1 / Hit@3)':<44}{head}"]
    for kind in ("guide", "plan"):
        for name in first[kind]:
            cells = ""
            for half in halves:
                row = summaries[half][kind].get(name)
                cells += f"{_cell(row):>20}"
            lines.append(f"{kind + ' ' + name:<44}{cells}")
    lines.append("")
    lines.append(f"{'measure (share, n)':<44}{head}")
    for name in first["measures"]:
        cells = "".join(
            f"{_pct(summaries[h]['measures'].get(name)) + ' (' + str(summaries[h]['counts'].get(name, 0)) + ')':>20}"
            for h in halves
        )
        lines.append(f"{name:<44}{cells}")
    for half in halves:
        summary = summaries[half]
        latency, chars = summary["latency_ms"], summary["guide_reply_chars"]
        lines.append(
            f"[{half}] {summary['questions']} questions; latency p50 {latency['p50']} ms, p99 {latency['p99']} ms; "
            f"confident guide replies: median {chars['median']} chars, max {chars['max']}"
        )
    return "\n".join(lines)


def _cell(row: dict[str, float] | None) -> str:
    if not row:
        return "-"
    return f"{row['hit@1']:.3f}/{row['hit@3']:.3f} ({row['n']})"


def _pct(value: object) -> str:
    return "n/a" if not isinstance(value, float) else f"{value:.3f}"


def run_train_encoder(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.training import train_encoder

    started = time.perf_counter()
    path = train_encoder(settings.data_dir, base=args.base, epochs=args.epochs)
    print(
        f"Đã lưu mô hình nhúng tinh chỉnh vào {path} ({time.perf_counter() - started:.0f} giây); "
        "đặt TROLY_EMBEDDING_MODEL=troly rồi chạy `troly index` để dùng."
    )
    return 0
