"""A tripwire for shell blocks that would obviously wreck the machine. It is no sandbox."""

from __future__ import annotations

import re

__all__ = ["dangerous_shell_command"]

_DANGEROUS = (
    (
        re.compile(r"\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*\s+)*-?[a-zA-Z]*f?[a-zA-Z]*\s*/(?:\s|$|\*)"),
        "deleting the root directory",
    ),
    (re.compile(r"\bmkfs(?:\.\w+)?\b"), "formatting a file system"),
    (re.compile(r"\bdd\b[^\n]*\bof=/dev/(?:sd|nvme|hd|vd|xvd)"), "writing to a disk device"),
    (re.compile(r">\s*/dev/(?:sd|nvme|hd|vd|xvd)[a-z0-9]*"), "writing to a disk device"),
    (re.compile(r":\s*\(\s*\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:"), "a fork bomb"),
)


def dangerous_shell_command(code: str) -> str | None:
    """What is wrong with shell *code*, or ``None`` if none of the known wrecking commands
    (``rm -rf /``, ``mkfs``, writing to a disk device, the classic fork bomb) appears."""
    for pattern, what in _DANGEROUS:
        if pattern.search(code):
            return what
    return None
