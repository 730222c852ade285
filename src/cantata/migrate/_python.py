"""Rewriting Python source with libcst, so formatting and comments stay as they were."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ._names import provides
from ._paths import ENVIRONMENT_VARIABLES, MappedPath, map_dotted
from ._problems import Problem

__all__ = ["UnparsableSource", "migrate_python"]


class UnparsableSource(ValueError):
    """The source is not Python this interpreter can parse; nothing was rewritten."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line
        """The line the parser stopped at (1 when unknown)."""


_PARSE_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def _check_parses(source: str, path: str) -> None:
    """Parse with CPython's own parser first.

    It enforces the interpreter's nesting limits, so source nested deeper than Python
    accepts is refused here, before libcst's parser (which is slow on such input, and can
    crash on some) sees it. Top-level ``await`` is accepted, as in notebooks.
    """
    try:
        compile(source, path, "exec", flags=_PARSE_FLAGS, dont_inherit=True)
    except SyntaxError as error:
        raise UnparsableSource(f"not valid Python: {error.msg}", error.lineno or 1) from None
    except (RecursionError, MemoryError):
        raise UnparsableSource("not valid Python: nested too deeply to parse") from None
    except ValueError as error:  # null bytes
        raise UnparsableSource(f"not valid Python: {error}") from None


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\Z")
_ENV_NAME = re.compile(r"AUTOGEN_[A-Z0-9_]+\Z")
_AUTOGEN_ROOT = re.compile(r"autogen_\w+|autogenstudio\Z")


def _dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def _expression(dotted: str) -> cst.Attribute | cst.Name:
    parts = dotted.split(".")
    node: cst.Attribute | cst.Name = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _names(node: cst.ImportFrom) -> str:
    if not isinstance(node.names, Sequence):
        return "*"
    return ", ".join(_dotted_name(alias.name) or "?" for alias in node.names)


def _parent_of_provided(module: str, node: cst.ImportFrom) -> str | None:
    """cantata's package for ``from <module> import a, b`` when every ``<module>.a`` is a
    package cantata provides (``from autogen_ext.models import openai``), else None."""
    if not isinstance(node.names, Sequence) or not module.startswith("autogen_ext."):
        return None
    for alias in node.names:
        name = _dotted_name(alias.name)
        mapped = None if name is None else map_dotted(f"{module}.{name}", is_module=True)
        if mapped is None or mapped.target is None:
            return None
    return "cantata." + module.removeprefix("autogen_ext.")


def _reason_for_names(module: str, node: cst.ImportFrom) -> str | None:
    """Why ``from <module> import name`` fails, named after the first unprovided package
    when *module* is an ``autogen_ext`` parent package (``autogen_ext.models``)."""
    if not isinstance(node.names, Sequence) or not module.startswith("autogen_ext."):
        return None
    for alias in node.names:
        name = _dotted_name(alias.name)
        mapped = None if name is None else map_dotted(f"{module}.{name}", is_module=True)
        if mapped is not None and mapped.target is None:
            return mapped.reason
    return None


