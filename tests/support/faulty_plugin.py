"""A test plugin loaded by name (TROLY_PLUGINS): `/daydisk` meets a full disk inside its transaction (as SQLite
reports it), `/loi` is a handler bug. The first must not be acknowledged; the second gets the apology."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError

from bot.app import Troly
from bot.context import Context, Reply


def setup(troly: Troly) -> None:
    troly.router.command("daydisk", disk_full, description="Đĩa đầy (kiểm thử)", menu=False)
    troly.router.command("loi", bug, description="Lỗi lập trình (kiểm thử)", menu=False)


def disk_full(ctx: Context) -> Reply:
    raise OperationalError("INSERT INTO visits ...", {}, sqlite3.OperationalError("database or disk is full"))


def bug(ctx: Context) -> Reply:
    raise KeyError("a handler bug")
