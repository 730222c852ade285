"""Model contexts: what each one shows the model, its state, its configuration."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from cantata import FunctionCall, Image
from cantata.model_context import (
    BufferedChatCompletionContext,
    BufferedChatCompletionContextConfig,
    ChatCompletionContext,
    ChatCompletionContextState,
    HeadAndTailChatCompletionContext,
    HeadAndTailChatCompletionContextConfig,
    TokenLimitedChatCompletionContext,
    TokenLimitedChatCompletionContextConfig,
    UnboundedChatCompletionContext,
    UnboundedChatCompletionContextConfig,
)
from cantata.model_context._component_hooks import dump_nested_component
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def user(text: str) -> UserMessage:
    return UserMessage(content=text, source="user")


def assistant(text: str) -> AssistantMessage:
    return AssistantMessage(content=text, source="assistant")


def calls(*ids: str) -> AssistantMessage:
    return AssistantMessage(
        content=[FunctionCall(id=i, arguments='{"x": 1}', name="tool") for i in ids],
        source="assistant",
    )


def results(*ids: str) -> FunctionExecutionResultMessage:
    return FunctionExecutionResultMessage(
        content=[FunctionExecutionResult(content="ok", name="tool", call_id=i) for i in ids]
    )


def texts(messages: Sequence[LLMMessage]) -> list[object]:
    return [message.content for message in messages]


EVERY_KIND: list[LLMMessage] = [
    SystemMessage(content="You are helpful."),
    UserMessage(content=["Look at this:", Image(PNG)], source="user"),
    calls("call-1", "call-2"),
    results("call-1", "call-2"),
    AssistantMessage(content="Done.", thought="It was easy.", source="assistant"),
    FunctionExecutionResultMessage(
        content=[FunctionExecutionResult(content="boom", name="t", call_id="", is_error=True)]
    ),
]


class WordBudgetClient(ReplayChatCompletionClient):
    """A replay client with a fixed budget: remaining tokens may go below zero."""

    def __init__(self, budget: int) -> None:
        super().__init__([])
        self.budget = budget
        self.tools_seen: list[list[Any]] = []

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        self.tools_seen.append(list(tools))
        return super().count_tokens(messages) + len(tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        return self.budget - self.count_tokens(messages, tools=tools)


class DumpableReplayClient(ReplayChatCompletionClient):
    """A replay client that can be saved in a configuration."""

    def dump_component(self) -> dict[str, Any]:  # type: ignore[override]
        return {"provider": "test.DumpableReplayClient", "config": {"replies": []}}


def all_contexts() -> Iterator[ChatCompletionContext]:
    yield UnboundedChatCompletionContext()
    yield BufferedChatCompletionContext(buffer_size=2)
    yield HeadAndTailChatCompletionContext(head_size=1, tail_size=1)
    yield TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), token_limit=3)


CONTEXTS = list(all_contexts())
IDS = [type(context).__name__ for context in CONTEXTS]


# -- Every context ------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(CONTEXTS)), ids=IDS)
async def test_state_round_trips_exactly_through_json(index: int) -> None:
    context = list(all_contexts())[index]
    for message in EVERY_KIND:
        await context.add_message(message)
    view = await context.get_messages()

    state = await context.save_state()
    text = json.dumps(state)  # JSON-serializable as it is
    restored = list(all_contexts())[index]
    await restored.load_state(json.loads(text))

    assert await restored.save_state() == state
    assert await restored.get_messages() == view
    assert ChatCompletionContextState.model_validate(state).messages == EVERY_KIND


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(CONTEXTS)), ids=IDS)
async def test_state_keeps_every_message_not_just_the_view(index: int) -> None:
    context = list(all_contexts())[index]
    for n in range(6):
        await context.add_message(user(f"m{n}"))
    state = await context.save_state()
    assert [m["content"] for m in state["messages"]] == [f"m{n}" for n in range(6)]


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(CONTEXTS)), ids=IDS)
async def test_clear_removes_initial_and_added_messages(index: int) -> None:
    context = list(all_contexts())[index]
    await context.load_state({"messages": [user("a").model_dump()]})
    await context.add_message(user("b"))
    await context.clear()
    assert await context.get_messages() == []
    assert await context.save_state() == {"messages": []}


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(CONTEXTS)), ids=IDS)
async def test_load_state_rejects_bad_state_and_keeps_messages(index: int) -> None:
    context = list(all_contexts())[index]
    await context.add_message(user("kept"))
    with pytest.raises(ValidationError):
        await context.load_state({"messages": [{"type": "NoSuchMessage", "content": "x"}]})
    with pytest.raises(ValidationError):
        await context.load_state({"messages": "not a list"})
    assert texts(await context.get_messages()) == ["kept"]


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(CONTEXTS)), ids=IDS)
async def test_get_messages_returns_a_new_list(index: int) -> None:
    context = list(all_contexts())[index]
    await context.add_message(user("a"))
    view = await context.get_messages()
    view.append(user("b"))
    view.clear()
    assert texts(await context.get_messages()) == ["a"]


def test_every_context_is_a_chat_completion_context_component() -> None:
    for context in all_contexts():
        assert isinstance(context, ChatCompletionContext)
        assert context.component_type == "chat_completion_context"
        cls = type(context)
        provider = getattr(cls, "component_provider_override", None)
        assert provider == f"cantata.model_context.{cls.__name__}"
        assert issubclass(getattr(cls, "component_config_schema", object), BaseModel)


def test_load_state_accepts_an_empty_state() -> None:
    assert ChatCompletionContextState.model_validate({}).messages == []


# -- Unbounded ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_unbounded_returns_every_message_in_order() -> None:
    context = UnboundedChatCompletionContext(initial_messages=[SystemMessage(content="sys")])
    for n in range(50):
        await context.add_message(user(str(n)))
    assert texts(await context.get_messages()) == ["sys", *[str(n) for n in range(50)]]


@pytest.mark.anyio
async def test_initial_messages_are_copied() -> None:
    initial: list[LLMMessage] = [user("a")]
    context = UnboundedChatCompletionContext(initial_messages=initial)
    initial.append(user("b"))
    await context.add_message(user("c"))
    assert texts(await context.get_messages()) == ["a", "c"]
    assert initial == [user("a"), user("b")]


@pytest.mark.anyio
async def test_unbounded_config_holds_the_initial_messages_only() -> None:
    context = UnboundedChatCompletionContext(initial_messages=[user("first")])
    await context.add_message(user("later"))
    config = context._to_config()
    assert config == UnboundedChatCompletionContextConfig(initial_messages=[user("first")])
    copy = UnboundedChatCompletionContext._from_config(
        UnboundedChatCompletionContextConfig.model_validate_json(config.model_dump_json())
    )
    assert texts(await copy.get_messages()) == ["first"]
    assert UnboundedChatCompletionContext()._to_config().initial_messages is None


# -- Buffered -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -1])
def test_buffered_rejects_a_non_positive_size(size: int) -> None:
    with pytest.raises(ValueError, match="buffer_size must be greater than 0"):
        BufferedChatCompletionContext(buffer_size=size)
    with pytest.raises(ValueError, match="buffer_size"):
        BufferedChatCompletionContext._from_config(
            BufferedChatCompletionContextConfig(buffer_size=size)
        )


@pytest.mark.anyio
async def test_buffered_returns_the_last_messages() -> None:
    context = BufferedChatCompletionContext(buffer_size=3, initial_messages=[user("0")])
    assert context.buffer_size == 3
    assert texts(await context.get_messages()) == ["0"]
    for n in range(1, 6):
        await context.add_message(user(str(n)))
    assert texts(await context.get_messages()) == ["3", "4", "5"]


@pytest.mark.anyio
async def test_buffered_drops_a_leading_function_result() -> None:
    context = BufferedChatCompletionContext(buffer_size=3)
    conversation: list[LLMMessage] = [user("q"), calls("c1"), results("c1"), assistant("a")]
    for message in [*conversation, user("q2")]:
        await context.add_message(message)
    view = await context.get_messages()
    assert view == [assistant("a"), user("q2")]

    await context.add_message(assistant("a2"))
    assert await context.get_messages() == [assistant("a"), user("q2"), assistant("a2")]


@pytest.mark.anyio
async def test_buffered_drops_every_leading_function_result() -> None:
    context = BufferedChatCompletionContext(
        buffer_size=3, initial_messages=[calls("c1"), results("c1"), results("c2"), user("q")]
    )
    assert await context.get_messages() == [user("q")]


@pytest.mark.anyio
async def test_buffered_keeps_a_call_with_its_result() -> None:
    context = BufferedChatCompletionContext(
        buffer_size=2, initial_messages=[user("q"), calls("c1"), results("c1")]
    )
    assert await context.get_messages() == [calls("c1"), results("c1")]


@pytest.mark.anyio
async def test_buffered_config_round_trips() -> None:
    context = BufferedChatCompletionContext(buffer_size=4, initial_messages=[user("i")])
    config = context._to_config()
    assert config == BufferedChatCompletionContextConfig(
        buffer_size=4, initial_messages=[user("i")]
    )
    copy = BufferedChatCompletionContext._from_config(config)
    assert copy.buffer_size == 4
    assert await copy.get_messages() == [user("i")]


# -- Head and tail ------------------------------------------------------------------------------


@pytest.mark.parametrize(("head", "tail", "name"), [(0, 1, "head_size"), (1, 0, "tail_size")])
def test_head_and_tail_rejects_non_positive_sizes(head: int, tail: int, name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be greater than 0"):
        HeadAndTailChatCompletionContext(head_size=head, tail_size=tail)
    with pytest.raises(ValueError, match=name):
        HeadAndTailChatCompletionContext._from_config(
            HeadAndTailChatCompletionContextConfig(head_size=head, tail_size=tail)
        )


@pytest.mark.anyio
async def test_head_and_tail_returns_everything_while_nothing_is_skipped() -> None:
    context = HeadAndTailChatCompletionContext(head_size=2, tail_size=2)
    assert (context.head_size, context.tail_size) == (2, 2)
    for n in range(4):
        await context.add_message(user(str(n)))
    assert texts(await context.get_messages()) == ["0", "1", "2", "3"]


@pytest.mark.anyio
async def test_head_and_tail_skips_the_middle_with_a_placeholder() -> None:
    context = HeadAndTailChatCompletionContext(head_size=2, tail_size=2)
    for n in range(7):
        await context.add_message(user(str(n)))
    view = await context.get_messages()
    assert view == [
        user("0"),
        user("1"),
        UserMessage(content="Skipped 3 messages.", source="System"),
        user("5"),
        user("6"),
    ]


@pytest.mark.anyio
async def test_head_and_tail_keeps_calls_with_their_results() -> None:
    # The head would end with calls whose result is skipped; the tail would start
    # with a result whose call is skipped. Both are left out and counted.
    messages: list[LLMMessage] = [
        user("q"),
        calls("c1"),
        results("c1"),
        assistant("middle"),
        calls("c2"),
        results("c2"),
        assistant("end"),
    ]
    context = HeadAndTailChatCompletionContext(head_size=2, tail_size=2, initial_messages=messages)
    assert await context.get_messages() == [
        user("q"),
        UserMessage(content="Skipped 5 messages.", source="System"),
        assistant("end"),
    ]


@pytest.mark.anyio
async def test_head_and_tail_config_round_trips() -> None:
    context = HeadAndTailChatCompletionContext(head_size=1, tail_size=3)
    config = context._to_config()
    assert config == HeadAndTailChatCompletionContextConfig(head_size=1, tail_size=3)
    copy = HeadAndTailChatCompletionContext._from_config(config)
    assert (copy.head_size, copy.tail_size) == (1, 3)


# -- Token limited ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, -5])
def test_token_limited_rejects_a_non_positive_limit(limit: int) -> None:
    with pytest.raises(ValueError, match="token_limit must be greater than 0"):
        TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), token_limit=limit)


@pytest.mark.anyio
async def test_token_limited_drops_the_oldest_messages_until_they_fit() -> None:
    client = ReplayChatCompletionClient([])  # one token per word
    context = TokenLimitedChatCompletionContext(client, token_limit=5)
    assert context.model_client is client
    assert context.token_limit == 5
    for message in [user("one two three"), user("four five"), user("six"), user("seven eight")]:
        await context.add_message(message)
    # 3 + 2 + 1 + 2 = 8 > 5; without the oldest, 2 + 1 + 2 = 5 fits exactly.
    assert texts(await context.get_messages()) == ["four five", "six", "seven eight"]

    await context.add_message(user("nine"))
    assert texts(await context.get_messages()) == ["six", "seven eight", "nine"]


@pytest.mark.anyio
async def test_token_limited_returns_nothing_when_the_newest_message_is_too_long() -> None:
    context = TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), token_limit=2)
    await context.add_message(user("a"))
    await context.add_message(user("far too many words"))
    assert await context.get_messages() == []


@pytest.mark.anyio
async def test_token_limited_drops_a_leading_function_result() -> None:
    client = ReplayChatCompletionClient([])
    messages: list[LLMMessage] = [
        user("q"),
        AssistantMessage(
            content=[FunctionCall(id="c", arguments="many words of arguments", name="t")],
            source="a",
        ),
        results("c"),  # "ok": one token
        assistant("done"),
    ]
    context = TokenLimitedChatCompletionContext(client, token_limit=3, initial_messages=messages)
    assert await context.get_messages() == [assistant("done")]


@pytest.mark.anyio
async def test_token_limited_counts_the_tool_schema() -> None:
    client = WordBudgetClient(budget=100)
    schema = {"name": "tool", "description": "does things", "parameters": {}}
    context = TokenLimitedChatCompletionContext(client, token_limit=3, tool_schema=[schema])
    await context.add_message(user("a b"))
    await context.add_message(user("c d"))
    # Each tool adds one token here: 2 + 1 fits, 4 + 1 does not.
    assert texts(await context.get_messages()) == ["c d"]
    assert client.tools_seen[-1] == [schema]


@pytest.mark.anyio
async def test_token_limited_without_a_limit_uses_the_remaining_tokens() -> None:
    client = WordBudgetClient(budget=4)
    context = TokenLimitedChatCompletionContext(client)
    assert context.token_limit is None
    for message in [user("a b c"), user("d e"), user("f g")]:
        await context.add_message(message)
    # remaining = 4 - tokens must not go below zero.
    assert texts(await context.get_messages()) == ["d e", "f g"]
    client.budget = 7
    assert texts(await context.get_messages()) == ["a b c", "d e", "f g"]
    client.budget = 1
    assert await context.get_messages() == []


@pytest.mark.anyio
async def test_token_limited_with_the_replay_budget_keeps_everything() -> None:
    client = ReplayChatCompletionClient([])  # 10,000 tokens, never below zero
    context = TokenLimitedChatCompletionContext(client)
    for n in range(20):
        await context.add_message(user(f"message {n}"))
    assert len(await context.get_messages()) == 20


@pytest.mark.anyio
async def test_token_limited_does_not_call_the_model() -> None:
    client = ReplayChatCompletionClient(["unused"])
    context = TokenLimitedChatCompletionContext(client, token_limit=10)
    await context.add_message(user("hi"))
    await context.get_messages()
    assert client.create_calls == []


def test_token_limited_config_holds_the_replay_clients_component() -> None:
    context = TokenLimitedChatCompletionContext(ReplayChatCompletionClient(["a"]), token_limit=5)
    config = context._to_config()
    assert config.model_client["provider"] == "cantata.models.replay.ReplayChatCompletionClient"
    loaded = TokenLimitedChatCompletionContext._from_config(config)
    assert isinstance(loaded.model_client, ReplayChatCompletionClient)
    assert loaded.model_client.chat_completions == ["a"]
    assert loaded.token_limit == 5


def test_token_limited_config_holds_the_client_configuration() -> None:
    schema = {"name": "tool"}
    context = TokenLimitedChatCompletionContext(
        DumpableReplayClient([]),
        token_limit=5,
        tool_schema=[schema],
        initial_messages=[user("i")],
    )
    config = context._to_config()
    assert config == TokenLimitedChatCompletionContextConfig(
        model_client={"provider": "test.DumpableReplayClient", "config": {"replies": []}},
        token_limit=5,
        tool_schema=[schema],
        initial_messages=[user("i")],
    )
    assert (
        TokenLimitedChatCompletionContext(DumpableReplayClient([]))._to_config().tool_schema is None
    )


def test_token_limited_from_config_refuses_a_malformed_provider() -> None:
    config = TokenLimitedChatCompletionContextConfig(model_client={"provider": "x", "config": {}})
    with pytest.raises(ValueError, match="Invalid component provider"):
        TokenLimitedChatCompletionContext._from_config(config)


@pytest.mark.anyio
async def test_token_limited_from_config_loads_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[Mapping[str, Any]] = []

    def load_component(cls: type[ChatCompletionClient], model: Mapping[str, Any]) -> Any:
        loaded.append(model)
        return ReplayChatCompletionClient([])

    monkeypatch.setattr(
        ChatCompletionClient, "load_component", classmethod(load_component), raising=False
    )
    config = TokenLimitedChatCompletionContextConfig(
        model_client={"provider": "x", "config": {}}, token_limit=2, tool_schema=[{"name": "t"}]
    )
    context = TokenLimitedChatCompletionContext._from_config(config)
    assert loaded == [{"provider": "x", "config": {}}]
    assert isinstance(context.model_client, ReplayChatCompletionClient)
    assert context.token_limit == 2
    await context.add_message(user("a b c"))
    assert await context.get_messages() == []


def test_token_limited_from_config_checks_the_loaded_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        ChatCompletionClient,
        "load_component",
        classmethod(lambda cls, model: object()),
        raising=False,
    )
    config = TokenLimitedChatCompletionContextConfig(model_client={"provider": "x", "config": {}})
    with pytest.raises(TypeError, match="not a ChatCompletionClient"):
        TokenLimitedChatCompletionContext._from_config(config)


# -- Nested component configuration -------------------------------------------------------------


class _ModelDumper:
    def dump_component(self) -> BaseModel:
        return UnboundedChatCompletionContextConfig()


class _BadDumper:
    def dump_component(self) -> int:
        return 3


def test_nested_component_dump_accepts_models_and_rejects_other_results() -> None:
    assert dump_nested_component(_ModelDumper(), "thing") == {"initial_messages": None}
    with pytest.raises(TypeError, match="returned int"):
        dump_nested_component(_BadDumper(), "thing")