def _private_parts(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


class _BoundRoots(cst.CSTVisitor):
    """The autogen package names that plain ``import autogen_x...`` statements bind."""

    def __init__(self) -> None:
        self.roots: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            dotted = _dotted_name(alias.name)
            if alias.asname is None and dotted is not None:
                root = dotted.split(".", 1)[0]
                if _AUTOGEN_ROOT.match(root):
                    self.roots.add(root)
        return False


class _Migrator(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, path: str, bound_roots: set[str]) -> None:
        super().__init__()
        self.path = path
        self.bound_roots = bound_roots
        self.problems: list[Problem] = []
        self._chains: set[cst.Attribute] = set()
        self._not_references: set[cst.Name] = set()

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def _problem(self, node: cst.CSTNode, what: str, why: str) -> None:
        self.problems.append(Problem(self.path, self._line(node), what, why))

    # Imports -------------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        names: list[cst.ImportAlias] = []
        for alias in updated_node.names:
            dotted = _dotted_name(alias.name)
            mapped = None if dotted is None else map_dotted(dotted, is_module=True)
            if mapped is None:
                names.append(alias)
            elif mapped.target is None:
                self._problem(original_node, f"import {dotted}", mapped.reason)
                names.append(alias)
            else:
                names.append(alias.with_changes(name=_expression(mapped.target)))
        return updated_node.with_changes(names=names)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        if updated_node.relative or updated_node.module is None:
            return updated_node
        module = _dotted_name(updated_node.module)
        mapped = None if module is None else map_dotted(module, is_module=True)
        if module is None or mapped is None:
            return updated_node
        if mapped.target is None:
            parent = _parent_of_provided(module, updated_node)
            if parent is not None:  # from autogen_ext.models import openai
                return updated_node.with_changes(module=_expression(parent))
            self._problem(
                original_node,
                f"from {module} import {_names(updated_node)}",
                _reason_for_names(module, updated_node) or mapped.reason,
            )
            return updated_node
        if isinstance(updated_node.names, Sequence):
            missing = False
            for alias in updated_node.names:
                name = _dotted_name(alias.name)
                if name is None or provides(mapped.target, name) is not False:
                    continue
                why = f"{mapped.target} does not provide {name}"
                if _private_parts(module):
                    why += f" (it is private to {module})"
                self._problem(original_node, f"from {module} import {name}", why)
                missing = True
            if missing:
                return updated_node
        return updated_node.with_changes(module=_expression(mapped.target))

    # Attribute chains and names bound by plain imports ---------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        dotted = _dotted_name(node)
        if dotted is not None and dotted.split(".", 1)[0] in self.bound_roots:
            self._chains.add(node)
            return False
        self._not_references.add(node.attr)  # ``x.autogen_core`` is not the module
        return True

    def visit_Arg(self, node: cst.Arg) -> bool:
        if node.keyword is not None:
            self._not_references.add(node.keyword)
        return True

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if original_node not in self._chains:
            return updated_node
        dotted = _dotted_name(original_node)
        mapped = None if dotted is None else map_dotted(dotted)
        if mapped is None or mapped.target is None:
            return updated_node  # the import that binds the name is reported
        return _expression(mapped.target).with_changes(
            lpar=updated_node.lpar, rpar=updated_node.rpar
        )

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if updated_node.value not in self.bound_roots or original_node in self._not_references:
            return updated_node
        mapped = map_dotted(updated_node.value, is_module=True)
        if mapped is None or mapped.target is None or "." in mapped.target:
            return updated_node
        return updated_node.with_changes(value=mapped.target)

    # Strings: component providers, logger names, environment variables ----------------------

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.SimpleString:
        if any(flag in updated_node.prefix.lower() for flag in "bf"):
            return updated_node
        value = updated_node.evaluated_value
        if not isinstance(value, str):
            return updated_node
        replacement = self._string(original_node, value)
        if replacement is None:
            return updated_node
        quote = updated_node.quote
        return updated_node.with_changes(value=f"{updated_node.prefix}{quote}{replacement}{quote}")

    def _string(self, node: cst.CSTNode, value: str) -> str | None:
        if _ENV_NAME.match(value):
            if value in ENVIRONMENT_VARIABLES:
                return ENVIRONMENT_VARIABLES[value]
            self._problem(node, f"environment variable {value}", "cantata does not read it")
            return None
        if not _DOTTED.match(value) or ("." not in value and value != "autogen_core"):
            return None
        mapped: MappedPath | None = map_dotted(value)
        if mapped is None:
            return None
        if mapped.target is None:
            self._problem(node, f"string {value!r}", mapped.reason)
            return None
        return mapped.target


def migrate_python(source: str, path: str = "<string>") -> tuple[str, list[Problem]]:
    """Rewrite autogen imports, dotted paths, provider strings and variable names in *source*.

    Returns the new source (equal to *source* when nothing changed) and what could not be
    migrated.

    Raises:
        UnparsableSource: *source* is not valid Python (a :class:`ValueError`).
    """
    if "autogen" not in source.lower():
        return source, []  # nothing to migrate: no need to parse
    _check_parses(source, path)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise UnparsableSource(f"not valid Python: {error.message}", error.raw_line) from None
    roots = _BoundRoots()
    module.visit(roots)
    wrapper = MetadataWrapper(module)
    migrator = _Migrator(path, roots.roots)
    migrated = wrapper.visit(migrator)
    return migrated.code, sorted(migrator.problems)
