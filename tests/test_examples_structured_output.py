"""``examples/structured_output.py``, the port of the cookbook section "Structured output
using GPT-4o models".

The script (asyncio) and ``run_structured()`` (asyncio and Trio) print the guide's output.
The same code runs with the guide's ``AzureOpenAIChatCompletionClient`` against the loopback
OpenAI-compatible server: the request asks for a strict ``json_schema`` response format made
from ``MathReasoning`` and the reply validates into it.
"""

# ruff: noqa: E501
from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import pytest
from _examples_harness import load, run_script
from _openai_server import ChatServer, completion

from cantata import FunctionCall
from cantata.models import CreateResult, RequestUsage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

# The guide's output, line for line.
EXPECTED = [
    """{'steps': [{'explanation': 'Start by aligning the numbers vertically.', 'output': '\\n  16\\n+ 32'}, {'explanation': 'Add the units digits: 6 + 2 = 8.', 'output': '\\n  16\\n+ 32\\n   8'}, {'explanation': 'Add the tens digits: 1 + 3 = 4.', 'output': '\\n  16\\n+ 32\\n  48'}], 'final_answer': '48'}""",
    """MathReasoning(steps=[Step(explanation='Start by aligning the numbers vertically.', output='\\n  16\\n+ 32'), Step(explanation='Add the units digits: 6 + 2 = 8.', output='\\n  16\\n+ 32\\n   8'), Step(explanation='Add the tens digits: 1 + 3 = 4.', output='\\n  16\\n+ 32\\n  48')], final_answer='48')""",
]

# What OpenAI's structured outputs expect for MathReasoning (the openai SDK's own
# conversion of a pydantic model gives the same).
STEP_SCHEMA = {
    "properties": {
        "explanation": {"title": "Explanation", "type": "string"},
        "output": {"title": "Output", "type": "string"},
    },
    "required": ["explanation", "output"],
    "title": "Step",
    "type": "object",
    "additionalProperties": False,
}
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "MathReasoning",
        "strict": True,
        "schema": {
            "$defs": {"Step": STEP_SCHEMA},
            "properties": {
                "steps": {"items": {"$ref": "#/$defs/Step"}, "title": "Steps", "type": "array"},
                "final_answer": {"title": "Final Answer", "type": "string"},
            },
            "required": ["steps", "final_answer"],
            "title": "MathReasoning",
            "type": "object",
            "additionalProperties": False,
        },
    },
}

QUESTION = UserMessage(content="What is 16 + 32?", source="user")
DEPLOYMENT = "gpt-4o-2024-08-06"
API_VERSION = "2024-08-01-preview"


@pytest.fixture(autouse=True)
def _no_azure_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example would use the guide's Azure deployment if these were set."""
    for name in (
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_DEPLOYMENT_NAME",
        "AZURE_OPENAI_API_VERSION",
        "AZURE_OPENAI_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)


def example() -> ModuleType:
    """``examples/structured_output.py``, imported once."""
    return load("structured_output")


def test_script_prints_guide_output() -> None:
    assert run_script("structured_output", drop=("OPENAI_", "AZURE_OPENAI_")) == EXPECTED


@pytest.mark.anyio
async def test_run_structured_prints_guide_output() -> None:
    assert await example().run_structured() == EXPECTED


@pytest.mark.anyio
async def test_run_structured_is_deterministic() -> None:
    assert await example().run_structured() == await example().run_structured()


@pytest.mark.anyio
async def test_the_model_is_asked_with_the_pydantic_response_format() -> None:
    module = example()
    client = ReplayChatCompletionClient([module.GUIDE_REPLY])
    assert await module.run_structured(client) == EXPECTED
    (call,) = client.create_calls
    assert call["messages"] == [QUESTION]
    assert call["extra_create_args"] == {"response_format": module.MathReasoning}


@pytest.mark.anyio
async def test_a_reply_without_text_is_rejected() -> None:
    calls = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="c", arguments="{}", name="add")],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )
    with pytest.raises(ValueError, match="Response content is not a valid JSON string"):
        await example().ask(ReplayChatCompletionClient([calls]))


def _azure_client(server: ChatServer) -> Any:
    openai_models = pytest.importorskip("cantata.models.openai")
    return openai_models.AzureOpenAIChatCompletionClient(
        azure_deployment=DEPLOYMENT,
        model=DEPLOYMENT,
        api_version=API_VERSION,
        azure_endpoint=server.base_url.removesuffix("/v1"),
        api_key="test-key",
    )


@pytest.mark.anyio
async def test_the_azure_client_asks_for_the_strict_json_schema() -> None:
    module = example()
    with ChatServer() as server:
        server.script(completion(module.GUIDE_REPLY, model=DEPLOYMENT))
        client = _azure_client(server)
        try:
            printed = await module.run_structured(client)
        finally:
            await client.close()
        (request,) = server.requests

    assert printed == EXPECTED
    assert request.path == (
        f"/openai/deployments/{DEPLOYMENT}/chat/completions?api-version={API_VERSION}"
    )
    assert request.headers["api-key"] == "test-key"
    assert request.body["model"] == DEPLOYMENT
    assert request.body["messages"] == [
        {"role": "user", "content": "What is 16 + 32?", "name": "user"}
    ]
    assert request.body["response_format"] == RESPONSE_FORMAT


@pytest.mark.anyio
async def test_json_output_with_the_model_class_asks_for_the_same_schema() -> None:
    module = example()
    with ChatServer() as server:
        server.script(completion(module.GUIDE_REPLY, model=DEPLOYMENT))
        client = _azure_client(server)
        try:
            result = await client.create([QUESTION], json_output=module.MathReasoning)
        finally:
            await client.close()
        (body,) = server.bodies

    assert body["response_format"] == RESPONSE_FORMAT
    answer = module.MathReasoning.model_validate_json(result.content)
    assert answer.final_answer == "48"
    assert [step.explanation for step in answer.steps][-1] == "Add the tens digits: 1 + 3 = 4."


@pytest.mark.anyio
async def test_a_reply_that_does_not_fit_the_schema_fails() -> None:
    module = example()
    with ChatServer() as server:
        server.script(completion('{"final_answer": 48}', model=DEPLOYMENT))
        client = _azure_client(server)
        try:
            with pytest.raises(ValueError):  # pydantic's ValidationError is a ValueError
                await module.ask(client)
        finally:
            await client.close()


def test_scripted_client_without_settings() -> None:
    assert isinstance(example().create_model_client(), ReplayChatCompletionClient)


def test_the_guides_azure_settings_give_the_azure_client(monkeypatch: pytest.MonkeyPatch) -> None:
    openai_models = pytest.importorskip("cantata.models.openai")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com/")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "not-a-key")
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT_NAME", DEPLOYMENT)
    monkeypatch.setenv("AZURE_OPENAI_API_VERSION", API_VERSION)
    monkeypatch.setenv("AZURE_OPENAI_MODEL", DEPLOYMENT)
    client = example().create_model_client()
    assert isinstance(client, openai_models.AzureOpenAIChatCompletionClient)


def test_a_missing_azure_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("cantata.models.openai")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com/")
    with pytest.raises(ValueError, match="AZURE_OPENAI_DEPLOYMENT_NAME is not set"):
        example().create_model_client()


def test_falls_back_when_the_openai_client_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com/")
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    assert isinstance(example().create_model_client(), ReplayChatCompletionClient)
