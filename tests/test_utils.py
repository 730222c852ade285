"""cantata.utils: extract_json_from_str and schema_to_pydantic_model."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any, cast

import pytest
from pydantic import BaseModel, ValidationError

from cantata.tools import FunctionTool
from cantata.utils import (
    FormatNotSupportedError,
    ReferenceNotFoundError,
    SchemaConversionError,
    UnsupportedKeywordError,
    extract_json_from_str,
    schema_to_pydantic_model,
)

# -- extract_json_from_str -------------------------------------------------------------------


def test_extract_plain_json() -> None:
    assert extract_json_from_str('{"a": 1, "b": [true, null]}') == [{"a": 1, "b": [True, None]}]


def test_extract_fenced_blocks_in_order() -> None:
    text = 'First:\n```json\n{"n": 1}\n```\nthen\n```\n{"n": 2}\n```\nand ```JSON\r\n{"n": 3}```'
    assert extract_json_from_str(text) == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_extract_single_line_fences() -> None:
    assert extract_json_from_str('Result: ```{"a": [1]}``` and ```json {"b": 2}```') == [
        {"a": [1]},
        {"b": 2},
    ]


def test_extract_refuses_other_languages() -> None:
    with pytest.raises(ValueError, match="found language: python"):
        extract_json_from_str("```python\nprint(1)\n```")


def test_extract_bad_json_is_a_value_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        extract_json_from_str("not json")
    with pytest.raises(ValueError):
        extract_json_from_str("```json\n{broken\n```")


# -- schema_to_pydantic_model ----------------------------------------------------------------

PERSON: dict[str, Any] = {
    "title": "Person",
    "description": "Someone.",
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "description": "Full name."},
        "age": {"type": "integer", "minimum": 0, "exclusiveMaximum": 200},
        "email": {"type": "string", "format": "email"},
        "born": {"type": "string", "format": "date"},
        "id": {"type": "string", "format": "uuid"},
        "role": {"enum": ["admin", "user"], "default": "user"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "address": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "zip": {"type": "string", "pattern": r"^\d{5}$"},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
        "scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "nickname": {"type": ["string", "null"]},
    },
    "required": ["name", "age"],
}


def test_nested_objects_arrays_enums_formats() -> None:
    model = schema_to_pydantic_model(PERSON, "Person")
    assert model.__name__ == "Person"
    assert model.__doc__ == "Someone."
    person = model.model_validate(
        {
            "name": "Ada",
            "age": 36,
            "email": "ada@example.org",
            "born": "1815-12-10",
            "id": "12345678-1234-5678-1234-567812345678",
            "tags": ["math"],
            "address": {"city": "London", "zip": "12345"},
            "scores": {"a": 1, "b": 2.5},
        }
    )
    data = person.model_dump()
    assert data["born"] == datetime.date(1815, 12, 10)
    assert data["id"] == uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert data["role"] == "user"
    assert data["nickname"] is None
    assert data["address"] == {"city": "London", "zip": "12345"}
    assert data["scores"] == {"a": 1.0, "b": 2.5}
    assert model.model_fields["name"].description == "Full name."
    assert model.model_fields["name"].is_required()
    assert not model.model_fields["email"].is_required()


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"name": ""}, "name"),
        ({"age": -1}, "age"),
        ({"age": 200}, "age"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "root"}, "role"),
        ({"tags": ["a", "b", "c", "d"]}, "tags"),
        ({"address": {"city": "x", "zip": "1"}}, "address.zip"),
        ({"address": {"city": "x", "extra": 1}}, "address.extra"),
        ({"address": {}}, "address.city"),
        ({"born": "yesterday"}, "born"),
    ],
)
def test_constraints_are_enforced(change: dict[str, Any], where: str) -> None:
    model = schema_to_pydantic_model(PERSON)
    with pytest.raises(ValidationError) as info:
        model.model_validate({"name": "Ada", "age": 36, **change})
    assert where in str(info.value)


def test_required_fields_are_required() -> None:
    model = schema_to_pydantic_model(PERSON)
    with pytest.raises(ValidationError, match="age"):
        model.model_validate({"name": "Ada"})


def test_refs_and_recursion() -> None:
    schema = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}, "color": {"$ref": "#/definitions/Color"}},
        "required": ["root"],
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
                "required": ["value"],
            }
        },
        "definitions": {"Color": {"type": "string", "enum": ["red", "green"]}},
    }
    model = schema_to_pydantic_model(schema)
    tree = model.model_validate(
        {
            "root": {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]},
            "color": "red",
        }
    )
    node = tree.model_dump()["root"]
    assert node["children"][0]["children"][0]["value"] == 3
    with pytest.raises(ValidationError):
        model.model_validate({"root": {"value": 1, "children": [{"value": "x"}]}})
    with pytest.raises(ValidationError):
        model.model_validate({"root": {"value": 1}, "color": "blue"})


def test_any_of_one_of_and_discriminator() -> None:
    schema = {
        "type": "object",
        "properties": {
            "value": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "shape": {
                "oneOf": [{"$ref": "#/$defs/Circle"}, {"$ref": "#/$defs/Square"}],
                "discriminator": {"propertyName": "kind"},
            },
        },
        "required": ["value", "shape"],
        "$defs": {
            "Circle": {
                "type": "object",
                "properties": {"kind": {"const": "circle"}, "radius": {"type": "number"}},
                "required": ["kind", "radius"],
            },
            "Square": {
                "type": "object",
                "properties": {"kind": {"const": "square"}, "side": {"type": "number"}},
                "required": ["kind", "side"],
            },
        },
    }
    model = schema_to_pydantic_model(schema)
    item = model.model_validate({"value": "x", "shape": {"kind": "square", "side": 2}})
    assert type(item.model_dump()["value"]) is str
    assert type(cast(Any, item).shape).__name__ == "Square"
    assert model.model_validate({"value": 3, "shape": {"kind": "circle", "radius": 1}})
    with pytest.raises(ValidationError, match=r"discriminator|kind"):
        model.model_validate({"value": 3, "shape": {"kind": "hexagon"}})
    with pytest.raises(ValidationError):
        model.model_validate({"value": [], "shape": {"kind": "circle", "radius": 1}})


def test_all_of_merges_object_schemas() -> None:
    schema = {
        "allOf": [
            {"$ref": "#/$defs/Named"},
            {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]},
        ],
        "$defs": {
            "Named": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            }
        },
    }
    model = schema_to_pydantic_model(schema)
    assert set(model.model_fields) == {"name", "age"}
    assert all(field.is_required() for field in model.model_fields.values())


def test_awkward_property_names_become_aliases() -> None:
    schema = {
        "type": "object",
        "properties": {
            "first-name": {"type": "string"},
            "class": {"type": "string"},
            "schema": {"type": "string"},
            "model_id": {"type": "string"},
            "_hidden": {"type": "integer"},
        },
        "required": ["first-name", "class", "schema", "model_id", "_hidden"],
    }
    model = schema_to_pydantic_model(schema)
    data = {"first-name": "A", "class": "B", "schema": "C", "model_id": "D", "_hidden": 1}
    assert model.model_validate(data).model_dump(by_alias=True) == data
    assert model.model_validate_json(json.dumps(data)).model_dump(by_alias=True) == data


def test_round_trip_of_a_pydantic_schema() -> None:
    class Item(BaseModel):
        name: str
        quantity: int = 1

    class Order(BaseModel):
        items: list[Item]
        note: str | None = None
        when: datetime.datetime

    model = schema_to_pydantic_model(Order.model_json_schema(), "Order2")
    order = {"items": [{"name": "x", "quantity": 2}, {"name": "y"}], "when": "2026-01-01T10:00:00Z"}
    built = model.model_validate(order).model_dump(mode="json")
    assert built["items"][1]["quantity"] == 1
    assert Order.model_validate(built).items[0].quantity == 2


def test_a_tool_schema_becomes_a_model() -> None:
    def book(city: str, nights: int, breakfast: bool = False) -> str:
        """Book a hotel."""
        return city

    parameters = dict(FunctionTool(book, description="Book").schema["parameters"])
    model = schema_to_pydantic_model(parameters, "BookArgs")
    assert model.model_validate({"city": "Oslo", "nights": 2}).model_dump()["breakfast"] is False


@pytest.mark.parametrize(
    ("schema", "error", "message"),
    [
        ({"type": "string"}, UnsupportedKeywordError, "must describe an object"),
        (
            {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}},
            ReferenceNotFoundError,
            "Missing",
        ),
        (
            {"type": "object", "properties": {"a": {"$ref": "other.json#/x"}}},
            ReferenceNotFoundError,
            "outside",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "format": "telepathy"}}},
            FormatNotSupportedError,
            "#/properties/a",
        ),
        (
            {"type": "object", "properties": {"a": {"not": {"type": "string"}}}},
            UnsupportedKeywordError,
            "'not'",
        ),
        (
            {"type": "object", "patternProperties": {"^x": {}}},
            UnsupportedKeywordError,
            "patternProperties",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "complex"}}},
            UnsupportedKeywordError,
            "unknown type",
        ),
        (
            {"type": "object", "properties": {"a": {"enum": [{"x": 1}]}}},
            UnsupportedKeywordError,
            "enum",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/A"}},
                "$defs": {"A": {"type": "array", "items": {"$ref": "#/$defs/A"}}},
            },
            UnsupportedKeywordError,
            "refers to itself",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "object", "properties": {"b": {"if": {}}}}},
            },
            UnsupportedKeywordError,
            "#/properties/a/properties/b",
        ),
        ([], UnsupportedKeywordError, "expected a schema object"),
    ],
)
def test_unsupported_schemas_raise_clear_errors(
    schema: Any, error: type[SchemaConversionError], message: str
) -> None:
    with pytest.raises(error, match=message) as info:
        schema_to_pydantic_model(schema)
    assert isinstance(info.value, ValueError)


def test_models_from_one_schema_have_distinct_names() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "object", "title": "Part", "properties": {"x": {"type": "integer"}}},
            "b": {"type": "object", "title": "Part", "properties": {"y": {"type": "integer"}}},
        },
    }
    model = schema_to_pydantic_model(schema)
    value = model.model_validate({"a": {"x": 1}, "b": {"y": 2}})
    assert type(cast(Any, value).a).__name__ != type(cast(Any, value).b).__name__


def test_mutually_recursive_and_root_references() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}, "child": {"$ref": "#"}},
        "$defs": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
            "B": {
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/A"}, "n": {"type": "integer"}},
            },
        },
    }
    model = schema_to_pydantic_model(schema)
    value = model.model_validate({"a": {"b": {"a": {"b": {"n": 3}}}}, "child": {"child": {}}})
    assert value.model_dump()["a"]["b"]["a"]["b"]["n"] == 3
    with pytest.raises(ValidationError):
        model.model_validate({"a": {"b": {"n": "x"}}})


def test_too_deep_schemas_are_refused() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(150):
        schema = {"type": "object", "properties": {"x": schema}}
    with pytest.raises(UnsupportedKeywordError, match="deeper than 100 levels"):
        schema_to_pydantic_model(schema)
    for _ in range(50):
        schema = schema["properties"]["x"]
    assert schema_to_pydantic_model(schema).model_validate({}).model_dump() == {"x": None}
