"""Port of the user-guide section "Group Chat".

A group of agents share one thread of messages: every participant subscribes to the common
``group_chat`` topic and to a topic of its own. A ``GroupChatManager`` asks a model which role
should speak next (never the previous speaker) and sends that participant a ``RequestToSpeak``;
the participant publishes its contribution as a ``GroupChatMessage`` to the common topic, and
so on until the user approves. The participants write a children's story together: a writer
and an editor (model-backed agents), an illustrator (a model that calls an image-generation
tool) and a user agent standing for the human.

What differs from the guide, and why:

* **Models.** Each model-backed agent gets a client of its own (:class:`ModelClients`). By
  default each is a ``ReplayChatCompletionClient`` replaying short scripted replies: the
  manager's replies select Writer, Illustrator, Editor, Writer, Editor and User in turn; the
  writer drafts and then revises the story; the illustrator's reply is a ``generate_image``
  tool call; the editor asks for a gentler ending and then approves. So the speaker selection
  and the conversation are deterministic. When ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is
  set and ``cantata.models.openai`` is available, :func:`create_model_clients` returns the
  guide's single ``OpenAIChatCompletionClient(model="gpt-4o-2024-08-06")`` for all of them.
* **Image generation.** The guide's illustrator calls DALL-E through
  ``openai.AsyncClient().images.generate(...)``. Offline, :class:`LocalImageClient` stands in
  for that client: its ``images.generate(...)`` takes the same arguments and returns a
  response of the same shape (``response.data[0].b64_json``), holding a small (64x64) PNG
  that :func:`draw_illustration` draws with Pillow, deterministically from the prompt (the
  colours come from a hash of the prompt). The illustrator agent's code is the guide's, and it
  still turns the base64 text into a ``cantata.Image`` resized to 256x256. With the OpenAI
  settings and the ``openai`` package, :func:`create_image_client` returns the guide's
  ``openai.AsyncClient()``. This example needs Pillow: ``pip install 'cantata[image]'``.
* **User input.** The guide's ``UserAgent`` calls ``input()``. Here it calls an injectable
  ``input_func``; the default, :class:`ScriptedInput`, answers ``APPROVE`` (the answer that
  ends the chat in the guide's flow) and echoes prompt and answer as a console would show
  them. Pass ``input_func=input`` to type the answers yourself.
* **Display.** The guide renders Markdown with ``rich`` and shows images with IPython's
  ``display``. Neither is a dependency here, so :class:`Console`, :class:`Markdown` and
  :func:`display` are minimal stand-ins with the same call shapes: Markdown is printed as its
  source text, other objects are pretty-printed, and an image is described by its size and
  mode (its bytes are never printed).

:func:`main` (``python examples/group_chat.py``) runs the guide's code between
``runtime.start()`` and ``await runtime.stop_when_idle()``, on asyncio; :func:`run_structured`
runs it inside an ``async with`` block, on asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import pprint
import string
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from _support import (
    configured_openai_client,
    given_or_created,
    openai_requested,
    printed_lines,
    structured_form,
)
from PIL import Image as PILImage
from PIL import ImageDraw
from pydantic import BaseModel

from cantata import (
    DefaultTopicId,
    FunctionCall,
    Image,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tools import FunctionTool

# -- Stand-ins for rich and IPython's display ------------------------------------------------


class Markdown:
    """Stand-in for ``rich.markdown.Markdown``: keeps the Markdown source."""

    def __init__(self, markup: str) -> None:
        self.markup = markup


class Console:
    """Stand-in for ``rich.console.Console``: prints Markdown as plain text."""

    def print(self, renderable: object) -> None:
        if isinstance(renderable, Markdown):
            for line in renderable.markup.splitlines():
                print(line.rstrip())
        else:
            pprint.pprint(renderable, sort_dicts=False, width=100)


def display(image: Any) -> None:
    """Stand-in for ``IPython.display.display`` of a Pillow image: describes it."""
    print(f"<image {image.width}x{image.height} {image.mode}>")


# -- The image client: the guide's openai.AsyncClient, or a local stand-in -------------------


class GeneratedImage(Protocol):
    @property
    def b64_json(self) -> str | None: ...


class ImagesResponse(Protocol):
    @property
    def data(self) -> Sequence[GeneratedImage] | None: ...


class Images(Protocol):
    def generate(
        self, *, prompt: str, model: str, response_format: str, size: str
    ) -> Awaitable[ImagesResponse]: ...


class ImageClient(Protocol):
    """What the illustrator uses of ``openai.AsyncClient``: ``images.generate(...)``."""

    @property
    def images(self) -> Images: ...


def draw_illustration(prompt: str, size: int = 64) -> PILImage.Image:
    """Draw a small picture of a figure whose colours are chosen by a hash of *prompt*."""
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    background, figure, eyes = (tuple(digest[i : i + 3]) for i in (0, 3, 6))
    image = PILImage.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    unit = size // 8
    draw.ellipse((3 * unit, unit, 5 * unit, 3 * unit), fill=figure)  # head
    draw.rectangle((3 * unit, 3 * unit, 5 * unit, 6 * unit), fill=figure)  # body
    draw.rectangle((2 * unit, 3 * unit, 6 * unit, 4 * unit), fill=figure)  # arms
    draw.rectangle((3 * unit, 6 * unit, 4 * unit - 1, 7 * unit), fill=figure)  # left leg
    draw.rectangle((4 * unit + 1, 6 * unit, 5 * unit, 7 * unit), fill=figure)  # right leg
    for x in (3 * unit + unit // 2, 4 * unit + unit // 2):
        draw.point((x, 2 * unit), fill=eyes)
    return image


@dataclass(frozen=True)
class LocalGeneratedImage:
    b64_json: str | None


@dataclass(frozen=True)
class LocalImagesResponse:
    data: list[LocalGeneratedImage] | None


@dataclass(frozen=True)
class ImageRequest:
    """The arguments of one ``images.generate`` call."""

    prompt: str
    model: str
    response_format: str
    size: str


class LocalImages:
    """``images`` of :class:`LocalImageClient`; records each request."""

    def __init__(self) -> None:
        self.requests: list[ImageRequest] = []

    async def generate(
        self, *, prompt: str, model: str, response_format: str, size: str
    ) -> LocalImagesResponse:
        self.requests.append(ImageRequest(prompt, model, response_format, size))
        png = Image.from_pil(draw_illustration(prompt))
        return LocalImagesResponse(data=[LocalGeneratedImage(b64_json=png.to_base64())])


class LocalImageClient:
    """Offline stand-in for ``openai.AsyncClient`` as the illustrator uses it."""

    def __init__(self) -> None:
        self.images = LocalImages()


def create_image_client() -> ImageClient:
    """Return the guide's ``openai.AsyncClient()`` if configured and available, else a local
    stand-in."""
    if openai_requested():
        try:
            openai = importlib.import_module("openai")
        except ImportError:
            pass
        else:
            client: ImageClient = openai.AsyncClient(
                # api_key="YOUR_API_KEY",
            )
            return client
    return LocalImageClient()


# -- The user's input: the guide's input(), or scripted answers ------------------------------

InputFunc = Callable[[str], str]


class ScriptedInput:
    """Stand-in for ``input()``: answers each prompt with the next scripted answer.

    Prints the prompt and the answer on one line, as a console shows them.
    """

    def __init__(self, answers: Sequence[str]) -> None:
        self._answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        if not self._answers:
            raise RuntimeError(f"No scripted answer left for {prompt!r}")
        self.prompts.append(prompt)
        answer = self._answers.pop(0)
        print(f"{prompt}{answer}")
        return answer


USER_ANSWERS = ["APPROVE"]
"""The user's scripted answers: approve when asked."""


