"""Migrating files: which files, which rewriter, the diff, writing back."""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ._configs import migrate_json, migrate_yaml
from ._problems import Problem

__all__ = ["FileMigration", "Kind", "iter_files", "kind_of", "migrate_file", "migrate_text"]

Kind = Literal["python", "json", "yaml", "notebook"]

_KINDS: dict[str, Kind] = {
    ".py": "python",
    ".pyi": "python",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".ipynb": "notebook",
}
_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages"})


def kind_of(path: Path) -> Kind | None:
    """The rewriter for *path* by its suffix, or None for files the codemod does not touch."""
    return _KINDS.get(path.suffix.lower())


def migrate_text(text: str, kind: Kind, path: str = "<string>") -> tuple[str, list[Problem]]:
    """Migrate the contents of one file; returns the new text and what could not be migrated.

    Raises:
        ValueError: *text* cannot be parsed as *kind* (invalid Python, JSON or notebook).
        ImportError: *kind* is ``"python"`` and libcst is not installed (extra ``migrate``).
    """
    if kind == "python":
        from ._python import migrate_python

        return migrate_python(text, path)
    if kind == "notebook":
        from ._notebooks import migrate_notebook

        try:
            return migrate_notebook(text, path)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON: {error.msg} (line {error.lineno})") from error
    if kind == "json":
        try:
            return migrate_json(text, path)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON: {error.msg} (line {error.lineno})") from error
    return migrate_yaml(text, path)


@dataclass(frozen=True)
class FileMigration:
    """The outcome of migrating one file (nothing is written until :meth:`write`)."""

    path: Path
    original: str
    migrated: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the migration changes the file."""
        return self.migrated != self.original

    def diff(self) -> str:
        """The change as a unified diff (empty when nothing changes)."""
        name = self.path.as_posix().lstrip("/")
        lines = difflib.unified_diff(
            self.original.splitlines(keepends=True),
            self.migrated.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    def write(self) -> None:
        """Write the migrated text back, keeping the file's line endings and permissions.

        The new text goes to a temporary file in the same directory that then replaces the
        file, so an interrupted run never leaves a half-written file.
        """
        if not self.changed:
            return
        descriptor, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".migrating"
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
                handle.write(self.migrated)
            os.chmod(temporary, self.path.stat().st_mode & 0o7777)
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise


def migrate_file(path: Path) -> FileMigration:
    """Migrate one file by its suffix (``.py``, ``.pyi``, ``.ipynb``, ``.json``, ``.yaml``,
    ``.yml``).

    A file that cannot be read or parsed is left as it is, with one :class:`Problem` saying
    why.

    Raises:
        ValueError: *path* has a suffix the codemod does not handle.
    """
    kind = kind_of(path)
    if kind is None:
        raise ValueError(f"{path}: not a Python, notebook, JSON or YAML file")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        return FileMigration(path, "", "", [Problem(str(path), 1, "file", f"unreadable: {error}")])
    try:
        migrated, problems = migrate_text(text, kind, str(path))
    except ValueError as error:
        line = getattr(error, "line", 1)
        return FileMigration(path, text, text, [Problem(str(path), line, "file", str(error))])
    return FileMigration(path, text, migrated, problems)


def _skipped(directory: Path) -> bool:
    name = directory.name
    return (
        name.startswith(".") or name in _SKIPPED_DIRECTORIES or (directory / "pyvenv.cfg").exists()
    )


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files to migrate under *paths*, in a stable order.

    A directory is walked recursively for Python, notebook, JSON and YAML files, skipping hidden
    directories, virtual environments, ``__pycache__``, ``node_modules`` and
    ``site-packages``. A file is taken as given.

    Raises:
        FileNotFoundError: A path does not exist.
    """
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            found = [path]
        elif path.is_dir():
            found = list(_walk(path))
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
        for file in found:
            key = file.resolve()
            if key not in seen:  # a file given twice (or inside a directory given) once
                seen.add(key)
                yield file


def _walk(directory: Path) -> Iterator[Path]:
    entries = sorted(directory.iterdir())
    for entry in entries:
        if entry.is_dir():
            if not entry.is_symlink() and not _skipped(entry):  # no symlink loops
                yield from _walk(entry)
        elif kind_of(entry) is not None:
            yield entry
