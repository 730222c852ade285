"""Dumping and loading the components nested in a component's configuration.

A context that holds a model client (or a cache that holds a client and a store) records
the nested component's own configuration in its config. The nested objects do that
through their ``dump_component()`` method and their class's ``load_component()``; a
class without them cannot be nested in a configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

__all__ = ["dump_nested_component", "load_nested_component"]


def dump_nested_component(component: object, role: str) -> dict[str, Any]:
    """Return the component configuration of *component* as a dict.

    Args:
        component: The nested object; it must have a ``dump_component()`` method
            returning a pydantic model or a mapping.
        role: What the object is to its owner (for the error message).

    Raises:
        TypeError: *component* has no ``dump_component()`` method, or its class does not
            implement ``_to_config()``.
    """
    dump = getattr(component, "dump_component", None)
    if not callable(dump):
        raise TypeError(
            f"The {role} ({type(component).__name__}) cannot be saved in a configuration: "
            "it has no dump_component() method"
        )
    try:
        model = dump()
    except NotImplementedError as error:
        raise TypeError(
            f"The {role} ({type(component).__name__}) cannot be saved in a configuration: "
            "its class does not implement _to_config()"
        ) from error
    if isinstance(model, BaseModel):
        return model.model_dump()
    if isinstance(model, Mapping):
        return dict(model)
    raise TypeError(
        f"dump_component() of the {role} returned {type(model).__name__}, not a model or a mapping"
    )


def load_nested_component(config: Mapping[str, Any], expected: type[object], role: str) -> Any:
    """Create the nested component described by *config* with ``expected.load_component``.

    Returns:
        The component, an instance of *expected*.

    Raises:
        TypeError: *expected* has no ``load_component()`` class method.
        TypeError: The loaded object is not an instance of *expected*.
    """
    load = getattr(expected, "load_component", None)
    if not callable(load):
        raise TypeError(
            f"The {role} cannot be loaded from a configuration: "
            f"{expected.__name__} has no load_component() method"
        )
    component = load(dict(config))
    if not isinstance(component, expected):
        raise TypeError(
            f"The {role} loaded from the configuration is a {type(component).__name__}, "
            f"not a {expected.__name__}"
        )
    return component
