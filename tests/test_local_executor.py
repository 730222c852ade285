"""LocalCommandLineCodeExecutor on real subprocesses: languages, files, timeouts, bounded
output, cancellation, concurrency, stopping, functions, virtual environments, config.

Every test that starts processes marks them with a unique token and checks the process table
afterwards; every test that uses the default temporary working directory checks it is gone.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from _processes import (
    assert_none_left,
    needs_proc,
    new_token,
    posix_only,
    processes_with,
    sleeper,
    wait_for_processes,
)

from cantata import CancellationToken, ComponentModel
from cantata.code_executor import (
    CodeBlock,
    CodeExecutor,
    FunctionWithRequirements,
    ImportFromModule,
    with_requirements,
)
from cantata.code_executors import CommandLineCodeResult
from cantata.code_executors.local import (
    LocalCommandLineCodeExecutor,
    create_virtual_env,
)
from cantata.exceptions import MessageCancelledError

pytestmark = posix_only


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Temporary directories of these tests go to their own folder, checked empty at the end."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert not [p.name for p in folder.iterdir() if p.name.startswith("cantata_code_")]


def resolved(path: str | Path) -> Path:
    """``Path(path).resolve()`` (file-system work kept out of the async tests)."""
    return Path(path).resolve()


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def block_files(path: Path) -> list[str]:
    """The block files in *path* (none if it does not exist)."""
    return [name for name in listing(path) if name.startswith("tmp_code_")] if path.is_dir() else []


def run(code: str, language: str = "python") -> list[CodeBlock]:
    return [CodeBlock(code=code, language=language)]


# -- languages, files, results ---------------------------------------------------------------


@pytest.mark.anyio
async def test_runs_python_and_returns_the_guides_result(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path / "coding")
    result = await executor.execute_code_blocks(
        code_blocks=[CodeBlock(language="python", code="print('Hello, World!')")],
        cancellation_token=CancellationToken(),
    )
    assert isinstance(result, CommandLineCodeResult)
    assert (result.exit_code, result.output) == (0, "Hello, World!\n")
    assert result.code_file is not None
    assert Path(result.code_file).parent == tmp_path / "coding"
    assert Path(result.code_file).name.startswith("tmp_code_")
    assert Path(result.code_file).suffix == ".py"
    assert Path(result.code_file).name not in listing(tmp_path / "coding")  # cleanup_temp_files
    await executor.stop()
    assert (tmp_path / "coding").is_dir()  # a given directory is kept


@pytest.mark.anyio
@pytest.mark.parametrize("language", ["sh", "shell", "bash", "SH", "Python", "py", "python3"])
async def test_languages(language: str) -> None:
    code = "print(6 * 7)" if language.lower().startswith("py") else "echo $((6 * 7))"
    if language == "bash" and shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    async with LocalCommandLineCodeExecutor() as executor:
        result = await executor.execute_code_blocks(run(code, language), CancellationToken())
    assert (result.exit_code, result.output) == (0, "42\n")


@pytest.mark.anyio
async def test_powershell_where_present() -> None:
    if shutil.which("pwsh") is None and shutil.which("powershell") is None:
        async with LocalCommandLineCodeExecutor() as executor:
            result = await executor.execute_code_blocks(
                run("Write-Output 42", "pwsh"), CancellationToken()
            )
        assert result.exit_code == 1
        assert "PowerShell" in result.output
        return
    async with LocalCommandLineCodeExecutor() as executor:  # pragma: no cover - needs pwsh
        result = await executor.execute_code_blocks(
            run("Write-Output 42", "pwsh"), CancellationToken()
        )
    assert (result.exit_code, result.output.strip()) == (0, "42")  # pragma: no cover


@pytest.mark.anyio
async def test_blocks_run_in_order_and_stop_at_the_first_failure() -> None:
    blocks = [
        CodeBlock("print('one')", "python"),
        CodeBlock("echo two; exit 3", "sh"),
        CodeBlock("print('never')", "python"),
    ]
    async with LocalCommandLineCodeExecutor() as executor:
        result = await executor.execute_code_blocks(blocks, CancellationToken())
    assert result.exit_code == 3
    assert result.output == "one\ntwo\n"


@pytest.mark.anyio
async def test_stderr_is_interleaved_with_stdout() -> None:
    code = "import sys\nprint('out', flush=True)\nprint('err', file=sys.stderr, flush=True)\n"
    code += "print('out again', flush=True)\nraise SystemExit(2)"
    async with LocalCommandLineCodeExecutor() as executor:
        result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert result.exit_code == 2
    assert result.output == "out\nerr\nout again\n"


@pytest.mark.anyio
async def test_a_traceback_reaches_the_output() -> None:
    async with LocalCommandLineCodeExecutor() as executor:
        result = await executor.execute_code_blocks(run("1 / 0"), CancellationToken())
    assert result.exit_code == 1
    assert "ZeroDivisionError" in result.output


@pytest.mark.anyio
async def test_unsupported_language_runs_nothing() -> None:
    async with LocalCommandLineCodeExecutor() as executor:
        result = await executor.execute_code_blocks(
            [CodeBlock("print('x')", "python"), CodeBlock("puts 1", "ruby")], CancellationToken()
        )
    assert result.exit_code == 1
    assert result.output.startswith("x\nUnsupported language 'ruby'")


@pytest.mark.anyio
async def test_filename_comment_names_the_file(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, cleanup_temp_files=False)
    code = "# filename: pkg/hello.py\nprint('hi')"
    result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert result.exit_code == 0
    assert result.code_file == str((tmp_path / "pkg" / "hello.py").resolve())
    assert (tmp_path / "pkg" / "hello.py").read_text() == code


@pytest.mark.anyio
async def test_filename_outside_the_working_directory_is_refused(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path / "work")
    code = "# filename: ../escape.py\nprint('hi')"
    result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert result.exit_code == 1
    assert "outside the working directory" in result.output
    assert not (tmp_path / "escape.py").exists()


@pytest.mark.anyio
async def test_a_file_that_cannot_be_written_is_reported(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path)
    await anyio.Path(tmp_path / "taken").mkdir()
    result = await executor.execute_code_blocks(
        run("# filename: taken\nprint('hi')"), CancellationToken()
    )
    assert result.exit_code == 1
    assert "Could not write" in result.output


@pytest.mark.anyio
async def test_obviously_destructive_shell_is_refused(tmp_path: Path) -> None:
    async with LocalCommandLineCodeExecutor(work_dir=tmp_path) as executor:
        result = await executor.execute_code_blocks(run("rm -rf /", "sh"), CancellationToken())
    assert result.exit_code == 1
    assert "not run" in result.output


@pytest.mark.anyio
async def test_pip_install_lines_are_silenced(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, cleanup_temp_files=False)
    result = await executor.execute_code_blocks(
        run("alias pip=true\npip install nothing-at-all\necho done", "sh"), CancellationToken()
    )
    assert result.code_file is not None
    assert "pip install -qqq nothing-at-all" in await anyio.Path(result.code_file).read_text()


@pytest.mark.anyio
async def test_code_runs_in_the_working_directory(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path)
    result = await executor.execute_code_blocks(
        run("import os; print(os.getcwd())"), CancellationToken()
    )
    assert resolved(result.output.strip()) == resolved(tmp_path)


# -- timeouts, floods, forks: nothing left running ---------------------------------------------


@needs_proc
@pytest.mark.anyio
async def test_timeout_kills_the_block_and_everything_it_started() -> None:
    token = new_token()
    code = sleeper(token) + sleeper(token, new_session=True) + "import time; time.sleep(1000)"
    async with LocalCommandLineCodeExecutor(timeout=1) as executor:
        started = time.monotonic()
        result = await executor.execute_code_blocks(run(code), CancellationToken())
        elapsed = time.monotonic() - started
    assert result.exit_code == 124
    assert "Timeout" in result.output
    assert elapsed < 10
    await assert_none_left(token)


@pytest.mark.anyio
async def test_what_a_timed_out_block_printed_is_kept() -> None:
    code = "import time\nprint('before the hang')\ntime.sleep(1000)"  # no flush
    async with LocalCommandLineCodeExecutor(timeout=1) as executor:
        result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert result.exit_code == 124
    assert result.output.startswith("before the hang\n")


@needs_proc
@pytest.mark.anyio
async def test_forked_children_are_killed_on_timeout() -> None:
    token = new_token()
    code = (
        "import os, sys, time\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(1000)', {token!r}])\n"  # noqa: E501
        "print('forked', flush=True)\n"
        "time.sleep(1000)\n"
    )
    async with LocalCommandLineCodeExecutor(timeout=1) as executor:
        result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert result.exit_code == 124
    assert result.output.startswith("forked\n")
    await assert_none_left(token)


@needs_proc
@pytest.mark.anyio
async def test_background_jobs_die_when_the_block_exits() -> None:
    token = new_token()
    code = f"python3 -c 'import time; time.sleep(1000)' {token} &\necho started"
    async with LocalCommandLineCodeExecutor(timeout=30) as executor:
        started = time.monotonic()
        result = await executor.execute_code_blocks(run(code, "sh"), CancellationToken())
    assert (result.exit_code, result.output) == (0, "started\n")
    assert time.monotonic() - started < 10  # the job holding the pipe does not keep us waiting
    await assert_none_left(token)


@needs_proc
@pytest.mark.anyio
async def test_children_in_a_session_of_their_own_die_when_the_block_exits() -> None:
    token = new_token()
    code = sleeper(token, new_session=True) + "print('started')"
    async with LocalCommandLineCodeExecutor() as executor:
        result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert (result.exit_code, result.output) == (0, "started\n")
    await assert_none_left(token)


@needs_proc
@pytest.mark.anyio
async def test_a_double_forked_daemon_dies_when_the_block_exits() -> None:
    token = new_token()
    code = (
        "import os, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.closerange(0, 3)\n"  # a proper daemon: no stdio, no parent, no session
        f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(1000)', {token!r}])\n"  # noqa: E501
        "    os._exit(0)\n"
        "os.wait()\n"
        "print('daemonised')\n"
    )
    async with LocalCommandLineCodeExecutor() as executor:
        with anyio.fail_after(20):
            await executor.execute_code_blocks(
                run(code.replace("print('daemonised')", "import time; time.sleep(0.5)")),
                CancellationToken(),
            )
        await assert_none_left(token)
        result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert (result.exit_code, result.output) == (0, "daemonised\n")
    await assert_none_left(token)


@pytest.mark.anyio
async def test_a_flood_ends_at_the_timeout_with_bounded_output() -> None:
    async with LocalCommandLineCodeExecutor(timeout=1, max_output_bytes=4096) as executor:
        result = await executor.execute_code_blocks(
            run("while True:\n    print('y' * 1000)"), CancellationToken()
        )
    assert result.exit_code == 124
    assert len(result.output.encode()) < 4096 + 200
    assert "bytes of output omitted" in result.output
    assert result.output.startswith("y" * 1000)
    assert result.output.rstrip().endswith("stopped")


@pytest.mark.anyio
async def test_large_output_keeps_its_beginning_and_end() -> None:
    code = "print('first')\nprint('x' * 5_000_000)\nprint('last')"
    async with LocalCommandLineCodeExecutor(max_output_bytes=1000) as executor:
        result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert result.exit_code == 0
    assert result.output.startswith("first\n")
    assert result.output.endswith("last\n")
    assert "[... 4999012 bytes of output omitted ...]" in result.output  # 5000012 - 1000
    assert len(result.output) < 1200


@pytest.mark.anyio
async def test_undecodable_output_is_replaced() -> None:
    code = "import sys; sys.stdout.buffer.write(b'ok \\xff\\xfe end')"
    async with LocalCommandLineCodeExecutor() as executor:
        result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert result.output == "ok \ufffd\ufffd end"


# -- cancellation ------------------------------------------------------------------------------


@needs_proc
@pytest.mark.anyio
async def test_cancelling_the_token_kills_the_block_and_its_tree() -> None:
    token = new_token()
    code = sleeper(token) + sleeper(token, new_session=True) + "import time; time.sleep(1000)"
    cancellation = CancellationToken()
    outcome: list[BaseException] = []

    async def execute() -> None:
        try:
            await executor.execute_code_blocks(run(code), cancellation)
        except MessageCancelledError as exc:
            outcome.append(exc)

    async with LocalCommandLineCodeExecutor(timeout=60) as executor:
        with anyio.fail_after(15):
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(execute)
                await wait_for_processes(token, 2)
                cancellation.cancel()
    assert len(outcome) == 1
    await assert_none_left(token)


@needs_proc
@pytest.mark.anyio
async def test_cancelling_the_callers_scope_kills_the_block_and_its_tree() -> None:
    token = new_token()
    code = sleeper(token) + "import time; time.sleep(1000)"
    async with LocalCommandLineCodeExecutor(timeout=60) as executor:
        with anyio.fail_after(15):
            async with anyio.create_task_group() as task_group:

                async def execute() -> None:
                    await executor.execute_code_blocks(run(code), CancellationToken())
                    raise AssertionError("not cancelled")  # pragma: no cover

                task_group.start_soon(execute)
                await wait_for_processes(token, 1)
                task_group.cancel_scope.cancel()
        # The executor is usable afterwards.
        result = await executor.execute_code_blocks(run("print('again')"), CancellationToken())
    assert result.output == "again\n"
    await assert_none_left(token)


@pytest.mark.anyio
async def test_a_token_cancelled_before_the_call_runs_nothing(tmp_path: Path) -> None:
    cancellation = CancellationToken()
    cancellation.cancel()
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, cleanup_temp_files=False)
    with pytest.raises(MessageCancelledError):
        await executor.execute_code_blocks(run("open('ran', 'w')"), cancellation)
    assert not (tmp_path / "ran").exists()
    assert listing(tmp_path) == ["tmp"]  # no working directory, no file


# -- concurrency, the event loop, stopping -----------------------------------------------------


@pytest.mark.anyio
async def test_concurrent_executions_run_one_at_a_time_in_order(tmp_path: Path) -> None:
    def block(name: str) -> list[CodeBlock]:
        code = (
            "import time\n"
            f"open('log', 'a').write('start {name}\\n')\n"
            "time.sleep(0.2)\n"
            f"open('log', 'a').write('end {name}\\n')\n"
            f"print('{name}')"
        )
        return run(code)

    results: dict[str, str] = {}
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path)

    async def execute(name: str) -> None:
        results[name] = (
            await executor.execute_code_blocks(block(name), CancellationToken())
        ).output

    async with anyio.create_task_group() as task_group:
        for name in "abc":
            task_group.start_soon(execute, name)
            await anyio.sleep(0.01)  # arrive in this order
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert results == {"a": "a\n", "b": "b\n", "c": "c\n"}


@pytest.mark.anyio
async def test_the_event_loop_keeps_running_while_code_runs() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    async with LocalCommandLineCodeExecutor() as executor, anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        await executor.execute_code_blocks(run("import time; time.sleep(0.5)"), CancellationToken())
        tg.cancel_scope.cancel()
    assert ticks >= 10


@needs_proc
@pytest.mark.anyio
async def test_stop_interrupts_running_and_waiting_executions(private_tempdir: Path) -> None:
    token = new_token()
    results: list[CommandLineCodeResult] = []
    executor = LocalCommandLineCodeExecutor(timeout=60)
    await executor.start()
    work_dir = executor.work_dir
    assert work_dir.parent == private_tempdir

    async def execute(code: str) -> None:
        results.append(await executor.execute_code_blocks(run(code), CancellationToken()))

    with anyio.fail_after(15):
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(execute, sleeper(token) + "import time; time.sleep(1000)")
            await wait_for_processes(token, 1)
            task_group.start_soon(execute, "open('ran', 'w')")
            await anyio.sleep(0.05)
            await executor.stop()
    assert [result.exit_code for result in results] == [125, 125]
    assert all("stopped" in result.output for result in results)
    assert not work_dir.exists()
    await assert_none_left(token)
    with pytest.raises(RuntimeError, match="start"):
        _ = executor.work_dir


@pytest.mark.anyio
async def test_lifecycle_and_temporary_directory(private_tempdir: Path) -> None:
    executor = LocalCommandLineCodeExecutor()
    with pytest.raises(RuntimeError):
        _ = executor.work_dir
    async with executor:
        first = executor.work_dir
        assert first.is_dir() and first.parent == private_tempdir
        await executor.start()  # starting again does nothing
        assert executor.work_dir == first
        await executor.restart()
        assert not first.exists()
        second = executor.work_dir
        assert second.is_dir() and second != first
    assert not second.exists()
    await executor.stop()  # stopping again does nothing
    # Executing starts a stopped executor again.
    result = await executor.execute_code_blocks(run("print(1)"), CancellationToken())
    assert result.output == "1\n"
    await executor.stop()


@pytest.mark.anyio
async def test_a_missing_interpreter_is_reported(tmp_path: Path) -> None:
    import types

    venv = types.SimpleNamespace(
        env_exe=str(tmp_path / "no-python"), bin_path=str(tmp_path), env_dir=str(tmp_path)
    )
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, virtual_env_context=venv)
    result = await executor.execute_code_blocks(run("print(1)"), CancellationToken())
    assert result.exit_code == 1
    assert "Could not run" in result.output


# -- functions -------------------------------------------------------------------------------


def add_numbers(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@with_requirements(global_imports=["math", ImportFromModule("json", ["dumps"])])
def circle_area(radius: float) -> str:
    """The area of a circle, as JSON."""
    return str(dumps(round(math.pi * radius**2, 2)))  # type: ignore[name-defined]  # noqa: F821


@pytest.mark.anyio
async def test_functions_can_be_imported_by_the_code(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path,
        functions=[
            add_numbers,
            circle_area,
            FunctionWithRequirements.from_str("def triple(x):\n    return 3 * x\n"),
        ],
        functions_module="helpers",
    )
    assert executor.functions == ["add_numbers", "circle_area", "triple"]
    code = "from helpers import add_numbers, circle_area, triple\n"
    code += "print(add_numbers(1, 2), circle_area(1.0), triple(5))"
    result = await executor.execute_code_blocks(run(code), CancellationToken())
    assert (result.exit_code, result.output) == (0, "3 3.14 15\n")
    source = (tmp_path / "helpers.py").read_text()
    assert source.startswith("import math\nfrom json import dumps\n")
    assert "@with_requirements" not in source

    prompt = executor.format_functions_for_prompt()
    assert "`helpers`" in prompt and "from helpers import foo" in prompt
    assert 'def add_numbers(a: int, b: int) -> int:\n    """Add two numbers."""\n    ...' in prompt
    assert "def triple(x):\n    ..." in prompt


@pytest.mark.anyio
async def test_functions_that_fail_to_load_are_reported(tmp_path: Path) -> None:
    broken = FunctionWithRequirements.from_str(
        "def f():\n    return 1\n", global_imports=["module_that_does_not_exist_anywhere"]
    )
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, functions=[broken])
    with pytest.raises(ValueError, match="module_that_does_not_exist_anywhere"):
        await executor.execute_code_blocks(run("print(1)"), CancellationToken())


def test_constructor_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="Timeout"):
        LocalCommandLineCodeExecutor(timeout=0)
    with pytest.raises(ValueError, match="identifier"):
        LocalCommandLineCodeExecutor(functions_module="not a module")
    with pytest.raises(ValueError, match="share"):
        LocalCommandLineCodeExecutor(functions=[add_numbers, add_numbers])
    with pytest.raises(ValueError, match="max_output_bytes"):
        LocalCommandLineCodeExecutor(max_output_bytes=1)


# -- virtual environments -----------------------------------------------------------------------


@pytest.mark.anyio
async def test_code_runs_in_the_virtual_environment(tmp_path: Path) -> None:
    context = await create_virtual_env(tmp_path / ".venv", with_pip=False)
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path, virtual_env_context=context)
    result = await executor.execute_code_blocks(
        [
            CodeBlock("import sys; print(sys.prefix)", "python"),
            CodeBlock('echo "$VIRTUAL_ENV"; command -v python', "sh"),
        ],
        CancellationToken(),
    )
    prefix, virtual_env, python = result.output.splitlines()
    assert resolved(prefix) == resolved(tmp_path / ".venv")
    assert resolved(virtual_env) == resolved(tmp_path / ".venv")
    assert resolved(Path(python).parent) == resolved(context.bin_path)
    assert resolved(prefix) != resolved(sys.prefix)


# -- component config ------------------------------------------------------------------------


def test_component_config_round_trip(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(
        timeout=5, work_dir=tmp_path, functions_module="tools", cleanup_temp_files=False
    )
    model = executor.dump_component()
    assert model.provider == "cantata.code_executors.local.LocalCommandLineCodeExecutor"
    assert model.component_type == "code_executor"
    loaded = CodeExecutor.load_component(model)
    assert isinstance(loaded, LocalCommandLineCodeExecutor)
    assert (loaded.timeout, loaded.work_dir, loaded.functions_module) == (5, tmp_path, "tools")
    assert loaded.cleanup_temp_files is False


def test_loads_from_autogens_provider_name() -> None:
    model = ComponentModel(
        provider="autogen_ext.code_executors.local.LocalCommandLineCodeExecutor",
        config={"timeout": 7},
    )
    loaded = LocalCommandLineCodeExecutor.load_component(model)
    assert loaded.timeout == 7


def test_an_executor_with_functions_is_not_dumped() -> None:
    with pytest.raises(ValueError, match="functions"):
        LocalCommandLineCodeExecutor(functions=[add_numbers]).dump_component()


def test_processes_with_finds_nothing_for_a_fresh_token() -> None:
    assert processes_with(new_token()) == []


@pytest.mark.anyio
async def test_a_relative_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    executor = LocalCommandLineCodeExecutor(work_dir=Path("coding"), cleanup_temp_files=False)
    result = await executor.execute_code_blocks(run("print('hi')"), CancellationToken())
    assert (result.exit_code, result.output) == (0, "hi\n")
    assert result.code_file is not None
    assert Path(result.code_file).is_absolute()
    assert Path(result.code_file).parent == tmp_path / "coding"


@needs_proc
@pytest.mark.anyio
async def test_cancelled_at_any_point_nothing_is_left(tmp_path: Path) -> None:
    """Cancel executions after increasing delays: before the lock, while the file is written,
    while the process starts, while it runs. Each time nothing keeps running, no block file
    stays behind, and the executor keeps working."""
    token = new_token()
    code = sleeper(token) + "import time; time.sleep(1000)"
    executor = LocalCommandLineCodeExecutor(timeout=60, work_dir=tmp_path / "work")
    for delay in (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3):
        with anyio.move_on_after(delay):
            await executor.execute_code_blocks(run(code), CancellationToken())
        await assert_none_left(token)
        assert block_files(tmp_path / "work") == []
    result = await executor.execute_code_blocks(run("print('still fine')"), CancellationToken())
    assert result.output == "still fine\n"


def test_one_executor_serves_several_event_loops() -> None:
    executor = LocalCommandLineCodeExecutor()  # made outside any event loop

    async def use() -> str:
        result = await executor.execute_code_blocks(run("print(1)"), CancellationToken())
        await executor.stop()
        return result.output

    for backend in ("trio", "asyncio", "trio"):
        assert anyio.run(use, backend=backend) == "1\n"


@pytest.mark.anyio
async def test_a_waiter_cancelled_in_the_queue_does_not_block_the_next(tmp_path: Path) -> None:
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path)
    done: list[str] = []

    async def execute(name: str, code: str) -> None:
        result = await executor.execute_code_blocks(run(code), CancellationToken())
        done.append(f"{name}:{result.output.strip()}")

    with anyio.fail_after(20):
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(execute, "first", "import time; time.sleep(0.5); print(1)")
            await anyio.sleep(0.05)
            async with anyio.create_task_group() as waiting:
                waiting.start_soon(execute, "cancelled", "print(2)")  # queued behind "first"
                await anyio.sleep(0.1)
                waiting.cancel_scope.cancel()
            task_group.start_soon(execute, "third", "print(3)")
    assert done == ["first:1", "third:3"]


def build_wheel(folder: Path) -> Path:
    """A minimal pure-Python wheel of package ``mini_pkg`` (``answer() == 42``), so that the
    executor's pip step runs offline."""
    import base64
    import hashlib
    import zipfile

    files = {
        "mini_pkg/__init__.py": b"def answer():\n    return 42\n",
        "mini_pkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: mini-pkg\nVersion: 1.0\n",
        "mini_pkg-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("mini_pkg-1.0.dist-info/RECORD,,")
    files["mini_pkg-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / "mini_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


@pytest.mark.anyio
async def test_functions_packages_are_installed_into_the_virtual_environment(
    tmp_path: Path,
) -> None:
    wheel = build_wheel(tmp_path)
    # This interpreter's pip, seen through the system site packages, installs into the venv.
    context = await create_virtual_env(
        tmp_path / ".venv", with_pip=False, system_site_packages=True
    )
    pip = await anyio.run_process([context.env_exe, "-m", "pip", "--version"], check=False)
    if pip.returncode != 0:
        pytest.skip("the base interpreter has no pip for a --system-site-packages venv to use")
    uses_package = FunctionWithRequirements.from_str(
        "def answer_twice():\n    return 2 * mini_pkg.answer()\n",
        python_packages=[str(wheel)],
        global_imports=["mini_pkg"],
    )
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path / "work", functions=[uses_package], virtual_env_context=context
    )
    with anyio.fail_after(120):
        result = await executor.execute_code_blocks(
            run("from functions import answer_twice\nprint(answer_twice())"), CancellationToken()
        )
    assert (result.exit_code, result.output) == (0, "84\n")
    installed = await executor.execute_code_blocks(
        run("import mini_pkg, sys; print(mini_pkg.__file__.startswith(sys.prefix))"),
        CancellationToken(),
    )
    assert installed.output == "True\n"


@pytest.mark.anyio
async def test_a_failing_pip_install_is_reported(tmp_path: Path) -> None:
    context = await create_virtual_env(
        tmp_path / ".venv", with_pip=False, system_site_packages=True
    )
    broken = FunctionWithRequirements.from_str(
        "def f():\n    return 1\n", python_packages=[str(tmp_path / "no-such-1.0-py3-none-any.whl")]
    )
    executor = LocalCommandLineCodeExecutor(
        work_dir=tmp_path / "work", functions=[broken], virtual_env_context=context
    )
    with anyio.fail_after(120), pytest.raises(ValueError, match="Installing the functions"):
        await executor.execute_code_blocks(run("print(1)"), CancellationToken())
