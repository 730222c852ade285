"""DockerCommandLineCodeExecutor.

Without a Docker engine: arguments, component config, and the errors for a missing SDK or
engine. With an engine (any that ``docker.from_env()`` reaches): the executor's behaviour,
in a ``python:3-slim`` container; those tests skip with a reason when no engine answers.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from _processes import assert_none_left, needs_proc, new_token, sleeper, wait_for_processes

from cantata import CancellationToken, ComponentModel
from cantata.code_executor import CodeBlock, CodeExecutor
from cantata.code_executors.docker import (
    DockerCommandLineCodeExecutor,
    DockerEngineUnavailableError,
    _executor,
)
from cantata.exceptions import MessageCancelledError


def count_in_container(pattern: str) -> str:
    """A shell block printing how many processes in the container have *pattern* in their
    command line (read from /proc: slim images have no ``ps``)."""
    return (
        "for p in /proc/[0-9]*/cmdline; do cat \"$p\" 2>/dev/null | tr '\\0' ' '; echo; done"
        f" | grep -c '{pattern}' || true"
    )


def _engine_answers() -> bool:
    try:
        docker = importlib.import_module("docker")
        client = docker.from_env(timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except Exception:
        return False
    return True


needs_engine = pytest.mark.skipif(
    not _engine_answers(),
    reason="no Docker engine answers (start Docker or set DOCKER_HOST to run these tests)",
)


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert not [p.name for p in folder.iterdir() if p.name.startswith("cantata_code_")]


@pytest.fixture
def no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")


def test_constructor_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="Timeout"):
        DockerCommandLineCodeExecutor(timeout=0)
    with pytest.raises(ValueError, match="identifier"):
        DockerCommandLineCodeExecutor(functions_module="a-b")
    with pytest.raises(ValueError, match="max_output_bytes"):
        DockerCommandLineCodeExecutor(max_output_bytes=0)


def test_defaults_and_directories(tmp_path: Path) -> None:
    executor = DockerCommandLineCodeExecutor()
    assert executor.image == "python:3-slim"
    assert executor.timeout == 60
    assert executor.container_name.startswith("cantata-code-exec-")
    with pytest.raises(RuntimeError, match="start"):
        _ = executor.work_dir
    given = DockerCommandLineCodeExecutor(work_dir=tmp_path / "w")
    assert given.bind_dir == given.work_dir == tmp_path / "w"
    bound = DockerCommandLineCodeExecutor(work_dir=tmp_path / "w", bind_dir="/host/w")
    assert bound.bind_dir == Path("/host/w")


def test_component_config_round_trip(tmp_path: Path) -> None:
    executor = DockerCommandLineCodeExecutor(
        image="python:3.12-slim",
        container_name="box",
        timeout=30,
        work_dir=tmp_path,
        auto_remove=False,
        extra_hosts={"db": "10.0.0.2"},
        init_command="pip install -q numpy",
    )
    model = executor.dump_component()
    assert model.provider == "cantata.code_executors.docker.DockerCommandLineCodeExecutor"
    assert model.component_type == "code_executor"
    loaded = CodeExecutor.load_component(model)
    assert isinstance(loaded, DockerCommandLineCodeExecutor)
    assert loaded.dump_component() == model
    autogen = ComponentModel(
        provider="autogen_ext.code_executors.docker.DockerCommandLineCodeExecutor",
        config={"image": "python:3-slim", "timeout": 5},
    )
    assert DockerCommandLineCodeExecutor.load_component(autogen).timeout == 5


@pytest.mark.anyio
@pytest.mark.usefixtures("no_engine")
async def test_no_engine_is_a_clear_error() -> None:
    executor = DockerCommandLineCodeExecutor()
    with anyio.fail_after(30), pytest.raises(DockerEngineUnavailableError, match="DOCKER_HOST"):
        await executor.start()
    with anyio.fail_after(30), pytest.raises(DockerEngineUnavailableError):
        await executor.execute_code_blocks([CodeBlock("print(1)", "python")], CancellationToken())
    await executor.stop()  # not started: nothing to do
    with pytest.raises(RuntimeError, match="not started"):
        await executor.restart()


@pytest.mark.anyio
async def test_a_missing_sdk_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docker", None)  # import fails
    with pytest.raises(ImportError, match=r"cantata\[docker\]"):
        await DockerCommandLineCodeExecutor().start()


# -- with an engine --------------------------------------------------------------------------


@needs_engine
@pytest.mark.anyio
async def test_runs_the_guides_example(tmp_path: Path) -> None:  # pragma: no cover - engine
    async with DockerCommandLineCodeExecutor(work_dir=tmp_path) as executor:
        result = await executor.execute_code_blocks(
            [CodeBlock(language="python", code="print('Hello, World!')")], CancellationToken()
        )
    assert (result.exit_code, result.output) == (0, "Hello, World!\n")
    assert result.code_file is not None and result.code_file.startswith("/workspace/tmp_code_")


@needs_engine
@pytest.mark.anyio
async def test_timeout_and_bounded_output() -> None:  # pragma: no cover - engine
    async with DockerCommandLineCodeExecutor(timeout=1, max_output_bytes=4096) as executor:
        result = await executor.execute_code_blocks(
            [CodeBlock("while True:\n    print('y' * 1000)", "python")], CancellationToken()
        )
        assert result.exit_code == 124
        assert "Timeout" in result.output
        assert len(result.output.encode()) < 4096 + 200
        assert result.code_file is not None
        # Nothing is left running in the container.
        name = Path(result.code_file).name
        check = await executor.execute_code_blocks(
            [CodeBlock(count_in_container(f"[{name[0]}]{name[1:]}"), "sh")], CancellationToken()
        )
        assert check.output.strip() == "0"


@needs_engine
@pytest.mark.anyio
async def test_cancellation_kills_the_block() -> None:  # pragma: no cover - engine
    cancellation = CancellationToken()
    async with DockerCommandLineCodeExecutor(timeout=60) as executor:

        async def cancel_soon() -> None:
            await anyio.sleep(2)
            cancellation.cancel()

        with anyio.fail_after(30):
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(cancel_soon)
                with pytest.raises(MessageCancelledError):
                    await executor.execute_code_blocks(
                        [CodeBlock("sleep 1000 & sleep 1000", "sh")], cancellation
                    )
        check = await executor.execute_code_blocks(
            [CodeBlock(count_in_container("[s]leep 1000"), "sh")], CancellationToken()
        )
    assert check.output.strip() == "0"


# -- the in-container scripts, on this machine's sh and GNU timeout ---------------------------
# The executor runs each block as ``sh -c _BLOCK_SCRIPT`` and kills a cancelled one with
# ``sh -c _KILL_SCRIPT``. The container's sh and coreutils are the same programs as this
# machine's, so the scripts' process handling is checked here with real processes.

needs_timeout = pytest.mark.skipif(
    shutil.which("timeout") is None or sys.platform == "win32", reason="needs GNU timeout and sh"
)


def _block_argv(pid_file: Path, seconds: int, script: Path) -> list[str]:
    block_script = _executor._BLOCK_SCRIPT.format(grace=_executor._KILL_GRACE_SECONDS)
    return [
        "sh",
        "-c",
        block_script,
        "sh",
        str(pid_file),
        str(seconds),
        sys.executable,
        str(script),
    ]


@needs_timeout
@needs_proc
@pytest.mark.anyio
async def test_the_block_script_times_out_the_whole_group(tmp_path: Path) -> None:
    token = new_token()
    script = tmp_path / "block.py"
    script.write_text(sleeper(token) + sleeper(token) + "import time; time.sleep(1000)")
    with anyio.fail_after(20):
        completed = await anyio.run_process(
            _block_argv(tmp_path / "pid", 1, script), check=False, start_new_session=True
        )
    assert completed.returncode == 124
    await assert_none_left(token)


@needs_timeout
@needs_proc
@pytest.mark.anyio
async def test_the_kill_script_ends_a_running_block_and_its_group(tmp_path: Path) -> None:
    token = new_token()
    script = tmp_path / "block.py"
    script.write_text(sleeper(token) + "import time; time.sleep(1000)")
    pid_file = tmp_path / "pid"
    with anyio.fail_after(20):
        async with await anyio.open_process(
            _block_argv(pid_file, 60, script), start_new_session=True
        ) as process:
            await wait_for_processes(token, 1)
            killed = await anyio.run_process(
                ["sh", "-c", _executor._KILL_SCRIPT, "sh", str(pid_file)], check=False
            )
            assert killed.returncode == 0
            await process.wait()
    assert process.returncode != 0
    await assert_none_left(token)
