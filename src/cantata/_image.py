"""The :class:`Image` type: an encoded image that can be sent to a model.

Pillow is optional. An :class:`Image` holds the encoded bytes (PNG, JPEG, ...) and
their MIME type, so it can be created, compared, serialized and sent to a model
without Pillow. Only :meth:`Image.from_pil`, passing a Pillow image to the
constructor, and the :attr:`Image.image` property need Pillow, installed with the
``cantata[image]`` extra.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import io
import mimetypes
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, NotRequired, TypedDict

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["Image"]

_PILLOW_HINT = "Pillow is required for this; install it with: pip install 'cantata[image]'"

# (leading bytes, MIME type); WEBP is checked separately (RIFF....WEBP).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
)


def _sniff_mime_type(data: bytes) -> str | None:
    """Return the MIME type of the encoded image *data*, or ``None`` if unknown."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for prefix, mime_type in _SIGNATURES:
        if data.startswith(prefix):
            return mime_type
    return None


def _import_pil_image() -> ModuleType:
    """Import and return ``PIL.Image``; ImportError naming the extra if missing."""
    try:
        return importlib.import_module("PIL.Image")
    except ImportError as exc:
        raise ImportError(_PILLOW_HINT) from exc


def _check_mime_type(mime_type: str) -> str:
    """Return *mime_type* lower-cased; ValueError unless it is ``image/<subtype>``."""
    mime_type = mime_type.strip().lower()
    if not mime_type.startswith("image/") or len(mime_type) <= len("image/"):
        raise ValueError(f"Not an image MIME type: {mime_type!r}")
    return mime_type


class _SerializedImage(TypedDict):
    data: str
    mime_type: NotRequired[str | None]