# -- Message Protocol ------------------------------------------------------------------------


class GroupChatMessage(BaseModel):
    body: UserMessage


class RequestToSpeak(BaseModel):
    pass


# -- Base Group Chat Agent -------------------------------------------------------------------


class BaseGroupChatAgent(RoutedAgent):
    """A group chat participant using an LLM."""

    def __init__(
        self,
        description: str,
        group_chat_topic_type: str,
        model_client: ChatCompletionClient,
        system_message: str,
    ) -> None:
        super().__init__(description=description)
        self._group_chat_topic_type = group_chat_topic_type
        self._model_client = model_client
        self._system_message = SystemMessage(content=system_message)
        self._chat_history: list[LLMMessage] = []

    @message_handler
    async def handle_message(self, message: GroupChatMessage, ctx: MessageContext) -> None:
        self._chat_history.extend(
            [
                UserMessage(content=f"Transferred to {message.body.source}", source="system"),
                message.body,
            ]
        )

    @message_handler
    async def handle_request_to_speak(self, message: RequestToSpeak, ctx: MessageContext) -> None:
        # print(f"\n{'-'*80}\n{self.id.type}:", flush=True)
        Console().print(Markdown(f"### {self.id.type}: "))
        self._chat_history.append(
            UserMessage(
                content=f"Transferred to {self.id.type}, adopt the persona immediately.",
                source="system",
            )
        )
        completion = await self._model_client.create([self._system_message, *self._chat_history])
        assert isinstance(completion.content, str)
        self._chat_history.append(AssistantMessage(content=completion.content, source=self.id.type))
        Console().print(Markdown(completion.content))
        # print(completion.content, flush=True)
        await self.publish_message(
            GroupChatMessage(body=UserMessage(content=completion.content, source=self.id.type)),
            topic_id=DefaultTopicId(type=self._group_chat_topic_type),
        )


