"""Kinds of names with a fixed alphabet (agent types, topic types), checked once each.

Ids are made on every message, so a name already accepted is recognised by a set lookup
instead of a regular expression; the set is bounded (a program that makes unbounded
numbers of distinct names checks the newer ones every time).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["NameRule"]

_REMEMBERED: Final = 10_000
"""Names remembered per rule."""


class NameRule:
    """A kind of name: its pattern, how to describe it in errors, and the names accepted.

    Args:
        what: The kind, e.g. ``"agent type"``.
        pattern: A regular expression that a whole valid name matches.
        alphabet: The allowed characters in words, for error messages.
    """

    def __init__(self, what: str, pattern: str, alphabet: str) -> None:
        self._what = what
        self._pattern = re.compile(pattern)
        self._alphabet = alphabet
        self.accepted: set[str] = set()
        """Names accepted so far: a name in it is valid (read it on hot paths)."""

    def is_valid(self, value: str) -> bool:
        """Whether ``value`` is a valid name of this kind."""
        return self._pattern.match(value) is not None

    def check(self, value: object, expected: str = "a str") -> str:
        """Return ``value`` if it is a valid name of this kind, and remember it.

        Raises:
            TypeError: ``value`` is not a ``str`` (``expected`` says what was).
            ValueError: ``value`` is not a valid name of this kind.
        """
        if not isinstance(value, str):
            kind = self._what[0].upper() + self._what[1:]
            raise TypeError(f"{kind} must be {expected}, got {type(value).__name__}")
        if self._pattern.match(value) is None:
            raise ValueError(
                f"Invalid {self._what} {value!r}: a{'n' if self._what[0] in 'aeiou' else ''} "
                f"{self._what} must be non-empty and contain only {self._alphabet}"
            )
        if value.__class__ is str and len(self.accepted) < _REMEMBERED:
            self.accepted.add(value)
        return value
