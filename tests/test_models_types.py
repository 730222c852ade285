"""Message and result types of cantata.models, model info, FunctionCall and Image."""

from __future__ import annotations

import base64
import copy
import dataclasses
import pickle
import sys
from collections.abc import AsyncGenerator, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import cantata.models as models
from cantata._cancellation_token import CancellationToken
from cantata._function_call import FunctionCall
from cantata._image import Image
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    ChatCompletionTokenLogprob,
    CreateResult,
    FinishReasons,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelCapabilities,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    TopLogprob,
    UserMessage,
    validate_model_info,
)

# A valid 1x1 PNG.
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
    "AAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PNG = base64.b64decode(PNG_B64)

LLM_MESSAGE: TypeAdapter[LLMMessage] = TypeAdapter(LLMMessage)


# --- module surface ---------------------------------------------------------------


def test_models_all_names_exist_and_are_documented() -> None:
    expected = {
        "AssistantMessage",
        "ChatCompletionClient",
        "ChatCompletionTokenLogprob",
        "CreateResult",
        "FinishReasons",
        "FunctionExecutionResult",
        "FunctionExecutionResultMessage",
        "LLMMessage",
        "ModelCapabilities",
        "ModelFamily",
        "ModelInfo",
        "RequestUsage",
        "SystemMessage",
        "TopLogprob",
        "UserMessage",
        "validate_model_info",
    }
    assert set(models.__all__) == expected
    for name in expected:
        assert hasattr(models, name)
    for cls in (
        AssistantMessage,
        ChatCompletionClient,
        ChatCompletionTokenLogprob,
        CreateResult,
        FunctionExecutionResult,
        FunctionExecutionResultMessage,
        ModelFamily,
        ModelInfo,
        RequestUsage,
        SystemMessage,
        TopLogprob,
        UserMessage,
        FunctionCall,
        Image,
    ):
        assert cls.__doc__


# --- FunctionCall -----------------------------------------------------------------


def test_function_call_is_a_plain_dataclass() -> None:
    call = FunctionCall(id="c1", arguments='{"x": 1}', name="f")
    assert dataclasses.is_dataclass(call)
    assert [f.name for f in dataclasses.fields(call)] == ["id", "arguments", "name"]
    assert call == FunctionCall("c1", '{"x": 1}', "f")
    assert call != FunctionCall("c2", '{"x": 1}', "f")
    assert dataclasses.asdict(call) == {"id": "c1", "arguments": '{"x": 1}', "name": "f"}
    assert "name='f'" in repr(call)


# --- messages ---------------------------------------------------------------------


def test_message_defaults() -> None:
    assert SystemMessage(content="be nice").type == "SystemMessage"
    user = UserMessage(content="hi", source="user")
    assert (user.type, user.source) == ("UserMessage", "user")
    assistant = AssistantMessage(content="hello", source="bot")
    assert (assistant.type, assistant.thought) == ("AssistantMessage", None)
    result = FunctionExecutionResult(content="42", name="f", call_id="c1")
    assert result.is_error is None
    assert FunctionExecutionResultMessage(content=[result]).type == "FunctionExecutionResultMessage"


def test_message_field_order_matches_reference() -> None:
    assert list(SystemMessage.model_fields) == ["content", "type"]
    assert list(UserMessage.model_fields) == ["content", "source", "type"]
    assert list(AssistantMessage.model_fields) == ["content", "thought", "source", "type"]
    assert list(FunctionExecutionResult.model_fields) == ["content", "name", "call_id", "is_error"]
    assert list(FunctionExecutionResultMessage.model_fields) == ["content", "type"]
    assert list(CreateResult.model_fields) == [
        "finish_reason",
        "content",
        "usage",
        "cached",
        "logprobs",
        "thought",
    ]


