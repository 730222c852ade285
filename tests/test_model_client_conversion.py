"""Properties of the Anthropic and Ollama clients' request conversion, without a server.

Any conversation converts to Anthropic turns the Messages API accepts (alternating roles,
no empty turn or text block, tool results first in their turn) and loses no text; a tool's
schema converted for Ollama passes through the ``ollama`` SDK unchanged.
"""

from __future__ import annotations

import itertools
import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from hypothesis import given, settings
from hypothesis import strategies as st
from ollama import Tool as OllamaTool
from pydantic import BaseModel, Field

from cantata._function_call import FunctionCall
from cantata._image import Image
from cantata.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelInfo,
    SystemMessage,
    UserMessage,
)
from cantata.models.anthropic._messages import BlockMemory, convert_messages
from cantata.models.ollama._messages import tool_param
from cantata.tools import FunctionTool

INFO: ModelInfo = {
    "vision": True,
    "function_calling": True,
    "json_output": True,
    "family": "claude-4-5-sonnet",
    "structured_output": True,
}
IMAGE = Image.from_base64("iVBORw0KGgo=", mime_type="image/png")

texts = st.sampled_from(["", " ", "\n", "hi", "two words", " padded  ", "ünï"])
ids = st.text("abc123", min_size=1, max_size=4)
calls = st.builds(
    FunctionCall,
    id=ids,
    name=st.sampled_from(["f", "g"]),
    arguments=st.sampled_from(["{}", '{"a": 1}', "not json", "[1]", ""]),
)
messages: st.SearchStrategy[LLMMessage] = st.one_of(
    st.builds(SystemMessage, content=texts),
    st.builds(
        UserMessage,
        content=st.one_of(texts, st.lists(st.one_of(texts, st.just(IMAGE)), max_size=3)),
        source=st.just("user"),
    ),
    st.builds(
        AssistantMessage,
        content=st.one_of(texts, st.lists(calls, min_size=1, max_size=3)),
        thought=st.one_of(st.none(), texts),
        source=st.just("bot"),
    ),
    st.builds(
        FunctionExecutionResultMessage,
        content=st.lists(
            st.builds(
                FunctionExecutionResult,
                content=texts,
                name=st.just("f"),
                call_id=ids,
                is_error=st.booleans(),
            ),
            min_size=1,
            max_size=3,
        ),
    ),
)


def _user_texts(message: LLMMessage) -> list[str]:
    if isinstance(message, UserMessage):
        parts = [message.content] if isinstance(message.content, str) else message.content
        return [part for part in parts if isinstance(part, str) and part.strip()]
    return []


@settings(max_examples=150, deadline=None)
@given(st.lists(messages, max_size=8))
def test_anthropic_turns_are_valid(conversation: list[LLMMessage]) -> None:
    out = convert_messages(conversation, INFO, BlockMemory())
    turns = out.messages
    roles = [turn["role"] for turn in turns]
    assert all(a != b for a, b in itertools.pairwise(roles))
    for index, turn in enumerate(turns):
        blocks = turn["content"]
        assert blocks, "an empty turn"
        for block in blocks:
            if block["type"] == "text":
                assert block["text"].strip(), "an empty text block"
            if block["type"] == "tool_use":
                assert isinstance(block["input"], dict)
        kinds = [block["type"] for block in blocks]
        if turn["role"] == "user" and "tool_result" in kinds:
            first_other = next((i for i, k in enumerate(kinds) if k != "tool_result"), len(kinds))
            assert all(k != "tool_result" for k in kinds[first_other:])
        if index == len(turns) - 1 and turn["role"] == "assistant" and kinds[-1] == "text":
            assert blocks[-1]["text"] == blocks[-1]["text"].rstrip()
    sent = json.dumps(turns)
    for message in conversation:
        for text in _user_texts(message):
            assert json.dumps(text.strip())[1:-1] in sent
    systems = [m.content for m in conversation if isinstance(m, SystemMessage)]
    assert out.system == systems
    uses = sum(
        len(m.content)
        for m in conversation
        if isinstance(m, AssistantMessage) and isinstance(m.content, list)
    )
    assert sent.count('"type": "tool_use"') == uses
    results = sum(
        len(m.content) for m in conversation if isinstance(m, FunctionExecutionResultMessage)
    )
    assert sent.count('"type": "tool_result"') == results


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip_code: Annotated[str, Field(pattern=r"^\d{5}$")]


class Parcel(BaseModel):
    to: Address
    items: list[Address]
    weight: float | None = None


def plain(city: str, days: int = 3, metric: bool = True) -> str:
    """Forecast."""
    return city


def nested(parcel: Parcel, note: str | None = None) -> str:
    """Ship."""
    return note or ""


def choices(
    colour: Colour,
    size: Literal["s", "m", "l"],
    tags: list[str],
    scores: dict[str, int],
    either: int | str,
    count: Annotated[int, Field(ge=1, le=10, description="How many.")] = 1,
) -> str:
    """Pick."""
    return size


def test_ollama_tool_schemas_survive_the_sdk() -> None:
    """What the client sends is exactly what the SDK keeps: nothing is silently dropped."""
    for function in (plain, nested, choices):
        tool = FunctionTool(function, description=function.__doc__ or "")
        param = tool_param(tool.schema)
        kept: dict[str, Any] = OllamaTool.model_validate(param).model_dump(
            exclude_none=True, by_alias=True
        )
        assert kept == param, function.__name__
    properties = tool_param(FunctionTool(choices, description="").schema)["function"]["parameters"][
        "properties"
    ]
    assert properties["colour"]["enum"] == ["red", "blue"]
    assert properties["size"]["enum"] == ["s", "m", "l"]
    assert properties["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "tags",
    }
    assert '"minimum": 1' in properties["count"]["description"]
    assert properties["count"]["description"].startswith("How many.")
    assert '"anyOf"' in properties["either"]["description"]
