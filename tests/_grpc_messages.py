"""Message types and agents shared by the distributed-runtime tests and their worker program."""

from __future__ import annotations

import os
from dataclasses import dataclass

import anyio
from google.protobuf import wrappers_pb2

from cantata import (
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    TopicId,
    TypeSubscription,
    message_handler,
)


@dataclass
class Ask:
    text: str


@dataclass
class Answer:
    text: str
    pid: int
    key: str


@dataclass
class Boom:
    kind: str


@dataclass
class Slow:
    seconds: float
    tag: str


@dataclass
class Note:
    text: str
    pid: int
    key: str


@dataclass
class Big:
    data: str


@dataclass
class Secret:
    """Returned by the worker program; the tests never register it."""

    text: str


@dataclass
class GetSecret:
    text: str


class CustomError(Exception):
    pass


class Echo(RoutedAgent):
    """Answers RPCs, raises on request, reports to topic ``notes`` what it did."""

    def __init__(self) -> None:
        super().__init__("echo")

    async def _note(self, text: str) -> None:
        await self.publish_message(
            Note(text, os.getpid(), self.id.key), TopicId("notes", self.id.key)
        )

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Answer:
        if not ctx.is_rpc:
            await self._note(f"published:{message.text}")
        return Answer(message.text.upper(), os.getpid(), self.id.key)

    @message_handler
    async def on_boom(self, message: Boom, ctx: MessageContext) -> None:
        if message.kind == "key":
            raise KeyError("boom")
        raise CustomError("custom boom")

    @message_handler
    async def on_slow(self, message: Slow, ctx: MessageContext) -> str:
        await self._note(f"started:{message.tag}")
        try:
            await anyio.sleep(message.seconds)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._note(f"cancelled:{message.tag}")
            raise
        return "finished"

    @message_handler
    async def on_big(self, message: Big, ctx: MessageContext) -> Big:
        return Big(message.data[::-1])

    @message_handler
    async def on_string(
        self, message: wrappers_pb2.StringValue, ctx: MessageContext
    ) -> wrappers_pb2.StringValue:
        return wrappers_pb2.StringValue(value=message.value[::-1])

    @message_handler
    async def on_get_secret(self, message: GetSecret, ctx: MessageContext) -> Secret:
        return Secret(message.text)


def echo_subscriptions(agent_type: str) -> list[TypeSubscription]:
    """``asks`` topics map their source to the agent key; the default topic too."""
    return [
        TypeSubscription("asks", agent_type),
        TypeSubscription(DefaultTopicId().type, agent_type),
    ]
