"""Pull JSON values out of a model's text reply."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["extract_json_from_str"]

# A fence, an optional language tag, then the body up to the closing fence (on the same
# line as the opening one or not).
_FENCE = re.compile(r"```[ \t]*([A-Za-z][\w+\-]*)?[ \t]*\r?\n?(.*?)```", re.DOTALL)


def extract_json_from_str(content: str) -> list[dict[str, Any]]:
    """Parse the JSON in *content*: every fenced code block, or the whole text if it has none.

    A block's language tag, when present, must be ``json`` (any case). Blocks are returned
    in the order they appear.

    Example::

        extract_json_from_str('Here:\\n```json\\n{"a": 1}\\n```')  # [{"a": 1}]
        extract_json_from_str('{"a": 1}')                         # [{"a": 1}]

    Raises:
        ValueError: A block is tagged with another language, or a block (or the text, when
            it has no blocks) is not valid JSON; a :class:`json.JSONDecodeError` (a
            ``ValueError``) says where.
    """
    blocks = _FENCE.findall(content)
    if not blocks:
        return [json.loads(content)]
    result: list[Any] = []
    for language, body in blocks:
        if language and language.lower() != "json":
            raise ValueError(f"Expected a JSON block, but found language: {language}")
        result.append(json.loads(body))
    return result
