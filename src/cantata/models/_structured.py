"""Checking a model's structured output against the pydantic class it was asked for."""

from __future__ import annotations

from pydantic import BaseModel

from ._types import CreateResult

__all__ = ["check_structured"]


def check_structured(
    result: CreateResult, output_type: type[BaseModel] | None, refusal: str | None = None
) -> None:
    """Check that *result* holds JSON that validates as *output_type* (if one was asked for).

    Raises:
        ValueError: The model refused (*refusal*), or gave no text (only tool calls).
        pydantic.ValidationError: The text does not match *output_type*.
    """
    if output_type is None:
        return
    if refusal:
        raise ValueError(f"The model refused to give a {output_type.__name__}: {refusal}")
    if not isinstance(result.content, str) or not result.content:
        raise ValueError(
            f"The model returned no {output_type.__name__} (finish reason {result.finish_reason!r})"
        )
    output_type.model_validate_json(result.content)
