"""Find a race that plain runs never show, replay it, and draw it.

Two bank tellers handle the same deposit event and update a shared balance: each reads the
balance, asks the ledger agent to log the deposit (an await), then writes balance + amount.
In the runtime's plain order the ledger's warm-up runs first, every ledger call runs inline
and the test passes, run after run. :func:`cantata.testing.explore` tries other legal
interleavings, finds the one where a teller's ledger call has to queue, and the other teller
reads the same old balance: one deposit is lost. The failure carries the seed and a one-line
schedule that replays it exactly; the example replays it and writes the failing run as
JSON lines, a self-contained HTML page and a Mermaid diagram.

Run: ``python examples/find_a_race.py [OUTPUT_DIR]`` (default: a temporary directory).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anyio

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.testing import ScheduleFailure, explore, replay


@dataclass
class Deposit:
    amount: int


@dataclass
class LogEntry:
    text: str


class Ledger(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("keeps the log")

    @message_handler
    async def on_deposit(self, message: Deposit, ctx: MessageContext) -> None:
        pass  # warm-up

    @message_handler
    async def on_entry(self, message: LogEntry, ctx: MessageContext) -> bool:
        return True


class Teller(RoutedAgent):
    def __init__(self, account: dict[str, int]) -> None:
        super().__init__("adds deposits to the balance")
        self.account = account

    @message_handler
    async def on_deposit(self, message: Deposit, ctx: MessageContext) -> None:
        balance = self.account["balance"]  # read ...
        await self.send_message(LogEntry(f"+{message.amount}"), AgentId("ledger", "default"))
        self.account["balance"] = balance + message.amount  # ... modify, write


async def bank(runtime: SingleThreadedAgentRuntime) -> None:
    """The scenario: two tellers, one deposit event each of 10; the balance must be 20."""
    account = {"balance": 0}
    await Ledger.register(runtime, "ledger", Ledger)
    await Teller.register(runtime, "teller_a", lambda: Teller(account))
    await Teller.register(runtime, "teller_b", lambda: Teller(account))
    for agent_type in ("ledger", "teller_a", "teller_b"):
        await runtime.add_subscription(TypeSubscription("deposits", agent_type))
    async with runtime:
        await runtime.publish_message(Deposit(10), TopicId("deposits", "default"))
        await runtime.stop_when_idle()
    assert account["balance"] == 20, f"lost a deposit: balance is {account['balance']}"


def main(out_dir: Path) -> int:
    for _ in range(20):  # the plain runtime: passes every time
        anyio.run(bank, SingleThreadedAgentRuntime())
    print("plain runs: 20 passed")
    try:
        report = explore(bank, runs=100, strategy="pct", seed=0)
    except ScheduleFailure as failure:
        assert failure.run_index is not None
        print(f"exploration failed on run {failure.run_index + 1} (seed {failure.seed}):")
        print(f"  {failure.__cause__}")
        print(f"  {str(failure).splitlines()[-1]}")
        for attempt in range(3):
            try:
                replay(bank, failure.schedule)
            except ScheduleFailure as again:
                print(f"replay {attempt + 1}: fails again: {again.__cause__}")
        paths = (
            failure.write_trace(out_dir / "race.jsonl"),
            failure.write_html(out_dir / "race.html"),
            failure.write_mermaid(out_dir / "race.mmd"),
        )
        print("the failing run:", ", ".join(str(p) for p in paths))
        return 0
    print(f"no failure in {report.runs} runs")
    return 1


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="race-"))
    target.mkdir(parents=True, exist_ok=True)
    sys.exit(main(target))
