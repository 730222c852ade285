"""``examples/mixture_of_agents.py``, ``examples/concurrent_agents.py`` and
``examples/extracting_results.py``: the user guide's "Mixture of Agents", "Concurrent Agents"
and "Extracting Results with an Agent".

Each script (the guide's ``runtime.start()`` form, asyncio) and each ``run_structured()`` (the
``async with`` form, asyncio and Trio) prints the expected lines, the same every time; and
what the lines report really happened: each worker layer was sent the previous layer's
answers, the right agent instances handled the right messages, and the queues hold the
results.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from _examples_harness import load, run_script

from cantata import AgentId, SingleThreadedAgentRuntime, TopicId, TraceRecorder
from cantata.models import SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

SEP = "-" * 80


def mixture() -> ModuleType:
    return load("mixture_of_agents")


def concurrent() -> ModuleType:
    return load("concurrent_agents")


def extracting() -> ModuleType:
    return load("extracting_results")


def recording_runtimes() -> tuple[Callable[[], SingleThreadedAgentRuntime], list[TraceRecorder]]:
    """A runtime factory whose runtimes record their deliveries, and the recorders."""
    recorders: list[TraceRecorder] = []

    def new_runtime() -> SingleThreadedAgentRuntime:
        runtime = SingleThreadedAgentRuntime()
        recorder = TraceRecorder()
        runtime.add_trace_hook(recorder)
        recorders.append(recorder)
        return runtime

    return new_runtime, recorders


def deliveries(recorder: TraceRecorder) -> list[tuple[str, str | None, str, Any]]:
    """(kind, sender, recipient, message) of each recorded delivery, as strings where ids."""
    return [
        (
            record.kind,
            None if record.sender is None else str(record.sender),
            str(record.recipient),
            record.message,
        )
        for record in recorder.records
    ]


# == Mixture of Agents ==========================================================================

TASK = (
    "I have 432 cookies, and divide them 3:4:2 between Alice, Bob, and Charlie. "
    "How many cookies does each person get?"
)

GUIDE_SYSTEM_PROMPT = (
    "You have been provided with a set of responses from various open-source models to the "
    "latest user query. Your task is to synthesize these responses into a single, high-quality "
    "response. It is crucial to critically evaluate the information provided in these "
    "responses, recognizing that some of it may be biased or incorrect. Your response should "
    "not simply replicate the given answers but should offer a refined, accurate, and "
    "comprehensive reply to the instruction. Ensure your response is well-structured, "
    "coherent, and adheres to the highest standards of accuracy and reliability.\n\n"
    "Responses from models:"
)

WORKERS = [f"worker/default/layer_{i}/worker_{j}" for i in range(2) for j in range(3)]


def orchestrator_says(line: str) -> list[str]:
    return [SEP, "Orchestrator-orchestrator/default:", line]


def mixture_expected(replies: dict[str, list[str]]) -> list[str]:
    """The lines the program prints when each agent's model replies as in *replies*."""
    lines = orchestrator_says(f"Received task: {TASK}")
    for layer in range(2):
        lines += orchestrator_says(f"Dispatch to workers at layer {layer}")
        for j in range(3):
            worker = f"worker/default/layer_{layer}/worker_{j}"
            lines += [SEP, f"Worker-{worker}:", *replies[worker][0].splitlines()]
        lines += orchestrator_says(f"Received results from workers at layer {layer}")
    lines += orchestrator_says("Performing final aggregation")
    return [*lines, SEP, "Final result:", *replies["orchestrator/default"][0].splitlines()]


def mixture_guide_expected() -> list[str]:
    return mixture_expected(mixture().SCRIPTED_REPLIES)


