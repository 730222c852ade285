"""Helpers for working with model output: JSON in text, JSON schemas as pydantic models.

Migrating from autogen-core: ``autogen_core.utils`` -> ``cantata.utils``.
"""

from ._json_schema_model import (
    FormatNotSupportedError,
    ReferenceNotFoundError,
    SchemaConversionError,
    UnsupportedKeywordError,
    schema_to_pydantic_model,
)
from ._load_json import extract_json_from_str

__all__ = [
    "FormatNotSupportedError",
    "ReferenceNotFoundError",
    "SchemaConversionError",
    "UnsupportedKeywordError",
    "extract_json_from_str",
    "schema_to_pydantic_model",
]