# -- Writer and Editor Agents ----------------------------------------------------------------


class WriterAgent(BaseGroupChatAgent):
    def __init__(
        self, description: str, group_chat_topic_type: str, model_client: ChatCompletionClient
    ) -> None:
        super().__init__(
            description=description,
            group_chat_topic_type=group_chat_topic_type,
            model_client=model_client,
            system_message="You are a Writer. You produce good work.",
        )


class EditorAgent(BaseGroupChatAgent):
    def __init__(
        self, description: str, group_chat_topic_type: str, model_client: ChatCompletionClient
    ) -> None:
        super().__init__(
            description=description,
            group_chat_topic_type=group_chat_topic_type,
            model_client=model_client,
            system_message="You are an Editor. Plan and guide the task given by the user. "
            "Provide critical feedbacks to the draft and illustration produced by Writer and "
            "Illustrator. "
            "Approve if the task is completed and the draft and illustration meets user's "
            "requirements.",
        )


# -- Illustrator Agent with Image Generation -------------------------------------------------


class IllustratorAgent(BaseGroupChatAgent):
    def __init__(
        self,
        description: str,
        group_chat_topic_type: str,
        model_client: ChatCompletionClient,
        image_client: ImageClient,
    ) -> None:
        super().__init__(
            description=description,
            group_chat_topic_type=group_chat_topic_type,
            model_client=model_client,
            system_message="You are an Illustrator. You use the generate_image tool to create "
            "images given user's requirement. "
            "Make sure the images have consistent characters and style.",
        )
        self._image_client = image_client
        self._image_gen_tool = FunctionTool(
            self._image_gen, name="generate_image", description="Call this to generate an image. "
        )

    async def _image_gen(
        self, character_appearence: str, style_attributes: str, worn_and_carried: str, scenario: str
    ) -> str:
        prompt = (
            f"Digital painting of a {character_appearence} character with {style_attributes}. "
            f"Wearing {worn_and_carried}, {scenario}."
        )
        response = await self._image_client.images.generate(
            prompt=prompt, model="dall-e-3", response_format="b64_json", size="1024x1024"
        )
        # As in openai's types, data and b64_json may be None (not with b64_json responses).
        return response.data[0].b64_json  # type: ignore[index, return-value]

    # The decorated handler replaces the base class's handler of RequestToSpeak.
    @message_handler
    async def handle_request_to_speak(self, message: RequestToSpeak, ctx: MessageContext) -> None:
        Console().print(Markdown(f"### {self.id.type}: "))
        self._chat_history.append(
            UserMessage(
                content=f"Transferred to {self.id.type}, adopt the persona immediately.",
                source="system",
            )
        )
        # Ensure that the image generation tool is used.
        completion = await self._model_client.create(
            [self._system_message, *self._chat_history],
            tools=[self._image_gen_tool],
            extra_create_args={"tool_choice": "required"},
            cancellation_token=ctx.cancellation_token,
        )
        assert isinstance(completion.content, list) and all(
            isinstance(item, FunctionCall) for item in completion.content
        )
        images: list[str | Image] = []
        for tool_call in completion.content:
            arguments = json.loads(tool_call.arguments)
            Console().print(arguments)
            result = await self._image_gen_tool.run_json(arguments, ctx.cancellation_token)
            image = Image.from_base64(self._image_gen_tool.return_value_as_string(result))
            image = Image.from_pil(image.image.resize((256, 256)))
            display(image.image)
            images.append(image)
        await self.publish_message(
            GroupChatMessage(body=UserMessage(content=images, source=self.id.type)),
            DefaultTopicId(type=self._group_chat_topic_type),
        )


