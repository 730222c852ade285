"""Port of the user-guide cookbook section "Structured output using GPT-4o models".

A pydantic model class given as ``response_format`` (here through ``extra_create_args``, as
in the guide; ``json_output=MathReasoning`` does the same) makes the OpenAI clients ask for
structured output: the request's ``response_format`` is a strict ``json_schema`` built from
the model class, and the reply's content is JSON that validates against it.

The guide talks to an Azure OpenAI deployment. By default :func:`create_model_client` returns
a ``ReplayChatCompletionClient`` that replies with the guide's JSON, so the example runs
offline and prints the guide's output. (The replay client ignores ``response_format``; the
tests run the same code with the real ``AzureOpenAIChatCompletionClient`` against a local
OpenAI-compatible server and check the schema it sends.) When ``AZURE_OPENAI_ENDPOINT`` is
set and ``cantata.models.openai`` is available, it returns the guide's
``AzureOpenAIChatCompletionClient``, configured from the guide's environment variables
(``AZURE_OPENAI_DEPLOYMENT_NAME``, ``AZURE_OPENAI_MODEL``, ``AZURE_OPENAI_API_VERSION``,
``AZURE_OPENAI_ENDPOINT``, ``AZURE_OPENAI_API_KEY``; the guide's cell that sets them to
placeholders is left out). Otherwise, when ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set,
it returns ``OpenAIChatCompletionClient(model="gpt-4o-mini")``.

In a notebook the last expression, the validated ``MathReasoning``, is shown; here it is
printed. The section has no agents and no runtime: :func:`main`
(``python examples/structured_output.py``) runs it on asyncio, and :func:`run_structured`
runs the same code on asyncio or Trio.
"""

from __future__ import annotations

import asyncio
import json
import os

from _support import configured_openai_client, given_or_created, openai_models, printed_lines
from pydantic import BaseModel

from cantata.models import ChatCompletionClient, UserMessage
from cantata.models.replay import ReplayChatCompletionClient


class MathReasoning(BaseModel):
    class Step(BaseModel):
        explanation: str
        output: str

    steps: list[Step]
    final_answer: str


# -- The model client ------------------------------------------------------------------------


# Function to get environment variable and ensure it is not None
def get_env_variable(name: str) -> str:
    value = os.getenv(name)
    if value is None:
        raise ValueError(f"Environment variable {name} is not set")
    return value


GUIDE_REPLY = json.dumps(
    {
        "steps": [
            {
                "explanation": "Start by aligning the numbers vertically.",
                "output": "\n  16\n+ 32",
            },
            {"explanation": "Add the units digits: 6 + 2 = 8.", "output": "\n  16\n+ 32\n   8"},
            {"explanation": "Add the tens digits: 1 + 3 = 4.", "output": "\n  16\n+ 32\n  48"},
        ],
        "final_answer": "48",
    }
)
"""The model's JSON reply behind the guide's output."""


def create_model_client() -> ChatCompletionClient:
    """Return the guide's Azure client (or the OpenAI client) if configured and available,
    else the scripted one."""
    models = openai_models() if os.environ.get("AZURE_OPENAI_ENDPOINT") else None
    if models is not None:
        # Create the client with type-checked environment variables
        client: ChatCompletionClient = models.AzureOpenAIChatCompletionClient(
            azure_deployment=get_env_variable("AZURE_OPENAI_DEPLOYMENT_NAME"),
            model=get_env_variable("AZURE_OPENAI_MODEL"),
            api_version=get_env_variable("AZURE_OPENAI_API_VERSION"),
            azure_endpoint=get_env_variable("AZURE_OPENAI_ENDPOINT"),
            api_key=get_env_variable("AZURE_OPENAI_API_KEY"),
        )
        return client
    return configured_openai_client(model="gpt-4o-mini") or ReplayChatCompletionClient(
        [GUIDE_REPLY]
    )


# -- The program -----------------------------------------------------------------------------


async def ask(client: ChatCompletionClient) -> MathReasoning:
    """The guide's call; prints the reply's JSON and returns the validated result."""
    # Define the user message
    messages = [
        UserMessage(content="What is 16 + 32?", source="user"),
    ]

    # Call the create method on the client, passing the messages and additional arguments
    # The extra_create_args dictionary includes the response format as MathReasoning model we
    # defined above. Providing the response format and pydantic model makes the client ask
    # for structured output with the model's JSON schema.
    response = await client.create(
        messages=messages, extra_create_args={"response_format": MathReasoning}
    )

    # Ensure the response content is a valid JSON string before loading it
    response_content: str | None = response.content if isinstance(response.content, str) else None
    if response_content is None:
        raise ValueError("Response content is not a valid JSON string")

    # Print the response content after loading it as JSON
    print(json.loads(response_content))

    # Validate the response content with the MathReasoning model
    return MathReasoning.model_validate(json.loads(response_content))


async def structured_output(client: ChatCompletionClient) -> None:
    """The section: ask, then show the validated result (a notebook shows it; we print)."""
    print(repr(await ask(client)))


async def main() -> None:
    client = create_model_client()
    await structured_output(client)
    await client.close()


async def run_structured(model_client: ChatCompletionClient | None = None) -> list[str]:
    """Run the section on asyncio or Trio; return the lines it printed.

    Args:
        model_client: The client to ask; by default :func:`create_model_client`'s. The
            caller keeps ownership of a client it passes (it is not closed here).
    """
    async with given_or_created(model_client, create_model_client) as client:
        return await printed_lines(structured_output, client)


if __name__ == "__main__":
    asyncio.run(main())
