"""Every check of the project: ``nox`` runs tests (both backends), typecheck and lint."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "typecheck", "lint", "examples"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
@nox.parametrize("backend", ["asyncio", "trio"])
def tests(session: nox.Session, backend: str) -> None:
    """Run the test suite with async tests on one backend."""
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs, env={"CANTATA_TEST_BACKENDS": backend})


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src and tests."""
    session.install("-e", ".[dev,openai]")
    session.run("mypy", "--strict", "src", "tests", "examples")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "src", "tests", "examples", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "examples", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def examples(session: nox.Session) -> None:
    """Run every example program as a user would (offline: no openai installed)."""
    session.install("-e", ".[image,diskcache,grpc]")
    import pathlib

    for path in sorted(pathlib.Path("examples").glob("*.py")):
        session.run("python", str(path))


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Dispatch benchmarks side by side with autogen-core 0.7.5 (``-- --quick`` for a short run)."""
    session.install("-e", ".", "trio", "matplotlib", "autogen-core==0.7.5")
    session.run("python", "benchmarks/run.py", *session.posargs)
