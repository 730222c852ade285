"""Running code in a Docker container: :class:`DockerCommandLineCodeExecutor` (extra
``docker``: ``pip install 'cantata[docker]'``).

Migrating from autogen: ``autogen_ext.code_executors.docker`` ->
``cantata.code_executors.docker``. Importing this module does not need the ``docker``
package; starting an executor does.
"""

from .._common import CommandLineCodeResult
from ._executor import (
    DockerCommandLineCodeExecutor,
    DockerCommandLineCodeExecutorConfig,
    DockerEngineUnavailableError,
)

__all__ = [
    "CommandLineCodeResult",
    "DockerCommandLineCodeExecutor",
    "DockerCommandLineCodeExecutorConfig",
    "DockerEngineUnavailableError",
]