# -- User Agent ------------------------------------------------------------------------------


class UserAgent(RoutedAgent):
    def __init__(
        self,
        description: str,
        group_chat_topic_type: str,
        input_func: InputFunc | None = None,
    ) -> None:
        super().__init__(description=description)
        self._group_chat_topic_type = group_chat_topic_type
        # The guide calls input(); see the module docstring.
        self._input: InputFunc = ScriptedInput(USER_ANSWERS) if input_func is None else input_func

    @message_handler
    async def handle_message(self, message: GroupChatMessage, ctx: MessageContext) -> None:
        # When integrating with a frontend, this is where group chat message would be sent to
        # the frontend.
        pass

    @message_handler
    async def handle_request_to_speak(self, message: RequestToSpeak, ctx: MessageContext) -> None:
        user_input = self._input("Enter your message, type 'APPROVE' to conclude the task: ")
        Console().print(Markdown(f"### User: \n{user_input}"))
        await self.publish_message(
            GroupChatMessage(body=UserMessage(content=user_input, source=self.id.type)),
            DefaultTopicId(type=self._group_chat_topic_type),
        )


# -- Group Chat Manager ----------------------------------------------------------------------


class GroupChatManager(RoutedAgent):
    def __init__(
        self,
        participant_topic_types: list[str],
        model_client: ChatCompletionClient,
        participant_descriptions: list[str],
    ) -> None:
        super().__init__("Group chat manager")
        self._participant_topic_types = participant_topic_types
        self._model_client = model_client
        self._chat_history: list[UserMessage] = []
        self._participant_descriptions = participant_descriptions
        self._previous_participant_topic_type: str | None = None

    @message_handler
    async def handle_message(self, message: GroupChatMessage, ctx: MessageContext) -> None:
        assert isinstance(message.body, UserMessage)
        self._chat_history.append(message.body)
        # If the message is an approval message from the user, stop the chat.
        if message.body.source == "User":
            assert isinstance(message.body.content, str)
            if message.body.content.lower().strip(string.punctuation).endswith("approve"):
                return
        # Format message history.
        messages: list[str] = []
        for msg in self._chat_history:
            if isinstance(msg.content, str):
                messages.append(f"{msg.source}: {msg.content}")
            elif isinstance(msg.content, list):
                line: list[str] = []
                for item in msg.content:
                    if isinstance(item, str):
                        line.append(item)
                    else:
                        line.append("[Image]")
                messages.append(f"{msg.source}: {', '.join(line)}")
        history = "\n".join(messages)
        # Format roles.
        roles = "\n".join(
            [
                f"{topic_type}: {description}".strip()
                for topic_type, description in zip(
                    self._participant_topic_types, self._participant_descriptions, strict=True
                )
                if topic_type != self._previous_participant_topic_type
            ]
        )
        selector_prompt = """You are in a role play game. The following roles are available:
{roles}.
Read the following conversation. Then select the next role from {participants} to play. Only return the role.

{history}

Read the above conversation. Then select the next role from {participants} to play. Only return the role.
"""  # noqa: E501 - the guide's prompt, verbatim
        system_message = SystemMessage(
            content=selector_prompt.format(
                roles=roles,
                history=history,
                participants=str(
                    [
                        topic_type
                        for topic_type in self._participant_topic_types
                        if topic_type != self._previous_participant_topic_type
                    ]
                ),
            )
        )
        completion = await self._model_client.create(
            [system_message], cancellation_token=ctx.cancellation_token
        )
        assert isinstance(completion.content, str)
        selected_topic_type: str
        for topic_type in self._participant_topic_types:
            if topic_type.lower() in completion.content.lower():
                selected_topic_type = topic_type
                self._previous_participant_topic_type = selected_topic_type
                await self.publish_message(
                    RequestToSpeak(), DefaultTopicId(type=selected_topic_type)
                )
                return
        raise ValueError(f"Invalid role selected: {completion.content}")


