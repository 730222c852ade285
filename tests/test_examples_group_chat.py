"""``examples/group_chat.py``, the port of the user guide's "Group Chat" section.

The script (the guide's ``runtime.start()`` form, asyncio) and ``run_structured()`` (the
``async with`` form, asyncio and Trio) print the same transcript. Beyond the printing, the
tests check what really happened: which participant spoke when, what the manager asked its
model before each selection (roles and history as the guide formats them), what each
participant sent to its model, and that the illustrator's image reached the others as an
``Image`` in a ``UserMessage``.
"""

from __future__ import annotations

import json
import sys
from types import ModuleType
from typing import Any

import pytest
from _examples_harness import load, run_script

from cantata import FunctionCall, Image
from cantata.models import AssistantMessage, LLMMessage, SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient


def example() -> ModuleType:
    """``examples/group_chat.py``, imported once."""
    return load("group_chat")


TASK = (
    "Please write a short story about the gingerbread man with up to 3 photo-realistic "
    "illustrations."
)
INPUT_PROMPT = "Enter your message, type 'APPROVE' to conclude the task: "
WRITER_SYSTEM = SystemMessage(content="You are a Writer. You produce good work.")
EDITOR_SYSTEM = SystemMessage(
    content="You are an Editor. Plan and guide the task given by the user. Provide critical "
    "feedbacks to the draft and illustration produced by Writer and Illustrator. Approve if "
    "the task is completed and the draft and illustration meets user's requirements."
)
ILLUSTRATOR_SYSTEM = SystemMessage(
    content="You are an Illustrator. You use the generate_image tool to create images given "
    "user's requirement. Make sure the images have consistent characters and style."
)
ROLES = {
    "Writer": "Writer: Writer for creating any text content.",
    "Illustrator": "Illustrator: An illustrator for creating images.",
    "Editor": "Editor: Editor for planning and reviewing the content.",
    "User": "User: User for providing final approval.",
}
SELECTOR_PROMPT = """You are in a role play game. The following roles are available:
{roles}.
Read the following conversation. Then select the next role from {participants} to play. \
Only return the role.

{history}

Read the above conversation. Then select the next role from {participants} to play. \
Only return the role.
"""
ILLUSTRATION_PROMPT = (
    "Digital painting of a a gingerbread man with bright eyes and a cheeky smile character "
    "with photo-realistic warm and golden hues. Wearing white icing buttons, leaping out of an "
    "oven in a rustic cottage kitchen."
)


def selection_prompt(previous: str | None, history: list[str]) -> SystemMessage:
    """The manager's system message when *previous* spoke last, as the guide builds it."""
    roles = [role for role in ROLES if role != previous]
    return SystemMessage(
        content=SELECTOR_PROMPT.format(
            roles="\n".join(ROLES[role] for role in roles),
            participants=str(roles),
            history="\n".join(history),
        )
    )


def transferred(name: str) -> UserMessage:
    return UserMessage(content=f"Transferred to {name}", source="system")


def adopt(name: str) -> UserMessage:
    return UserMessage(
        content=f"Transferred to {name}, adopt the persona immediately.", source="system"
    )


def lines(text: str) -> list[str]:
    return text.splitlines()


def expected_transcript() -> list[str]:
    module = example()
    draft, revision = module.WRITER_REPLIES
    feedback, approval = module.EDITOR_REPLIES
    return [
        "### Writer:",
        *lines(draft),
        "### Illustrator:",
        "{'character_appearence': 'a gingerbread man with bright eyes and a cheeky smile',",
        " 'style_attributes': 'photo-realistic warm and golden hues',",
        " 'worn_and_carried': 'white icing buttons',",
        " 'scenario': 'leaping out of an oven in a rustic cottage kitchen'}",
        "<image 256x256 RGB>",
        "### Editor:",
        *lines(feedback),
        "### Writer:",
        *lines(revision),
        "### Editor:",
        *lines(approval),
        f"{INPUT_PROMPT}APPROVE",
        "### User:",
        "APPROVE",
    ]


def test_the_scripted_replies_tell_the_story() -> None:
    module = example()
    draft, revision = module.WRITER_REPLIES
    assert draft.startswith("**The Escape of the Gingerbread Man**\n")
    assert revision == f"{draft}\n\n{module.REVISED_ENDING}"
    assert module.EDITOR_REPLIES[1].startswith("APPROVED.")
    assert module.USER_ANSWERS == ["APPROVE"]
    assert module.TASK == TASK


