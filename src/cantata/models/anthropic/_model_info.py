"""What the Claude models support, and their context windows."""

from __future__ import annotations

from cantata.models import ModelFamily, ModelInfo

__all__ = ["DEFAULT_TOKEN_LIMIT", "get_info", "get_token_limit", "resolve_model"]

DEFAULT_TOKEN_LIMIT = 200_000
"""The context window of every Claude model listed (and assumed for others)."""

# name -> (family, structured output through ``output_config.format``)
_MODELS: dict[str, tuple[str, bool]] = {
    "claude-3-haiku": (ModelFamily.CLAUDE_3_HAIKU, False),
    "claude-3-sonnet": (ModelFamily.CLAUDE_3_SONNET, False),
    "claude-3-opus": (ModelFamily.CLAUDE_3_OPUS, False),
    "claude-3-5-haiku": (ModelFamily.CLAUDE_3_5_HAIKU, False),
    "claude-3-5-sonnet": (ModelFamily.CLAUDE_3_5_SONNET, False),
    "claude-3-7-sonnet": (ModelFamily.CLAUDE_3_7_SONNET, False),
    "claude-sonnet-4": (ModelFamily.CLAUDE_4_SONNET, False),
    "claude-opus-4": (ModelFamily.CLAUDE_4_OPUS, False),
    "claude-opus-4-1": (ModelFamily.CLAUDE_4_1_OPUS, True),
    "claude-sonnet-4-5": (ModelFamily.CLAUDE_4_5_SONNET, True),
    "claude-haiku-4-5": (ModelFamily.CLAUDE_4_5_HAIKU, True),
    "claude-opus-4-5": (ModelFamily.CLAUDE_4_5_OPUS, True),
}

# Longest names first: "claude-opus-4-1-20250805" is claude-opus-4-1, not claude-opus-4.
_BY_LENGTH = sorted(_MODELS, key=len, reverse=True)


def resolve_model(model: str) -> str | None:
    """The known model *model* names (exactly, or with a ``-<date>``/``-latest`` suffix)."""
    for name in _BY_LENGTH:
        if model == name or model.startswith(name + "-"):
            return name
    return None


def get_info(model: str) -> ModelInfo | None:
    """The :class:`ModelInfo` of a known Claude model, or ``None``.

    Every Claude model takes images and tools; ``json_output`` (JSON mode, which this
    client asks for in the system prompt) is on for all, ``structured_output`` for the
    models that have the API's JSON-schema output format.
    """
    name = resolve_model(model)
    if name is None:
        return None
    family, structured = _MODELS[name]
    return {
        "vision": True,
        "function_calling": True,
        "json_output": True,
        "family": family,
        "structured_output": structured,
        "multiple_system_messages": True,
    }


def get_token_limit(model: str) -> int:
    """The context window of *model*."""
    return DEFAULT_TOKEN_LIMIT
