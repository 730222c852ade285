"""cantata.code_executor: code blocks, markdown extraction, functions with requirements and
the functions file they make."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cantata.code_executor import (
    Alias,
    CodeBlock,
    CodeExecutor,
    CodeResult,
    FunctionWithRequirements,
    FunctionWithRequirementsStr,
    ImportFromModule,
    build_python_functions_file,
    extract_markdown_code_blocks,
    with_requirements,
)
from cantata.code_executors import CommandLineCodeResult


def test_blocks_and_results_are_the_references_dataclasses() -> None:
    assert CodeBlock(code="x", language="python") == CodeBlock("x", "python")
    assert CodeResult(exit_code=0, output="ok") == CodeResult(0, "ok")
    result = CommandLineCodeResult(exit_code=0, output="Hello, World!\n", code_file="a.py")
    assert isinstance(result, CodeResult)
    assert repr(result) == (
        "CommandLineCodeResult(exit_code=0, output='Hello, World!\\n', code_file='a.py')"
    )
    assert CodeExecutor.component_type == "code_executor"


def test_markdown_blocks_are_extracted_in_order() -> None:
    text = (
        "Here you go:\n"
        "```python\nprint('a')\n```\n"
        "and then\n"
        "```Bash\necho b\n```\n"
        "```\nno language\n```\n"
        "~~~sh\necho tilde\n~~~\n"
        "inline ``code`` is not a block, nor is this:\n"
        "```python\nunclosed\n"
    )
    assert extract_markdown_code_blocks(text) == [
        CodeBlock(code="print('a')\n", language="python"),
        CodeBlock(code="echo b\n", language="bash"),
        CodeBlock(code="no language\n", language=""),
        CodeBlock(code="echo tilde\n", language="sh"),
    ]


def test_a_longer_fence_can_hold_backticks() -> None:
    text = "````markdown\n```python\nprint(1)\n```\n````\n"
    assert extract_markdown_code_blocks(text) == [
        CodeBlock(code="```python\nprint(1)\n```\n", language="markdown")
    ]


def test_the_guides_reply_gives_its_block() -> None:
    reply = "```python\nimport pandas as pd\nprint(pd)\n```\n\nRun it."
    assert extract_markdown_code_blocks(reply) == [
        CodeBlock(code="import pandas as pd\nprint(pd)\n", language="python")
    ]
    assert extract_markdown_code_blocks("No code here.") == []


@with_requirements(python_packages=["requests"], global_imports=[Alias("json", "j")])
def to_json(value: int) -> str:
    """Serialise a number."""
    return str(j.dumps(value))  # type: ignore[name-defined]  # noqa: F821


def plain(x: int) -> int:
    return x + 1


def test_with_requirements_keeps_the_function_callable() -> None:
    assert isinstance(to_json, FunctionWithRequirements)
    assert to_json.python_packages == ["requests"]
    assert to_json.__name__ == "to_json"  # type: ignore[attr-defined]
    assert to_json.__doc__ == "Serialise a number."
    wrapped = FunctionWithRequirements.from_callable(plain, python_packages=["x"])
    assert wrapped(1) == 2
    assert wrapped.python_packages == ["x"]


def test_function_from_source() -> None:
    func = FunctionWithRequirements.from_str(
        "    async def fetch(url: str) -> str:\n        return url\n",
        python_packages=["httpx"],
    )
    assert isinstance(func, FunctionWithRequirementsStr)
    assert func.name == "fetch"
    assert func.func.startswith("async def fetch")
    with pytest.raises(NotImplementedError):
        func()
    with pytest.raises(ValueError, match="exactly one"):
        FunctionWithRequirementsStr("def a(): pass\ndef b(): pass\n")
    with pytest.raises(ValueError, match="exactly one"):
        FunctionWithRequirementsStr("x = 1\n")
    with pytest.raises(ValueError, match="not valid Python"):
        FunctionWithRequirementsStr("def broken(:\n")


def test_the_functions_file_imports_once_and_runs(tmp_path: Path) -> None:
    source_func = FunctionWithRequirements.from_str(
        "def area(r):\n    return round(pi * r * r, 2)\n",
        global_imports=[ImportFromModule("math", ["pi"]), Alias("json", "j")],
    )
    source = build_python_functions_file([to_json, plain, source_func])
    assert source.splitlines()[:2] == ["import json as j", "from math import pi"]
    assert source.count("import json as j") == 1
    assert "@with_requirements" not in source
    module = tmp_path / "functions.py"
    module.write_text(source)
    completed = subprocess.run(
        [sys.executable, "-c", "from functions import *; print(to_json(3), plain(1), area(1))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout == "3 2 3.14\n"


def test_a_function_without_source_is_refused() -> None:
    with pytest.raises(ValueError, match="not defined with def"):
        build_python_functions_file([lambda x: x])
    with pytest.raises(ValueError, match="source"):
        build_python_functions_file([len])
