"""The functions module that command-line executors write into their working directory."""

from __future__ import annotations

from collections.abc import Sequence
from string import Template

from cantata.code_executor._func_with_reqs import AnyFunction, function_name, function_stub

__all__ = ["FUNCTION_PROMPT_TEMPLATE", "check_functions", "format_functions_for_prompt"]

FUNCTION_PROMPT_TEMPLATE = """You have access to the following user defined functions. They can be \
accessed from the module called `$module_name` by their function names.

For example, if there was a function called `foo` you could import it by writing \
`from $module_name import foo`

$functions"""
"""The default template of ``format_functions_for_prompt`` (``$module_name``, ``$functions``)."""


def check_functions(functions: Sequence[AnyFunction], functions_module: str) -> None:
    """Check the names an executor is given.

    Raises:
        ValueError: *functions_module* is not a Python identifier, or two functions share a
            name.
    """
    if not functions_module.isidentifier():
        raise ValueError(f"functions_module must be a Python identifier, got {functions_module!r}")
    names = [function_name(func) for func in functions]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"Two functions share the name(s): {', '.join(duplicates)}")


def format_functions_for_prompt(
    functions: Sequence[AnyFunction], module_name: str, prompt_template: str
) -> str:
    """Fill *prompt_template* with *module_name* and the stubs of *functions*."""
    stubs = "\n\n".join(function_stub(func) for func in functions)
    return Template(prompt_template).substitute(module_name=module_name, functions=stubs)
