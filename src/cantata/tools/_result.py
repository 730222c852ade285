"""The result of a workbench tool call: :class:`ToolResult` and its contents."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, Field

from cantata._image import Image

__all__ = ["ImageResultContent", "ResultContent", "TextResultContent", "ToolResult"]


class TextResultContent(BaseModel):
    """A piece of text in a :class:`ToolResult`."""

    type: Literal["TextResultContent"] = "TextResultContent"
    """Discriminator; always ``"TextResultContent"``."""

    content: str
    """The text."""


class ImageResultContent(BaseModel):
    """An image in a :class:`ToolResult`."""

    type: Literal["ImageResultContent"] = "ImageResultContent"
    """Discriminator; always ``"ImageResultContent"``."""

    content: Image
    """The image."""


ResultContent: TypeAlias = Annotated[
    TextResultContent | ImageResultContent, Field(discriminator="type")
]
"""One part of a :class:`ToolResult`; pydantic selects the class from ``type``."""


class ToolResult(BaseModel):
    """What a workbench returns for a tool call: the parts of the output, and whether
    the call failed (the parts then describe the error)."""

    type: Literal["ToolResult"] = "ToolResult"
    """Discriminator; always ``"ToolResult"``."""

    name: str
    """The name of the tool that was called."""

    result: list[ResultContent]
    """The output, as text and image parts."""

    is_error: bool = False
    """Whether the call failed."""

    def to_text(self, replace_image: str | None = None) -> str:
        """Return the output as one text, the parts joined by newlines.

        Args:
            replace_image: The text to put in place of each image; by default an image
                becomes ``"[Image: <base64 data>]"``.
        """
        parts: list[str] = []
        for part in self.result:
            if isinstance(part, TextResultContent):
                parts.append(part.content)
            elif replace_image is not None:
                parts.append(replace_image)
            else:
                parts.append(f"[Image: {part.content.to_base64()}]")
        return "\n".join(parts)
