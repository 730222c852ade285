"""Guarantee 3, idle-stop: ``stop_when_idle`` returns once everything is delivered, once."""

from __future__ import annotations

import pytest
from hypothesis import example, given

from ._support import (
    PUBLISH_FATES,
    RPC_FATES,
    Graph,
    Program,
    Publish,
    Rpc,
    SubSpec,
    World,
    programs,
    prop_settings,
    run_program,
)

CHAOTIC = programs(
    pauses=True,
    concurrent=True,
    rpc_fates=RPC_FATES,
    publish_fates=PUBLISH_FATES,
    factory_pauses=1,
)


# An RPC cancelled while its handler runs, the handler raising afterwards; a dropped and
# a rejected publish; a dropped response.
CANCELLED_THEN_RAISES = Program(
    Graph(("a", "b"), (SubSpec("type", "t", "b"),)),
    (
        (Rpc("a", "k0", (Rpc("b", "k0", (), 0, "drop_response"),), 0, "cancel"),),
        (Publish("t", "k0", (), "drop_publish"), Publish("t", "k0", (), "raise_publish")),
        (Rpc("a", "k1", (), 0, "cancel"), Publish("t", "k1", ())),
    ),
)


def _check(world: World) -> None:
    assert world.idle_delivery_errors == []
    assert not world.idle_inside, "a handler was still running"
    assert world.reply_errors == []
    assert world.context_errors == []


@pytest.mark.anyio
@given(program=CHAOTIC)
@example(program=CANCELLED_THEN_RAISES)
@prop_settings(50)
async def test_stop_when_idle_delivers_everything_exactly_once(program: Program) -> None:
    """Dropping and raising interventions, raising handlers, and cancelled RPCs whose
    handlers raise afterwards: ``stop_when_idle`` still returns, and only when every
    message (also those sent by handlers) was delivered exactly once."""
    _check(await run_program(program, interventions=True))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@given(program=CHAOTIC)
@example(program=CANCELLED_THEN_RAISES)
@prop_settings(25)
async def test_stop_when_idle_in_start_form(program: Program) -> None:
    """The same with ``runtime.start()`` (the asyncio-only form)."""
    _check(await run_program(program, interventions=True, form="start"))