def test_messages_reject_bad_fields() -> None:
    with pytest.raises(ValidationError):
        SystemMessage(content=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        UserMessage(content="hi")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        UserMessage(content=[1], source="u")  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        AssistantMessage(content=["not a call"], source="a")  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        SystemMessage(content="x", type="UserMessage")  # type: ignore[arg-type]


def _all_message_kinds() -> list[LLMMessage]:
    return [
        SystemMessage(content="You are helpful."),
        UserMessage(content="What is 2+2?", source="user"),
        UserMessage(content=["Look at this:", Image(PNG)], source="user"),
        AssistantMessage(content="4", source="assistant", thought="easy"),
        AssistantMessage(
            content=[FunctionCall(id="c1", arguments='{"a": 2, "b": 2}', name="add")],
            source="assistant",
        ),
        FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(content="4", name="add", call_id="c1"),
                FunctionExecutionResult(content="boom", name="div", call_id="c2", is_error=True),
            ]
        ),
    ]


@pytest.mark.parametrize("message", _all_message_kinds(), ids=lambda m: m.type)
def test_llm_message_round_trips_through_json(message: LLMMessage) -> None:
    restored = LLM_MESSAGE.validate_json(LLM_MESSAGE.dump_json(message))
    assert type(restored) is type(message)
    assert restored == message
    restored_py = LLM_MESSAGE.validate_python(LLM_MESSAGE.dump_python(message))
    assert restored_py == message
    assert LLM_MESSAGE.validate_python(message) == message


def test_llm_message_list_round_trip() -> None:
    adapter: TypeAdapter[list[LLMMessage]] = TypeAdapter(list[LLMMessage])
    messages = _all_message_kinds()
    restored = adapter.validate_json(adapter.dump_json(messages))
    assert restored == messages
    assert [type(m) for m in restored] == [type(m) for m in messages]


def test_llm_message_discriminates_on_type() -> None:
    data = {"content": "hi", "source": "x", "type": "AssistantMessage"}
    assert isinstance(LLM_MESSAGE.validate_python(data), AssistantMessage)
    data["type"] = "UserMessage"
    assert isinstance(LLM_MESSAGE.validate_python(data), UserMessage)
    with pytest.raises(ValidationError):
        LLM_MESSAGE.validate_python({"content": "hi", "type": "Nope"})
    with pytest.raises(ValidationError):
        LLM_MESSAGE.validate_python({"content": "hi"})
    with pytest.raises(ValidationError):
        LLM_MESSAGE.validate_json('{"content": "hi", "type": "UserMessage"}')  # no source


def test_llm_message_json_schema_has_every_kind() -> None:
    schema = TypeAdapter(list[LLMMessage]).json_schema()
    assert {
        "SystemMessage",
        "UserMessage",
        "AssistantMessage",
        "FunctionExecutionResultMessage",
    } <= set(schema["$defs"])


def test_message_json_shape() -> None:
    message = AssistantMessage(
        content=[FunctionCall(id="1", arguments="{}", name="f")], source="bot"
    )
    assert message.model_dump() == {
        "content": [{"id": "1", "arguments": "{}", "name": "f"}],
        "thought": None,
        "source": "bot",
        "type": "AssistantMessage",
    }


# --- results ----------------------------------------------------------------------


def test_request_usage_is_a_dataclass() -> None:
    usage = RequestUsage(prompt_tokens=3, completion_tokens=4)
    assert dataclasses.is_dataclass(usage)
    assert usage == RequestUsage(3, 4)
    assert dataclasses.asdict(usage) == {"prompt_tokens": 3, "completion_tokens": 4}


def test_finish_reasons() -> None:
    assert set(get_args(FinishReasons)) == {
        "stop",
        "length",
        "function_calls",
        "content_filter",
        "unknown",
    }


def test_create_result_defaults_and_validation() -> None:
    result = CreateResult(
        finish_reason="stop", content="hi", usage=RequestUsage(1, 1), cached=False
    )
    assert result.logprobs is None
    assert result.thought is None
    assert str(result) == (
        "finish_reason='stop' content='hi' usage=RequestUsage(prompt_tokens=1, "
        "completion_tokens=1) cached=False logprobs=None thought=None"
    )
    with pytest.raises(ValidationError):
        CreateResult(
            finish_reason="done",  # type: ignore[arg-type]
            content="hi",
            usage=RequestUsage(1, 1),
            cached=False,
        )
    with pytest.raises(ValidationError):
        CreateResult.model_validate({"finish_reason": "stop", "content": "x", "cached": False})


