"""Running code on this machine: :class:`LocalCommandLineCodeExecutor`.

Migrating from autogen: ``autogen_ext.code_executors.local`` ->
``cantata.code_executors.local``.
"""

from .._common import CommandLineCodeResult
from ._executor import LocalCommandLineCodeExecutor, LocalCommandLineCodeExecutorConfig
from ._venv import create_virtual_env

__all__ = [
    "CommandLineCodeResult",
    "LocalCommandLineCodeExecutor",
    "LocalCommandLineCodeExecutorConfig",
    "create_virtual_env",
]
