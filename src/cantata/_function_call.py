"""The :class:`FunctionCall` type: a tool call requested by a model."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FunctionCall"]


@dataclass
class FunctionCall:
    """A request from a model to call a function (tool).

    It appears in :attr:`cantata.models.CreateResult.content` and
    :attr:`cantata.models.AssistantMessage.content` when the model asks for tool
    calls. It is a plain dataclass, so pydantic models can hold it and it
    serializes to ``{"id": ..., "arguments": ..., "name": ...}``.
    """

    id: str
    """The id of this call, echoed in the matching ``FunctionExecutionResult.call_id``.
    Some models leave it empty."""

    arguments: str
    """The arguments as a JSON string, exactly as the model produced them (it may be
    invalid JSON; parsing is up to the caller)."""

    name: str
    """The name of the function to call."""