def test_create_result_round_trip_with_calls_and_logprobs() -> None:
    result = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="c", arguments="{}", name="f")],
        usage=RequestUsage(prompt_tokens=10, completion_tokens=2),
        cached=True,
        logprobs=[
            ChatCompletionTokenLogprob(
                token="a",
                logprob=-0.5,
                top_logprobs=[TopLogprob(logprob=-0.5, bytes=[97]), TopLogprob(logprob=-2.0)],
                bytes=[97],
            )
        ],
        thought="thinking",
    )
    restored = CreateResult.model_validate_json(result.model_dump_json())
    assert restored == result
    assert isinstance(restored.usage, RequestUsage)
    assert restored.logprobs is not None
    top = restored.logprobs[0].top_logprobs
    assert top is not None and isinstance(top[0], TopLogprob)


def test_logprob_defaults() -> None:
    assert TopLogprob(logprob=-1.0).bytes is None
    lp = ChatCompletionTokenLogprob(token="x", logprob=-1.0)
    assert (lp.top_logprobs, lp.bytes) == (None, None)


# --- model info -------------------------------------------------------------------


def _family_constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(ModelFamily).items()
        if name.isupper() and isinstance(value, str)
    }


def test_model_family_constants() -> None:
    constants = _family_constants()
    assert constants["GPT_4O"] == "gpt-4o"
    assert constants["UNKNOWN"] == "unknown"
    assert constants["CLAUDE_3_5_SONNET"] == "claude-3-5-sonnet"
    assert constants["CODESRAL"] == "codestral"
    assert len(set(constants.values())) == len(constants)
    assert set(get_args(ModelFamily.ANY)) == set(constants.values())


def test_model_family_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError, match="namespace"):
        ModelFamily()


def test_model_family_predicates() -> None:
    assert ModelFamily.is_openai(ModelFamily.GPT_4O)
    assert ModelFamily.is_openai("o3")
    assert ModelFamily.is_claude(ModelFamily.CLAUDE_4_SONNET)
    assert ModelFamily.is_gemini(ModelFamily.GEMINI_2_5_FLASH)
    assert ModelFamily.is_llama(ModelFamily.LLAMA_4_SCOUT)
    assert ModelFamily.is_mistral(ModelFamily.PIXTRAL)
    predicates = [
        ModelFamily.is_openai,
        ModelFamily.is_claude,
        ModelFamily.is_gemini,
        ModelFamily.is_llama,
        ModelFamily.is_mistral,
    ]
    for name, family in _family_constants().items():
        hits = sum(predicate(family) for predicate in predicates)
        expected = 0 if name in {"UNKNOWN", "R1"} else 1
        assert hits == expected, name
    for predicate in predicates:
        assert not predicate("my-own-model")


def _info(**overrides: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "vision": True,
        "function_calling": True,
        "json_output": False,
        "family": ModelFamily.GPT_4O,
        "structured_output": True,
    }
    info.update(overrides)
    return info


def test_validate_model_info_accepts_complete_info() -> None:
    info: ModelInfo = {
        "vision": True,
        "function_calling": True,
        "json_output": False,
        "family": "my-family",
        "structured_output": True,
        "multiple_system_messages": None,
    }
    validate_model_info(info)


@pytest.mark.parametrize("missing", ["vision", "function_calling", "json_output", "family"])
def test_validate_model_info_rejects_missing_required(missing: str) -> None:
    info = _info()
    del info[missing]
    with pytest.raises(ValueError, match=missing):
        validate_model_info(info)  # type: ignore[arg-type]


def test_validate_model_info_warns_without_structured_output() -> None:
    info = _info()
    del info["structured_output"]
    with pytest.warns(UserWarning, match="structured_output"):
        validate_model_info(info)  # type: ignore[arg-type]


def test_model_capabilities_is_deprecated() -> None:
    assert ModelCapabilities.__deprecated__  # type: ignore[attr-defined]
    caps: ModelCapabilities = {"vision": True, "function_calling": False, "json_output": False}
    assert set(caps) == set(ModelCapabilities.__required_keys__)


