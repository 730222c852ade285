"""An AgentChat program: cantata provides autogen-core's API, not AgentChat's."""

import asyncio

from autogen_agentchat.agents import AssistantAgent
from autogen_core import CancellationToken
from autogen_ext.agents.web_surfer import MultimodalWebSurfer
from autogen_ext.models.openai import OpenAIChatCompletionClient

TEAM = {"provider": "autogen_agentchat.teams.RoundRobinGroupChat", "config": {}}


async def main() -> None:
    agent = AssistantAgent("assistant", OpenAIChatCompletionClient(model="gpt-4o"))
    await agent.run(task="Say hello", cancellation_token=CancellationToken())


asyncio.run(main())
