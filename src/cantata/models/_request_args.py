"""A request's arguments: the keys ``extra_create_args`` may not set, and the arguments
an SDK's ``create`` does not name (sent in the JSON body)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["check_extra_create_args", "route_unknown_to_extra_body"]


def check_extra_create_args(
    extra_create_args: Mapping[str, Any], reserved_keys: frozenset[str]
) -> None:
    """Check that *extra_create_args* sets none of the keys the client sets itself.

    Raises:
        ValueError: It sets one or more of *reserved_keys*.
    """
    reserved = reserved_keys.intersection(extra_create_args)
    if reserved:
        raise ValueError(f"extra_create_args cannot set {sorted(reserved)}")


@functools.cache
def _parameters(sdk_create: Callable[..., Any]) -> frozenset[str]:
    return frozenset(inspect.signature(sdk_create).parameters) - {"self"}


def route_unknown_to_extra_body(request: dict[str, Any], sdk_create: Callable[..., Any]) -> None:
    """Move the arguments in *request* that *sdk_create* does not name (provider extensions
    such as ``top_k``) into ``extra_body``, which the SDK merges into the JSON body."""
    known = _parameters(sdk_create)
    unknown = [key for key in request if key not in known]
    if unknown:
        extra_body = dict(request.get("extra_body") or {})
        for key in unknown:
            extra_body[key] = request.pop(key)
        request["extra_body"] = extra_body
