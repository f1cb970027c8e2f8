"""The core's per-user sequencer: arrival order per user, no waiting across users, cancellation is safe."""

from __future__ import annotations

import asyncio

from bot.sequencer import UserSequencer


async def _work(order: UserSequencer, user: str, label: str, seconds: float, done: list[str]) -> None:
    async with order.ticket("telegram", user):
        await asyncio.sleep(seconds)
        done.append(label)


async def test_one_users_tickets_are_used_in_arrival_order_and_others_do_not_wait() -> None:
    order, done = UserSequencer(), list[str]()
    tasks = [
        asyncio.ensure_future(_work(order, "a", "a1", 0.15, done)),
        asyncio.ensure_future(_work(order, "a", "a2", 0.05, done)),
        asyncio.ensure_future(_work(order, "b", "b1", 0.0, done)),
        asyncio.ensure_future(_work(order, "a", "a3", 0.0, done)),
    ]
    await asyncio.gather(*tasks)
    assert done == ["b1", "a1", "a2", "a3"]
    assert order.waiting() == 0  # nothing is kept once a user's queue is empty


async def test_a_ticket_cancelled_while_waiting_keeps_the_later_ones_behind_the_earlier() -> None:
    order, done = UserSequencer(), list[str]()
    first = asyncio.ensure_future(_work(order, "a", "a1", 0.1, done))
    second = asyncio.ensure_future(_work(order, "a", "a2", 0.0, done))
    third = asyncio.ensure_future(_work(order, "a", "a3", 0.0, done))
    await asyncio.sleep(0.01)
    second.cancel()
    await asyncio.gather(first, third, return_exceptions=True)
    assert done == ["a1", "a3"]
    assert order.waiting() == 0
