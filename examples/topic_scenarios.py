"""Port of the user-guide cookbook section "Topic and Subscription Example Scenarios".

A tax management company routes client requests to tax specialists by broadcasting, in four
ways: single- or multi-tenant (the topic source), with a single or multiple scopes of
publishing (the topic type). Each specialist prints the request it receives and publishes an
assessment to the same topic.

The guide imports ``DefaultSubscription`` and ``DefaultTopicId`` from private modules; here
they come from ``cantata``. Agent ids print as ``type/key``; the output recorded in the guide
shows ``type:key``, the format of an older autogen-core.

Run it with ``python examples/topic_scenarios.py``: each scenario runs on its own runtime with
``runtime.start()`` and ``await runtime.stop_when_idle()`` as in the guide, on asyncio.
:func:`run_structured` runs the same scenarios as
``async with SingleThreadedAgentRuntime() as runtime:``, which also runs on Trio::

    anyio.run(run_structured, backend="trio")
"""

from __future__ import annotations

import asyncio
import io
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass
from enum import Enum

from cantata import (
    DefaultSubscription,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.models import (
    SystemMessage,
)


class TaxSpecialty(str, Enum):  # noqa: UP042 (prints as TaxSpecialty.PLANNING, as in the guide)
    PLANNING = "planning"
    DISPUTE_RESOLUTION = "dispute_resolution"
    COMPLIANCE = "compliance"
    PREPARATION = "preparation"


@dataclass
class ClientRequest:
    content: str


@dataclass
class RequestAssessment:
    content: str


class TaxSpecialist(RoutedAgent):
    def __init__(
        self,
        description: str,
        specialty: TaxSpecialty,
        system_messages: list[SystemMessage],
    ) -> None:
        super().__init__(description)
        self.specialty = specialty
        self._system_messages = system_messages
        self._memory: list[ClientRequest] = []

    @message_handler
    async def handle_message(self, message: ClientRequest, ctx: MessageContext) -> None:
        # Process the client request.
        print(
            f"\n{'=' * 50}\nTax specialist {self.id} with specialty {self.specialty}:\n"
            f"{message.content}"
        )
        # Send a response back to the manager
        if ctx.topic_id is None:
            raise ValueError("Topic ID is required for broadcasting")
        await self.publish_message(
            message=RequestAssessment(content=f"I can handle this request in {self.specialty}."),
            topic_id=ctx.topic_id,
        )


# -- 1. Single-Tenant, Single Scope of Publishing --------------------------------------------


async def run_single_tenant_single_scope() -> None:
    # Create the runtime.
    runtime = SingleThreadedAgentRuntime()

    # Register TaxSpecialist agents for each specialty
    specialist_agent_type_1 = "TaxSpecialist_1"
    specialist_agent_type_2 = "TaxSpecialist_2"
    await TaxSpecialist.register(
        runtime=runtime,
        type=specialist_agent_type_1,
        factory=lambda: TaxSpecialist(
            description="A tax specialist 1",
            specialty=TaxSpecialty.PLANNING,
            system_messages=[SystemMessage(content="You are a tax specialist.")],
        ),
    )

    await TaxSpecialist.register(
        runtime=runtime,
        type=specialist_agent_type_2,
        factory=lambda: TaxSpecialist(
            description="A tax specialist 2",
            specialty=TaxSpecialty.DISPUTE_RESOLUTION,
            system_messages=[SystemMessage(content="You are a tax specialist.")],
        ),
    )

    # Add default subscriptions for each agent type
    await runtime.add_subscription(DefaultSubscription(agent_type=specialist_agent_type_1))
    await runtime.add_subscription(DefaultSubscription(agent_type=specialist_agent_type_2))

    # Start the runtime and send a message to agents on default topic
    runtime.start()
    await runtime.publish_message(
        ClientRequest("I need to have my tax for 2024 prepared."), topic_id=DefaultTopicId()
    )
    await runtime.stop_when_idle()


# -- 2. Multi-Tenant, Single Scope of Publishing ---------------------------------------------


async def run_multi_tenant_single_scope() -> None:
    # Create the runtime
    runtime = SingleThreadedAgentRuntime()

    # List of clients (tenants)
    tenants = ["ClientABC", "ClientXYZ"]

    # Initialize sessions and map the topic type to each TaxSpecialist agent type
    for specialty in TaxSpecialty:
        specialist_agent_type = f"TaxSpecialist_{specialty.value}"
        await TaxSpecialist.register(
            runtime=runtime,
            type=specialist_agent_type,
            factory=lambda specialty=specialty: TaxSpecialist(  # type: ignore
                description=f"A tax specialist in {specialty.value}.",
                specialty=specialty,
                system_messages=[
                    SystemMessage(content=f"You are a tax specialist in {specialty.value}.")
                ],
            ),
        )
        specialist_subscription = DefaultSubscription(agent_type=specialist_agent_type)
        await runtime.add_subscription(specialist_subscription)

    # Start the runtime
    runtime.start()

    # Publish client requests to their respective topics
    for tenant in tenants:
        topic_source = tenant  # The topic source is the client name
        topic_id = DefaultTopicId(source=topic_source)
        await runtime.publish_message(
            ClientRequest(f"{tenant} requires tax services."),
            topic_id=topic_id,
        )

    # Allow time for message processing
    await asyncio.sleep(1)

    # Stop the runtime when idle
    await runtime.stop_when_idle()


# -- 3. Single-Tenant, Multiple Scopes of Publishing -----------------------------------------


async def run_single_tenant_multiple_scope() -> None:
    # Create the runtime
    runtime = SingleThreadedAgentRuntime()
    # Register TaxSpecialist agents for each specialty and add subscriptions
    for specialty in TaxSpecialty:
        specialist_agent_type = f"TaxSpecialist_{specialty.value}"
        await TaxSpecialist.register(
            runtime=runtime,
            type=specialist_agent_type,
            factory=lambda specialty=specialty: TaxSpecialist(  # type: ignore
                description=f"A tax specialist in {specialty.value}.",
                specialty=specialty,
                system_messages=[
                    SystemMessage(content=f"You are a tax specialist in {specialty.value}.")
                ],
            ),
        )
        specialist_subscription = TypeSubscription(
            topic_type=specialty.value, agent_type=specialist_agent_type
        )
        await runtime.add_subscription(specialist_subscription)

    # Start the runtime
    runtime.start()

    # Publish a ClientRequest to each specialist's topic
    for specialty in TaxSpecialty:
        topic_id = TopicId(type=specialty.value, source="default")
        await runtime.publish_message(
            ClientRequest(f"I need assistance with {specialty.value} taxes."),
            topic_id=topic_id,
        )

    # Allow time for message processing
    await asyncio.sleep(1)

    # Stop the runtime when idle
    await runtime.stop_when_idle()


# -- 4. Multi-Tenant, Multiple Scopes of Publishing ------------------------------------------


async def run_multi_tenant_multiple_scope() -> None:
    # Create the runtime
    runtime = SingleThreadedAgentRuntime()

    # Define TypeSubscriptions for each specialty and tenant
    tenants = ["ClientABC", "ClientXYZ"]

    # Initialize agents for all specialties and add type subscriptions
    for specialty in TaxSpecialty:
        specialist_agent_type = f"TaxSpecialist_{specialty.value}"
        await TaxSpecialist.register(
            runtime=runtime,
            type=specialist_agent_type,
            factory=lambda specialty=specialty: TaxSpecialist(  # type: ignore
                description=f"A tax specialist in {specialty.value}.",
                specialty=specialty,
                system_messages=[
                    SystemMessage(content=f"You are a tax specialist in {specialty.value}.")
                ],
            ),
        )
        for tenant in tenants:
            specialist_subscription = TypeSubscription(
                topic_type=f"{tenant}_{specialty.value}", agent_type=specialist_agent_type
            )
            await runtime.add_subscription(specialist_subscription)

    # Start the runtime
    runtime.start()

    # Send messages for each tenant to each specialty
    for tenant in tenants:
        for specialty in TaxSpecialty:
            topic_id = TopicId(type=f"{tenant}_{specialty.value}", source=tenant)
            await runtime.publish_message(
                ClientRequest(f"{tenant} needs assistance with {specialty.value} taxes."),
                topic_id=topic_id,
            )

    # Allow time for message processing
    await asyncio.sleep(1)

    # Stop the runtime when idle
    await runtime.stop_when_idle()


async def main() -> None:
    # In the guide, each scenario is awaited in its own notebook cell.
    await run_single_tenant_single_scope()
    await run_multi_tenant_single_scope()
    await run_single_tenant_multiple_scope()
    await run_multi_tenant_multiple_scope()


# -- The same scenarios in the structured form (asyncio and Trio) ----------------------------
#
# The runtime runs for the duration of the `async with` block. No sleep is needed to "allow
# time for message processing": stop_when_idle() returns only once every message, including
# the assessments the specialists publish, has been delivered.

TENANTS = ["ClientABC", "ClientXYZ"]


async def register_specialist(
    runtime: SingleThreadedAgentRuntime,
    agent_type: str,
    specialty: TaxSpecialty,
    description: str,
    system_message: str,
) -> None:
    await TaxSpecialist.register(
        runtime=runtime,
        type=agent_type,
        factory=lambda: TaxSpecialist(
            description=description,
            specialty=specialty,
            system_messages=[SystemMessage(content=system_message)],
        ),
    )


async def register_specialist_per_specialty(runtime: SingleThreadedAgentRuntime) -> None:
    for specialty in TaxSpecialty:
        await register_specialist(
            runtime,
            f"TaxSpecialist_{specialty.value}",
            specialty,
            f"A tax specialist in {specialty.value}.",
            f"You are a tax specialist in {specialty.value}.",
        )


async def single_tenant_single_scope_structured() -> None:
    async with SingleThreadedAgentRuntime() as runtime:
        for agent_type, specialty, description in [
            ("TaxSpecialist_1", TaxSpecialty.PLANNING, "A tax specialist 1"),
            ("TaxSpecialist_2", TaxSpecialty.DISPUTE_RESOLUTION, "A tax specialist 2"),
        ]:
            await register_specialist(
                runtime, agent_type, specialty, description, "You are a tax specialist."
            )
            await runtime.add_subscription(DefaultSubscription(agent_type=agent_type))
        await runtime.publish_message(
            ClientRequest("I need to have my tax for 2024 prepared."), topic_id=DefaultTopicId()
        )
        await runtime.stop_when_idle()


async def multi_tenant_single_scope_structured() -> None:
    async with SingleThreadedAgentRuntime() as runtime:
        await register_specialist_per_specialty(runtime)
        for specialty in TaxSpecialty:
            await runtime.add_subscription(
                DefaultSubscription(agent_type=f"TaxSpecialist_{specialty.value}")
            )
        for tenant in TENANTS:
            await runtime.publish_message(
                ClientRequest(f"{tenant} requires tax services."),
                topic_id=DefaultTopicId(source=tenant),
            )
        await runtime.stop_when_idle()


async def single_tenant_multiple_scope_structured() -> None:
    async with SingleThreadedAgentRuntime() as runtime:
        await register_specialist_per_specialty(runtime)
        for specialty in TaxSpecialty:
            await runtime.add_subscription(
                TypeSubscription(
                    topic_type=specialty.value, agent_type=f"TaxSpecialist_{specialty.value}"
                )
            )
        for specialty in TaxSpecialty:
            await runtime.publish_message(
                ClientRequest(f"I need assistance with {specialty.value} taxes."),
                topic_id=TopicId(type=specialty.value, source="default"),
            )
        await runtime.stop_when_idle()


async def multi_tenant_multiple_scope_structured() -> None:
    async with SingleThreadedAgentRuntime() as runtime:
        await register_specialist_per_specialty(runtime)
        for specialty in TaxSpecialty:
            for tenant in TENANTS:
                await runtime.add_subscription(
                    TypeSubscription(
                        topic_type=f"{tenant}_{specialty.value}",
                        agent_type=f"TaxSpecialist_{specialty.value}",
                    )
                )
        for tenant in TENANTS:
            for specialty in TaxSpecialty:
                await runtime.publish_message(
                    ClientRequest(f"{tenant} needs assistance with {specialty.value} taxes."),
                    topic_id=TopicId(type=f"{tenant}_{specialty.value}", source=tenant),
                )
        await runtime.stop_when_idle()


STRUCTURED_SCENARIOS = [
    single_tenant_single_scope_structured,
    multi_tenant_single_scope_structured,
    single_tenant_multiple_scope_structured,
    multi_tenant_multiple_scope_structured,
]


async def run_structured() -> list[str]:
    """Run the four scenarios with ``async with``; return the lines they printed."""
    with redirect_stdout(_Tee()) as printed:
        for scenario in STRUCTURED_SCENARIOS:
            await scenario()
    return printed.getvalue().splitlines()


class _Tee(io.StringIO):
    """A stand-in for stdout that prints and also keeps what was printed."""

    def __init__(self) -> None:
        super().__init__()
        self._stdout = sys.stdout

    def write(self, text: str) -> int:
        self._stdout.write(text)
        return super().write(text)


if __name__ == "__main__":
    asyncio.run(main())
