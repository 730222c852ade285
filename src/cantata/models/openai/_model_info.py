"""What the common OpenAI models support, and their context window sizes."""

from __future__ import annotations

from cantata.models import ModelFamily, ModelInfo

__all__ = ["get_info", "get_token_limit", "resolve_model"]

DEFAULT_TOKEN_LIMIT = 128_000
"""Context window assumed for models not in the table."""


def _info(
    family: str, *, vision: bool, function_calling: bool, json_output: bool, structured: bool
) -> ModelInfo:
    return {
        "vision": vision,
        "function_calling": function_calling,
        "json_output": json_output,
        "family": family,
        "structured_output": structured,
        "multiple_system_messages": True,
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
}

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