def test_model_info_keys_and_pydantic_validation() -> None:
    assert ModelInfo.__required_keys__ == {
        "vision",
        "function_calling",
        "json_output",
        "family",
        "structured_output",
    }
    assert ModelInfo.__optional_keys__ == {"multiple_system_messages"}
    adapter: TypeAdapter[ModelInfo] = TypeAdapter(ModelInfo)
    info = adapter.validate_python(_info(family="custom"))
    assert info["family"] == "custom"
    with pytest.raises(ValidationError):
        adapter.validate_python({"vision": True})


# --- ChatCompletionClient ---------------------------------------------------------


class _MinimalClient(ChatCompletionClient):
    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Any] = (),
        tool_choice: Any = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        return CreateResult(
            finish_reason="stop", content="", usage=RequestUsage(0, 0), cached=False
        )

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Any] = (),
        tool_choice: Any = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        yield await self.create(messages)

    async def close(self) -> None:
        pass

    def actual_usage(self) -> RequestUsage:
        return RequestUsage(0, 0)

    def total_usage(self) -> RequestUsage:
        return RequestUsage(0, 0)

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        return 0

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        return 0

    @property
    def model_info(self) -> ModelInfo:
        return {
            "vision": True,
            "function_calling": False,
            "json_output": True,
            "family": ModelFamily.UNKNOWN,
            "structured_output": False,
        }


def test_chat_completion_client_is_abstract() -> None:
    with pytest.raises(TypeError):
        ChatCompletionClient()  # type: ignore[abstract]


def test_chat_completion_client_default_capabilities_warn() -> None:
    client = _MinimalClient()
    with pytest.warns(DeprecationWarning) as record:
        caps = client.capabilities
    assert caps == {"vision": True, "function_calling": False, "json_output": True}
    assert record[0].filename == __file__


# --- Image ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (b"GIF87a...", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"BM\x00\x00", "image/bmp"),
        (b"II*\x00rest", "image/tiff"),
        (b"MM\x00*rest", "image/tiff"),
    ],
)
def test_image_detects_format(data: bytes, mime_type: str) -> None:
    image = Image(data)
    assert image.mime_type == mime_type
    assert image.data == data
    assert image.data_uri.startswith(f"data:{mime_type};base64,")


def test_image_accepts_bytes_like_and_explicit_mime_type() -> None:
    assert Image(bytearray(PNG)) == Image(memoryview(PNG)) == Image(PNG)
    image = Image(b"\x00\x00\x01\x00icon", "Image/X-Icon")
    assert image.mime_type == "image/x-icon"


def test_image_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        Image(b"")
    with pytest.raises(ValueError, match="Unrecognised"):
        Image(b"plain text")
    with pytest.raises(ValueError, match="MIME"):
        Image(PNG, "text/plain")
    with pytest.raises(ValueError, match="MIME"):
        Image(PNG, "image/")
    with pytest.raises(TypeError, match="int"):
        Image(123)


def test_image_base64_round_trip() -> None:
    image = Image.from_base64(PNG_B64)
    assert image.data == PNG
    assert image.to_base64() == PNG_B64
    assert Image.from_base64(image.to_base64()) == image
    assert Image.from_base64("AAAB", mime_type="image/x-icon").mime_type == "image/x-icon"
    with pytest.raises(ValueError, match="base64"):
        Image.from_base64("not base64!!")
    with pytest.raises(ValueError, match="Unrecognised"):
        Image.from_base64(base64.b64encode(b"hello").decode())


def test_image_data_uri_round_trip() -> None:
    image = Image(PNG)
    assert image.data_uri == f"data:image/png;base64,{PNG_B64}"
    assert Image.from_uri(image.data_uri) == image
    jpeg = Image(b"\xff\xd8\xff\xdbdata")
    restored = Image.from_uri(jpeg.data_uri)
    assert (restored.mime_type, restored.data) == ("image/jpeg", jpeg.data)
    assert Image.from_uri(f"data:IMAGE/PNG;charset=x; Base64,{PNG_B64}").mime_type == "image/png"


