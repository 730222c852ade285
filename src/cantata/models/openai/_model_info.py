"""What the common OpenAI models support, and their context window sizes."""

from __future__ import annotations

from cantata.models import ModelFamily, ModelInfo

__all__ = ["get_info", "get_token_limit", "resolve_model"]

DEFAULT_TOKEN_LIMIT = 128_000
"""Context window assumed for models not in the table."""


def _info(
    family: str,
    *,
    vision: bool,
    function_calling: bool,
    json_output: bool,
    structured: bool,
    multiple_system_messages: bool = True,
) -> ModelInfo:
    return {
        "vision": vision,
        "function_calling": function_calling,
        "json_output": json_output,
        "family": family,
        "structured_output": structured,
        "multiple_system_messages": multiple_system_messages,
    }


_FULL_4O = _info(
    ModelFamily.GPT_4O, vision=True, function_calling=True, json_output=True, structured=True
)
_FULL_41 = _info(
    ModelFamily.GPT_41, vision=True, function_calling=True, json_output=True, structured=True
)

_MODELS: dict[str, tuple[ModelInfo, int]] = {
    "gpt-4o": (_FULL_4O, 128_000),
    "gpt-4o-mini": (_FULL_4O, 128_000),
    "gpt-4.1": (_FULL_41, 1_047_576),
    "gpt-4.1-mini": (_FULL_41, 1_047_576),
    "gpt-4.1-nano": (_FULL_41, 1_047_576),
    "o1": (
        _info(
            ModelFamily.O1, vision=True, function_calling=True, json_output=True, structured=True
        ),
        200_000,
    ),
    "o1-mini": (
        _info(
            ModelFamily.O1,
            vision=False,
            function_calling=False,
            json_output=False,
            structured=False,
        ),
        128_000,
    ),
    "o3": (
        _info(
            ModelFamily.O3, vision=True, function_calling=True, json_output=True, structured=True
        ),
        200_000,
    ),
    "o3-mini": (
        _info(
            ModelFamily.O3, vision=False, function_calling=True, json_output=True, structured=True
        ),
        200_000,
    ),
    "o4-mini": (
        _info(
            ModelFamily.O4, vision=True, function_calling=True, json_output=True, structured=True
        ),
        200_000,
    ),
    "gpt-3.5-turbo": (
        _info(
            ModelFamily.GPT_35,
            vision=False,
            function_calling=True,
            json_output=True,
            structured=False,
        ),
        16_385,
    ),
    "gpt-4": (
        _info(
            ModelFamily.GPT_4,
            vision=False,
            function_calling=True,
            json_output=True,
            structured=False,
        ),
        8_192,
    ),
    "gpt-4-32k": (
        _info(
            ModelFamily.GPT_4,
            vision=False,
            function_calling=True,
            json_output=True,
            structured=False,
        ),
        32_768,
    ),
    "gpt-4-turbo": (
        _info(
            ModelFamily.GPT_4,
            vision=True,
            function_calling=True,
            json_output=True,
            structured=False,
        ),
        128_000,
    ),
}

# Models of other providers reachable through their OpenAI-compatible endpoints (see
# ``_presets.py``): (family, vision, structured output, context window).
_OTHERS: dict[str, tuple[str, bool, bool, int]] = {
    "gemini-1.5-flash": (ModelFamily.GEMINI_1_5_FLASH, True, True, 1_048_576),
    "gemini-1.5-pro": (ModelFamily.GEMINI_1_5_PRO, True, True, 2_097_152),
    "gemini-2.0-flash": (ModelFamily.GEMINI_2_0_FLASH, True, True, 1_048_576),
    "gemini-2.0-flash-lite": (ModelFamily.GEMINI_2_0_FLASH, True, True, 1_048_576),
    "gemini-2.5-pro": (ModelFamily.GEMINI_2_5_PRO, True, True, 1_048_576),
    "gemini-2.5-flash": (ModelFamily.GEMINI_2_5_FLASH, True, True, 1_048_576),
    "claude-3-haiku": (ModelFamily.CLAUDE_3_HAIKU, True, False, 200_000),
    "claude-3-sonnet": (ModelFamily.CLAUDE_3_SONNET, True, False, 200_000),
    "claude-3-opus": (ModelFamily.CLAUDE_3_OPUS, True, False, 200_000),
    "claude-3-5-haiku": (ModelFamily.CLAUDE_3_5_HAIKU, True, False, 200_000),
    "claude-3-5-sonnet": (ModelFamily.CLAUDE_3_5_SONNET, True, False, 200_000),
    "claude-3-7-sonnet": (ModelFamily.CLAUDE_3_7_SONNET, True, False, 200_000),
    "claude-sonnet-4": (ModelFamily.CLAUDE_4_SONNET, True, False, 200_000),
    "claude-opus-4": (ModelFamily.CLAUDE_4_OPUS, True, False, 200_000),
    "Llama-4-Scout-17B-16E-Instruct-FP8": (ModelFamily.LLAMA_4_SCOUT, True, True, 128_000),
    "Llama-4-Maverick-17B-128E-Instruct-FP8": (ModelFamily.LLAMA_4_MAVERICK, True, True, 128_000),
    "Llama-3.3-70B-Instruct": (ModelFamily.LLAMA_3_3_70B, False, True, 128_000),
    "Llama-3.3-8B-Instruct": (ModelFamily.LLAMA_3_3_8B, False, True, 128_000),
}
for _name, (_family, _vision, _structured, _limit) in _OTHERS.items():
    _MODELS[_name] = (
        _info(
            _family,
            vision=_vision,
            function_calling=True,
            json_output=_structured,
            structured=_structured,
            multiple_system_messages=not ModelFamily.is_gemini(_family),
        ),
        _limit,
    )

# Longest names first, so "gpt-4o-mini-2024-07-18" resolves to "gpt-4o-mini", not "gpt-4o".
_BY_LENGTH = sorted(_MODELS, key=len, reverse=True)


def resolve_model(model: str) -> str | None:
    """Return the known model *model* names (exactly, or with a ``-<version>``
    suffix such as a date), or ``None``."""
    for name in _BY_LENGTH:
        if model == name or model.startswith(name + "-"):
            return name
    return None


def get_info(model: str) -> ModelInfo | None:
    """The :class:`ModelInfo` of a known model, or ``None``."""
    name = resolve_model(model)
    return None if name is None else dict(_MODELS[name][0])  # type: ignore[return-value]  # a ModelInfo copy


def get_token_limit(model: str) -> int:
    """The context window of *model*; :data:`DEFAULT_TOKEN_LIMIT` if unknown."""
    name = resolve_model(model)
    return DEFAULT_TOKEN_LIMIT if name is None else _MODELS[name][1]
