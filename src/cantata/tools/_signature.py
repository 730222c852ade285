"""The arguments model of a Python function, built from its signature and docstring."""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    Field,
    PydanticSchemaGenerationError,
    PydanticUserError,
    create_model,
)
from pydantic.fields import FieldInfo

from cantata._cancellation_token import CancellationToken

from ._docstring import parameter_descriptions

__all__ = ["FunctionSignature", "describe_function", "function_name"]

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


@dataclass(frozen=True)
class _Param:
    name: str  # the Python parameter name
    field: str  # the field name in the args model
    positional: bool  # positional-only: passed by position


@dataclass(frozen=True)
class FunctionSignature:
    """How to describe a function to a model and how to call it with validated arguments."""

    args_model: type[BaseModel]
    """The pydantic model of the arguments (the cancellation token excluded)."""

    return_type: Any
    """The return annotation (``Any`` if missing)."""

    is_async: bool
    """Whether calling the function returns an awaitable (``async def``)."""

    token_param: str | None
    """The name of the parameter that receives the cancellation token, if any."""

    params: tuple[_Param, ...]
    """The parameters in order (the token parameter included, with field ``""``)."""

    def call_arguments(
        self, args: BaseModel, cancellation_token: CancellationToken
    ) -> tuple[list[Any], dict[str, Any]]:
        """Return the ``(*args, **kwargs)`` to call the function with."""
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for param in self.params:
            value = cancellation_token if param.field == "" else getattr(args, param.field)
            if param.positional:
                positional.append(value)
            else:
                keywords[param.name] = value
        return positional, keywords


def function_name(func: Callable[..., Any]) -> str:
    """The ``__name__`` of *func* (of the wrapped function for a ``functools.partial``)."""
    while isinstance(func, functools.partial):
        func = func.func
    name = getattr(func, "__name__", None)
    if not isinstance(name, str):
        name = type(func).__name__
    return name


def _hint_target(func: Callable[..., Any]) -> Any:
    """The object whose annotations describe *func*'s parameters."""
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.isroutine(func) or inspect.isclass(func):
        return func
    return type(func).__call__  # a callable instance


def _is_async(func: Callable[..., Any]) -> bool:
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - a callable instance's method
    return not inspect.isroutine(func) and inspect.iscoroutinefunction(call)


def _is_token_type(hint: Any) -> bool:
    """Whether *hint* is ``CancellationToken`` (possibly ``Optional`` or ``Annotated``)."""
    if hint is CancellationToken:
        return True
    origin = get_origin(hint)
    if origin is Annotated:
        return _is_token_type(get_args(hint)[0])
    if origin is Union or origin is types.UnionType:
        members = [arg for arg in get_args(hint) if arg is not type(None)]
        return len(members) == 1 and members[0] is CancellationToken
    return False


def _annotated_description(hint: Any) -> str | None:
    """A description carried by ``Annotated[T, "text"]`` or ``Annotated[T, Field(...)]``."""
    if get_origin(hint) is not Annotated:
        return None
    for meta in get_args(hint)[1:]:
        if isinstance(meta, str):
            return meta
        if isinstance(meta, FieldInfo) and meta.description:
            return meta.description
    return None


def _field_name(name: str, index: int) -> str:
    """A field name pydantic accepts for parameter *name* (which becomes its alias)."""
    if name.startswith("_") or name.startswith("model_") or hasattr(BaseModel, name):
        return f"param{index}_"
    return name


def describe_function(func: Callable[..., Any], model_name: str) -> FunctionSignature:
    """Build the :class:`FunctionSignature` of *func*.

    Each parameter becomes a field of the args model, typed by its annotation
    (``Any`` if missing) and with its default. Its description is, in order of
    preference: the text of ``Annotated[T, "text"]`` (or of an annotated
    ``Field(description=...)``), the parameter's entry in the docstring (Google,
    Sphinx or NumPy style), or the parameter's name. A parameter annotated
    ``CancellationToken`` (or named ``cancellation_token`` without annotation)
    receives the run's token and is left out of the model.

    Raises:
        TypeError: *func* is not callable, has ``*args`` or ``**kwargs``, has an
            annotation that cannot be resolved, or has a parameter type pydantic
            cannot describe (the message names the parameter).
    """
    if not callable(func):
        raise TypeError(f"FunctionTool needs a callable, got {func!r}")
    qualname = getattr(_hint_target(func), "__qualname__", model_name)
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cannot read the signature of {qualname}: {exc}") from exc
    try:
        hints = typing.get_type_hints(_hint_target(func), include_extras=True)
    except Exception as exc:
        raise TypeError(f"Cannot resolve the type annotations of {qualname}: {exc!r}") from exc
    docs = parameter_descriptions(inspect.getdoc(_hint_target(func)))

    fields: dict[str, Any] = {}
    params: list[_Param] = []
    token_param: str | None = None
    for index, param in enumerate(signature.parameters.values()):
        if param.kind in _VARIADIC:
            raise TypeError(
                f"FunctionTool cannot wrap {qualname}: parameter {param.name!r} is variadic "
                "(*args/**kwargs cannot be described to a model)"
            )
        positional = param.kind is inspect.Parameter.POSITIONAL_ONLY
        hint = hints.get(param.name, Any)
        if _is_token_type(hint) or (param.name == "cancellation_token" and hint is Any):
            if token_param is not None:
                raise TypeError(f"{qualname} has more than one cancellation token parameter")
            token_param = param.name
            params.append(_Param(param.name, "", positional))
            continue
        description = _annotated_description(hint) or docs.get(param.name) or param.name
        field = _field_name(param.name, index)
        alias = None if field == param.name else param.name
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[field] = (hint, Field(default, description=description, alias=alias))
        params.append(_Param(param.name, field, positional))

    try:
        args_model: type[BaseModel] = create_model(model_name, **fields)
        args_model.model_json_schema()
    except (PydanticSchemaGenerationError, PydanticUserError) as exc:
        raise TypeError(f"Cannot describe the parameters of {qualname}: {exc}") from exc
    return FunctionSignature(
        args_model=args_model,
        return_type=hints.get("return", Any),
        is_async=_is_async(func),
        token_param=token_param,
        params=tuple(params),
    )
