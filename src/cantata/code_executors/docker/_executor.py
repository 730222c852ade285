"""The executor that runs code blocks in a Docker container:
:class:`DockerCommandLineCodeExecutor`."""

from __future__ import annotations

import importlib
import shlex
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import anyio
import anyio.to_thread
from pydantic import BaseModel, Field

from cantata._cancellation_token import CancellationToken
from cantata._components import Component
from cantata.code_executor import CodeBlock, CodeExecutor, build_python_functions_file
from cantata.code_executor._func_with_reqs import AnyFunction, function_name, required_packages

from .._common import (
    DEFAULT_MAX_OUTPUT_BYTES,
    POWERSHELL_LANGUAGES,
    SHELL_LANGUAGES,
    CommandLineCodeResult,
    ExecutionProgress,
    OutputBuffer,
    relative_to_work_dir,
    silence_pip,
)
from .._execution import (
    SUPPORTED_LANGUAGES,
    Executions,
    block_file,
    block_language,
    check_arguments,
    report_timeout,
    run_blocks,
    work_dir_of,
    write_block_file,
)
from .._functions import FUNCTION_PROMPT_TEMPLATE, format_functions_for_prompt

__all__ = [
    "DockerCommandLineCodeExecutor",
    "DockerCommandLineCodeExecutorConfig",
    "DockerEngineUnavailableError",
]

T = TypeVar("T")

CONTAINER_WORK_DIR = "/workspace"
"""Where the working directory is mounted in the container."""

_KILL_GRACE_SECONDS = 2
_HOST_MARGIN_SECONDS = 10.0
_START_WAIT_SECONDS = 60.0

# Runs one block in the container. ``$$`` is written to a pid file so that a cancelled
# call can signal the block; ``timeout`` makes the block a process group of its own and
# kills the whole group when the time is up or when it receives SIGTERM.
_BLOCK_SCRIPT = 'echo $$ > "$1"; shift; exec timeout -k {grace} -s TERM "$@"'
_BLOCK_ENVIRONMENT = {"PYTHONUNBUFFERED": "1"}
"""Python's output reaches the stream as it is printed, so a block that times out or is
cancelled still shows what it printed."""
_KILL_SCRIPT = 'test -f "$1" && kill -TERM "$(cat "$1")" 2>/dev/null; true'


class DockerEngineUnavailableError(RuntimeError):
    """No Docker engine answered (it is not running, or ``DOCKER_HOST`` points nowhere)."""


class DockerCommandLineCodeExecutorConfig(BaseModel):
    """The config of a :class:`DockerCommandLineCodeExecutor` (functions and device requests
    are not part of it)."""

    image: str = "python:3-slim"
    container_name: str | None = None
    timeout: int = 60
    work_dir: str | None = None
    bind_dir: str | None = None
    auto_remove: bool = True
    stop_container: bool = True
    functions_module: str = "functions"
    extra_volumes: dict[str, dict[str, str]] = Field(default_factory=dict)
    extra_hosts: dict[str, str] = Field(default_factory=dict)
    init_command: str | None = None
    delete_tmp_files: bool = False
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES


def _docker() -> Any:
    try:
        return importlib.import_module("docker")
    except ImportError as exc:
        raise ImportError(
            "DockerCommandLineCodeExecutor needs the docker package: pip install 'cantata[docker]'"
        ) from exc


def _remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _stop_container(container: Any) -> None:
    try:
        container.stop(timeout=_KILL_GRACE_SECONDS)
    except Exception:  # already gone, or the engine went away: nothing left to stop
        return


