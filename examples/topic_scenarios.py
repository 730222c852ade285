"""Port of the user-guide cookbook section "Topic and Subscription Example Scenarios".

A tax management company routes client requests to tax specialists by broadcasting, in four
ways: single- or multi-tenant (the topic source), with a single or multiple scopes of
publishing (the topic type). Each specialist prints the request it receives and publishes an
assessment to the same topic.

The guide imports ``DefaultSubscription`` and ``DefaultTopicId`` from private modules; here
they come from ``cantata``. Agent ids print as ``type/key``; the output recorded in the guide
shows ``type:key``, the format of an older autogen-core.

Each scenario runs on a runtime of its own. ``python examples/topic_scenarios.py`` runs
them as the guide does, between ``runtime.start()`` and ``await runtime.stop_when_idle()``,
on asyncio; :func:`run_structured` runs them inside ``async with`` blocks, on asyncio or
Trio (see ``examples/README.md``). The guide also sleeps for a second before
``stop_when_idle()`` "to allow time for message processing"; that is left out, as
``stop_when_idle()`` returns only once every message, including the assessments the
specialists publish, has been delivered.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum

from _support import Form, printed_lines, start_form, structured_form

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


# Each scenario registers a TaxSpecialist agent type per specialist, built by this factory.


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


# -- 1. Single-Tenant, Single Scope of Publishing --------------------------------------------


async def run_single_tenant_single_scope(runtime: SingleThreadedAgentRuntime) -> None:
    # Register TaxSpecialist agents for each specialty
    specialist_agent_type_1 = "TaxSpecialist_1"
    specialist_agent_type_2 = "TaxSpecialist_2"
    await register_specialist(
        runtime,
        specialist_agent_type_1,
        TaxSpecialty.PLANNING,
        "A tax specialist 1",
        "You are a tax specialist.",
    )
    await register_specialist(
        runtime,
        specialist_agent_type_2,
        TaxSpecialty.DISPUTE_RESOLUTION,
        "A tax specialist 2",
        "You are a tax specialist.",
    )

    # Add default subscriptions for each agent type
    await runtime.add_subscription(DefaultSubscription(agent_type=specialist_agent_type_1))
    await runtime.add_subscription(DefaultSubscription(agent_type=specialist_agent_type_2))

    # Send a message to agents on default topic
    await runtime.publish_message(
        ClientRequest("I need to have my tax for 2024 prepared."), topic_id=DefaultTopicId()
    )


# -- 2. Multi-Tenant, Single Scope of Publishing ---------------------------------------------

# List of clients (tenants)
TENANTS = ["ClientABC", "ClientXYZ"]


async def run_multi_tenant_single_scope(runtime: SingleThreadedAgentRuntime) -> None:
    # Initialize sessions and map the topic type to each TaxSpecialist agent type
    await register_specialist_per_specialty(runtime)
    for specialty in TaxSpecialty:
        specialist_subscription = DefaultSubscription(agent_type=f"TaxSpecialist_{specialty.value}")
        await runtime.add_subscription(specialist_subscription)

    # Publish client requests to their respective topics
    for tenant in TENANTS:
        topic_source = tenant  # The topic source is the client name
        topic_id = DefaultTopicId(source=topic_source)
        await runtime.publish_message(
            ClientRequest(f"{tenant} requires tax services."),
            topic_id=topic_id,
        )


# -- 3. Single-Tenant, Multiple Scopes of Publishing -----------------------------------------


async def run_single_tenant_multiple_scope(runtime: SingleThreadedAgentRuntime) -> None:
    # Register TaxSpecialist agents for each specialty and add subscriptions
    await register_specialist_per_specialty(runtime)
    for specialty in TaxSpecialty:
        specialist_subscription = TypeSubscription(
            topic_type=specialty.value, agent_type=f"TaxSpecialist_{specialty.value}"
        )
        await runtime.add_subscription(specialist_subscription)

    # Publish a ClientRequest to each specialist's topic
    for specialty in TaxSpecialty:
        topic_id = TopicId(type=specialty.value, source="default")
        await runtime.publish_message(
            ClientRequest(f"I need assistance with {specialty.value} taxes."),
            topic_id=topic_id,
        )


# -- 4. Multi-Tenant, Multiple Scopes of Publishing ------------------------------------------


async def run_multi_tenant_multiple_scope(runtime: SingleThreadedAgentRuntime) -> None:
    # Initialize agents for all specialties and add type subscriptions
    await register_specialist_per_specialty(runtime)
    for specialty in TaxSpecialty:
        for tenant in TENANTS:
            specialist_subscription = TypeSubscription(
                topic_type=f"{tenant}_{specialty.value}",
                agent_type=f"TaxSpecialist_{specialty.value}",
            )
            await runtime.add_subscription(specialist_subscription)

    # Send messages for each tenant to each specialty
    for tenant in TENANTS:
        for specialty in TaxSpecialty:
            topic_id = TopicId(type=f"{tenant}_{specialty.value}", source=tenant)
            await runtime.publish_message(
                ClientRequest(f"{tenant} needs assistance with {specialty.value} taxes."),
                topic_id=topic_id,
            )


SCENARIOS = [
    run_single_tenant_single_scope,
    run_multi_tenant_single_scope,
    run_single_tenant_multiple_scope,
    run_multi_tenant_multiple_scope,
]


async def run(form: Form) -> None:
    # In the guide, each scenario is awaited in its own notebook cell.
    for scenario in SCENARIOS:
        await form(scenario)


async def run_structured() -> list[str]:
    """Run the four scenarios with ``async with``; return the lines they printed."""
    return await printed_lines(run, structured_form)


if __name__ == "__main__":
    asyncio.run(run(start_form))
