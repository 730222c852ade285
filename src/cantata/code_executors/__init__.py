"""Code executors that run each code block as a command: on this machine
(:mod:`cantata.code_executors.local`) or in a Docker container
(:mod:`cantata.code_executors.docker`, extra ``docker``).

Migrating from autogen: ``autogen_ext.code_executors.X`` -> ``cantata.code_executors.X``.
"""

from ._common import DEFAULT_MAX_OUTPUT_BYTES, CommandLineCodeResult

__all__ = ["DEFAULT_MAX_OUTPUT_BYTES", "CommandLineCodeResult"]