# -- The scripted models ---------------------------------------------------------------------

STORY_DRAFT = (
    "**The Escape of the Gingerbread Man**\n"
    "\n"
    "*Illustration 1: A gingerbread man leaping out of a warm oven in a rustic cottage "
    "kitchen.*\n"
    "\n"
    "Once there was an old woman who baked a gingerbread man to keep her company. When she "
    'opened the oven door, he leapt out, bright-eyed and grinning. "Run, run, as fast as you '
    "can! You can't catch me, I'm the Gingerbread Man!\" he laughed, and out of the door he "
    "ran.\n"
    "\n"
    "A cow and a horse joined the chase, but nobody could catch him, until he reached a river "
    'and met a sly fox. "Climb on my back," said the fox, "and I\'ll carry you across." '
    "Halfway over, snap! The fox swallowed him whole."
)

REVISED_ENDING = (
    "Back in her cottage, the old woman smiled and rolled out fresh dough: tomorrow she would "
    "bake a gingerbread man who stayed for tea."
)

WRITER_REPLIES: list[str | CreateResult] = [
    STORY_DRAFT,
    f"{STORY_DRAFT}\n\n{REVISED_ENDING}",
]
"""The writer's draft, then the draft with a gentler ending the editor asked for."""

ILLUSTRATION_ARGUMENTS = {
    "character_appearence": "a gingerbread man with bright eyes and a cheeky smile",
    "style_attributes": "photo-realistic warm and golden hues",
    "worn_and_carried": "white icing buttons",
    "scenario": "leaping out of an oven in a rustic cottage kitchen",
}

ILLUSTRATOR_REPLIES: list[str | CreateResult] = [
    CreateResult(
        finish_reason="function_calls",
        content=[
            FunctionCall(
                id="call_illustration_1",
                arguments=json.dumps(ILLUSTRATION_ARGUMENTS),
                name="generate_image",
            )
        ],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )
]
"""The illustrator's model asks for one image."""

EDITOR_REPLIES: list[str | CreateResult] = [
    "The draft is lively and the illustration matches the kitchen scene. One request: the "
    "ending is abrupt for young readers. Writer, please add a closing line about the old woman.",
    "APPROVED. The new ending is gentle and the illustration fits the story. The draft and "
    "illustration meet the user's requirements.",
]
"""The editor's feedback on the first draft, then its approval."""

MANAGER_REPLIES: list[str | CreateResult] = [
    "Writer",
    "Illustrator",
    "Editor",
    "Writer",
    "Editor",
    "User",
]
"""The next role, as the manager's model selects it after each message."""


@dataclass
class ModelClients:
    """The model client of each model-backed agent (the guide shares one)."""

    manager: ChatCompletionClient
    writer: ChatCompletionClient
    editor: ChatCompletionClient
    illustrator: ChatCompletionClient

    async def close(self) -> None:
        closed: list[ChatCompletionClient] = []
        for client in (self.manager, self.writer, self.editor, self.illustrator):
            if not any(client is done for done in closed):
                await client.close()
                closed.append(client)


def create_model_clients() -> ModelClients:
    """Return the guide's OpenAI client for every agent if it is configured and available,
    else a scripted client for each."""
    model_client = configured_openai_client(
        model="gpt-4o-2024-08-06",
        # api_key="YOUR_API_KEY",
    )
    if model_client is not None:
        return ModelClients(model_client, model_client, model_client, model_client)
    return ModelClients(
        manager=ReplayChatCompletionClient(MANAGER_REPLIES),
        writer=ReplayChatCompletionClient(WRITER_REPLIES),
        editor=ReplayChatCompletionClient(EDITOR_REPLIES),
        illustrator=ReplayChatCompletionClient(ILLUSTRATOR_REPLIES),
    )


# -- Creating the Group Chat -----------------------------------------------------------------

editor_topic_type = "Editor"
writer_topic_type = "Writer"
illustrator_topic_type = "Illustrator"
user_topic_type = "User"
group_chat_topic_type = "group_chat"

editor_description = "Editor for planning and reviewing the content."
writer_description = "Writer for creating any text content."
user_description = "User for providing final approval."
illustrator_description = "An illustrator for creating images."

