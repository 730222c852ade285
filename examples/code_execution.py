"""Port of the user-guide section "Code Execution" (design patterns).

Two agents on the default topic: ``Assistant`` asks the model for a Python script in a
markdown block and publishes the reply; ``Executor`` runs the reply's code blocks with a
``CodeExecutor`` and publishes the output, which the assistant hands back to the model. The
conversation ends when the model answers without code.

What differs from the guide, and why:

* The guide runs the code in ``DockerCommandLineCodeExecutor``; here
  ``LocalCommandLineCodeExecutor`` runs it, in a temporary directory. That runs the code as
  you, on this machine: fine for the scripted replies below, not for a model's code (see the
  security notes in the README). With the ``docker`` extra and an engine, the guide's Docker
  executor drops in unchanged.
* The model is a ``ReplayChatCompletionClient``: its first reply is a script (standard library
  only: no pandas, matplotlib or network) that computes the year-to-date returns of two
  made-up price series and saves them to a CSV file; its second reply reads the output. The
  example never sends its code-running agent to a hosted model.

:func:`main` (``python examples/code_execution.py``) runs the guide's ``runtime.start()`` ...
``stop_when_idle()`` form on asyncio; :func:`run_structured` runs the same agents inside
``async with`` on asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List  # noqa: UP035 - the guide's code

from _support import Form, printed_lines, start_form, structured_form

from cantata import (
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    default_subscription,
    message_handler,
)
from cantata.code_executor import CodeBlock, CodeExecutor
from cantata.code_executors.local import LocalCommandLineCodeExecutor
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient

# -- The agents (the guide's) ----------------------------------------------------------------


@dataclass
class Message:
    content: str


@default_subscription
class Assistant(RoutedAgent):
    def __init__(self, model_client: ChatCompletionClient) -> None:
        super().__init__("An assistant agent.")
        self._model_client = model_client
        self._chat_history: List[LLMMessage] = [  # noqa: UP006
            SystemMessage(
                content="""Write Python script in markdown block, and it will be executed.
Always save figures to file in the current directory. Do not use plt.show(). All code required to complete this task must be contained within a single response.""",  # noqa: E501
            )
        ]

    @message_handler
    async def handle_message(self, message: Message, ctx: MessageContext) -> None:
        self._chat_history.append(UserMessage(content=message.content, source="user"))
        result = await self._model_client.create(self._chat_history)
        print(f"\n{'-' * 80}\nAssistant:\n{result.content}")
        self._chat_history.append(AssistantMessage(content=result.content, source="assistant"))
        await self.publish_message(Message(content=result.content), DefaultTopicId())  # type: ignore


def extract_markdown_code_blocks(markdown_text: str) -> List[CodeBlock]:  # noqa: UP006
    pattern = re.compile(r"```(?:\s*([\w\+\-]+))?\n([\s\S]*?)```")
    matches = pattern.findall(markdown_text)
    code_blocks: List[CodeBlock] = []  # noqa: UP006
    for match in matches:
        language = match[0].strip() if match[0] else ""
        code_content = match[1]
        code_blocks.append(CodeBlock(code=code_content, language=language))
    return code_blocks


@default_subscription
class Executor(RoutedAgent):
    def __init__(self, code_executor: CodeExecutor) -> None:
        super().__init__("An executor agent.")
        self._code_executor = code_executor

    @message_handler
    async def handle_message(self, message: Message, ctx: MessageContext) -> None:
        code_blocks = extract_markdown_code_blocks(message.content)
        if code_blocks:
            result = await self._code_executor.execute_code_blocks(
                code_blocks, cancellation_token=ctx.cancellation_token
            )
            print(f"\n{'-' * 80}\nExecutor:\n{result.output}")
            await self.publish_message(Message(content=result.output), DefaultTopicId())


# -- The model client ------------------------------------------------------------------------

SCRIPT = """\
import csv

# Month-end closing prices since 2024-01-01 (made-up figures for the example).
prices = {
    "NVDA": [48.17, 61.53, 79.01, 90.36, 86.40, 109.63],
    "TSLA": [248.42, 187.29, 201.88, 175.79, 183.28, 178.08],
}

with open("nvidia_vs_tesla_ytd_returns.csv", "w", newline="") as file:
    writer = csv.writer(file)
    writer.writerow(["month", "NVDA", "TSLA"])
    for month in range(6):
        row = [month + 1]
        for ticker in ("NVDA", "TSLA"):
            row.append(round(prices[ticker][month] / prices[ticker][0] - 1, 4))
        writer.writerow(row)

for ticker, series in prices.items():
    print(f"{ticker} YTD return: {series[-1] / series[0] - 1:+.2%}")
print("Saved nvidia_vs_tesla_ytd_returns.csv")
"""

SCRIPTED_REPLIES = [
    f"```python\n{SCRIPT}```",
    "NVIDIA is up 127.59% since the start of the year while Tesla is down 28.31%. The monthly "
    "returns of both are saved in `nvidia_vs_tesla_ytd_returns.csv` in the working directory.",
]
"""The model writes the script, then reads its output."""

TASK = "Create a plot of NVIDA vs TSLA stock returns YTD from 2024-01-01."


def create_model_client() -> ChatCompletionClient:
    """The scripted model (see the module's docstring)."""
    return ReplayChatCompletionClient(SCRIPTED_REPLIES)


# -- The program -----------------------------------------------------------------------------


def files_in(folder: str) -> list[str]:
    """The names of the files in *folder*, sorted."""
    return sorted(path.name for path in Path(folder).iterdir())


async def program(form: Form, model_client: ChatCompletionClient) -> None:
    with tempfile.TemporaryDirectory() as work_dir:
        async with LocalCommandLineCodeExecutor(work_dir=work_dir) as executor:

            async def run(runtime: SingleThreadedAgentRuntime) -> None:
                # Register the assistant and executor agents by providing
                # their agent types, the factory functions for creating instance and
                # subscriptions.
                await Assistant.register(
                    runtime,
                    "assistant",
                    lambda: Assistant(model_client=model_client),
                )
                await Executor.register(runtime, "executor", lambda: Executor(executor))
                # Publish a message to the assistant.
                await runtime.publish_message(Message(TASK), DefaultTopicId())

            # Start the runtime, run, and stop when idle.
            await form(run)
            saved = files_in(work_dir)
        print(f"\n{'-' * 80}\nFiles in the working directory: {', '.join(saved)}")


async def main() -> None:
    """The guide's form: ``runtime.start()``, the task, ``runtime.stop_when_idle()``."""
    model_client = create_model_client()
    await program(start_form, model_client)
    # Close the connection to the model client.
    await model_client.close()


async def run_structured(model_client: ChatCompletionClient | None = None) -> list[str]:
    """Run the program inside ``async with`` (asyncio or Trio); return the printed lines.

    Args:
        model_client: The assistant's model; by default the scripted one. The caller keeps
            ownership of a client it passes.
    """
    client = create_model_client() if model_client is None else model_client
    try:
        return await printed_lines(program, structured_form, client)
    finally:
        if model_client is None:
            await client.close()


if __name__ == "__main__":
    asyncio.run(main())
