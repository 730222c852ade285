"""Port of the user-guide section "Component config".

The guide loads a model client from a config and defines a component class of its own. Here
the model client is the offline ``ReplayChatCompletionClient`` (provider alias
``"replay_chat_completion_client"``) instead of ``"openai_chat_completion_client"``, so the
example runs without a hosted model.

Loading a component imports its provider's module only in trusted namespaces (``cantata``
and those allowed with ``allow_component_namespaces`` or the
``CANTATA_ALLOWED_COMPONENT_NAMESPACES`` environment variable). ``MyComponent`` is defined in
this script (``__main__``), which is already imported, and is a component of the kind asked
for, so it loads back as in the guide, with no allow-list.

:func:`main` (``python examples/component_config.py``) prints the results; :func:`run_structured`
runs the same code on asyncio or Trio and returns the printed lines.
"""

from __future__ import annotations

import asyncio

from _support import printed_lines
from pydantic import BaseModel, SecretStr

from cantata import Component, ComponentBase
from cantata.models import ChatCompletionClient, UserMessage

# -- Loading a component from a config ---------------------------------------------------------


async def load_model_client() -> None:
    config = {
        "provider": "replay_chat_completion_client",
        "config": {"chat_completions": ["Hello from a configured client!"]},
    }

    client = ChatCompletionClient.load_component(config)

    print(type(client).__name__)
    result = await client.create([UserMessage(content="Hi", source="user")])
    print(result.content)
    print(client.dump_component().provider)
    await client.close()


# -- Creating a component class ----------------------------------------------------------------


class Config(BaseModel):
    value: str


class MyComponent(ComponentBase[Config], Component[Config]):
    component_type = "custom"
    component_config_schema = Config

    def __init__(self, value: str) -> None:
        self.value = value

    def _to_config(self) -> Config:
        return Config(value=self.value)

    @classmethod
    def _from_config(cls, config: Config) -> MyComponent:
        return cls(value=config.value)


def round_trip_my_component() -> None:
    component = MyComponent(value="hello")
    model = component.dump_component()
    print(model.component_type, model.config)
    loaded = MyComponent.load_component(model)
    print(type(loaded).__name__, loaded.value)


# -- Secrets -----------------------------------------------------------------------------------


class ClientConfig(BaseModel):
    endpoint: str
    api_key: SecretStr


def show_secret_config() -> None:
    config = ClientConfig(endpoint="http://localhost:8000", api_key=SecretStr("sk-secret"))
    print(config.model_dump_json())


# -- The whole section -------------------------------------------------------------------------


async def main() -> None:
    print("# Loading a component from a config")
    await load_model_client()
    print("# Creating a component class")
    round_trip_my_component()
    print("# Secrets")
    show_secret_config()


async def run_structured() -> list[str]:
    """Run the section; return the lines it printed."""
    return await printed_lines(main)


if __name__ == "__main__":
    asyncio.run(main())
