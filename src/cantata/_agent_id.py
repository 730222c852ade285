"""The :class:`AgentId` value type."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Final, Self

from cantata._agent_type import AgentType
from cantata._names import NameRule

_AGENT_TYPES: Final = NameRule("agent type", r"^[\w\-\.]+\Z", "letters, digits, '_', '-' and '.'")
_ACCEPTED_AGENT_TYPES = _AGENT_TYPES.accepted


def is_valid_agent_type(value: str) -> bool:
    """Return whether *value* is a valid agent type string.

    A valid agent type is non-empty and consists only of word characters
    (letters, digits, ``_``), ``-`` and ``.``.
    """
    return _AGENT_TYPES.is_valid(value)


def _check_agent_type(value: str | AgentType) -> str:
    """Return the agent type string of *value*, validated.

    Raises:
        TypeError: *value* is neither a ``str`` nor an :class:`AgentType`.
        ValueError: *value* is not a valid agent type (see :func:`is_valid_agent_type`).
    """
    if value.__class__ is str and value in _ACCEPTED_AGENT_TYPES:
        return value
    if isinstance(value, AgentType):
        value = value.type
    return _AGENT_TYPES.check(value, "a str or an AgentType")


class AgentId(tuple[str, str]):
    """Identifies an agent instance: an agent type plus a key within that type.

    Instances are immutable, hashable and compare equal when both their type and key
    are equal. ``str(agent_id)`` is ``"type/key"`` and :meth:`from_str` parses it back.
    An id is a ``(type, key)`` pair underneath, so hashing and comparing it cost what a
    tuple's do (ids are the keys of the runtime's tables).

    Build one with ``AgentId(type, key)``.
    """

    __slots__ = ()

    def __new__(cls, type: str | AgentType, key: str) -> Self:
        """Make the id of the agent ``key`` of ``type``.

        Args:
            type: The agent type, a string or an :class:`AgentType`. It must be non-empty
                and contain only letters, digits, ``_``, ``-`` and ``.``.
            key: The key of the instance within its type. Any string is accepted.

        Raises:
            ValueError: *type* is not a valid agent type.
            TypeError: *type* is neither a ``str`` nor an :class:`AgentType`.
        """
        return tuple.__new__(cls, (_check_agent_type(type), key))

    @classmethod
    def from_str(cls, agent_id: str) -> Self:
        """Parse a ``"type/key"`` string.

        The string is split on its first ``/``, so the key may itself contain ``/``.

        Raises:
            ValueError: *agent_id* contains no ``/``, or its type part is not a valid
                agent type.
        """
        type_str, sep, key = agent_id.partition("/")
        if not sep:
            raise ValueError(f"Invalid agent id {agent_id!r}: expected the form 'type/key'")
        return cls(type_str, key)

    if TYPE_CHECKING:

        @property
        def type(self) -> str:
            """The agent type."""

        @property
        def key(self) -> str:
            """The key of the instance within its type."""

    else:  # C-level getters: reading an id's parts costs no Python call
        type = property(itemgetter(0), doc="The agent type.")
        key = property(itemgetter(1), doc="The key of the instance within its type.")

    def __str__(self) -> str:
        return f"{self[0]}/{self[1]}"

    def __repr__(self) -> str:
        return f"AgentId(type={self[0]!r}, key={self[1]!r})"

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, AgentId):
            return tuple.__eq__(self, other)
        return False if isinstance(other, tuple) else NotImplemented  # not equal to a pair

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = tuple.__hash__

    def __reduce__(self) -> tuple[Callable[[str, str], AgentId], tuple[str, str]]:
        return (type(self), (self[0], self[1]))


_new_tuple = tuple.__new__


def _agent_id_unchecked(type: str, key: str) -> AgentId:
    """Build an :class:`AgentId` without validating *type*.

    For callers that already know *type* is a valid agent type string (for example
    one validated when a subscription or factory was registered). Passing an
    invalid type produces an :class:`AgentId` that :meth:`AgentId.from_str` and
    the constructor would reject.
    """
    return _new_tuple(AgentId, (type, key))
