"""Running code: code blocks, their results, the executor interface, and functions offered to
executed code.

Migrating from autogen-core: ``autogen_core.code_executor`` -> ``cantata.code_executor``. The
executors themselves are in :mod:`cantata.code_executors.local` and
:mod:`cantata.code_executors.docker`.

* :class:`CodeBlock`, :class:`CodeResult`, :class:`CodeExecutor`.
* :class:`FunctionWithRequirements`, :class:`FunctionWithRequirementsStr`,
  :func:`with_requirements`, :func:`build_python_functions_file`: functions that executed code
  can import, with the pip packages and imports they need (:data:`Import`, :class:`Alias`,
  :class:`ImportFromModule`).
* :func:`extract_markdown_code_blocks`: the fenced code blocks of a model's markdown reply.
"""

from ._base import CodeBlock, CodeExecutor, CodeResult
from ._func_with_reqs import (
    Alias,
    FunctionWithRequirements,
    FunctionWithRequirementsStr,
    Import,
    ImportFromModule,
    build_python_functions_file,
    with_requirements,
)
from ._markdown import CODE_BLOCK_PATTERN, extract_markdown_code_blocks

__all__ = [
    "CODE_BLOCK_PATTERN",
    "Alias",
    "CodeBlock",
    "CodeExecutor",
    "CodeResult",
    "FunctionWithRequirements",
    "FunctionWithRequirementsStr",
    "Import",
    "ImportFromModule",
    "build_python_functions_file",
    "extract_markdown_code_blocks",
    "with_requirements",
]
