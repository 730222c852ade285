"""What the codemod could not migrate, and where."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem"]


@dataclass(frozen=True, order=True)
class Problem:
    """Something in a file the codemod left as it was because cantata cannot stand in for it.

    ``str(problem)`` is ``file:line: what: why``, the form the command prints.
    """

    path: str
    """The file, as given on the command line (or ``<string>``)."""
    line: int
    """1-based line of the import, string or key."""
    what: str
    """What was found: an import, a provider string, an environment variable name."""
    why: str
    """Why it could not be mapped."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}: {self.why}"
