"""Plugins: feature and adapter modules named in the settings, imported by name at start-up.

This is how the core stays free of imports of its adapters and features (dependencies point inward) while
`troly serve` still starts every channel: the settings list them, as Django's INSTALLED_APPS does.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bot.channels import ChannelPolicy
from bot.errors import OperatorError

if TYPE_CHECKING:
    from bot.app import Troly
    from bot.senders import Sender


class PluginError(OperatorError):
    """A plugin named in the settings could not be imported."""


def load_plugins(names: Iterable[str]) -> list[ModuleType]:
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError as error:
            missing = isinstance(error, ModuleNotFoundError) and error.name is not None and name.startswith(error.name)
            reason = "không có module này" if missing else str(error)
            raise PluginError(
                f"TROLY_PLUGINS: không nạp được plugin «{name}» ({reason}).\n"
                "Hãy kiểm tra tên các module trong TROLY_PLUGINS (cách nhau bởi dấu phẩy), hoặc bỏ biến này."
            ) from error
    return modules


def hooks(plugins: Iterable[ModuleType], name: str) -> Iterator[Any]:
    """Each plugin's function called `name`, for the plugins that define one."""
    for plugin in plugins:
        hook = getattr(plugin, name, None)
        if callable(hook):
            yield hook


def migration_dirs(plugins: Iterable[ModuleType]) -> list[Path]:
    """The Alembic version directories of the plugins that have one: `<package>/migrations/`."""
    found = []
    for plugin in plugins:
        if plugin.__file__ is None or not plugin.__file__.endswith("__init__.py"):
            continue  # a single-module plugin has no tables of its own
        directory = Path(plugin.__file__).parent / "migrations"
        if directory.is_dir():
            found.append(directory)
    return found


def channel_policies(plugins: Iterable[ModuleType]) -> dict[str, ChannelPolicy]:
    policies = [hook() for hook in hooks(plugins, "channel_policy")]
    return {policy.name: policy for policy in policies}


def make_senders(troly: Troly) -> dict[str, Sender]:
    """A sender for every configured channel (a channel plugin returns None when it has no credentials)."""
    senders = {}
    for hook in hooks(troly.plugins, "make_sender"):
        sender = hook(troly)
        if sender is not None:
            senders[sender.channel] = sender
    return senders
