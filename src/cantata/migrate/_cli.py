"""``python -m cantata.migrate``: the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ._files import iter_files, migrate_file

__all__ = ["main"]

_DESCRIPTION = """\
Migrate a code base from autogen-core to cantata. Rewrites autogen_core and autogen_ext
imports, dotted paths, component provider strings (in .py, .json and .yaml files), logger
names and AUTOGEN_ environment variable names, in Python files and in the code cells of
notebooks (.ipynb). Without --write, prints the change as a
unified diff. Lists what it could not migrate (file:line: what: why) and then exits with
status 1.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cantata.migrate", description=_DESCRIPTION)
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or directories")
    parser.add_argument("--write", action="store_true", help="apply the changes to the files")
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command; returns the exit status.

    0: everything found was migrated (or there was nothing to migrate). 1: something could
    not be migrated; each such place is listed on *stderr*. 2: bad arguments, or a path that
    does not exist.
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args = _parser().parse_args(argv)
    try:
        files = list(iter_files(args.paths))
    except FileNotFoundError as error:
        print(f"error: {error}", file=err)
        return 2
    try:
        import libcst  # noqa: F401
    except ImportError:
        print("error: the codemod needs libcst: pip install 'cantata[migrate]'", file=err)
        return 2
    problems = []
    changed = 0
    for path in files:
        migration = migrate_file(path)
        problems.extend(migration.problems)
        if not migration.changed:
            continue
        changed += 1
        if args.write:
            migration.write()
            print(f"migrated {path}", file=err)
        else:
            out.write(migration.diff())
    out.flush()  # the diff comes before the list, also when both go to one terminal or pipe
    for problem in problems:
        print(problem, file=err)
    action = "migrated" if args.write else "would migrate"
    summary = f"{action} {changed} of {len(files)} files"
    if problems:
        summary += f"; {len(problems)} could not be migrated (listed above)"
    print(summary, file=err)
    return 1 if problems else 0
