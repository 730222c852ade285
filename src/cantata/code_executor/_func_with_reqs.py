"""Functions offered to executed code, with the packages and imports they need."""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeAlias, TypeVar

from cantata.tools import Alias, Import, ImportFromModule
from cantata.tools._imports import import_to_str

__all__ = [
    "Alias",
    "FunctionWithRequirements",
    "FunctionWithRequirementsStr",
    "Import",
    "ImportFromModule",
    "build_python_functions_file",
    "function_stub",
    "with_requirements",
]

T = TypeVar("T")
P = ParamSpec("P")


class FunctionWithRequirementsStr:
    """A function given as source code, with the packages and imports it needs.

    The source is parsed (never executed) to check that it is exactly one function
    definition and to learn its name.

    Args:
        func: The source of one ``def`` (or ``async def``).
        python_packages: The pip requirements the function needs.
        global_imports: The module-level imports its code uses.

    Raises:
        ValueError: *func* is not valid Python, or is not exactly one function definition.
    """

    def __init__(
        self,
        func: str,
        python_packages: Sequence[str] = (),
        global_imports: Sequence[Import] = (),
    ) -> None:
        source = textwrap.dedent(func).strip("\n") + "\n"
        try:
            module = ast.parse(source)
        except SyntaxError as exc:
            raise ValueError(f"The function's source is not valid Python: {exc}") from exc
        definitions = [
            node for node in module.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        if len(module.body) != 1 or len(definitions) != 1:
            raise ValueError("The source must hold exactly one function definition")
        self.func = source
        self.python_packages: list[str] = list(python_packages)
        self.global_imports: list[Import] = list(global_imports)
        self._func_name = definitions[0].name

    @property
    def name(self) -> str:
        """The function's name."""
        return self._func_name

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "A function given as source code is not callable here; "
            "executed code imports it from the executor's functions module"
        )

    def __repr__(self) -> str:
        return (
            f"FunctionWithRequirementsStr(name={self._func_name!r}, "
            f"python_packages={self.python_packages!r}, global_imports={self.global_imports!r})"
        )


@dataclass
class FunctionWithRequirements(Generic[T, P]):
    """A Python function, with the pip packages and module-level imports its code needs.

    Executors write the function's source into the functions module of their working
    directory, so the function must be defined with ``def`` at the top of a module (its
    source must be available to :func:`inspect.getsource`).
    """

    func: Callable[P, T]
    python_packages: Sequence[str] = field(default_factory=list)
    global_imports: Sequence[Import] = field(default_factory=list)

    @classmethod
    def from_callable(
        cls,
        func: Callable[P, T],
        python_packages: Sequence[str] = (),
        global_imports: Sequence[Import] = (),
    ) -> FunctionWithRequirements[T, P]:
        """Wrap *func* with its requirements."""
        return cls(
            python_packages=list(python_packages), global_imports=list(global_imports), func=func
        )

    @staticmethod
    def from_str(
        func: str, python_packages: Sequence[str] = (), global_imports: Sequence[Import] = ()
    ) -> FunctionWithRequirementsStr:
        """Wrap a function's source code with its requirements (see
        :class:`FunctionWithRequirementsStr`)."""
        return FunctionWithRequirementsStr(func, python_packages, global_imports)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.func(*args, **kwargs)


def with_requirements(
    python_packages: Sequence[str] = (), global_imports: Sequence[Import] = ()
) -> Callable[[Callable[P, T]], FunctionWithRequirements[T, P]]:
    """Decorate a function with the packages and imports it needs.

    The decorated object stays callable and keeps the function's name and docstring::

        @with_requirements(python_packages=["pandas"], global_imports=["pandas"])
        def load_data() -> "pandas.DataFrame":
            ...
    """

    def wrapper(func: Callable[P, T]) -> FunctionWithRequirements[T, P]:
        wrapped = FunctionWithRequirements(
            func=func, python_packages=list(python_packages), global_imports=list(global_imports)
        )
        functools.update_wrapper(wrapped, func)
        return wrapped

    return wrapper


AnyFunction: TypeAlias = (
    "FunctionWithRequirements[Any, ...] | Callable[..., Any] | FunctionWithRequirementsStr"
)


def function_name(func: AnyFunction) -> str:
    """The name executed code imports *func* by."""
    if isinstance(func, FunctionWithRequirementsStr):
        return func.name
    if isinstance(func, FunctionWithRequirements):
        return func.func.__name__
    return func.__name__


def _definition(func: AnyFunction) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]:
    """Parse *func*'s source; return its definition node and the source without decorators."""
    if isinstance(func, FunctionWithRequirementsStr):
        source = func.func
    else:
        target = func.func if isinstance(func, FunctionWithRequirements) else func
        try:
            source = textwrap.dedent(inspect.getsource(target))
        except (OSError, TypeError) as exc:
            raise ValueError(
                f"The source of function {function_name(func)!r} is not available "
                "(define it with def in a module, or give it as FunctionWithRequirementsStr)"
            ) from exc
    module = ast.parse(source)
    node = module.body[0] if module.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        raise ValueError(f"{function_name(func)!r} is not defined with def (a lambda?)")
    lines = source.splitlines(keepends=True)
    return node, "".join(lines[node.lineno - 1 :])


def _requirements(func: AnyFunction) -> tuple[list[str], list[Import]]:
    if isinstance(func, FunctionWithRequirements | FunctionWithRequirementsStr):
        return list(func.python_packages), list(func.global_imports)
    return [], []


def required_packages(funcs: Sequence[AnyFunction]) -> list[str]:
    """The pip requirements of *funcs*, each once, in order of first appearance."""
    packages: dict[str, None] = {}
    for func in funcs:
        packages.update(dict.fromkeys(_requirements(func)[0]))
    return list(packages)


def build_python_functions_file(funcs: Sequence[AnyFunction]) -> str:
    """Return the source of a module defining *funcs*, preceded by their global imports.

    Each import statement appears once. Decorators (``@with_requirements``) are left out.

    Raises:
        ValueError: A function's source is not available, or it is not defined with ``def``.
    """
    imports: dict[str, None] = {}
    for func in funcs:
        imports.update(dict.fromkeys(import_to_str(im) for im in _requirements(func)[1]))
    parts = ["\n".join(imports) + "\n"] if imports else []
    parts.extend(_definition(func)[1] for func in funcs)
    return "\n\n".join(part.rstrip("\n") + "\n" for part in parts)


def function_stub(func: AnyFunction) -> str:
    """Return *func*'s signature and docstring with ``...`` as its body, for a prompt."""
    node, _ = _definition(func)
    docstring = ast.get_docstring(node, clean=True)
    body: list[ast.stmt] = [ast.Expr(ast.Constant(...))]
    if docstring is not None:
        body.insert(0, ast.Expr(ast.Constant(docstring)))
    node.body = body
    node.decorator_list = []
    return ast.unparse(node)
