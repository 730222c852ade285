"""The :class:`TopicId` and :class:`DefaultTopicId` value types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Self

from cantata._contexts import _current_agent_id
from cantata._names import NameRule

_TOPIC_TYPES: Final = NameRule(
    "topic type", r"^[\w\-\.\:\=]+\Z", "letters, digits, '_', '-', '.', ':' and '='"
)
_ACCEPTED_TOPIC_TYPES = _TOPIC_TYPES.accepted


def is_valid_topic_type(value: str) -> bool:
    """Return whether *value* is a valid topic type string.

    A valid topic type is non-empty and consists only of word characters
    (letters, digits, ``_``), ``-``, ``.``, ``:`` and ``=``.
    """
    return _TOPIC_TYPES.is_valid(value)


@dataclass(eq=True, frozen=True)
class TopicId:
    """Identifies a topic to publish to: a topic type plus a source.

    The *type* says what kind of event is published; the *source* says in which
    context (for example a conversation or session id). Subscriptions match on the
    type and usually map the source to the key of the receiving agent.

    Instances are immutable and hashable. Two topic ids are equal when their type
    and source are equal; this holds across :class:`TopicId` subclasses, so
    ``DefaultTopicId() == TopicId("default", "default")`` outside a handler.

    Raises:
        ValueError: *type* is empty or contains characters other than letters,
            digits, ``_``, ``-``, ``.``, ``:`` and ``=``.
        TypeError: *type* is not a ``str``.
    """

    type: str
    """The topic type."""
    source: str
    """The source within the topic type."""

    def __init__(self, type: str, source: str) -> None:
        # Written by hand (the dataclass keeps it): a frozen dataclass's generated __init__
        # plus __post_init__ cost twice as much, and a handler may make a topic id per message.
        fields = self.__dict__
        fields["type"] = type
        fields["source"] = source
        if type.__class__ is not str or type not in _ACCEPTED_TOPIC_TYPES:
            _TOPIC_TYPES.check(type)

    def __post_init__(self) -> None:
        # Not called by the __init__ above; called by the __init__ that @dataclass writes for
        # a dataclass subclass (one that adds fields), which would not check the type else.
        _TOPIC_TYPES.check(self.type)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, TopicId):
            return NotImplemented
        return self.type == other.type and self.source == other.source

    def __str__(self) -> str:
        return f"{self.type}/{self.source}"

    @classmethod
    def from_str(cls, topic_id: str) -> Self:
        """Parse a ``"type/source"`` string.

        The string is split on its first ``/``, so the source may itself contain ``/``.

        Raises:
            ValueError: *topic_id* contains no ``/``, or its type part is not a valid
                topic type.
        """
        type_str, sep, source = topic_id.partition("/")
        if not sep:
            raise ValueError(f"Invalid topic id {topic_id!r}: expected the form 'type/source'")
        return cls(type_str, source)


class DefaultTopicId(TopicId):
    """A :class:`TopicId` with defaults suited to agents using default subscriptions.

    Args:
        type: The topic type, ``"default"`` unless given.
        source: The source. When ``None`` it is the key of the agent whose message
            handler is running (so a reply stays in the same "session"), or
            ``"default"`` when called outside a message handler.

    Raises:
        ValueError: *type* is not a valid topic type.
    """

    def __init__(self, type: str = "default", source: str | None = None) -> None:
        if source is None:
            agent_id = _current_agent_id()
            source = "default" if agent_id is None else agent_id.key
        super().__init__(type, source)