class Image:
    """An encoded image (PNG, JPEG, GIF, WEBP, BMP or TIFF bytes) and its MIME type.

    Create one from bytes, a data URI, base64 text, a file, or a Pillow image::

        Image(png_bytes)
        Image.from_uri("data:image/png;base64,iVBORw0...")
        Image.from_base64("iVBORw0...")
        Image.from_file(Path("photo.jpg"))
        Image.from_pil(pil_image)  # needs Pillow

    Images are immutable, hashable and equal when their bytes are equal. They can
    be used as fields of pydantic models (e.g. in ``UserMessage.content``): they
    serialize to ``{"data": <base64>, "mime_type": <type>}`` and validate from that
    dict (``mime_type`` may be missing; it is then detected from the bytes) or from
    an :class:`Image`.

    Args:
        image: The encoded image bytes, or a Pillow image (encoded as PNG, which
            needs Pillow).
        mime_type: The MIME type of *image* when it is bytes. If ``None``, it is
            detected from the bytes. Ignored for a Pillow image (always PNG).

    Raises:
        ValueError: *image* is empty bytes, *mime_type* is not an ``image/...``
            type, or it is ``None`` and the format is not recognised.
        TypeError: *image* is neither bytes nor a Pillow image.
    """

    __slots__ = ("_data", "_mime_type")

    _data: bytes
    _mime_type: str

    def __init__(
        self, image: bytes | bytearray | memoryview | Any, mime_type: str | None = None
    ) -> None:
        if isinstance(image, (bytes, bytearray, memoryview)):
            data = bytes(image)
        else:
            try:
                data = _encode_pil(image)
            except ImportError:
                # Without Pillow no object can be a Pillow image.
                raise TypeError(_not_an_image(image)) from None
            mime_type = "image/png"
        if not data:
            raise ValueError("Image data is empty")
        if mime_type is None:
            mime_type = _sniff_mime_type(data)
            if mime_type is None:
                raise ValueError(
                    "Unrecognised image format; pass mime_type explicitly "
                    "(known formats: PNG, JPEG, GIF, WEBP, BMP, TIFF)"
                )
        self._data = data
        self._mime_type = _check_mime_type(mime_type)

    @classmethod
    def from_pil(cls, pil_image: Any) -> Image:
        """Create an image from a Pillow image, encoded as PNG.

        Raises:
            ImportError: Pillow is not installed (install ``cantata[image]``).
            TypeError: *pil_image* is not a ``PIL.Image.Image``.
        """
        return cls(_encode_pil(pil_image), "image/png")

    @classmethod
    def from_uri(cls, uri: str) -> Image:
        """Create an image from a base64 data URI such as ``data:image/png;base64,...``.

        Raises:
            ValueError: *uri* is not a base64 ``data:image/...`` URI, or its payload is
                not valid base64.
        """
        if not uri.startswith("data:"):
            raise ValueError(
                "Invalid image URI: only base64 data URIs (data:image/...) are supported"
            )
        header, sep, payload = uri[len("data:") :].partition(",")
        params = [param.strip().lower() for param in header.split(";")]
        if not sep or "base64" not in params[1:]:
            raise ValueError("Invalid image URI: expected data:<mime type>;base64,<data>")
        return cls(_b64decode(payload), _check_mime_type(params[0]))

    @classmethod
    def from_base64(cls, base64_str: str, *, mime_type: str | None = None) -> Image:
        """Create an image from base64-encoded image bytes.

        Args:
            base64_str: The base64 text (standard alphabet, padding required).
            mime_type: The MIME type; detected from the bytes if ``None``.

        Raises:
            ValueError: *base64_str* is not valid base64, or the format is not
                recognised and *mime_type* is ``None``.
        """
        return cls(_b64decode(base64_str), mime_type)

    @classmethod
    def from_file(cls, file_path: Path | str) -> Image:
        """Read an image file.

        The MIME type is detected from the file's bytes, falling back to its
        extension.

        Raises:
            OSError: The file cannot be read.
            ValueError: The file is empty or not a recognised image format.
        """
        path = Path(file_path)
        data = path.read_bytes()
        mime_type = _sniff_mime_type(data)
        if mime_type is None:
            guessed, _ = mimetypes.guess_type(path.name)
            if guessed is None or not guessed.startswith("image/"):
                raise ValueError(f"{path} is not a recognised image file")
            mime_type = guessed
        return cls(data, mime_type)

    @property
    def data(self) -> bytes:
        """The encoded image bytes."""
        return self._data

    @property
    def mime_type(self) -> str:
        """The MIME type of :attr:`data`, e.g. ``"image/png"``."""
        return self._mime_type

    @property
    def image(self) -> Any:
        """The image decoded as a new ``PIL.Image.Image``.

        Raises:
            ImportError: Pillow is not installed (install ``cantata[image]``).
        """
        pil_image = _import_pil_image()
        return pil_image.open(io.BytesIO(self._data))

    def to_base64(self) -> str:
        """Return the encoded bytes as base64 text."""
        return base64.b64encode(self._data).decode("ascii")

    @property
    def data_uri(self) -> str:
        """The image as a data URI: ``data:<mime type>;base64,<data>``."""
        return f"data:{self._mime_type};base64,{self.to_base64()}"

    def to_openai_format(self, detail: Literal["auto", "low", "high"] = "auto") -> dict[str, Any]:
        """Return the image as an OpenAI chat ``image_url`` content part.

        The result is ``{"type": "image_url", "image_url": {"url": <data URI>,
        "detail": detail}}``.
        """
        return {"type": "image_url", "image_url": {"url": self.data_uri, "detail": detail}}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Image):
            return NotImplemented
        return self._data == other._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"Image(mime_type={self._mime_type!r}, size={len(self._data)})"

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_mime_type"):
            raise AttributeError("Image is immutable")
        object.__setattr__(self, name, value)

    def __reduce__(self) -> tuple[type[Image], tuple[bytes, str]]:
        return (type(self), (self._data, self._mime_type))

    # pydantic integration -------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Let pydantic validate and serialize images as base64 dictionaries."""
        dict_schema = core_schema.typed_dict_schema(
            {
                "data": core_schema.typed_dict_field(core_schema.str_schema()),
                "mime_type": core_schema.typed_dict_field(
                    core_schema.nullable_schema(core_schema.str_schema()), required=False
                ),
            }
        )
        from_dict = core_schema.no_info_after_validator_function(cls._from_serialized, dict_schema)
        return core_schema.json_or_python_schema(
            json_schema=from_dict,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_dict]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(cls._to_serialized),
        )

    @classmethod
    def _from_serialized(cls, value: _SerializedImage) -> Image:
        return cls.from_base64(value["data"], mime_type=value.get("mime_type"))

    @staticmethod
    def _to_serialized(value: Image) -> dict[str, str]:
        return {"data": value.to_base64(), "mime_type": value.mime_type}


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"Invalid base64 image data: {exc}") from exc


def _encode_pil(pil_image: Any) -> bytes:
    """Encode a Pillow image as PNG bytes."""
    pil_module = _import_pil_image()
    if not isinstance(pil_image, pil_module.Image):
        raise TypeError(_not_an_image(pil_image))
    buffer = io.BytesIO()
    pil_image.save(buffer, format="PNG")
    return buffer.getvalue()


def _not_an_image(value: object) -> str:
    return f"Expected image bytes or a PIL.Image.Image, got {type(value).__name__}"
