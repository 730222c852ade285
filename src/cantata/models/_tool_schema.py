"""A tool's schema, and the ``tool_choice`` checks all model clients share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["chosen_tool_name", "tool_schema"]


def tool_schema(tool: Any) -> Mapping[str, Any]:
    """The schema of a :class:`~cantata.tools.Tool`, or *tool* itself if it is a schema.

    Raises:
        TypeError: Neither a tool nor a schema.
    """
    if isinstance(tool, Mapping):
        return tool
    schema = getattr(tool, "schema", None)
    if not isinstance(schema, Mapping):
        raise TypeError(f"Not a tool or tool schema: {tool!r}")
    return schema


def chosen_tool_name(tool_choice: Any, schemas: Sequence[Mapping[str, Any]]) -> str | None:
    """Check *tool_choice* against the request's tool *schemas*.

    Returns the name of the tool *tool_choice* forces, or ``None`` for ``"auto"``,
    ``"required"`` and ``"none"``.

    Raises:
        ValueError: An unknown mode; a tool that is not among *schemas* (or no tools given).
        TypeError: *tool_choice* is neither a mode nor a tool.
    """
    if isinstance(tool_choice, str):
        if tool_choice not in ("auto", "required", "none"):
            raise ValueError(f"Invalid tool_choice {tool_choice!r}")
        return None
    if not schemas:
        raise ValueError("tool_choice names a tool but no tools were given")
    name = str(tool_schema(tool_choice)["name"])
    if name not in {schema["name"] for schema in schemas}:
        raise ValueError(f"tool_choice names {name!r}, which is not in tools")
    return name
