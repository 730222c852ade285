"""The :class:`FunctionTool` class: a Python function as a tool."""

from __future__ import annotations

import ast
import functools
import inspect
import logging
import os
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import anyio
from pydantic import BaseModel

from cantata._cancellation_token import CancellationToken
from cantata._components import Component
from cantata._constants import ROOT_LOGGER_NAME

from ._base import BaseTool
from ._cancellation import token_cancel_scope
from ._imports import Import, import_to_str
from ._signature import describe_function, function_name

__all__ = ["FunctionTool", "FunctionToolConfig"]

_logger = logging.getLogger(ROOT_LOGGER_NAME)


class FunctionToolConfig(BaseModel):
    """The configuration of a :class:`FunctionTool`: the function as source code."""

    source_code: str
    """The function's source code (one ``def`` or ``async def``)."""

    name: str
    """The tool's name."""

    description: str
    """The tool's description."""

    global_imports: Sequence[Import]
    """The imports the source code needs."""

    has_cancellation_support: bool
    """Whether the function takes a cancellation token."""

    strict: bool = False
    """Whether the tool's schema is strict."""


class FunctionTool(BaseTool[BaseModel, Any], Component[FunctionToolConfig]):
    """A Python function, sync or async, as a tool.

    The arguments model and so the JSON schema come from the function's signature:
    each parameter is an argument, typed by its annotation and described by
    ``Annotated[T, "description"]``, else by its docstring entry (Google, Sphinx or
    NumPy style), else by its name. Parameters with defaults are optional. A parameter
    annotated :class:`~cantata.CancellationToken` is not an argument: it receives the
    run's token.

    Running:

    * An ``async def`` function is awaited in the caller's task.
    * A plain function runs in a worker thread (``anyio.to_thread``), so it does not
      block the event loop.

    Cancellation, either way:

    * Through the token: cancelling the :class:`~cantata.CancellationToken` given to
      :meth:`run` (or :meth:`run_json`) cancels the run, which raises
      :class:`cantata.exceptions.MessageCancelledError`. A token already cancelled
      stops the function from being called at all.
    * Through the caller's cancel scope (for example a timeout around the call): the
      run is cancelled with it.

    An async function is cancelled at its next ``await``. A thread cannot be stopped:
    the caller is released at once, while the function runs on in its thread and its
    result is discarded; a function that takes the token can poll
    ``token.is_cancelled()`` to stop early.

    Args:
        func: The function.
        description: What the tool does, for the model.
        name: The tool's name; the function's ``__name__`` by default.
        global_imports: The imports the function's source code needs when the tool is
            rebuilt from its configuration.
        strict: Whether the schema is strict (see :class:`~cantata.tools.BaseTool`).

    Raises:
        TypeError: *func* cannot be described: it is not callable, takes ``*args`` or
            ``**kwargs``, or has a parameter type pydantic cannot handle.
        ValueError: *strict* is true and a parameter has a default value.

    Example::

        async def get_stock_price(ticker: str, date: Annotated[str, "Date in YYYY/MM/DD"]) -> float:
            return 143.83

        tool = FunctionTool(get_stock_price, description="Get the stock price.")
        result = await tool.run_json({"ticker": "AAPL", "date": "2021/01/01"}, CancellationToken())
        print(tool.return_value_as_string(result))  # 143.83
    """

    component_provider_override: ClassVar[str | None] = "cantata.tools.FunctionTool"
    """The provider name of the component."""

    component_config_schema = FunctionToolConfig
    """The configuration model of the component."""

    def __init__(
        self,
        func: Callable[..., Any],
        description: str,
        name: str | None = None,
        global_imports: Sequence[Import] = (),
        strict: bool = False,
    ) -> None:
        tool_name = name or function_name(func)
        signature = describe_function(func, f"{tool_name}args")
        self._func = func
        self._signature = signature
        self._global_imports: list[Import] = list(global_imports)
        self._source_code: str | None = None  # set when rebuilt from a configuration
        super().__init__(
            signature.args_model, signature.return_type, tool_name, description, strict
        )

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
        """Call the function with *args* and return what it returns.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* was
                cancelled, before or during the call.
            Exception: Whatever the function raised.
        """
        positional, keywords = self._signature.call_arguments(args, cancellation_token)
        with token_cancel_scope(cancellation_token, f"Tool {self.name!r}"):
            if self._signature.is_async:
                result = await self._func(*positional, **keywords)
            else:
                call = functools.partial(self._func, *positional, **keywords)
                result = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        return result

    def _to_config(self) -> FunctionToolConfig:
        """Return the configuration: the function's source code and the tool's settings.

        Raises:
            ValueError: The function's source code is not available (a lambda, a
                built-in, a ``functools.partial``, or code without a source file).
        """
        return FunctionToolConfig(
            source_code=self._source() if self._source_code is None else self._source_code,
            name=self.name,
            description=self.description,
            global_imports=self._global_imports,
            has_cancellation_support=self._signature.token_param is not None,
            strict=self._strict,
        )

    def _source(self) -> str:
        func = self._func
        if isinstance(func, functools.partial) or function_name(func) == "<lambda>":
            raise ValueError(f"Tool {self.name!r}: only a def function can be saved as source")
        try:
            return textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError) as exc:
            raise ValueError(f"Tool {self.name!r}: the function's source is unavailable") from exc

    @classmethod
    def _from_config(cls, config: FunctionToolConfig) -> FunctionTool:
        """Rebuild a tool from *config* by executing its source code.

        Security: this runs the configuration's code (its imports and its function
        definition, decorators included), so it is refused unless the environment variable
        ``CANTATA_TRUST_TOOL_SOURCE`` is ``1``: set it only for configurations you trust.

        Raises:
            PermissionError: ``CANTATA_TRUST_TOOL_SOURCE`` is not ``1``.
            ValueError: The source code does not define exactly one top-level function.
            Exception: Whatever executing the imports or the source code raised.
        """
        if os.environ.get("CANTATA_TRUST_TOOL_SOURCE") != "1":
            raise PermissionError(
                f"Loading FunctionTool {config.name!r} would execute the source code stored in "
                "its configuration; set CANTATA_TRUST_TOOL_SOURCE=1 to allow it for trusted "
                "configurations"
            )
        tree = ast.parse(config.source_code)
        functions = [
            node.name
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        if len(functions) != 1:
            raise ValueError(
                f"The source code of tool {config.name!r} must define exactly one "
                f"top-level function, found {len(functions)}"
            )
        _logger.warning(
            "Loading FunctionTool %r executes the code in its configuration; "
            "load only configurations you trust",
            config.name,
        )
        namespace: dict[str, Any] = {"__name__": f"cantata_function_tool_{functions[0]}"}
        for im in config.global_imports:
            exec(import_to_str(im), namespace)
        exec(compile(tree, f"<tool {config.name}>", "exec"), namespace)
        tool = cls(
            namespace[functions[0]],
            description=config.description,
            name=config.name,
            global_imports=config.global_imports,
            strict=config.strict,
        )
        tool._source_code = config.source_code
        return tool
