"""Usage accounting shared by the model clients."""

from __future__ import annotations

from ._types import RequestUsage

__all__ = ["UsageCounter"]


class UsageCounter:
    """The usage of a client's last call and the sum over all its calls."""

    def __init__(self) -> None:
        self.actual = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self.total = RequestUsage(prompt_tokens=0, completion_tokens=0)

    def add(self, usage: RequestUsage) -> None:
        """Count one finished call."""
        self.actual = usage
        self.total = RequestUsage(
            prompt_tokens=self.total.prompt_tokens + usage.prompt_tokens,
            completion_tokens=self.total.completion_tokens + usage.completion_tokens,
        )
