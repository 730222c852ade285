"""The JSON-schema description of a tool, as sent to a model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

__all__ = ["ParametersSchema", "ToolSchema"]


class ParametersSchema(TypedDict):
    """The JSON schema of a tool's arguments: an object with named properties."""

    type: str
    """Always ``"object"``."""

    properties: dict[str, Any]
    """One JSON schema per argument, by argument name."""

    required: NotRequired[Sequence[str]]
    """The names of the arguments the model must give."""

    additionalProperties: NotRequired[bool]
    """Whether arguments not listed in ``properties`` are allowed."""


class ToolSchema(TypedDict):
    """What a model is told about a tool: its name, purpose and arguments.

    Model clients accept these in place of tools (``create(..., tools=[schema])``).
    """

    name: str
    """The name the model uses to call the tool."""

    description: NotRequired[str]
    """What the tool does, for the model."""

    parameters: NotRequired[ParametersSchema]
    """The JSON schema of the arguments."""

    strict: NotRequired[bool]
    """Whether the model must follow the schema exactly (structured outputs)."""
