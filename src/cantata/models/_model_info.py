"""What a model can do: :class:`ModelFamily`, :class:`ModelInfo` and its validation."""

import warnings
from typing import Any, Literal, Required, TypeAlias

from typing_extensions import TypedDict, deprecated

__all__ = ["ModelCapabilities", "ModelFamily", "ModelInfo", "validate_model_info"]


class ModelFamily:
    """Names of model families: groups of models with similar capabilities.

    A namespace of string constants; it cannot be instantiated. Other families can
    be named by any string; code that checks families treats them as unknown.
    """

    GPT_5 = "gpt-5"
    GPT_41 = "gpt-41"
    GPT_45 = "gpt-45"
    GPT_4O = "gpt-4o"
    O1 = "o1"
    O3 = "o3"
    O4 = "o4"
    GPT_4 = "gpt-4"
    GPT_35 = "gpt-35"
    R1 = "r1"
    GEMINI_1_5_FLASH = "gemini-1.5-flash"
    GEMINI_1_5_PRO = "gemini-1.5-pro"
    GEMINI_2_0_FLASH = "gemini-2.0-flash"
    GEMINI_2_5_PRO = "gemini-2.5-pro"
    GEMINI_2_5_FLASH = "gemini-2.5-flash"
    CLAUDE_3_HAIKU = "claude-3-haiku"
    CLAUDE_3_SONNET = "claude-3-sonnet"
    CLAUDE_3_OPUS = "claude-3-opus"
    CLAUDE_3_5_HAIKU = "claude-3-5-haiku"
    CLAUDE_3_5_SONNET = "claude-3-5-sonnet"
    CLAUDE_3_7_SONNET = "claude-3-7-sonnet"
    CLAUDE_4_OPUS = "claude-4-opus"
    CLAUDE_4_SONNET = "claude-4-sonnet"
    CLAUDE_4_1_OPUS = "claude-4-1-opus"
    CLAUDE_4_5_OPUS = "claude-4-5-opus"
    CLAUDE_4_5_SONNET = "claude-4-5-sonnet"
    CLAUDE_4_5_HAIKU = "claude-4-5-haiku"
    LLAMA_3_3_8B = "llama-3.3-8b"
    LLAMA_3_3_70B = "llama-3.3-70b"
    LLAMA_4_SCOUT = "llama-4-scout"
    LLAMA_4_MAVERICK = "llama-4-maverick"
    CODESRAL = "codestral"
    OPEN_CODESRAL_MAMBA = "open-codestral-mamba"
    MISTRAL = "mistral"
    MINISTRAL = "ministral"
    PIXTRAL = "pixtral"
    UNKNOWN = "unknown"

    ANY: TypeAlias = Literal[
        "gpt-5",
        "gpt-41",
        "gpt-45",
        "gpt-4o",
        "o1",
        "o3",
        "o4",
        "gpt-4",
        "gpt-35",
        "r1",
        "gemini-1.5-flash",
        "gemini-1.5-pro",
        "gemini-2.0-flash",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "claude-3-haiku",
        "claude-3-sonnet",
        "claude-3-opus",
        "claude-3-5-haiku",
        "claude-3-5-sonnet",
        "claude-3-7-sonnet",
        "claude-4-opus",
        "claude-4-sonnet",
        "claude-4-1-opus",
        "claude-4-5-opus",
        "claude-4-5-sonnet",
        "claude-4-5-haiku",
        "llama-3.3-8b",
        "llama-3.3-70b",
        "llama-4-scout",
        "llama-4-maverick",
        "codestral",
        "open-codestral-mamba",
        "mistral",
        "ministral",
        "pixtral",
        "unknown",
    ]
    """Every family named by a constant of this class, as a ``Literal`` type."""

    def __new__(cls, *args: Any, **kwargs: Any) -> "ModelFamily":
        """Always raises :class:`TypeError`: this is a namespace, not a type of object."""
        raise TypeError(f"{cls.__name__} is a namespace class and cannot be instantiated.")

    @staticmethod
    def is_openai(family: str) -> bool:
        """Whether *family* is an OpenAI family (GPT and o-series)."""
        return family in _OPENAI

    @staticmethod
    def is_claude(family: str) -> bool:
        """Whether *family* is an Anthropic Claude family."""
        return family in _CLAUDE

    @staticmethod
    def is_gemini(family: str) -> bool:
        """Whether *family* is a Google Gemini family."""
        return family in _GEMINI

    @staticmethod
    def is_llama(family: str) -> bool:
        """Whether *family* is a Meta Llama family."""
        return family in _LLAMA

    @staticmethod
    def is_mistral(family: str) -> bool:
        """Whether *family* is a Mistral AI family (Mistral, Ministral, Codestral, Pixtral)."""
        return family in _MISTRAL


