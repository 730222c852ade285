"""Which failed Ollama requests are tried again, and how long to wait first.

The ``ollama`` SDK does not retry; the client does, like the OpenAI and Anthropic SDKs.
"""

from __future__ import annotations

from typing import Final

import httpx
from ollama import ResponseError

__all__ = ["RETRY_STATUSES", "is_retriable", "retry_delay"]

RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses worth another try: timeouts, rate limits, a busy or failing server."""


def is_retriable(error: BaseException) -> bool:
    """Whether the request that raised *error* may succeed if sent again: a retriable
    status, a refused connection (the SDK's :class:`ConnectionError`), a transport error."""
    if isinstance(error, ResponseError):
        return error.status_code in RETRY_STATUSES
    return isinstance(error, ConnectionError | httpx.TransportError)


def retry_delay(attempt: int) -> float:
    """Seconds to wait before retry number *attempt* (0-based): 0.5, 1, 2, 4, then 8."""
    return float(min(0.5 * 2**attempt, 8.0))
