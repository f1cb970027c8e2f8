"""A test plugin whose set-up fails, as a plugin with a missing dependency or a bad file would."""

from __future__ import annotations

from bot.app import Troly


def setup(troly: Troly) -> None:
    raise RuntimeError("broken plugin: cannot set up")
