"""The CPU priority of this process: reports and exports yield the processor to the bot's replies to citizens."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def lower_priority(increment: int) -> None:
    """Yield the CPU to the rest of the machine (the kernel still gives it all when nobody else wants it)."""
    try:
        os.nice(increment)
    except OSError as error:
        log.warning("could not lower the CPU priority: %s", error)
