"""Which public names the installed cantata modules provide (to check ``from X import name``)."""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from types import ModuleType

__all__ = ["provides"]


@cache
def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:
        # Not installed (a missing extra), not part of this cantata yet, or failing to
        # import here: the path is still the right one, so names are not checked.
        return None


def _is_submodule(module: str, name: str) -> bool:
    try:
        return importlib.util.find_spec(f"{module}.{name}") is not None
    except ImportError:
        return False


def provides(module: str, name: str) -> bool | None:
    """Whether cantata's *module* has the public *name*; None when the module cannot be imported.

    A public name is one in the module's ``__all__`` (or, without ``__all__``, any attribute
    not starting with ``_``), or a submodule.
    """
    loaded = _module(module)
    if loaded is None:
        return None
    public = getattr(loaded, "__all__", None)
    if public is not None and name in public:
        return True
    dunder = name.startswith("__") and name.endswith("__")
    if (dunder or (public is None and not name.startswith("_"))) and hasattr(loaded, name):
        return True
    return _is_submodule(module, name)