TASK = (
    "Please write a short story about the gingerbread man with up to 3 photo-realistic "
    "illustrations."
)


async def create_group_chat(
    runtime: SingleThreadedAgentRuntime,
    model_clients: ModelClients,
    image_client: ImageClient,
    input_func: InputFunc | None = None,
) -> None:
    """Register the agents' factories and subscriptions, as the guide does."""
    editor_agent_type = await EditorAgent.register(
        runtime,
        editor_topic_type,  # Using topic type as the agent type.
        lambda: EditorAgent(
            description=editor_description,
            group_chat_topic_type=group_chat_topic_type,
            model_client=model_clients.editor,
        ),
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=editor_topic_type, agent_type=editor_agent_type.type)
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=group_chat_topic_type, agent_type=editor_agent_type.type)
    )

    writer_agent_type = await WriterAgent.register(
        runtime,
        writer_topic_type,  # Using topic type as the agent type.
        lambda: WriterAgent(
            description=writer_description,
            group_chat_topic_type=group_chat_topic_type,
            model_client=model_clients.writer,
        ),
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=writer_topic_type, agent_type=writer_agent_type.type)
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=group_chat_topic_type, agent_type=writer_agent_type.type)
    )

    illustrator_agent_type = await IllustratorAgent.register(
        runtime,
        illustrator_topic_type,
        lambda: IllustratorAgent(
            description=illustrator_description,
            group_chat_topic_type=group_chat_topic_type,
            model_client=model_clients.illustrator,
            image_client=image_client,
        ),
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=illustrator_topic_type, agent_type=illustrator_agent_type.type)
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=group_chat_topic_type, agent_type=illustrator_agent_type.type)
    )

    user_agent_type = await UserAgent.register(
        runtime,
        user_topic_type,
        lambda: UserAgent(
            description=user_description,
            group_chat_topic_type=group_chat_topic_type,
            input_func=input_func,
        ),
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=user_topic_type, agent_type=user_agent_type.type)
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=group_chat_topic_type, agent_type=user_agent_type.type)
    )

    group_chat_manager_type = await GroupChatManager.register(
        runtime,
        "group_chat_manager",
        lambda: GroupChatManager(
            participant_topic_types=[
                writer_topic_type,
                illustrator_topic_type,
                editor_topic_type,
                user_topic_type,
            ],
            model_client=model_clients.manager,
            participant_descriptions=[
                writer_description,
                illustrator_description,
                editor_description,
                user_description,
            ],
        ),
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type=group_chat_topic_type, agent_type=group_chat_manager_type.type)
    )


# -- Running the Group Chat ------------------------------------------------------------------


async def start_group_chat(runtime: SingleThreadedAgentRuntime) -> None:
    """Publish the task to the group chat topic of a new session."""
    session_id = str(uuid.uuid4())
    await runtime.publish_message(
        GroupChatMessage(body=UserMessage(content=TASK, source="User")),
        TopicId(type=group_chat_topic_type, source=session_id),
    )


async def main() -> None:
    """The guide's program: register, ``runtime.start()``, publish the task, stop when idle."""
    runtime = SingleThreadedAgentRuntime()
    model_clients = create_model_clients()
    await create_group_chat(runtime, model_clients, create_image_client())

    runtime.start()
    await start_group_chat(runtime)
    await runtime.stop_when_idle()
    await model_clients.close()


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def run_structured(
    model_clients: ModelClients | None = None,
    image_client: ImageClient | None = None,
    input_func: InputFunc | None = None,
) -> list[str]:
    """Run the group chat with ``async with``; return the lines it printed.

    Args:
        model_clients: The agents' model clients; by default :func:`create_model_clients`'s.
            The caller keeps ownership of clients it passes (they are not closed here).
        image_client: The illustrator's image client; by default :func:`create_image_client`'s.
        input_func: What the user agent calls instead of ``input()``; by default a
            :class:`ScriptedInput` answering :data:`USER_ANSWERS`.
    """
    images = create_image_client() if image_client is None else image_client
    async with given_or_created(model_clients, create_model_clients) as clients:

        async def program(runtime: SingleThreadedAgentRuntime) -> None:
            await create_group_chat(runtime, clients, images, input_func)
            await start_group_chat(runtime)

        return await printed_lines(structured_form, program)


if __name__ == "__main__":
    asyncio.run(main())
