"""Showing a secret (an API key) in a ``repr`` without giving it away."""

from __future__ import annotations

__all__ = ["mask_secret"]


def mask_secret(secret: str | None) -> str | None:
    """``"****"`` for a short secret, else its first three and last two characters
    around ``"****"``; ``None`` stays ``None``."""
    if secret is None:
        return None
    return "****" if len(secret) <= 8 else f"{secret[:3]}****{secret[-2:]}"
