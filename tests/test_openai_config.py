"""The OpenAI clients' configuration: component config (aliases, masked secrets, Azure
settings from the environment, token providers), pickling, provider presets and
``OPENAI_BASE_URL``."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator

import pytest
from _openai_server import ChatServer, completion
from pydantic import BaseModel

from cantata import ComponentModel
from cantata.models import ChatCompletionClient, LLMMessage, UserMessage
from cantata.models.openai import (
    AzureOpenAIChatCompletionClient,
    OpenAIChatCompletionClient,
    OpenAIClientConfigurationConfigModel,
)

KEY = "sk-test-secret-key-0123456789"
PROMPT: list[LLMMessage] = [UserMessage(content="Hello?", source="user")]


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as chat_server:
        yield chat_server


class Answer(BaseModel):
    value: int


@pytest.mark.parametrize(
    "provider",
    [
        "openai_chat_completion_client",
        "OpenAIChatCompletionClient",
        "autogen_ext.models.openai.OpenAIChatCompletionClient",
        "cantata.models.openai.OpenAIChatCompletionClient",
    ],
)
def test_load_by_alias(provider: str) -> None:
    client = ChatCompletionClient.load_component(
        {"provider": provider, "config": {"model": "gpt-4o", "api_key": KEY, "temperature": 0.2}}
    )
    assert isinstance(client, OpenAIChatCompletionClient)
    assert client.create_args == {"model": "gpt-4o", "temperature": 0.2}


def test_dump_masks_the_key_and_round_trips_in_process() -> None:
    client = OpenAIChatCompletionClient(
        model="gpt-4o-mini", api_key=KEY, seed=3, response_format=Answer
    )
    dumped = client.dump_component()
    assert dumped.provider == "cantata.models.openai.OpenAIChatCompletionClient"
    assert dumped.component_type == "model"
    text = dumped.model_dump_json()
    assert KEY not in text
    assert json.loads(text)["config"]["api_key"] == "**********"
    # A pydantic response_format is written as its JSON schema.
    assert dumped.config["response_format"]["type"] == "json_schema"
    loaded = ChatCompletionClient.load_component(dumped)
    assert isinstance(loaded, OpenAIChatCompletionClient)
    assert loaded._client.api_key == KEY
    assert loaded.create_args["seed"] == 3


def test_a_masked_key_read_back_falls_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY).dump_component()
    from_json = ComponentModel.model_validate_json(text.model_dump_json())
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment-000")
    loaded = ChatCompletionClient.load_component(from_json)
    assert isinstance(loaded, OpenAIChatCompletionClient)
    assert loaded._client.api_key == "sk-from-environment-000"
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ValueError, match="api_key is required"):
        ChatCompletionClient.load_component(from_json)


def test_config_model_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="not_an_argument"):
        ChatCompletionClient.load_component(
            {
                "provider": "openai_chat_completion_client",
                "config": {"model": "gpt-4o", "api_key": KEY, "not_an_argument": 1},
            }
        )
    assert "base_url" in OpenAIClientConfigurationConfigModel.model_fields


def test_azure_component_round_trip() -> None:
    client = AzureOpenAIChatCompletionClient(
        model="gpt-4o",
        azure_endpoint="https://example.openai.azure.com",
        azure_deployment="gpt-4o",
        api_version="2024-06-01",
        api_key=KEY,
    )
    dumped = client.dump_component()
    assert dumped.provider == "cantata.models.openai.AzureOpenAIChatCompletionClient"
    assert KEY not in dumped.model_dump_json()
    loaded = ChatCompletionClient.load_component(
        {"provider": "azure_openai_chat_completion_client", "config": dumped.config}
    )
    assert isinstance(loaded, AzureOpenAIChatCompletionClient)
    assert loaded.create_args == {"model": "gpt-4o"}


@pytest.mark.anyio
async def test_a_pickled_client_works_after_unpickling(server: ChatServer) -> None:
    client = OpenAIChatCompletionClient(
        model="gpt-4o", api_key=KEY, base_url=server.base_url, temperature=0.1
    )
    copy = pickle.loads(pickle.dumps(client))
    assert isinstance(copy, OpenAIChatCompletionClient)
    server.script(completion("from the copy"))
    result = await copy.create(PROMPT)
    assert result.content == "from the copy"
    assert server.bodies[0]["temperature"] == 0.1
    await copy.close()
    await client.close()


@pytest.mark.parametrize(
    ("model", "variable", "host"),
    [
        ("gemini-2.0-flash", "GEMINI_API_KEY", "generativelanguage.googleapis.com"),
        ("claude-3-5-sonnet-20241022", "ANTHROPIC_API_KEY", "api.anthropic.com"),
        ("Llama-4-Scout-17B-16E-Instruct-FP8", "LLAMA_API_KEY", "api.llama.com"),
    ],
)
def test_provider_presets(
    model: str, variable: str, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "provider-key-123456")
    client = OpenAIChatCompletionClient(model=model)
    assert host in str(client._client.base_url)
    assert client._client.api_key == "provider-key-123456"
    assert client.model_info["function_calling"] is True
    # An explicit base_url wins over the preset.
    local = OpenAIChatCompletionClient(model=model, base_url="http://127.0.0.1:1/v1")
    assert "127.0.0.1" in str(local._client.base_url)


def test_preset_without_key_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="api_key"):
        OpenAIChatCompletionClient(model="gemini-2.0-flash")


@pytest.mark.anyio
async def test_openai_base_url_from_the_environment_needs_no_key(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    client = OpenAIChatCompletionClient(model="gpt-4o")
    server.script(completion("local"))
    assert (await client.create(PROMPT)).content == "local"
    await client.close()


def test_a_preset_wins_over_openai_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-123456")
    client = OpenAIChatCompletionClient(model="gemini-2.0-flash")
    assert "generativelanguage.googleapis.com" in str(client._client.base_url)
    assert client._client.api_key == "gemini-key-123456"


def test_azure_from_the_environment_dumps_without_leaking_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-06-01")
    client = AzureOpenAIChatCompletionClient(model="gpt-4o", api_key=KEY)
    dumped = client.dump_component()
    assert dumped.config["azure_endpoint"] == "https://example.openai.azure.com"
    assert dumped.config["api_version"] == "2024-06-01"
    assert KEY not in dumped.model_dump_json()
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT")
    with pytest.raises(ValueError) as caught:  # no endpoint anywhere: the error hides the key
        client.dump_component()
    assert KEY not in str(caught.value)


def test_azure_token_providers_and_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    client = AzureOpenAIChatCompletionClient(
        model="gpt-4o",
        azure_endpoint="https://example.openai.azure.com",
        api_version="2024-06-01",
        azure_ad_token_provider=lambda: "token",
    )
    with pytest.warns(UserWarning, match="azure_ad_token_provider"):
        dumped = client.dump_component()
    assert "azure_ad_token_provider" not in dumped.config
    config = {
        **dumped.config,
        "azure_ad_token_provider": {"provider": "autogen_ext.auth.azure.AzureTokenProvider"},
    }
    with pytest.raises(ValueError, match="azure_ad_token_provider"):
        ChatCompletionClient.load_component(
            {
                "provider": "autogen_ext.models.openai.AzureOpenAIChatCompletionClient",
                "config": config,
            }
        )


@pytest.mark.parametrize(
    "provider",
    [
        "AzureOpenAIChatCompletionClient",
        "autogen_ext.models.openai.AzureOpenAIChatCompletionClient",
    ],
)
def test_azure_aliases(provider: str) -> None:
    client = ChatCompletionClient.load_component(
        {
            "provider": provider,
            "config": {
                "model": "gpt-4o",
                "azure_endpoint": "https://example.openai.azure.com",
                "api_version": "2024-06-01",
                "api_key": KEY,
            },
        }
    )
    assert isinstance(client, AzureOpenAIChatCompletionClient)
    copy = pickle.loads(pickle.dumps(client))
    assert isinstance(copy, AzureOpenAIChatCompletionClient)
    assert copy.dump_component().config == client.dump_component().config