_OPENAI = frozenset(
    {
        ModelFamily.GPT_5,
        ModelFamily.GPT_41,
        ModelFamily.GPT_45,
        ModelFamily.GPT_4O,
        ModelFamily.O1,
        ModelFamily.O3,
        ModelFamily.O4,
        ModelFamily.GPT_4,
        ModelFamily.GPT_35,
    }
)
_GEMINI = frozenset(
    {
        ModelFamily.GEMINI_1_5_FLASH,
        ModelFamily.GEMINI_1_5_PRO,
        ModelFamily.GEMINI_2_0_FLASH,
        ModelFamily.GEMINI_2_5_PRO,
        ModelFamily.GEMINI_2_5_FLASH,
    }
)
_CLAUDE = frozenset(
    {
        ModelFamily.CLAUDE_3_HAIKU,
        ModelFamily.CLAUDE_3_SONNET,
        ModelFamily.CLAUDE_3_OPUS,
        ModelFamily.CLAUDE_3_5_HAIKU,
        ModelFamily.CLAUDE_3_5_SONNET,
        ModelFamily.CLAUDE_3_7_SONNET,
        ModelFamily.CLAUDE_4_OPUS,
        ModelFamily.CLAUDE_4_SONNET,
        ModelFamily.CLAUDE_4_1_OPUS,
        ModelFamily.CLAUDE_4_5_OPUS,
        ModelFamily.CLAUDE_4_5_SONNET,
        ModelFamily.CLAUDE_4_5_HAIKU,
    }
)
_LLAMA = frozenset(
    {
        ModelFamily.LLAMA_3_3_8B,
        ModelFamily.LLAMA_3_3_70B,
        ModelFamily.LLAMA_4_SCOUT,
        ModelFamily.LLAMA_4_MAVERICK,
    }
)
_MISTRAL = frozenset(
    {
        ModelFamily.CODESRAL,
        ModelFamily.OPEN_CODESRAL_MAMBA,
        ModelFamily.MISTRAL,
        ModelFamily.MINISTRAL,
        ModelFamily.PIXTRAL,
    }
)


@deprecated("Use ModelInfo instead of ModelCapabilities.")
class ModelCapabilities(TypedDict, total=False):
    """Deprecated: the capability flags of a model; use :class:`ModelInfo`.

    Marked with :func:`typing_extensions.deprecated`, so type checkers flag its use;
    at run time it is a plain dictionary type and emits no warning.
    """

    vision: Required[bool]
    function_calling: Required[bool]
    json_output: Required[bool]


class ModelInfo(TypedDict, total=False):
    """What a model supports; returned by ``ChatCompletionClient.model_info``.

    A plain dictionary at run time. :func:`validate_model_info` checks the keys.
    Defined with :class:`typing_extensions.TypedDict`, so pydantic can validate it.
    """

    vision: Required[bool]
    """Whether the model accepts images."""

    function_calling: Required[bool]
    """Whether the model supports function (tool) calling."""

    json_output: Required[bool]
    """Whether the model supports JSON mode (not the same as structured output)."""

    family: Required[ModelFamily.ANY | str]
    """The model family: a :class:`ModelFamily` constant or any other string."""

    structured_output: Required[bool]
    """Whether the model supports structured output (a JSON schema to follow)."""

    multiple_system_messages: bool | None
    """Whether the model accepts more than one system message; optional."""


_REQUIRED_KEYS = ("vision", "function_calling", "json_output", "family")
_SOON_REQUIRED_KEYS = ("structured_output",)


def validate_model_info(model_info: ModelInfo) -> None:
    """Check that *model_info* has the keys a model client relies on.

    Warns (:class:`UserWarning`) if ``structured_output`` is missing: older model
    infos lack it.

    Raises:
        ValueError: ``vision``, ``function_calling``, ``json_output`` or ``family``
            is missing.
    """
    for key in _REQUIRED_KEYS:
        if key not in model_info:
            raise ValueError(f"Missing required field {key!r} in ModelInfo.")
    for key in _SOON_REQUIRED_KEYS:
        if key not in model_info:
            warnings.warn(
                f"Missing field {key!r} in ModelInfo; it will be required in a future version.",
                UserWarning,
                stacklevel=2,
            )
