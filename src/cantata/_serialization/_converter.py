"""The one cattrs converter behind every dataclass and attrs message.

Built on ``cattrs.preconf.orjson`` (orjson is a dependency of cantata), then adjusted so
that ``structure(unstructure(x)) == x`` holds exactly and wrong shapes are refused:

* ``str``, ``int``, ``float`` and ``bool`` are checked, not coerced: ``"12"`` is not an
  ``int`` and ``[1]`` is not a ``str``. A float accepts a JSON integer (``1`` for
  ``1.0``). Integers must fit in 64 bits and floats must be finite (JSON has no NaN):
  anything else fails to serialize.
* ``bytes`` are standard base64 strings (with padding); ``uuid.UUID`` its canonical
  string; ``datetime`` and ``date`` ISO 8601 strings.
* ``list``, ``tuple``, ``set`` and ``frozenset`` are JSON arrays; enums are their
  values; ``Literal`` values are checked.
* A ``dict`` whose keys are strings, string enums, ints or UUIDs is a JSON object (int
  and UUID keys written as strings); a dict with any other key type is a JSON array of
  ``[key, value]`` pairs, so keys of every type round-trip.
* Dataclasses and attrs classes are JSON objects of their fields (a non-object is
  refused, even for a class whose fields all have defaults). Unknown keys are ignored (a
  newer peer may send more fields); a missing key takes the field's default, or fails.
* Unions with two or more members besides ``None``, at least one of them a dataclass,
  attrs class or pydantic model, are *tagged* (cattrs' tagged-union convention, applied
  to every such union automatically): a class member is written as its object plus
  ``"_type": "<ClassName>"`` and read back by that tag; other members (``None``,
  strings, lists, ...) are written as themselves. ``X | None`` of a single class needs no
  tag. Tags make ``A | B`` exact even when ``A`` and ``B`` have the same fields, which
  guessing from field names (cattrs' default) cannot do. A class in such a union may not
  have a field named ``_type``, and two members may not share a class name.
* A union whose non-class members would share a JSON form and read back as a different
  type (``str | UUID``, ``str | bytes``, ``int | IntEnum``) is refused when the class is
  first used, instead of reading back the wrong type.
* Pydantic models nested in a dataclass or attrs class go through pydantic
  (``model_dump(mode="json")`` / ``model_validate``).

Nesting is bounded by Python's recursion limit (a couple of hundred levels of classes);
deeper values and payloads fail with ``SerializationError`` like any other bad input.

Detailed validation stays on, so a failure carries the path of the field it happened at,
which :func:`error_paths` turns into ``$.field[index]`` text.
"""

from __future__ import annotations

import math
from typing import Any

import cattrs
from cattrs.preconf.orjson import OrjsonConverter, make_converter

from . import _containers, _scalars, _unions

converter: OrjsonConverter = make_converter(detailed_validation=True)
"""The converter. Hooks are generated per class on first use and cached."""

_scalars.configure(converter)
_containers.configure(converter)
_unions.configure(converter)


def _format_exception(exc: BaseException, cls: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    errors = getattr(exc, "errors", None)
    if callable(errors):  # a nested pydantic model's ValidationError
        try:
            return ", ".join(
                f"{'.'.join(map(str, error['loc'])) or '(model)'}: {error['msg']}"
                for error in errors(include_url=False, include_input=False)
            )
        except Exception:
            pass
    text = str(exc)
    if isinstance(exc, TypeError | ValueError) and text:
        return text
    return cattrs.v.format_exception(exc, cls if isinstance(cls, type) else None)


_MAX_ERRORS = 10


def error_paths(exc: BaseException) -> str:
    """``problem @ $.path`` for each failure inside ``exc`` (the first ten), joined by ``; ``."""
    errors = cattrs.transform_error(exc, "$", _format_exception)
    if len(errors) > _MAX_ERRORS:
        errors = [*errors[:_MAX_ERRORS], f"and {len(errors) - _MAX_ERRORS} more"]
    return "; ".join(errors)


def non_finite_path(value: Any, path: str = "$") -> str | None:
    """Path of the first NaN or infinite float in an unstructured value, if any.

    orjson writes those as ``null``, which would not read back; the serializer calls this
    only when the JSON it produced contains ``null``.
    """
    if value.__class__ is float:
        return None if math.isfinite(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            found = non_finite_path(item, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = non_finite_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


__all__ = ["converter", "error_paths", "non_finite_path"]
