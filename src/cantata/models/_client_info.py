"""The :class:`ModelInfo` a model client works with: given, made from the deprecated
``model_capabilities``, or looked up by model name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._model_info import ModelFamily, ModelInfo, validate_model_info

__all__ = ["info_from_capabilities", "resolve_model_info"]


def info_from_capabilities(
    model_info: ModelInfo | None, capabilities: Mapping[str, Any] | None
) -> ModelInfo | None:
    """*model_info*, or when it is ``None`` one made from *capabilities* (family unknown,
    missing flags false); ``None`` if neither is given."""
    if model_info is None and capabilities is not None:
        return {
            "vision": bool(capabilities.get("vision", False)),
            "function_calling": bool(capabilities.get("function_calling", False)),
            "json_output": bool(capabilities.get("json_output", False)),
            "family": ModelFamily.UNKNOWN,
            "structured_output": bool(capabilities.get("structured_output", False)),
        }
    return model_info


def resolve_model_info(
    model: str,
    model_info: ModelInfo | None,
    lookup: Callable[[str], ModelInfo | None],
    known: str = "known model",
) -> ModelInfo:
    """*model_info*, or the one *lookup* knows for *model*; validated.

    Raises:
        ValueError: No *model_info* and *model* is not a *known* one; a required key is
            missing (see :func:`~cantata.models.validate_model_info`).
    """
    if model_info is None:
        model_info = lookup(model)
        if model_info is None:
            raise ValueError(
                f"model_info is required for model {model!r}: it is not a {known}. "
                "Pass model_info={'vision': ..., 'function_calling': ..., "
                "'json_output': ..., 'family': ..., 'structured_output': ...}."
            )
    validate_model_info(model_info)
    return model_info
