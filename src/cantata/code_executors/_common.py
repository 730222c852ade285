"""What the command-line executors share: results, languages, file names, bounded output."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cantata.code_executor import CodeResult

__all__ = [
    "DEFAULT_MAX_OUTPUT_BYTES",
    "PYTHON_VARIANTS",
    "SHELL_LANGUAGES",
    "STOPPED_EXIT_CODE",
    "CommandLineCodeResult",
    "ExecutionProgress",
    "OutputBuffer",
    "file_extension",
    "file_name_from_content",
    "normalise_language",
    "silence_pip",
]

STOPPED_EXIT_CODE = 125
"""The exit code of an execution interrupted by the executor's ``stop()``."""

DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024
"""The output kept of one execution by default: 1 MiB. Beyond it the middle is dropped."""

PYTHON_VARIANTS = ("python", "py", "python3")
SHELL_LANGUAGES = ("bash", "shell", "sh")
POWERSHELL_LANGUAGES = ("pwsh", "powershell", "ps1")


@dataclass
class CommandLineCodeResult(CodeResult):
    """A command-line executor's result: exit code, output, and the file of the last block."""

    code_file: str | None


def normalise_language(language: str) -> str:
    """Lower-case *language* and map Python's aliases to ``"python"``."""
    lang = language.strip().lower()
    return "python" if lang in PYTHON_VARIANTS else lang


def file_extension(language: str) -> str:
    """The file extension for a block in *language* (normalised)."""
    if language == "python":
        return "py"
    if language in POWERSHELL_LANGUAGES:
        return "ps1"
    if language in SHELL_LANGUAGES:
        return "sh"
    return language


_FILENAME_COMMENT = re.compile(r"^\s*(?:#|//|--|;)\s*filename:\s*(\S+)\s*$", re.IGNORECASE)


def file_name_from_content(code: str, work_dir: Path) -> Path | None:
    """The path a ``# filename: <name>`` comment on the block's first line asks for.

    Returns ``None`` when there is no such comment.

    Raises:
        ValueError: The name points outside *work_dir*.
    """
    first_line = code.split("\n", 1)[0]
    match = _FILENAME_COMMENT.match(first_line)
    if match is None:
        return None
    root = work_dir.resolve()
    path = (root / match.group(1)).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError(f"Filename {match.group(1)!r} is outside the working directory")
    return path


def block_path(code: str, language: str, work_dir: Path) -> Path:
    """The absolute path of a block's file: the ``# filename:`` it asks for, else
    ``tmp_code_<sha256>.<ext>`` in *work_dir*.

    Raises:
        ValueError: The name it asks for points outside *work_dir*.
    """
    path = file_name_from_content(code, work_dir) or work_dir / hashed_file_name(code, language)
    return Path(os.path.abspath(path))


def relative_to_work_dir(path: Path, work_dir: Path) -> str:
    """*path* (from :func:`block_path`) relative to *work_dir*, with ``/`` separators."""
    for root in (Path(os.path.abspath(work_dir)), work_dir.resolve()):
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    raise ValueError(f"{path} is outside the working directory {work_dir}")


def hashed_file_name(code: str, language: str) -> str:
    """``tmp_code_<sha256 of the code>.<extension>``."""
    return f"tmp_code_{sha256(code.encode()).hexdigest()}.{file_extension(language)}"


_PIP_INSTALL = re.compile(r"^(\s*(?:!|%)?\s*(?:python3?\s+-m\s+)?pip3?\s+install)(?!.*\s-q)", re.M)


def silence_pip(code: str, language: str) -> str:
    """Add ``-qqq`` to ``pip install`` lines of Python and shell blocks (progress output
    wastes a model's context)."""
    if language not in ("python", *SHELL_LANGUAGES):
        return code
    return _PIP_INSTALL.sub(r"\1 -qqq", code)


class ExecutionProgress:
    """What an execution has done so far: its output (within the execution's budget), the
    exit code of its last block and that block's file."""

    def __init__(self, max_output_bytes: int) -> None:
        self._parts: list[str] = []
        self._budget = max_output_bytes
        self.used = 0
        self.exit_code = 0
        self.code_file: str | None = None

    @property
    def remaining(self) -> int:
        """The output bytes the next block may still produce (at least 2)."""
        return max(self._budget - self.used, 2)

    def add(self, text: str) -> None:
        self._parts.append(text)
        self.used += len(text.encode())

    def result(self, exit_code: int) -> CommandLineCodeResult:
        return CommandLineCodeResult(
            exit_code=exit_code, output="".join(self._parts), code_file=self.code_file
        )

    def fail(self, message: str) -> bool:
        """Record a block that could not run: *message*, exit code 1. Returns ``False``
        (the next block may not run)."""
        self.add(message)
        self.exit_code = 1
        return False

    def stopped(self) -> CommandLineCodeResult:
        """The result of an execution that the executor's ``stop()`` interrupted."""
        self.add("\nStopped: the executor was stopped before the code finished\n")
        return self.result(STOPPED_EXIT_CODE)


_TRUNCATION_NOTE = "\n[... {omitted} bytes of output omitted ...]\n"


class OutputBuffer:
    """Keeps at most *limit* bytes of a stream: its beginning and its end.

    The first half of the limit holds the first bytes; the second half holds the most recent
    ones. :meth:`text` joins them with a note saying how many bytes were dropped between.
    """

    def __init__(self, limit: int) -> None:
        if limit < 2:
            raise ValueError("The output limit must be at least 2 bytes")
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0
        """How many bytes were fed in all."""

    def feed(self, data: bytes) -> None:
        """Add *data*."""
        self.total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data[-self._tail_limit :]
            excess = len(self._tail) - self._tail_limit
            if excess > 0:
                del self._tail[:excess]

    def feed_text(self, text: str) -> None:
        """Add *text*, encoded as UTF-8."""
        self.feed(text.encode())

    @property
    def truncated(self) -> bool:
        """Whether bytes were dropped."""
        return self.total > len(self._head) + len(self._tail)

    def text(self) -> str:
        """The kept output, decoded as UTF-8 (undecodable bytes replaced)."""
        head = self._head.decode(errors="replace")
        tail = self._tail.decode(errors="replace")
        if not self.truncated:
            return head + tail
        omitted = self.total - len(self._head) - len(self._tail)
        return head + _TRUNCATION_NOTE.format(omitted=omitted) + tail
