"""Other providers' OpenAI-compatible endpoints, chosen by model name."""

from __future__ import annotations

import os
from typing import Any, Final, NamedTuple

__all__ = ["PRESETS", "Preset", "apply_preset"]


class Preset(NamedTuple):
    """Where models whose name starts with ``prefix`` are served, and their key's variable."""

    prefix: str
    base_url: str
    api_key_env: str


PRESETS: Final = (
    Preset("gemini-", "https://generativelanguage.googleapis.com/v1beta/openai/", "GEMINI_API_KEY"),
    Preset("claude-", "https://api.anthropic.com/v1/", "ANTHROPIC_API_KEY"),
    Preset("Llama-", "https://api.llama.com/compat/v1/", "LLAMA_API_KEY"),
)
"""Model-name prefixes with a known OpenAI-compatible endpoint."""


def apply_preset(model: str, client_args: dict[str, Any]) -> Preset | None:
    """Fill in ``base_url`` and ``api_key`` for a *model* of another provider.

    Only when ``base_url`` is not given: a model named ``gemini-...`` then goes to
    Google's endpoint with ``GEMINI_API_KEY``, ``claude-...`` to Anthropic's with
    ``ANTHROPIC_API_KEY``, ``Llama-...`` to Meta's with ``LLAMA_API_KEY``. An explicit
    ``api_key`` wins over the variable. Returns the preset applied, if any.
    """
    if client_args.get("base_url") is not None:
        return None
    for preset in PRESETS:
        if model.startswith(preset.prefix):
            client_args["base_url"] = preset.base_url
            if client_args.get("api_key") is None and os.environ.get(preset.api_key_env):
                client_args["api_key"] = os.environ[preset.api_key_env]
            return preset
    return None
