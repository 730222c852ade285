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
    session.install("-e", ".[image,diskcache,mcp,grpc]")
    import pathlib

    for path in sorted(pathlib.Path("examples").glob("*.py")):
        session.run("python", str(path))


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Dispatch benchmarks side by side with autogen-core 0.7.5 (``-- --quick`` for a short run)."""
    session.install("-e", ".", "trio", "matplotlib", "autogen-core==0.7.5")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ in strict mode: a broken link, a missing
    include or an unresolved reference fails. Not a default session, since installing needs
    the package index; once installed, ``nox -R -s docs`` builds offline."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


def _cantata_grpc_python(session: nox.Session) -> str:
    """A second environment with cantata[grpc] (autogen pins an older protobuf)."""
    import pathlib

    location = pathlib.Path(session.create_tmp()) / "cantata-grpc"
    if not (location / "bin" / "python").exists():
        session.run("python", "-m", "venv", str(location))
    python = str(location / "bin" / "python")
    session.run(python, "-m", "pip", "install", "-q", "-e", ".[grpc,trio]", external=True)
    return python


@nox.session(python=PYTHON)
def interop(session: nox.Session) -> None:
    """autogen-ext 0.7.5's gRPC host and workers with cantata's, both ways."""
    session.install("autogen-ext[grpc]==0.7.5", "autogen-core==0.7.5")
    autogen_python = f"{session.virtualenv.location}/bin/python"
    cantata_python = _cantata_grpc_python(session)
    session.run(
        "python",
        "benchmarks/grpc/interop.py",
        "--autogen-python",
        autogen_python,
        "--cantata-python",
        cantata_python,
    )


@nox.session(python=PYTHON)
def bench_grpc(session: nox.Session) -> None:
    """The gRPC runtime benchmark beside autogen-ext 0.7.5's (``-- --repeat 5``)."""
    session.install("autogen-ext[grpc]==0.7.5", "autogen-core==0.7.5")
    autogen_python = f"{session.virtualenv.location}/bin/python"
    cantata_python = _cantata_grpc_python(session)
    session.run(
        "python",
        "benchmarks/grpc/bench.py",
        "--autogen-python",
        autogen_python,
        "--cantata-python",
        cantata_python,
        *session.posargs,
    )
