"""Allow `python -m bot` as an alias of the `troly` console script."""

from bot.cli import run

run()
