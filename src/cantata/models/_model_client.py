"""The :class:`ChatCompletionClient` interface every model client implements."""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal, TypeAlias

from pydantic import BaseModel

from cantata._cancellation_token import CancellationToken
from cantata._components import ComponentBase

from ._model_info import ModelCapabilities, ModelInfo
from ._types import CreateResult, LLMMessage, RequestUsage

__all__ = ["ChatCompletionClient"]

_Tool: TypeAlias = Any
"""A tool or tool schema (``Tool | ToolSchema``); typed loosely for now."""

_NO_EXTRA_ARGS: Final[Mapping[str, Any]] = MappingProxyType({})
"""Immutable empty default for ``extra_create_args``."""


class ChatCompletionClient(ComponentBase[BaseModel], ABC):
    """A client of a chat completion model.

    Subclasses implement :meth:`create`, :meth:`create_stream`, :meth:`close`, the
    usage and token-counting methods and :attr:`model_info`. :attr:`capabilities`
    is deprecated and derived from :attr:`model_info` unless overridden.

    Cancellation: a client stops work and raises when the ``cancellation_token``
    given to a call is cancelled. The built-in clients raise
    :class:`cantata.exceptions.MessageCancelledError` (an
    :class:`asyncio.CancelledError`).

    Clients are components: ``client.dump_component()`` returns its configuration and
    ``ChatCompletionClient.load_component(config)`` creates a client from one.
    """

    component_type: ClassVar[str] = "model"
    """The component type of every model client."""

    @abstractmethod
    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[_Tool] = (),
        tool_choice: _Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """Ask the model for one complete response.

        Args:
            messages: The conversation to send.
            tools: Tools (or tool schemas) the model may call.
            tool_choice: ``"auto"`` (the model decides), ``"required"`` (it must
                call a tool), ``"none"`` (it must not), or one tool it must call.
            json_output: ``True`` for JSON mode, a pydantic model class for
                structured output following its schema, ``False`` for neither, or
                ``None`` to keep the client's default.
            extra_create_args: Extra provider-specific arguments.
            cancellation_token: Cancels the call when cancelled.

        Returns:
            The model's result.
        """

    @abstractmethod
    def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[_Tool] = (),
        tool_choice: _Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """Ask the model for a response, streamed as it is generated.

        Takes the same arguments as :meth:`create`. The generator yields text
        chunks (``str``) and ends with one :class:`CreateResult` holding the
        complete response.
        """

    @abstractmethod
    async def close(self) -> None:
        """Release the client's resources. Calling it again does nothing."""

    @abstractmethod
    def actual_usage(self) -> RequestUsage:
        """Return the tokens used by the most recent call."""

    @abstractmethod
    def total_usage(self) -> RequestUsage:
        """Return the tokens used by all calls so far."""

    @abstractmethod
    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[_Tool] = ()) -> int:
        """Return how many tokens *messages* and *tools* take in a prompt."""

    @abstractmethod
    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[_Tool] = ()
    ) -> int:
        """Return how many tokens are left for the model after *messages* and *tools*."""

    @property
    def capabilities(self) -> ModelCapabilities:
        """Deprecated: the capability flags of :attr:`model_info`.

        Emits a :class:`DeprecationWarning`; use :attr:`model_info` instead.
        """
        warnings.warn(
            "capabilities is deprecated, use model_info instead",
            DeprecationWarning,
            stacklevel=2,
        )
        info = self.model_info
        flags: ModelCapabilities = {
            "vision": info["vision"],
            "function_calling": info["function_calling"],
            "json_output": info["json_output"],
        }
        return flags

    @property
    @abstractmethod
    def model_info(self) -> ModelInfo:
        """What the model supports."""
