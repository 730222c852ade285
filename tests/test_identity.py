"""Identity and value types: AgentId, AgentType, AgentMetadata, TopicId, DefaultTopicId,
MessageContext, logger names and exceptions."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import pickle

import pytest

from cantata import exceptions
from cantata._agent_id import AgentId, _agent_id_unchecked, is_valid_agent_type
from cantata._agent_metadata import AgentMetadata
from cantata._agent_type import AgentType
from cantata._cancellation_token import CancellationToken
from cantata._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME, TRACE_LOGGER_NAME
from cantata._contexts import MessageHandlerContext
from cantata._message_context import MessageContext
from cantata._topic import DefaultTopicId, TopicId, is_valid_topic_type
from cantata.exceptions import (
    CantHandleException,
    MessageCancelledError,
    MessageDroppedException,
    NotAccessibleError,
    RuntimeStoppedError,
    UndeliverableException,
    UnknownAgentTypeError,
)

# --- constants ---------------------------------------------------------------------------


def test_logger_names() -> None:
    assert ROOT_LOGGER_NAME == "cantata"
    assert EVENT_LOGGER_NAME == "cantata.events"
    assert TRACE_LOGGER_NAME == "cantata.trace"


# --- AgentType ---------------------------------------------------------------------------


def test_agent_type_is_frozen_value() -> None:
    t = AgentType("writer")
    assert t.type == "writer"
    assert t == AgentType("writer")
    assert t != AgentType("reader")
    assert hash(t) == hash(AgentType("writer"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.type = "other"  # type: ignore[misc]


# --- AgentId -----------------------------------------------------------------------------


@pytest.mark.parametrize("type_str", ["a", "A_b", "x-y", "x.y", "agent123", "é", "a-b.c_d"])
def test_agent_id_accepts_valid_types(type_str: str) -> None:
    agent_id = AgentId(type_str, "key")
    assert agent_id.type == type_str
    assert agent_id.key == "key"
    assert is_valid_agent_type(type_str)


@pytest.mark.parametrize("type_str", ["", "a b", "a/b", "a:b", "a=b", "a\n", "a!", "ty pe"])
def test_agent_id_rejects_invalid_types(type_str: str) -> None:
    assert not is_valid_agent_type(type_str)
    with pytest.raises(ValueError, match="Invalid agent type") as info:
        AgentId(type_str, "key")
    assert repr(type_str) in str(info.value)


def test_agent_id_rejects_non_string_type() -> None:
    with pytest.raises(TypeError, match="int"):
        AgentId(42, "key")  # type: ignore[arg-type]


def test_agent_id_accepts_agent_type() -> None:
    assert AgentId(AgentType("writer"), "k") == AgentId("writer", "k")
    with pytest.raises(ValueError, match="Invalid agent type"):
        AgentId(AgentType("bad type"), "k")


def test_agent_id_key_is_unchecked() -> None:
    agent_id = AgentId("t", "any key / with : = slashes and spaces")
    assert agent_id.key == "any key / with : = slashes and spaces"
    assert AgentId("t", "").key == ""


def test_agent_id_string_forms() -> None:
    agent_id = AgentId("t", "k")
    assert str(agent_id) == "t/k"
    assert repr(agent_id) == "AgentId(type='t', key='k')"
    assert repr(AgentId("t", "it's")) == "AgentId(type='t', key=\"it's\")"


def test_agent_id_from_str() -> None:
    assert AgentId.from_str("t/k") == AgentId("t", "k")
    parsed = AgentId.from_str("t/k/with/slashes")
    assert parsed.type == "t"
    assert parsed.key == "k/with/slashes"
    assert AgentId.from_str("t/") == AgentId("t", "")
    agent_id = AgentId("type.x", "key 1")
    assert AgentId.from_str(str(agent_id)) == agent_id


def test_agent_id_from_str_errors() -> None:
    with pytest.raises(ValueError, match="'no-slash'"):
        AgentId.from_str("no-slash")
    with pytest.raises(ValueError, match="Invalid agent type"):
        AgentId.from_str("/key")
    with pytest.raises(ValueError, match="Invalid agent type"):
        AgentId.from_str("bad type/key")


def test_agent_id_equality_and_hash() -> None:
    a = AgentId("t", "k")
    b = AgentId("t", "k")
    assert a == b
    assert a is not b
    assert hash(a) == hash(b)
    assert a != AgentId("t", "k2")
    assert a != AgentId("t2", "k")
    assert a != "t/k"
    assert a != ("t", "k")
    assert len({a, b, AgentId("t", "x")}) == 2
    assert {a: 1}[b] == 1


def test_agent_id_properties_are_read_only() -> None:
    agent_id = AgentId("t", "k")
    with pytest.raises(AttributeError):
        agent_id.type = "u"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        agent_id.key = "u"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        agent_id.extra = 1  # type: ignore[attr-defined]


def test_agent_id_pickle_and_copy() -> None:
    agent_id = AgentId("t", "k")
    for clone in (
        pickle.loads(pickle.dumps(agent_id)),
        copy.copy(agent_id),
        copy.deepcopy(agent_id),
    ):
        assert clone == agent_id
        assert hash(clone) == hash(agent_id)
        assert type(clone) is AgentId


def test_agent_id_unchecked() -> None:
    agent_id = _agent_id_unchecked("t", "k")
    assert type(agent_id) is AgentId
    assert agent_id == AgentId("t", "k")
    assert hash(agent_id) == hash(AgentId("t", "k"))
    assert str(agent_id) == "t/k"
    assert repr(agent_id) == "AgentId(type='t', key='k')"


# --- AgentMetadata -----------------------------------------------------------------------


def test_agent_metadata_is_a_typed_dict() -> None:
    metadata: AgentMetadata = {"type": "t", "key": "k", "description": "d"}
    assert metadata == {"type": "t", "key": "k", "description": "d"}
    assert AgentMetadata.__required_keys__ == frozenset({"type", "key", "description"})


# --- TopicId -----------------------------------------------------------------------------


@pytest.mark.parametrize("type_str", ["t", "a.b", "a-b", "a_b", "a:b", "k=v", "ns:type=x.y-z_1"])
def test_topic_id_accepts_valid_types(type_str: str) -> None:
    topic = TopicId(type_str, "src")
    assert topic.type == type_str
    assert topic.source == "src"
    assert is_valid_topic_type(type_str)


@pytest.mark.parametrize("type_str", ["", "a b", "a/b", "a!", "a\n", "a,b"])
def test_topic_id_rejects_invalid_types(type_str: str) -> None:
    assert not is_valid_topic_type(type_str)
    with pytest.raises(ValueError, match="Invalid topic type") as info:
        TopicId(type_str, "src")
    assert repr(type_str) in str(info.value)


def test_topic_id_rejects_non_string_type() -> None:
    with pytest.raises(TypeError, match="int"):
        TopicId(1, "src")  # type: ignore[arg-type]


def test_topic_id_string_forms_and_parse() -> None:
    topic = TopicId("t", "s")
    assert str(topic) == "t/s"
    assert repr(topic) == "TopicId(type='t', source='s')"
    assert TopicId.from_str("t/s") == topic
    parsed = TopicId.from_str("t/s/more")
    assert parsed.type == "t"
    assert parsed.source == "s/more"
    with pytest.raises(ValueError, match="'nosource'"):
        TopicId.from_str("nosource")
    with pytest.raises(ValueError, match="Invalid topic type"):
        TopicId.from_str("bad type/s")


def test_topic_id_is_frozen_and_hashable() -> None:
    topic = TopicId("t", "s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        topic.source = "x"  # type: ignore[misc]
    assert topic == TopicId("t", "s")
    assert topic != TopicId("t", "x")
    assert topic != "t/s"
    assert hash(topic) == hash(TopicId("t", "s"))
    assert len({topic, TopicId("t", "s"), TopicId("u", "s")}) == 2
    assert pickle.loads(pickle.dumps(topic)) == topic


# --- DefaultTopicId ----------------------------------------------------------------------


def test_default_topic_id_outside_handler() -> None:
    topic = DefaultTopicId()
    assert isinstance(topic, TopicId)
    assert topic.type == "default"
    assert topic.source == "default"
    assert DefaultTopicId("news").source == "default"
    assert DefaultTopicId("news", "s1") == TopicId("news", "s1")


def test_default_topic_id_equals_plain_topic_id() -> None:
    assert DefaultTopicId() == TopicId("default", "default")
    assert TopicId("default", "default") == DefaultTopicId()
    assert hash(DefaultTopicId()) == hash(TopicId("default", "default"))
    assert {DefaultTopicId(), TopicId("default", "default")} == {TopicId("default", "default")}


def test_default_topic_id_inside_handler_uses_agent_key() -> None:
    with MessageHandlerContext.populate_context(AgentId("worker", "session-7")):
        assert DefaultTopicId().source == "session-7"
        assert DefaultTopicId("news").source == "session-7"
        assert DefaultTopicId("news") == TopicId("news", "session-7")
        assert DefaultTopicId(source="explicit").source == "explicit"
    assert DefaultTopicId().source == "default"


def test_default_topic_id_validates_type() -> None:
    with pytest.raises(ValueError, match="Invalid topic type"):
        DefaultTopicId("bad type")


def test_default_topic_id_from_str() -> None:
    topic = DefaultTopicId.from_str("t/s")
    assert type(topic) is DefaultTopicId
    assert topic == TopicId("t", "s")


# --- MessageContext ----------------------------------------------------------------------


def test_message_context_fields() -> None:
    token = CancellationToken()
    ctx = MessageContext(
        sender=AgentId("s", "k"),
        topic_id=TopicId("t", "src"),
        is_rpc=False,
        cancellation_token=token,
        message_id="m-1",
    )
    assert ctx.sender == AgentId("s", "k")
    assert ctx.topic_id == TopicId("t", "src")
    assert ctx.is_rpc is False
    assert ctx.cancellation_token is token
    assert ctx.message_id == "m-1"
    assert not hasattr(ctx, "__dict__")
    direct = MessageContext(
        sender=None, topic_id=None, is_rpc=True, cancellation_token=token, message_id="m-2"
    )
    assert direct.sender is None
    assert direct.topic_id is None
    assert [f.name for f in dataclasses.fields(MessageContext)] == [
        "sender",
        "topic_id",
        "is_rpc",
        "cancellation_token",
        "message_id",
    ]


# --- exceptions --------------------------------------------------------------------------


def test_exceptions_all() -> None:
    assert set(exceptions.__all__) == {
        "CantHandleException",
        "UndeliverableException",
        "MessageDroppedException",
        "NotAccessibleError",
        "UnknownAgentTypeError",
        "RuntimeStoppedError",
        "HandlerCancelledError",
        "MessageCancelledError",
    }
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert issubclass(cls, BaseException)
        assert cls.__doc__


@pytest.mark.parametrize(
    "cls",
    [CantHandleException, UndeliverableException, MessageDroppedException, NotAccessibleError],
)
def test_base_exceptions_are_exceptions(cls: type[Exception]) -> None:
    assert issubclass(cls, Exception)
    with pytest.raises(cls, match="boom"):
        raise cls("boom")


def test_unknown_agent_type_error() -> None:
    err = UnknownAgentTypeError("ghost")
    assert isinstance(err, UndeliverableException)
    assert isinstance(err, LookupError)
    assert err.agent_type == "ghost"
    assert "'ghost'" in str(err)
    custom = UnknownAgentTypeError("ghost", "custom message")
    assert str(custom) == "custom message"
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is UnknownAgentTypeError
    assert clone.agent_type == "ghost"
    assert str(clone) == str(err)


def test_runtime_stopped_error() -> None:
    err = RuntimeStoppedError(AgentId("t", "k"))
    assert isinstance(err, UndeliverableException)
    assert err.recipient == AgentId("t", "k")
    assert "t/k" in str(err)
    assert "stopped" in str(err)
    anonymous = RuntimeStoppedError()
    assert anonymous.recipient is None
    assert "stopped" in str(anonymous)
    assert str(RuntimeStoppedError(None, "custom")) == "custom"
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is RuntimeStoppedError
    assert clone.recipient == err.recipient
    assert str(clone) == str(err)


def test_message_cancelled_error_is_asyncio_cancelled_error() -> None:
    err = MessageCancelledError("cancelled by token")
    assert isinstance(err, asyncio.CancelledError)
    assert isinstance(err, BaseException)
    assert not isinstance(err, Exception)
    with pytest.raises(asyncio.CancelledError):
        raise err
