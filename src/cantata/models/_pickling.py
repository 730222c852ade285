"""Pickling a model client made from keyword arguments."""

from __future__ import annotations

from typing import Any

__all__ = ["PickledAsKeywords"]


class PickledAsKeywords:
    """Pickling for a client made from keyword arguments: the pickle holds the arguments
    (API keys included, as given) and unpickling creates the SDK client again.

    The class sets ``self._raw_config`` to its keyword arguments in ``__init__``.
    """

    _raw_config: dict[str, Any]

    def __getstate__(self) -> dict[str, Any]:
        return {"config": dict(self._raw_config)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["config"])  # type: ignore[misc]  # re-running __init__ on unpickle is intended
