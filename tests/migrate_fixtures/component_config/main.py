"""Component configs from files and from code: providers name autogen's classes.

The application's own component module is trusted through autogen's environment variable.
"""

import asyncio
import json
import os
from pathlib import Path

import yaml
from autogen_core import ComponentLoader
from autogen_core.model_context import ChatCompletionContext
from autogen_core.models import ChatCompletionClient, UserMessage

os.environ["AUTOGEN_ALLOWED_PROVIDER_NAMESPACES"] = "my_components"

HERE = Path(__file__).parent


async def main() -> None:
    client = ChatCompletionClient.load_component(json.loads((HERE / "model.json").read_text()))
    result = await client.create([UserMessage(content="Where from?", source="user")])
    print(result.content)

    context = ChatCompletionContext.load_component(yaml.safe_load((HERE / "context.yaml").read_text()))
    print(type(context).__name__, context.dump_component().config)

    tool_config = {
        "provider": "autogen_core.tools.FunctionTool",
        "config": {"source_code": "def f(): pass", "name": "f", "description": "", "global_imports": []},
    }
    print(tool_config["provider"])

    component = ComponentLoader.load_component({"provider": "my_components.MyComponent", "config": {"value": "mine"}})
    print(type(component).__name__, component.value)


asyncio.run(main())
