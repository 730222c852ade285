"""Import statements that a function's source code needs: ``Import``, ``Alias``,
``ImportFromModule``.

They describe, as data, the module-level imports of a function stored as source code
(see :class:`~cantata.tools.FunctionTool`'s configuration).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["Alias", "Import", "ImportFromModule", "import_to_str"]


@dataclass(frozen=True)
class Alias:
    """``import <name> as <alias>``, or ``<name> as <alias>`` inside a from-import."""

    name: str
    """The module (or the imported name)."""

    alias: str
    """The name it is bound to."""


@dataclass(frozen=True)
class ImportFromModule:
    """``from <module> import <imports>``.

    *imports* may be given as a list; it is stored as a tuple.
    """

    module: str
    """The module imported from."""

    imports: Sequence[str | Alias]
    """The names imported, each a name or an :class:`Alias`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "imports", tuple(self.imports))


Import: TypeAlias = str | ImportFromModule | Alias
"""One import: a module name (``import json``), an :class:`Alias` or an
:class:`ImportFromModule`."""


def import_to_str(im: Import) -> str:
    """Return the Python statement for *im*.

    Examples: ``"json"`` -> ``import json``; ``Alias("numpy", "np")`` ->
    ``import numpy as np``; ``ImportFromModule("math", ["pi", Alias("sqrt", "root")])``
    -> ``from math import pi, sqrt as root``.

    Raises:
        TypeError: *im* is not an :data:`Import`.
    """
    if isinstance(im, str):
        return f"import {im}"
    if isinstance(im, Alias):
        return f"import {im.name} as {im.alias}"
    if isinstance(im, ImportFromModule):
        names = ", ".join(
            f"{item.name} as {item.alias}" if isinstance(item, Alias) else item
            for item in im.imports
        )
        return f"from {im.module} import {names}"
    raise TypeError(f"Not an import: {im!r}")
