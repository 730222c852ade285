"""Creating a virtual environment for the local executor without blocking the event loop."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path
from types import SimpleNamespace

import anyio
import anyio.to_thread

__all__ = ["create_virtual_env"]


async def create_virtual_env(
    dir_path: str | Path, *, with_pip: bool = True, system_site_packages: bool = False
) -> SimpleNamespace:
    """Create a virtual environment in *dir_path* and return its context, for
    ``LocalCommandLineCodeExecutor(virtual_env_context=...)``.

    The environment is made by ``python -m venv`` in a subprocess (cancellable: a cancelled
    call kills it), so the event loop keeps running; an existing environment is reused.

    Args:
        dir_path: Where to create it.
        with_pip: Install pip into it (so blocks can ``pip install``).
        system_site_packages: Let it see this interpreter's installed packages.

    Raises:
        RuntimeError: ``python -m venv`` failed (its output is in the message).
    """
    path = Path(dir_path)
    argv = [sys.executable, "-m", "venv", str(path)]
    if not with_pip:
        argv.append("--without-pip")
    if system_site_packages:
        argv.append("--system-site-packages")
    completed = await anyio.run_process(argv, check=False, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        output = completed.stdout.decode(errors="replace")
        raise RuntimeError(f"Creating the virtual environment in {path} failed:\n{output}")
    builder = venv.EnvBuilder(with_pip=with_pip, system_site_packages=system_site_packages)
    context: SimpleNamespace = await anyio.to_thread.run_sync(builder.ensure_directories, path)
    return context