@pytest.mark.parametrize(
    "uri",
    [
        "https://example.com/cat.png",
        f"data:image/png,{PNG_B64}",
        f"data:text/plain;base64,{PNG_B64}",
        "data:image/png;base64",
        "data:image/png;base64,!!!",
    ],
)
def test_image_from_uri_rejects_bad_uris(uri: str) -> None:
    with pytest.raises(ValueError):
        Image.from_uri(uri)


def test_image_from_file(tmp_path: Path) -> None:
    path = tmp_path / "pic.bin"
    path.write_bytes(PNG)
    assert Image.from_file(path) == Image(PNG)
    assert Image.from_file(str(path)).mime_type == "image/png"
    by_extension = tmp_path / "icon.ico"
    by_extension.write_bytes(b"\x00\x00\x01\x00icon")
    assert Image.from_file(by_extension).mime_type in {"image/x-icon", "image/vnd.microsoft.icon"}
    text = tmp_path / "notes.txt"
    text.write_bytes(b"hello")
    with pytest.raises(ValueError, match="not a recognised image"):
        Image.from_file(text)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        Image.from_file(empty)
    with pytest.raises(OSError):
        Image.from_file(tmp_path / "missing.png")


def test_image_to_openai_format() -> None:
    image = Image(PNG)
    assert image.to_openai_format() == {
        "type": "image_url",
        "image_url": {"url": image.data_uri, "detail": "auto"},
    }
    assert image.to_openai_format(detail="low")["image_url"]["detail"] == "low"


def test_image_equality_hash_and_immutability() -> None:
    a = Image(PNG)
    b = Image.from_base64(PNG_B64)
    assert a == b and hash(a) == hash(b)
    assert a != Image(b"GIF89a")
    assert a != PNG
    assert len({a, b}) == 1
    with pytest.raises(AttributeError):
        a._data = b"x"
    with pytest.raises(AttributeError):
        a.extra = 1
    assert repr(a) == "Image(mime_type='image/png', size=70)"


def test_image_pickle_and_copy() -> None:
    image = Image(b"\x00\x00\x01\x00", "image/x-icon")
    for restored in (pickle.loads(pickle.dumps(image)), copy.copy(image), copy.deepcopy(image)):
        assert restored == image
        assert restored.mime_type == "image/x-icon"


def test_image_pydantic_serialization() -> None:
    message = UserMessage(content=["see", Image(PNG)], source="u")
    dumped = message.model_dump()
    assert dumped["content"][1] == {"data": PNG_B64, "mime_type": "image/png"}
    assert UserMessage.model_validate(dumped) == message
    assert UserMessage.model_validate_json(message.model_dump_json()) == message
    adapter = TypeAdapter(Image)
    assert adapter.validate_python({"data": PNG_B64}) == Image(PNG)
    assert adapter.validate_json(f'{{"data": "{PNG_B64}", "mime_type": null}}') == Image(PNG)
    icon = Image(b"\x00\x00\x01\x00", "image/x-icon")
    assert adapter.validate_json(adapter.dump_json(icon)).mime_type == "image/x-icon"
    schema = adapter.json_schema()
    assert schema["type"] == "object" and schema["required"] == ["data"]


@pytest.mark.parametrize(
    "bad",
    [{"data": "!!!"}, {"mime_type": "image/png"}, {"data": 1}, "a string", 42],
)
def test_image_pydantic_rejects_bad_values(bad: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Image).validate_python(bad)


def test_image_without_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"cantata\[image\]"):
        Image.from_pil(object())
    with pytest.raises(ImportError, match=r"cantata\[image\]"):
        _ = Image(PNG).image
    with pytest.raises(TypeError):
        Image(object())
    # Everything else works without Pillow.
    assert Image.from_uri(Image(PNG).data_uri) == Image(PNG)


def test_image_with_pillow() -> None:
    pil = pytest.importorskip("PIL.Image")
    picture = pil.new("RGB", (3, 2), (255, 0, 0))
    image = Image.from_pil(picture)
    assert image.mime_type == "image/png"
    assert image.data.startswith(b"\x89PNG")
    assert Image(picture) == image
    decoded = image.image
    assert decoded.size == (3, 2)
    assert decoded.getpixel((0, 0)) == (255, 0, 0)
    with pytest.raises(TypeError):
        Image.from_pil(b"bytes are not a PIL image")