def test_script_prints_the_transcript() -> None:
    assert run_script("group_chat") == expected_transcript()


@pytest.mark.anyio
async def test_run_structured_prints_the_transcript() -> None:
    assert await example().run_structured() == expected_transcript()


@pytest.mark.anyio
async def test_run_structured_is_deterministic() -> None:
    assert await example().run_structured() == await example().run_structured()


# -- What really happened ----------------------------------------------------------------------


class Run:
    """One group chat with the scripted clients, kept for inspection."""

    def __init__(self) -> None:
        module = example()
        self.manager = ReplayChatCompletionClient(module.MANAGER_REPLIES)
        self.writer = ReplayChatCompletionClient(module.WRITER_REPLIES)
        self.editor = ReplayChatCompletionClient(module.EDITOR_REPLIES)
        self.illustrator = ReplayChatCompletionClient(module.ILLUSTRATOR_REPLIES)
        self.clients = module.ModelClients(
            manager=self.manager,
            writer=self.writer,
            editor=self.editor,
            illustrator=self.illustrator,
        )
        self.image_client = module.LocalImageClient()
        self.user = module.ScriptedInput(["APPROVE"])
        self.printed: list[str] = []

    async def run(self) -> Run:
        self.printed = await example().run_structured(self.clients, self.image_client, self.user)
        return self

    def messages(self, client: ReplayChatCompletionClient) -> list[list[LLMMessage]]:
        return [call["messages"] for call in client.create_calls]


@pytest.mark.anyio
async def test_the_speakers_take_turns_in_the_selected_order() -> None:
    run = await Run().run()
    assert run.printed == expected_transcript()
    speakers = [line[4:-1] for line in run.printed if line.startswith("### ")]
    assert speakers == ["Writer", "Illustrator", "Editor", "Writer", "Editor", "User"]
    # Every scripted reply was used, each by the agent it was written for.
    assert len(run.manager.create_calls) == 6
    assert len(run.writer.create_calls) == 2
    assert len(run.editor.create_calls) == 2
    assert len(run.illustrator.create_calls) == 1
    assert run.user.prompts == [INPUT_PROMPT]


@pytest.mark.anyio
async def test_the_manager_asks_its_model_with_the_roles_and_history() -> None:
    module = example()
    run = await Run().run()
    draft, revision = module.WRITER_REPLIES
    feedback, approval = module.EDITOR_REPLIES
    history = [
        f"User: {TASK}",
        f"Writer: {draft}",
        "Illustrator: [Image]",
        f"Editor: {feedback}",
        f"Writer: {revision}",
        f"Editor: {approval}",
    ]
    # Before each selection: the history so far, and every role but the previous speaker's.
    previous = [None, "Writer", "Illustrator", "Editor", "Writer", "Editor"]
    expected = [[selection_prompt(previous[n], history[: n + 1])] for n in range(len(history))]
    assert run.messages(run.manager) == expected
    assert "['Writer', 'Editor', 'User']" in expected[2][0].content  # Illustrator left out


@pytest.mark.anyio
async def test_the_writer_sees_the_whole_conversation() -> None:
    module = example()
    run = await Run().run()
    draft, _ = module.WRITER_REPLIES
    feedback, _ = module.EDITOR_REPLIES
    first, second = run.messages(run.writer)
    task = UserMessage(content=TASK, source="User")
    assert first == [WRITER_SYSTEM, transferred("User"), task, adopt("Writer")]
    image_message = second[6]
    assert second == [
        WRITER_SYSTEM,
        transferred("User"),
        task,
        adopt("Writer"),
        AssistantMessage(content=draft, source="Writer"),
        transferred("Illustrator"),
        image_message,
        transferred("Editor"),
        UserMessage(content=feedback, source="Editor"),
        adopt("Writer"),
    ]
    assert isinstance(image_message, UserMessage)
    assert image_message.source == "Illustrator"


