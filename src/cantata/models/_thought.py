"""A reasoning model's ``<think>...</think>`` preamble, split off its answer."""

from __future__ import annotations

from typing import Final

__all__ = ["THINK_CLOSE", "THINK_OPEN", "split_thought"]

THINK_OPEN: Final = "<think>"
THINK_CLOSE: Final = "</think>"


def split_thought(text: str) -> tuple[str | None, str]:
    """Split a reasoning model's ``<think>...</think>`` preamble off *text*.

    Returns ``(thought, answer)``; ``(None, text)`` when *text* does not start (after
    white space) with a complete ``<think>`` block. Reasoning models served through
    OpenAI-compatible servers (DeepSeek-R1, Qwen3 on Ollama or vLLM) answer this way.
    """
    stripped = text.lstrip()
    if not stripped.startswith(THINK_OPEN):
        return None, text
    end = stripped.find(THINK_CLOSE)
    if end < 0:
        return None, text
    thought = stripped[len(THINK_OPEN) : end].strip()
    return thought or None, stripped[end + len(THINK_CLOSE) :].lstrip()