def test_mixture_scripted_replies_are_the_guides() -> None:
    replies = mixture().SCRIPTED_REPLIES
    assert sorted(replies) == sorted([*WORKERS, "orchestrator/default"])
    assert all(len(script) == 1 for script in replies.values())
    assert replies["worker/default/layer_0/worker_1"][0].splitlines()[0] == (
        "To divide 432 cookies in the ratio of 3:4:2 between Alice, Bob, and Charlie, you first "
        "need to determine the total number of parts in the ratio."
    )
    assert "   - **Charlie\u2019s Share (2 parts):**" in (
        replies["worker/default/layer_1/worker_1"][0].splitlines()
    )
    assert replies["orchestrator/default"][0].splitlines()[-1] == (
        "In summary, Alice gets 144 cookies, Bob gets 192 cookies, and Charlie gets 96 cookies."
    )
    assert mixture().SYSTEM_PROMPT == GUIDE_SYSTEM_PROMPT


def test_mixture_script_prints_the_guides_output_in_worker_order() -> None:
    assert run_script("mixture_of_agents") == mixture_guide_expected()


@pytest.mark.anyio
async def test_mixture_run_structured_prints_the_same() -> None:
    assert await mixture().run_structured() == mixture_guide_expected()


@pytest.mark.anyio
async def test_mixture_run_structured_is_deterministic() -> None:
    assert await mixture().run_structured() == await mixture().run_structured()


def numbered(results: list[str]) -> str:
    return "\n\n".join(f"{i}. {result}" for i, result in enumerate(results, start=1))


@pytest.mark.anyio
async def test_mixture_each_layer_is_sent_the_previous_layers_answers() -> None:
    module = mixture()
    clients = module.ModelClients.scripted(module.SCRIPTED_REPLIES)

    await module.run_structured(clients)

    def reply(agent: str) -> str:
        text: str = module.SCRIPTED_REPLIES[agent][0]
        return text

    user = UserMessage(content=TASK, source="user")
    prompts = {agent: client.create_calls for agent, client in clients.per_agent.items()}
    assert all(len(calls) == 1 for calls in prompts.values())  # every agent asked once
    for j in range(3):
        assert prompts[f"worker/default/layer_0/worker_{j}"][0]["messages"] == [user]
        layer_0 = [reply(f"worker/default/layer_0/worker_{k}") for k in range(3)]
        assert prompts[f"worker/default/layer_1/worker_{j}"][0]["messages"] == [
            SystemMessage(content=GUIDE_SYSTEM_PROMPT + "\n" + numbered(layer_0)),
            user,
        ]
    layer_1 = [reply(f"worker/default/layer_1/worker_{k}") for k in range(3)]
    assert prompts["orchestrator/default"][0]["messages"] == [
        SystemMessage(content=GUIDE_SYSTEM_PROMPT + "\n" + numbered(layer_1)),
        user,
    ]


@pytest.mark.anyio
async def test_mixture_results_are_numbered_by_worker_not_by_finish() -> None:
    module = mixture()
    replies = {agent: [agent.rsplit("/", 2)[1] + "/" + agent[-1]] for agent in WORKERS}
    replies["orchestrator/default"] = ["all done"]
    clients = module.ModelClients.scripted(replies)

    assert await module.run_structured(clients) == mixture_expected(replies)
    worker_prompt = clients.per_agent["worker/default/layer_1/worker_2"].create_calls[0]
    assert worker_prompt["messages"][0].content.endswith(
        "Responses from models:\n1. layer_0/0\n\n2. layer_0/1\n\n3. layer_0/2"
    )
    final_prompt = clients.per_agent["orchestrator/default"].create_calls[0]
    assert final_prompt["messages"][0].content.endswith(
        "Responses from models:\n1. layer_1/0\n\n2. layer_1/1\n\n3. layer_1/2"
    )


@pytest.mark.anyio
async def test_mixture_workers_are_created_per_layer_and_position() -> None:
    module = mixture()
    clients = module.ModelClients.scripted(module.SCRIPTED_REPLIES)
    new_runtime, recorders = recording_runtimes()
    runtime = new_runtime()
    await module.register_agents(runtime, clients, module.AnyioOrchestratorAgent)
    async with runtime:
        result = await runtime.send_message(
            module.UserTask(task=TASK), AgentId("orchestrator", "default")
        )
    assert result == module.FinalResult(result=module.SCRIPTED_REPLIES["orchestrator/default"][0])
    (recorder,) = recorders
    assert [(kind, sender, recipient) for kind, sender, recipient, _ in deliveries(recorder)] == [
        ("send", None, "orchestrator/default"),
        *[("send", "orchestrator/default", worker) for worker in WORKERS],
    ]


