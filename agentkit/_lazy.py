"""Package exports that load on first use, so importing a package's command-line module (say)
does not import the whole package."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, tuple[str, ...]]
) -> tuple[list[str], Callable[[str], Any]]:
    """`__all__` and a module `__getattr__` (PEP 562) for `package`, from `{submodule: names}`.

    No exported name may equal a submodule's: importing the submodule would shadow it.
    """
    home = {name: f"{package}.{submodule}" for submodule, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return sorted(home), __getattr__
