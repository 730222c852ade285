"""The :class:`Memory` interface and the content it stores."""

from __future__ import annotations

import base64
import binascii
import contextlib
from abc import ABC, abstractmethod
from enum import Enum
from typing import Any, ClassVar, Self, TypeAlias

from pydantic import BaseModel, SerializerFunctionWrapHandler, field_serializer, model_validator

from cantata._cancellation_token import CancellationToken
from cantata._components import ComponentBase
from cantata._image import Image
from cantata.model_context import ChatCompletionContext

__all__ = [
    "ContentType",
    "Memory",
    "MemoryContent",
    "MemoryMimeType",
    "MemoryQueryResult",
    "UpdateContextResult",
]


# A str mix-in rather than StrEnum: members compare equal to their MIME strings, and
# str() still names the member ("MemoryMimeType.TEXT"), as in autogen-core.
class MemoryMimeType(str, Enum):  # noqa: UP042
    """Common MIME types of memory content.

    Members are also strings, so ``MemoryMimeType.TEXT == "text/plain"``.
    """

    TEXT = "text/plain"
    JSON = "application/json"
    MARKDOWN = "text/markdown"
    IMAGE = "image/*"
    BINARY = "application/octet-stream"


ContentType: TypeAlias = str | bytes | dict[str, Any] | Image
"""What a :class:`MemoryContent` can hold."""


class MemoryContent(BaseModel):
    """One item of a memory, with its MIME type and optional metadata.

    The content is text, bytes, a JSON-like dict or an :class:`~cantata.Image`.
    In JSON (``model_dump(mode="json")``) bytes are base64 text and an image is
    ``{"data": <base64>, "mime_type": ...}``. Validating that form gives bytes back
    when the MIME type is :attr:`MemoryMimeType.BINARY` and an image back when the
    MIME type is an image type (``image/...``); with any other MIME type the text or
    dict is kept as it is.

    Raises:
        pydantic.ValidationError: *content* is none of the accepted types.
    """

    content: ContentType
    """The content."""

    mime_type: MemoryMimeType | str
    """The MIME type of the content, a :class:`MemoryMimeType` or any MIME string."""

    metadata: dict[str, Any] | None = None
    """Extra information about the content (source, timestamp, ...)."""

    @model_validator(mode="after")
    def _restore_serialized_content(self) -> Self:
        """Turn the JSON form of bytes and images back into bytes and images."""
        content = self.content
        mime = (
            self.mime_type.value if isinstance(self.mime_type, MemoryMimeType) else self.mime_type
        )
        if mime == MemoryMimeType.BINARY.value and isinstance(content, str):
            # Text that is not base64 stays text.
            with contextlib.suppress(binascii.Error, ValueError):
                self.content = base64.b64decode(content, validate=True)
        elif mime.startswith("image/") and isinstance(content, dict) and "data" in content:
            # A dict that is not an encoded image stays a dict.
            with contextlib.suppress(ValueError):
                self.content = Image.from_base64(
                    str(content["data"]), mime_type=_optional_str(content.get("mime_type"))
                )
        return self

    @field_serializer("content", mode="wrap", when_used="json")
    def _serialize_content(
        self, content: ContentType, handler: SerializerFunctionWrapHandler
    ) -> Any:
        if isinstance(content, bytes):
            return base64.b64encode(content).decode("ascii")
        return handler(content)

    @field_serializer("mime_type")
    def _serialize_mime_type(self, mime_type: MemoryMimeType | str) -> str:
        if isinstance(mime_type, MemoryMimeType):
            return mime_type.value
        return mime_type


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


class MemoryQueryResult(BaseModel):
    """The result of :meth:`Memory.query`."""

    results: list[MemoryContent]
    """The memory items that matched, in the memory's order."""


class UpdateContextResult(BaseModel):
    """The result of :meth:`Memory.update_context`."""

    memories: MemoryQueryResult
    """The memory items that were added to the model context."""


class Memory(ComponentBase[BaseModel], ABC):
    """A store of information an agent can recall and add to its model context.

    An implementation decides what :meth:`query` matches and how
    :meth:`update_context` puts memories into a model context.
    """

    component_type: ClassVar[str] = "memory"
    """The component type of every memory."""

    @abstractmethod
    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Add relevant memories to *model_context*.

        Returns:
            The memories that were added.
        """

    @abstractmethod
    async def query(
        self,
        query: str | MemoryContent,
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> MemoryQueryResult:
        """Return the memories relevant to *query*.

        Args:
            query: What to look for.
            cancellation_token: Cancels the query when cancelled.
            **kwargs: Options of the implementation.
        """

    @abstractmethod
    async def add(
        self, content: MemoryContent, cancellation_token: CancellationToken | None = None
    ) -> None:
        """Store *content*.

        Args:
            content: The item to remember.
            cancellation_token: Cancels the operation when cancelled.
        """

    @abstractmethod
    async def clear(self) -> None:
        """Remove every memory."""

    @abstractmethod
    async def close(self) -> None:
        """Release the memory's resources."""