@pytest.mark.anyio
async def test_the_illustration_reaches_the_editor_as_an_image() -> None:
    module = example()
    run = await Run().run()
    draft, _ = module.WRITER_REPLIES
    first, _ = run.messages(run.editor)
    assert first[:5] == [
        EDITOR_SYSTEM,
        transferred("User"),
        UserMessage(content=TASK, source="User"),
        transferred("Writer"),
        UserMessage(content=draft, source="Writer"),
    ]
    assert first[5:6] == [transferred("Illustrator")]
    assert first[7:] == [adopt("Editor")]
    image_message = first[6]
    assert isinstance(image_message, UserMessage)
    assert image_message.source == "Illustrator"
    assert isinstance(image_message.content, list)
    (image,) = image_message.content
    assert isinstance(image, Image)
    assert image.mime_type == "image/png"
    assert image.image.size == (256, 256)
    # It is the local stand-in's drawing of the prompt built from the tool call, resized.
    drawn = module.draw_illustration(ILLUSTRATION_PROMPT).resize((256, 256))
    assert image == Image.from_pil(drawn)


@pytest.mark.anyio
async def test_the_illustrator_calls_the_image_tool_through_its_model() -> None:
    module = example()
    run = await Run().run()
    (call,) = run.illustrator.create_calls
    assert call["messages"][0] == ILLUSTRATOR_SYSTEM
    assert call["messages"][-1] == adopt("Illustrator")
    assert [tool.name for tool in call["tools"]] == ["generate_image"]
    assert set(call["tools"][0].schema["parameters"]["properties"]) == set(
        module.ILLUSTRATION_ARGUMENTS
    )
    assert call["extra_create_args"] == {"tool_choice": "required"}
    (tool_call,) = module.ILLUSTRATOR_REPLIES[0].content
    assert isinstance(tool_call, FunctionCall)
    assert json.loads(tool_call.arguments) == module.ILLUSTRATION_ARGUMENTS
    assert run.image_client.images.requests == [
        module.ImageRequest(
            prompt=ILLUSTRATION_PROMPT,
            model="dall-e-3",
            response_format="b64_json",
            size="1024x1024",
        )
    ]


def test_the_local_image_is_small_and_deterministic() -> None:
    module = example()
    first = module.draw_illustration("a prompt")
    assert first.size == (64, 64)
    assert first.tobytes() == module.draw_illustration("a prompt").tobytes()
    assert first.tobytes() != module.draw_illustration("another prompt").tobytes()


@pytest.mark.anyio
async def test_the_chat_goes_on_until_the_user_approves() -> None:
    module = example()
    manager = ReplayChatCompletionClient(["User", "Writer", "the user should speak"])
    writer = ReplayChatCompletionClient(["A dragon joins the chase."])
    unused = ReplayChatCompletionClient([])
    clients = module.ModelClients(manager=manager, writer=writer, editor=unused, illustrator=unused)
    user = module.ScriptedInput(["Add a dragon", "Approve!"])

    printed = await module.run_structured(clients, module.LocalImageClient(), user)

    assert printed == [
        f"{INPUT_PROMPT}Add a dragon",
        "### User:",
        "Add a dragon",
        "### Writer:",
        "A dragon joins the chase.",
        f"{INPUT_PROMPT}Approve!",
        "### User:",
        "Approve!",
    ]
    history = [f"User: {TASK}", "User: Add a dragon", "Writer: A dragon joins the chase."]
    assert [call["messages"] for call in manager.create_calls] == [
        [selection_prompt(None, history[:1])],
        [selection_prompt("User", history[:2])],
        [selection_prompt("Writer", history)],
    ]
    assert unused.create_calls == []


def test_scripted_clients_without_openai_settings() -> None:
    module = example()
    clients = module.create_model_clients()
    assert all(
        isinstance(client, ReplayChatCompletionClient)
        for client in (clients.manager, clients.writer, clients.editor, clients.illustrator)
    )
    assert isinstance(module.create_image_client(), module.LocalImageClient)


def test_falls_back_when_openai_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    module = example()
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    monkeypatch.setitem(sys.modules, "openai", None)  # import fails
    assert isinstance(module.create_model_clients().writer, ReplayChatCompletionClient)
    assert isinstance(module.create_image_client(), module.LocalImageClient)


def test_scripted_input_runs_out_loudly() -> None:
    answer: Any = example().ScriptedInput([])
    with pytest.raises(RuntimeError, match="No scripted answer left"):
        answer("prompt: ")