class DockerCommandLineCodeExecutor(CodeExecutor, Component[DockerCommandLineCodeExecutorConfig]):
    """Runs code blocks in a Docker container, each as a new process.

    :meth:`start` starts a container from *image* (pulled if missing) with the working
    directory mounted at ``/workspace``; each block is saved there and run with
    ``python`` or ``sh``/``bash``/``pwsh`` inside the container, under GNU ``timeout``. The
    image needs ``sh``, ``timeout`` (coreutils) and the interpreters the blocks use.

    The container is the boundary: code reaches the mounted working directory, the extra
    volumes, and the network the container is given; not the host's other files or
    processes. A container is not a perfect sandbox (it shares the host's kernel), but it is
    far narrower than the local executor.

    Behaves like :class:`~cantata.code_executors.local.LocalCommandLineCodeExecutor`:

    * each block is limited to *timeout* seconds (exit code 124 and a ``Timeout`` line); its
      whole process group is killed;
    * cancelling the token or the caller's scope kills the running block (``SIGTERM`` to its
      group through ``timeout``, ``SIGKILL`` shortly after) and raises
      :class:`~cantata.exceptions.MessageCancelledError` (token) or the backend's
      cancellation exception (scope);
    * at most *max_output_bytes* of output are kept (beginning and end);
    * executions on one executor run one at a time, in order of arrival;
    * every call to the Docker SDK (which is synchronous) runs in a worker thread.

    One difference: a process that a block started in a session of its own (``setsid``)
    survives the block's timeout or cancellation inside the container, until the container
    stops or :meth:`restart` restarts it.

    Args:
        image: The image to run.
        container_name: The container's name; by default ``cantata-code-exec-<uuid>``.
        timeout: Seconds each block may run (at least 1).
        work_dir: The host directory for code files; by default a temporary directory,
            removed by :meth:`stop`.
        bind_dir: The host path to mount, when it differs from *work_dir* (this program
            itself runs in a container, with the host's Docker socket); defaults to
            *work_dir*.
        auto_remove: Remove the container once it stops.
        stop_container: Stop the container in :meth:`stop` (and when the program exits).
        device_requests: ``docker.types.DeviceRequest`` objects (e.g. GPUs).
        functions: Functions the code can import from *functions_module* (see the local
            executor).
        functions_module: The name of that module (a Python identifier).
        extra_volumes: More volumes, as the Docker SDK's ``volumes`` argument.
        extra_hosts: More ``/etc/hosts`` entries, name -> address.
        init_command: A shell command run when the container starts.
        delete_tmp_files: Delete each block's file after the execution.
        max_output_bytes: The most output kept of one execution (default 1 MiB).

    Raises:
        ValueError: *timeout* < 1, *max_output_bytes* < 2, *functions_module* is not an
            identifier, or two functions share a name.
    """

    component_config_schema = DockerCommandLineCodeExecutorConfig
    component_provider_override: ClassVar[str | None] = (
        "cantata.code_executors.docker.DockerCommandLineCodeExecutor"
    )

    SUPPORTED_LANGUAGES: ClassVar[list[str]] = list(SUPPORTED_LANGUAGES)
    FUNCTION_PROMPT_TEMPLATE: ClassVar[str] = FUNCTION_PROMPT_TEMPLATE

    def __init__(
        self,
        image: str = "python:3-slim",
        container_name: str | None = None,
        *,
        timeout: int = 60,
        work_dir: Path | str | None = None,
        bind_dir: Path | str | None = None,
        auto_remove: bool = True,
        stop_container: bool = True,
        device_requests: Sequence[Any] | None = None,
        functions: Sequence[AnyFunction] = (),
        functions_module: str = "functions",
        extra_volumes: Mapping[str, Mapping[str, str]] | None = None,
        extra_hosts: Mapping[str, str] | None = None,
        init_command: str | None = None,
        delete_tmp_files: bool = False,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    ) -> None:
        check_arguments(timeout, max_output_bytes, functions, functions_module)
        self._image = image
        self._container_name = container_name or f"cantata-code-exec-{uuid.uuid4()}"
        self._timeout = timeout
        self._given_work_dir = None if work_dir is None else Path(work_dir)
        self._given_bind_dir = None if bind_dir is None else Path(bind_dir)
        self._auto_remove = auto_remove
        self._stop_container = stop_container
        self._device_requests = list(device_requests or [])
        self._functions: list[AnyFunction] = list(functions)
        self._functions_module = functions_module
        self._extra_volumes = {key: dict(value) for key, value in (extra_volumes or {}).items()}
        self._extra_hosts = dict(extra_hosts or {})
        self._init_command = init_command
        self._delete_tmp_files = delete_tmp_files
        self._max_output_bytes = max_output_bytes
        self._client: Any = None
        self._container: Any = None
        self._temp_dir: Path | None = None
        self._finalizers: list[weakref.finalize[Any, Any]] = []
        self._started = False
        self._functions_ready = not self._functions
        self._executions = Executions()

    # -- properties -----------------------------------------------------------------------

    @property
    def timeout(self) -> int:
        """Seconds each block may run."""
        return self._timeout

    @property
    def image(self) -> str:
        """The image the container runs."""
        return self._image

    @property
    def container_name(self) -> str:
        """The container's name."""
        return self._container_name

    @property
    def work_dir(self) -> Path:
        """The host directory holding the code files.

        Raises:
            RuntimeError: No directory was given and the executor is not started.
        """
        return work_dir_of(self._given_work_dir, self._temp_dir)

    @property
    def bind_dir(self) -> Path:
        """The host path mounted at ``/workspace`` (*bind_dir*, else the working directory)."""
        return self._given_bind_dir if self._given_bind_dir is not None else self.work_dir

    @property
    def functions(self) -> list[str]:
        """The names of the functions offered to the code."""
        return [function_name(func) for func in self._functions]

    @property
    def functions_module(self) -> str:
        """The module the code imports the functions from."""
        return self._functions_module

    def format_functions_for_prompt(self, prompt_template: str = FUNCTION_PROMPT_TEMPLATE) -> str:
        """Describe the functions for a model (see the local executor)."""
        return format_functions_for_prompt(self._functions, self._functions_module, prompt_template)

    # -- the Docker SDK, in worker threads --------------------------------------------------

    @staticmethod
    async def _in_thread(func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(func, *args)

    @staticmethod
    def _connect() -> Any:
        docker = _docker()
        try:
            client = docker.from_env(timeout=30)
            client.ping()
        except docker.errors.DockerException as exc:
            raise DockerEngineUnavailableError(
                f"No Docker engine answered ({exc}). Start Docker, or point DOCKER_HOST at "
                "a running engine."
            ) from exc
        return client

    def _run_container(self, client: Any, bind_dir: Path) -> Any:
        docker = _docker()
        try:
            client.images.get(self._image)
        except docker.errors.ImageNotFound:
            client.images.pull(self._image)
        init = f"{self._init_command}; " if self._init_command else ""
        volumes = {str(bind_dir.resolve()): {"bind": CONTAINER_WORK_DIR, "mode": "rw"}}
        volumes.update(self._extra_volumes)
        container = client.containers.run(
            self._image,
            name=self._container_name,
            entrypoint="/bin/sh",
            command=["-c", f"{init}exec sleep infinity"],
            tty=True,
            detach=True,
            auto_remove=self._auto_remove,
            volumes=volumes,
            working_dir=CONTAINER_WORK_DIR,
            extra_hosts=self._extra_hosts or None,
            device_requests=self._device_requests or None,
        )
        return container

    @staticmethod
    def _container_status(container: Any) -> str:
        container.reload()
        status: str = container.status
        return status

    def _exec_stream(
        self, argv: list[str], buffer: OutputBuffer, environment: Mapping[str, str] | None = None
    ) -> int:
        """Run *argv* in the container, feeding its output to *buffer*; return its exit code.
        Blocking: runs in a worker thread."""
        api = self._client.api
        created = api.exec_create(
            self._container.id,
            argv,
            stdout=True,
            stderr=True,
            workdir=CONTAINER_WORK_DIR,
            environment=dict(environment or {}),
        )
        for chunk in api.exec_start(created["Id"], stream=True):
            buffer.feed(chunk)
        exit_code = api.exec_inspect(created["Id"])["ExitCode"]
        return int(exit_code) if exit_code is not None else -1

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the Docker engine, pull the image if needed and start the container.
        Starting a started executor does nothing.

        Raises:
            ImportError: The ``docker`` package is not installed (extra ``docker``).
            DockerEngineUnavailableError: No Docker engine answered.
            RuntimeError: The container did not start (its status is in the message).
        """
        async with self._executions.lock:
            await self._start()

    async def _start(self) -> None:
        """:meth:`start`, for a caller that holds the lock."""
        if self._started:
            return
        client = await self._in_thread(self._connect)
        try:
            if self._given_work_dir is None:
                path = await self._in_thread(tempfile.mkdtemp, "", "cantata_code_")
                self._temp_dir = Path(path)
                self._finalizers.append(weakref.finalize(self, _remove_tree, path))
            else:
                await anyio.Path(self._given_work_dir).mkdir(parents=True, exist_ok=True)
            container = await self._in_thread(self._run_container, client, self.bind_dir)
            if self._stop_container:
                self._finalizers.append(weakref.finalize(self, _stop_container, container))
            status = "created"
            with anyio.move_on_after(_START_WAIT_SECONDS):
                # The engine offers no event to wait on here: poll the container's status.
                while (status := await self._in_thread(self._container_status, container)) in (  # noqa: ASYNC110
                    "created",
                    "restarting",
                ):
                    await anyio.sleep(0.1)
            if status != "running":
                raise RuntimeError(f"The container {self._container_name} is {status!r}")
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._release(client)
            raise
        self._client, self._container = client, container
        self._functions_ready = not self._functions
        self._started = True

    async def _release(self, client: Any) -> None:
        finalizers, self._finalizers = self._finalizers, []
        for finalizer in reversed(finalizers):
            detached = finalizer.detach()
            if detached is not None:
                _, func, args, _ = detached
                await self._in_thread(func, *args)
        self._temp_dir = None
        await self._in_thread(client.close)

    async def stop(self) -> None:
        """Kill the block that is running (its execution returns exit code 125, as do
        executions waiting for their turn), stop the container (unless
        ``stop_container=False``) and remove the temporary working directory. Stopping a
        stopped executor does nothing."""
        self._executions.interrupt()
        async with self._executions.lock:
            if not self._started:
                return
            self._started = False
            client, self._client, self._container = self._client, None, None
            with anyio.CancelScope(shield=True):
                await self._release(client)

    async def restart(self) -> None:
        """Restart the container (killing whatever runs in it).

        Raises:
            RuntimeError: The executor is not started.
        """
        if not self._started:
            raise RuntimeError("The executor is not started")
        self._executions.interrupt()
        async with self._executions.lock:
            container = self._container
            await self._in_thread(lambda: container.restart(timeout=_KILL_GRACE_SECONDS))
            status = await self._in_thread(self._container_status, container)
            if status != "running":
                raise RuntimeError(f"The container {self._container_name} is {status!r}")
            self._functions_ready = not self._functions

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    # -- execution ------------------------------------------------------------------------

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CommandLineCodeResult:
        """Run *code_blocks* in order in the container (see the class docstring).

        Starts the executor first if it is not started.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* was cancelled.
            DockerEngineUnavailableError: The executor had to start and no engine answered.
            TimeoutError: The engine stopped answering: a block gave no result within its
                timeout plus a margin (the block is killed in the container).
            ValueError: Setting up the functions failed.
        """

        async def execute(progress: ExecutionProgress) -> None:
            if not self._functions_ready:
                await self._setup_functions()

            async def run_block(block: CodeBlock, files: list[Path]) -> bool:
                return await self._run_block(block, files, progress)

            await run_blocks(code_blocks, run_block, self._delete_tmp_files)

        return await self._executions.run(
            cancellation_token, self._max_output_bytes, self._start, execute
        )

    async def _run_block(
        self, block: CodeBlock, files: list[Path], progress: ExecutionProgress
    ) -> bool:
        """Run one block; return whether the next may run."""
        language = block_language(block, self.SUPPORTED_LANGUAGES, progress)
        if language is None:
            return False
        code = silence_pip(block.code, language)
        work_dir = self.work_dir
        path = block_file(code, language, work_dir, progress)
        if path is None or not await write_block_file(path, code, files, progress):
            return False
        relative = relative_to_work_dir(path, work_dir)
        progress.code_file = f"{CONTAINER_WORK_DIR}/{relative}"
        exit_code, output = await self._exec_block(
            self._interpreter(language), relative, progress.remaining
        )
        progress.add(output)
        progress.exit_code = exit_code
        if exit_code == 124:
            return report_timeout(progress, self._timeout)
        return exit_code == 0

    @staticmethod
    def _interpreter(language: str) -> list[str]:
        if language == "python":
            return ["python"]
        if language in SHELL_LANGUAGES:
            return ["bash"] if language == "bash" else ["sh"]
        if language in POWERSHELL_LANGUAGES:
            return ["pwsh", "-NoProfile", "-File"]
        raise AssertionError(language)  # pragma: no cover - checked before

    async def _exec_block(
        self, interpreter: list[str], file_name: str, max_output_bytes: int
    ) -> tuple[int, str]:
        """Run one block's file in the container; return its exit code and output."""
        pid_file = f"/tmp/.cantata_block_{uuid.uuid4().hex}.pid"
        script = _BLOCK_SCRIPT.format(grace=_KILL_GRACE_SECONDS)
        argv = ["sh", "-c", script, "sh", pid_file, str(self._timeout), *interpreter, file_name]
        # If this call is cancelled the worker thread is abandoned: it ends once the killed
        # block's stream closes, and only touches its own buffer.
        output = OutputBuffer(max_output_bytes)
        try:
            with anyio.fail_after(self._timeout + _KILL_GRACE_SECONDS + _HOST_MARGIN_SECONDS):
                exit_code = await anyio.to_thread.run_sync(
                    self._exec_stream, argv, output, _BLOCK_ENVIRONMENT, abandon_on_cancel=True
                )
        except BaseException:
            # Cancelled, or the engine stopped answering: kill the block in the container.
            with anyio.CancelScope(shield=True), anyio.move_on_after(_HOST_MARGIN_SECONDS):
                await self._in_thread(self._kill_block, pid_file)
            raise
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(_HOST_MARGIN_SECONDS):
                await self._in_thread(self._remove_in_container, pid_file)
        return exit_code, output.text()

    def _kill_block(self, pid_file: str) -> None:
        self._container.exec_run(["sh", "-c", _KILL_SCRIPT, "sh", pid_file])

    def _remove_in_container(self, path: str) -> None:
        self._container.exec_run(["rm", "-f", path])

    async def _setup_functions(self) -> None:
        source = build_python_functions_file(self._functions)
        await anyio.Path(self.work_dir / f"{self._functions_module}.py").write_text(
            source, encoding="utf-8"
        )
        packages = required_packages(self._functions)
        steps: list[tuple[str, str]] = []
        if packages:
            pip = "python -m pip install -qqq " + " ".join(shlex.quote(p) for p in packages)
            steps.append((pip, f"Installing the functions' packages ({', '.join(packages)})"))
        steps.append((f"python -c 'import {self._functions_module}'", "Loading the functions"))
        for command, what in steps:
            output = OutputBuffer(self._max_output_bytes)
            argv = ["timeout", "-k", str(_KILL_GRACE_SECONDS), str(self._timeout), "sh", "-c"]
            exit_code = await self._in_thread(self._exec_stream, [*argv, command], output)
            if exit_code != 0:
                raise ValueError(f"{what} failed:\n{output.text()}")
        self._functions_ready = True

    # -- component config -------------------------------------------------------------------

    def _to_config(self) -> DockerCommandLineCodeExecutorConfig:
        if self._functions:
            raise ValueError("An executor with functions cannot be dumped to a config")
        return DockerCommandLineCodeExecutorConfig(
            image=self._image,
            container_name=self._container_name,
            timeout=self._timeout,
            work_dir=None if self._given_work_dir is None else str(self._given_work_dir),
            bind_dir=None if self._given_bind_dir is None else str(self._given_bind_dir),
            auto_remove=self._auto_remove,
            stop_container=self._stop_container,
            functions_module=self._functions_module,
            extra_volumes=self._extra_volumes,
            extra_hosts=self._extra_hosts,
            init_command=self._init_command,
            delete_tmp_files=self._delete_tmp_files,
            max_output_bytes=self._max_output_bytes,
        )

    @classmethod
    def _from_config(cls, config: DockerCommandLineCodeExecutorConfig) -> Self:
        return cls(
            image=config.image,
            container_name=config.container_name,
            timeout=config.timeout,
            work_dir=config.work_dir,
            bind_dir=config.bind_dir,
            auto_remove=config.auto_remove,
            stop_container=config.stop_container,
            functions_module=config.functions_module,
            extra_volumes=config.extra_volumes,
            extra_hosts=config.extra_hosts,
            init_command=config.init_command,
            delete_tmp_files=config.delete_tmp_files,
            max_output_bytes=config.max_output_bytes,
        )
