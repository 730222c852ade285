"""What common Ollama models support, and their context windows."""

from __future__ import annotations

from cantata.models import ModelFamily, ModelInfo

__all__ = ["DEFAULT_TOKEN_LIMIT", "get_info", "get_token_limit", "resolve_model"]

DEFAULT_TOKEN_LIMIT = 128_000
"""Context window assumed for models not in the table."""

# name -> (vision, function calling, family, context window). Every model served by
# Ollama takes ``format`` (JSON mode and JSON-schema structured output).
_MODELS: dict[str, tuple[bool, bool, str, int]] = {
    "llama3": (False, False, ModelFamily.UNKNOWN, 8_192),
    "llama3.1": (False, True, ModelFamily.UNKNOWN, 128_000),
    "llama3.2": (False, True, ModelFamily.UNKNOWN, 128_000),
    "llama3.2-vision": (True, False, ModelFamily.UNKNOWN, 128_000),
    "llama3.3": (False, True, ModelFamily.LLAMA_3_3_70B, 128_000),
    "llama4": (True, True, ModelFamily.LLAMA_4_SCOUT, 10_000_000),
    "qwen2.5": (False, True, ModelFamily.UNKNOWN, 128_000),
    "qwen2.5-coder": (False, True, ModelFamily.UNKNOWN, 32_768),
    "qwen2.5vl": (True, False, ModelFamily.UNKNOWN, 128_000),
    "qwen3": (False, True, ModelFamily.UNKNOWN, 40_960),
    "qwq": (False, True, ModelFamily.R1, 40_960),
    "deepseek-r1": (False, False, ModelFamily.R1, 128_000),
    "mistral": (False, True, ModelFamily.MISTRAL, 32_768),
    "mistral-nemo": (False, True, ModelFamily.MISTRAL, 128_000),
    "mistral-small": (False, True, ModelFamily.MISTRAL, 32_768),
    "gemma2": (False, False, ModelFamily.UNKNOWN, 8_192),
    "gemma3": (True, False, ModelFamily.UNKNOWN, 128_000),
    "phi3": (False, False, ModelFamily.UNKNOWN, 128_000),
    "phi4": (False, False, ModelFamily.UNKNOWN, 16_384),
    "llava": (True, False, ModelFamily.UNKNOWN, 32_768),
    "gpt-oss": (False, True, ModelFamily.UNKNOWN, 128_000),
}


def resolve_model(model: str) -> str | None:
    """The known model *model* names: ``"llama3.2"``, ``"llama3.2:1b"``,
    ``"library/llama3.2:latest"``; ``None`` for others."""
    name = model.rsplit("/", 1)[-1].split(":", 1)[0]
    return name if name in _MODELS else None


def get_info(model: str) -> ModelInfo | None:
    """The :class:`ModelInfo` of a known model, or ``None``."""
    name = resolve_model(model)
    if name is None:
        return None
    vision, function_calling, family, _ = _MODELS[name]
    return {
        "vision": vision,
        "function_calling": function_calling,
        "json_output": True,
        "family": family,
        "structured_output": True,
    }


def get_token_limit(model: str) -> int:
    """The context window of *model*; :data:`DEFAULT_TOKEN_LIMIT` if unknown."""
    name = resolve_model(model)
    return DEFAULT_TOKEN_LIMIT if name is None else _MODELS[name][3]
