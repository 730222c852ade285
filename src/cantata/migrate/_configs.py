"""Rewriting component providers in JSON and YAML configuration files, in place.

Only the values of ``provider`` keys change; everything else in the file, formatting
included, stays byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from ._paths import map_dotted
from ._problems import Problem

__all__ = ["migrate_json", "migrate_yaml"]

_JSON_PROVIDER = re.compile(r'("provider"\s*:\s*")([A-Za-z_][\w.]*)(")')
_YAML_PROVIDER = re.compile(
    r"""^(\s*(?:-\s+)?["']?provider["']?\s*:\s*)(["']?)([A-Za-z_][\w.]*)(\2)(\s*(?:\#.*)?)$""",
    re.MULTILINE,
)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _rewrite(
    text: str, path: str, pattern: re.Pattern[str], group: int
) -> tuple[str, list[Problem]]:
    problems: list[Problem] = []

    def replace(match: re.Match[str]) -> str:
        provider = match.group(group)
        mapped = map_dotted(provider)
        if mapped is None:
            return match.group(0)
        if mapped.target is None:
            problems.append(
                Problem(
                    path, _line_of(text, match.start(group)), f"provider {provider}", mapped.reason
                )
            )
            return match.group(0)
        start, end = match.span(group)
        whole_start = match.start(0)
        whole = match.group(0)
        return whole[: start - whole_start] + mapped.target + whole[end - whole_start :]

    rewrite: Callable[[re.Match[str]], str] = replace
    return pattern.sub(rewrite, text), problems


def migrate_json(text: str, path: str = "<string>") -> tuple[str, list[Problem]]:
    """Rewrite the ``provider`` values of a JSON document.

    Raises:
        ValueError: *text* is not JSON (``json.JSONDecodeError``), so nothing is rewritten.
    """
    json.loads(text)
    migrated, problems = _rewrite(text, path, _JSON_PROVIDER, 2)
    json.loads(migrated)  # still JSON: only the characters of dotted names changed
    return migrated, problems


def migrate_yaml(text: str, path: str = "<string>") -> tuple[str, list[Problem]]:
    """Rewrite the ``provider:`` values of a YAML document (block style, one per line)."""
    return _rewrite(text, path, _YAML_PROVIDER, 3)
