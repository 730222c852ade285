"""Token counting: ``tiktoken`` when its encodings are available, else an estimate."""

from __future__ import annotations

import functools
import math
from typing import Any

__all__ = ["count_text_tokens"]


@functools.cache
def _encoding(model: str) -> Any:
    """The tiktoken encoding of *model*, or ``None`` when tiktoken is not installed
    or cannot load the encoding (its files are fetched on first use)."""
    try:
        import tiktoken
    except ImportError:
        return None
    try:
        try:
            return tiktoken.encoding_for_model(model)
        except KeyError:
            return tiktoken.get_encoding("o200k_base")
    except Exception:
        return None


def count_text_tokens(text: str, model: str) -> int:
    """Tokens in *text* for *model*: exact with tiktoken, otherwise about one
    token per four characters."""
    encoding = _encoding(model)
    if encoding is None:
        return math.ceil(len(text) / 4)
    return len(encoding.encode(text))