def test_mixture_scripted_clients_without_openai_settings() -> None:
    clients = mixture().create_model_clients()
    assert clients.shared is None
    assert isinstance(
        clients.for_agent(AgentId("orchestrator", "default")), ReplayChatCompletionClient
    )


def test_mixture_falls_back_when_the_openai_client_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    assert mixture().create_model_clients().shared is None


# == Concurrent Agents ==========================================================================

CONCURRENT = """\
# Single Message & Multiple Processors
Agent 1 starting task task-1
Agent 2 starting task task-1
Agent 1 finished task task-1
Agent 2 finished task task-1
# Multiple messages & Multiple Processors
Normal processor starting task normal-1
Urgent processor starting task urgent-1
Urgent processor finished task urgent-1
Normal processor finished task normal-1
# Collecting Results
Normal processor starting task normal-1
Urgent processor starting task urgent-1
Urgent processor finished task urgent-1
Normal processor finished task normal-1
TaskResponse(task_id='urgent-1', result='Results by Urgent Processor')
TaskResponse(task_id='normal-1', result='Results by Normal Processor')
# Direct Messages
Delegator received task main-task.
worker/worker-1 starting task task-part-1
worker/worker-2 starting task task-part-2
worker/worker-1 finished task task-part-1
worker/worker-2 finished task task-part-2
Final result: Part 1: Results by worker/worker-1, Part 2: Results by worker/worker-2
""".splitlines()

FAST = 0.02  # time_scale for the structured form: 20 ms per simulated second


def test_concurrent_script_prints_the_guides_output() -> None:
    assert run_script("concurrent_agents") == CONCURRENT  # about ten seconds of sleeps


@pytest.mark.anyio
async def test_concurrent_run_structured_prints_the_same() -> None:
    assert await concurrent().run_structured(FAST) == CONCURRENT


@pytest.mark.anyio
async def test_concurrent_run_structured_is_deterministic() -> None:
    for _ in range(3):
        assert await concurrent().run_structured(FAST) == CONCURRENT


@pytest.mark.anyio
async def test_concurrent_the_right_instances_handle_the_right_messages() -> None:
    module = concurrent()
    Task, TaskResponse = module.Task, module.TaskResponse
    new_runtime, recorders = recording_runtimes()

    await module.run_structured(FAST, new_runtime)

    single, multiple, direct = (deliveries(recorder) for recorder in recorders)
    assert single == [
        ("publish", None, "agent_1/default", Task("task-1")),
        ("publish", None, "agent_2/default", Task("task-1")),
    ]
    urgent = TaskResponse("urgent-1", "Results by Urgent Processor")
    normal = TaskResponse("normal-1", "Results by Normal Processor")
    tasks = [
        ("publish", None, "normal_processor/default", Task("normal-1")),
        ("publish", None, "urgent_processor/default", Task("urgent-1")),
    ]
    assert multiple == [
        *tasks,  # the responses have no subscriber yet
        *tasks,
        ("publish", "urgent_processor/default", "collect_result_agent/default", urgent),
        ("publish", "normal_processor/default", "collect_result_agent/default", normal),
    ]
    assert direct == [
        ("send", None, "delegator/default", Task("main-task")),
        ("send", "delegator/default", "worker/worker-1", Task("task-part-1")),
        ("send", "delegator/default", "worker/worker-2", Task("task-part-2")),
    ]
    topics = [record.topic_id for record in recorders[1].records]
    assert topics[-2:] == [TopicId("task-results", "default")] * 2


@pytest.mark.anyio
async def test_concurrent_the_collector_queue_holds_both_responses() -> None:
    module = concurrent()
    work = module.SimulatedWork(FAST)
    collected = await module.multiple_messages_multiple_processors(
        SingleThreadedAgentRuntime(), work
    )
    assert collected == [
        module.TaskResponse("urgent-1", "Results by Urgent Processor"),
        module.TaskResponse("normal-1", "Results by Normal Processor"),
    ]


