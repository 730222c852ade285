"""The JSON schema ``format`` values :func:`~cantata.utils.schema_to_pydantic_model` knows."""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import uuid
from typing import Annotated, Any

from pydantic import AnyUrl, Field, Json, StringConstraints

__all__ = ["FORMATS", "email_type"]


def email_type() -> Any:
    """Pydantic's ``EmailStr`` if ``email-validator`` is installed, else a pattern-checked str."""
    if importlib.util.find_spec("email_validator") is None:  # pydantic's EmailStr needs it
        return Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    from pydantic import EmailStr

    return EmailStr


_INT32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
_INT64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]

FORMATS: dict[str, Any] = {
    "uuid": uuid.UUID,
    "uuid1": uuid.UUID,
    "uuid3": uuid.UUID,
    "uuid4": uuid.UUID,
    "uuid5": uuid.UUID,
    "uri": AnyUrl,
    "url": AnyUrl,
    "hostname": str,
    "ipv4": ipaddress.IPv4Address,
    "ipv6": ipaddress.IPv6Address,
    "ipv4-network": ipaddress.IPv4Network,
    "ipv6-network": ipaddress.IPv6Network,
    "date-time": datetime.datetime,
    "date": datetime.date,
    "time": datetime.time,
    "duration": datetime.timedelta,
    "int32": _INT32,
    "int64": _INT64,
    "float": float,
    "double": float,
    "decimal": float,
    "byte": bytes,
    "binary": bytes,
    "password": str,
    "path": str,
    "json": Json[Any],  # type: ignore[misc]  # a type used as a value
    "regex": str,
}
"""Known ``format`` values and the type each becomes (``email`` is added when used)."""
