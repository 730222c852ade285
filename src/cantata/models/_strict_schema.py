"""JSON schemas in the strict form that structured-output APIs require."""

from __future__ import annotations

from typing import Any

__all__ = ["strict_schema"]

_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
"""Schema keywords whose value maps names (chosen by the user) to schemas."""


def strict_schema(schema: Any) -> Any:
    """Make a pydantic JSON schema follow the strict rules of structured output (OpenAI's
    ``json_schema`` response format, Anthropic's output format): every object lists all
    its properties as required and allows no others."""
    if isinstance(schema, dict):
        out = {
            key: (
                {name: strict_schema(sub) for name, sub in value.items()}
                if key in _SCHEMA_MAPS and isinstance(value, dict)
                else strict_schema(value)
            )
            for key, value in schema.items()
            if key != "default"  # a keyword of this schema node, not a property's name
        }
        if out.get("type") == "object" and isinstance(out.get("properties"), dict):
            out["required"] = list(out["properties"])
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    return schema