@pytest.mark.anyio
async def test_concurrent_the_delegator_combines_both_workers_results() -> None:
    module = concurrent()
    response = await module.direct_messages(SingleThreadedAgentRuntime(), module.SimulatedWork(0))
    assert response == module.TaskResponse(
        "main-task", "Part 1: Results by worker/worker-1, Part 2: Results by worker/worker-2"
    )


@pytest.mark.anyio
async def test_concurrent_handlers_overlap() -> None:
    # Two processors that each work 2 units finish in about 2 units, not 4.
    module = concurrent()
    unit = 0.2
    started = anyio.current_time()
    await module.single_message_multiple_processors(
        SingleThreadedAgentRuntime(), module.SimulatedWork(unit)
    )
    assert anyio.current_time() - started < 3.5 * unit


@pytest.mark.anyio
async def test_simulated_work_ends_in_end_time_then_start_order() -> None:
    work = concurrent().SimulatedWork(0.01)
    ended: list[int] = []

    async def sleeper(index: int, seconds: float) -> None:
        await work(seconds)
        ended.append(index)

    for _ in range(10):
        ended.clear()

        async with anyio.create_task_group() as group:
            for index, seconds in enumerate([2, 2, 1, 2, 1, 3]):
                group.start_soon(sleeper, index, seconds)
                await anyio.lowlevel.checkpoint()  # start them in index order
        assert ended == [2, 4, 0, 1, 3, 5]


@pytest.mark.anyio
async def test_simulated_work_forgets_a_cancelled_sleep() -> None:
    work = concurrent().SimulatedWork(0.001)
    with anyio.move_on_after(0.001):
        await work(1000)
    with anyio.fail_after(5):
        await work(1)  # not held back by the cancelled sleep


@pytest.mark.anyio
async def test_concurrent_anyio_agents_default_to_anyio_sleep() -> None:
    module = concurrent()
    runtime = SingleThreadedAgentRuntime()
    await module.AnyioWorkerAgent.register(
        runtime, "worker", lambda: module.AnyioWorkerAgent("Worker Agent")
    )
    async with runtime:
        response = await runtime.send_message(module.Task("t"), AgentId("worker", "w"))
    assert response == module.TaskResponse("t", "Results by worker/w")


# == Extracting Results with an Agent ===========================================================

EXTRACTING = ["AgentType(type='output_result')", "Result 1", "Result 2"]


def test_extracting_script_prints_the_guides_output() -> None:
    assert run_script("extracting_results") == EXTRACTING


@pytest.mark.anyio
async def test_extracting_run_structured_prints_the_same() -> None:
    assert await extracting().run_structured() == EXTRACTING
    assert await extracting().run_structured() == EXTRACTING


@pytest.mark.anyio
async def test_extracting_the_agent_queues_every_published_result() -> None:
    module = extracting()
    new_runtime, recorders = recording_runtimes()

    results = await module.extract_results(new_runtime())

    assert results == [module.FinalResult("Result 1"), module.FinalResult("Result 2")]
    (recorder,) = recorders
    assert deliveries(recorder) == [
        ("publish", None, "output_result/default", module.FinalResult("Result 1")),
        ("publish", None, "output_result/default", module.FinalResult("Result 2")),
    ]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_extracting_the_guides_asyncio_queue_holds_the_results(anyio_backend: str) -> None:
    module = extracting()
    queue = module.queue
    assert queue.empty()
    try:
        await module.run_guide()
        assert [queue.get_nowait() for _ in range(queue.qsize())] == [
            module.FinalResult("Result 1"),
            module.FinalResult("Result 2"),
        ]
    finally:
        while not queue.empty():
            queue.get_nowait()


def test_extracting_main_drains_the_queue(capsys: pytest.CaptureFixture[str]) -> None:
    module = extracting()
    run: Callable[[], Awaitable[None]] = module.main
    anyio.run(run)
    assert capsys.readouterr().out.splitlines() == EXTRACTING
    assert module.queue.empty()
