"""The codemod's rewriting rules, one by one (``cantata.migrate``)."""

from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cantata.migrate import (
    ENVIRONMENT_VARIABLES,
    EXT_PATHS,
    ExtPath,
    Problem,
    iter_files,
    main,
    map_dotted,
    migrate_file,
    migrate_text,
)


def _py(source: str) -> tuple[str, list[str]]:
    migrated, problems = migrate_text(source, "python", "m.py")
    again, _ = migrate_text(migrated, "python", "m.py")
    assert again == migrated, "not idempotent"
    return migrated, [str(problem) for problem in problems]


# Paths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("autogen_core", "cantata"),
        ("autogen_core.models", "cantata.models"),
        ("autogen_core.AgentId", "cantata.AgentId"),
        ("autogen_core._default_topic.DefaultTopicId", "cantata.DefaultTopicId"),
        ("autogen_core.models._types.UserMessage", "cantata.models.UserMessage"),
        ("autogen_core.tools._base.BaseTool", "cantata.tools.BaseTool"),
        ("autogen_core.events", "cantata.events"),
        ("autogen_ext.models.openai", "cantata.models.openai"),
        ("autogen_ext.models.openai.config", "cantata.models.openai.config"),
        (
            "autogen_ext.models.openai._openai_client.OpenAIChatCompletionClient",
            "cantata.models.openai.OpenAIChatCompletionClient",
        ),
        (
            "autogen_ext.runtimes.grpc.GrpcWorkerAgentRuntime",
            "cantata.runtimes.grpc.GrpcWorkerAgentRuntime",
        ),
        ("autogen_ext.tools.mcp.McpWorkbench", "cantata.tools.mcp.McpWorkbench"),
    ],
)
def test_paths_map(path: str, target: str) -> None:
    mapped = map_dotted(path)
    assert mapped is not None
    assert mapped.target == target


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("autogen_agentchat.agents", "AgentChat is not part of cantata"),
        ("autogen_ext.agents.web_surfer", "cantata does not provide autogen_ext.agents.web_surfer"),
        ("autogen_ext.models.azure", "cantata does not provide autogen_ext.models.azure"),
        ("autogen_ext", "cantata does not provide autogen_ext"),
    ],
)
def test_unprovided_paths_say_why(path: str, reason: str) -> None:
    mapped = map_dotted(path, is_module=True)
    assert mapped is not None
    assert mapped.target is None
    assert reason in mapped.reason


def test_other_packages_are_not_touched() -> None:
    assert map_dotted("autogen") is None  # AG2, a different project
    assert map_dotted("os.path") is None
    assert map_dotted("cantata.models") is None


def test_every_ext_path_maps_to_the_same_path_under_cantata() -> None:
    for entry in EXT_PATHS:
        assert entry.cantata == "cantata." + entry.autogen.removeprefix("autogen_ext.")
        assert map_dotted(entry.autogen, is_module=True) is not None
    assert len({entry.autogen for entry in EXT_PATHS}) == len(EXT_PATHS)


# Python: imports -----------------------------------------------------------------------------


def test_from_imports_keep_their_layout_and_comments() -> None:
    source = (
        "from autogen_core.models import (  # the model layer\n"
        "    UserMessage,  # from the user\n"
        "    SystemMessage as System,\n"
        ")\n"
    )
    migrated, problems = _py(source)
    assert migrated == source.replace("autogen_core.models", "cantata.models")
    assert problems == []


def test_private_modules_become_the_public_package() -> None:
    migrated, problems = _py(
        "from autogen_core._default_subscription import DefaultSubscription\n"
        "from autogen_core._default_topic import DefaultTopicId\n"
        "from autogen_core._agent_id import AgentId\n"
        "from autogen_core.models._types import UserMessage\n"
    )
    assert migrated == (
        "from cantata import DefaultSubscription\n"
        "from cantata import DefaultTopicId\n"
        "from cantata import AgentId\n"
        "from cantata.models import UserMessage\n"
    )
    assert problems == []


def test_a_private_name_cantata_does_not_export_is_reported_and_left() -> None:
    source = "from autogen_core._base_agent import handles, BaseAgent\n"
    migrated, problems = _py(source)
    assert migrated == source
    assert problems == [
        "m.py:1: from autogen_core._base_agent import handles: cantata does not provide "
        "handles (it is private to autogen_core._base_agent)"
    ]


def test_a_public_name_cantata_lacks_is_reported() -> None:
    source = "import os\nfrom autogen_core import AgentId, NoSuchThing\n"
    migrated, problems = _py(source)
    assert migrated == source
    assert problems == [
        "m.py:2: from autogen_core import NoSuchThing: cantata does not provide NoSuchThing"
    ]


def test_submodules_import_as_names() -> None:
    migrated, problems = _py("from autogen_core import models, tools\nfrom autogen_core import *\n")
    assert migrated == "from cantata import models, tools\nfrom cantata import *\n"
    assert problems == []


def test_plain_imports_and_their_dotted_uses() -> None:
    migrated, problems = _py(
        "import autogen_core\n"
        "import autogen_ext.models.replay, json\n"
        "import autogen_core.models as models\n"
        "agent = autogen_core.AgentId('a', 'b')\n"
        "client = autogen_ext.models.replay.ReplayChatCompletionClient(['x'])\n"
        "topic = (autogen_core._default_topic.DefaultTopicId)()\n"
        "module = autogen_core\n"
        "other.autogen_core.thing = 1\n"
    )
    assert migrated == (
        "import cantata\n"
        "import cantata.models.replay, json\n"
        "import cantata.models as models\n"
        "agent = cantata.AgentId('a', 'b')\n"
        "client = cantata.models.replay.ReplayChatCompletionClient(['x'])\n"
        "topic = (cantata.DefaultTopicId)()\n"
        "module = cantata\n"
        "other.autogen_core.thing = 1\n"
    )
    assert problems == []


def test_names_are_left_alone_without_a_plain_import() -> None:
    source = "autogen_core = load()\nautogen_core.AgentId\n"
    assert _py(source) == (source, [])


def test_unmapped_imports_are_reported_and_the_rest_migrated() -> None:
    migrated, problems = _py(
        "import autogen_agentchat\n"
        "from autogen_agentchat.teams import RoundRobinGroupChat, Swarm\n"
        "import autogen_ext.models.semantic_kernel as sk, autogen_ext.models.openai\n"
        "from autogen_ext import models\n"
        "from . import autogen_core\n"
    )
    assert migrated == (
        "import autogen_agentchat\n"
        "from autogen_agentchat.teams import RoundRobinGroupChat, Swarm\n"
        "import autogen_ext.models.semantic_kernel as sk, cantata.models.openai\n"
        "from autogen_ext import models\n"
        "from . import autogen_core\n"
    )
    agentchat = "AgentChat is not part of cantata, which provides autogen-core's API"
    assert problems == [
        f"m.py:1: import autogen_agentchat: {agentchat}",
        f"m.py:2: from autogen_agentchat.teams import RoundRobinGroupChat, Swarm: {agentchat}",
        "m.py:3: import autogen_ext.models.semantic_kernel: cantata does not provide "
        "autogen_ext.models.semantic_kernel",
        "m.py:4: from autogen_ext import models: cantata does not provide autogen_ext",
    ]


def test_imports_inside_functions_and_try_blocks() -> None:
    migrated, problems = _py(
        "def f():\n"
        "    try:\n"
        "        from autogen_ext.models.openai import OpenAIChatCompletionClient\n"
        "    except ImportError:  # optional\n"
        "        pass\n"
    )
    assert "from cantata.models.openai import OpenAIChatCompletionClient" in migrated
    assert "except ImportError:  # optional" in migrated
    assert problems == []


# Python: strings -----------------------------------------------------------------------------


def test_provider_strings_logger_names_and_variables() -> None:
    migrated, problems = _py(
        "config = {'provider': 'autogen_ext.models.openai.OpenAIChatCompletionClient'}\n"
        'store = "autogen_core.InMemoryStore"\n'
        'logging.getLogger("autogen_core")\n'
        "logging.getLogger('autogen_core.events')\n"
        "logging.getLogger(r'autogen_core.trace')\n"
        'os.environ["AUTOGEN_ALLOWED_PROVIDER_NAMESPACES"] = "myapp"\n'
        "os.getenv('AUTOGEN_DISABLE_RUNTIME_TRACING')\n"
        '"""autogen_core is documented here; autogen_core.AgentId too."""\n'
        "text = 'see autogen_core'\n"
        "data = b'autogen_core.AgentId'\n"
        "name = f'autogen_core.{x}'\n"
        "plain = 'autogen_ext'\n"
    )
    assert migrated == (
        "config = {'provider': 'cantata.models.openai.OpenAIChatCompletionClient'}\n"
        'store = "cantata.InMemoryStore"\n'
        'logging.getLogger("cantata")\n'
        "logging.getLogger('cantata.events')\n"
        "logging.getLogger(r'cantata.trace')\n"
        'os.environ["CANTATA_ALLOWED_COMPONENT_NAMESPACES"] = "myapp"\n'
        "os.getenv('CANTATA_DISABLE_RUNTIME_TRACING')\n"
        '"""autogen_core is documented here; autogen_core.AgentId too."""\n'
        "text = 'see autogen_core'\n"
        "data = b'autogen_core.AgentId'\n"
        "name = f'autogen_core.{x}'\n"
        "plain = 'autogen_ext'\n"
    )
    assert problems == []


def test_unmapped_strings_and_variables_are_reported() -> None:
    source = (
        "provider = 'autogen_agentchat.agents.AssistantAgent'\n"
        "os.environ.get('AUTOGEN_USE_DOCKER')\n"
    )
    migrated, problems = _py(source)
    assert migrated == source
    assert problems == [
        "m.py:1: string 'autogen_agentchat.agents.AssistantAgent': AgentChat is not part of "
        "cantata, which provides autogen-core's API",
        "m.py:2: environment variable AUTOGEN_USE_DOCKER: cantata does not read it",
    ]


def test_every_environment_variable_maps_to_one_cantata_reads() -> None:
    package = Path(__file__).resolve().parent.parent / "src" / "cantata"
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in package.rglob("*.py")
        if path.relative_to(package).parts[0] != "migrate"
    )
    for autogen, cantata in ENVIRONMENT_VARIABLES.items():
        assert autogen.startswith("AUTOGEN_")
        assert f'"{cantata}"' in sources, f"cantata does not read {cantata}"


def test_windows_line_endings_and_encoding_declarations_survive() -> None:
    source = "# -*- coding: utf-8 -*-\r\nfrom autogen_core import AgentId  # é\r\n"
    migrated, _ = _py(source)
    assert migrated == "# -*- coding: utf-8 -*-\r\nfrom cantata import AgentId  # é\r\n"


def test_invalid_python_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not valid Python"):
        migrate_text("from autogen_core import (\n", "python")


# JSON and YAML -------------------------------------------------------------------------------


def test_json_providers_nested_and_formatting_kept() -> None:
    document = {
        "provider": "autogen_ext.models.cache.ChatCompletionCache",
        "config": {
            "client": {
                "provider": "autogen_ext.models.openai.OpenAIChatCompletionClient",
                "config": {},
            },
            "store": {"provider": "autogen_core.InMemoryStore", "config": {}},
            "note": "autogen_core.AgentId",
        },
    }
    text = json.dumps(document, indent=3)
    migrated, problems = migrate_text(text, "json", "c.json")
    assert problems == []
    assert migrated.count("\n") == text.count("\n")
    loaded = json.loads(migrated)
    assert loaded["provider"] == "cantata.models.cache.ChatCompletionCache"
    assert (
        loaded["config"]["client"]["provider"] == "cantata.models.openai.OpenAIChatCompletionClient"
    )
    assert loaded["config"]["store"]["provider"] == "cantata.InMemoryStore"
    assert loaded["config"]["note"] == "autogen_core.AgentId"  # only providers change
    assert migrate_text(migrated, "json")[0] == migrated


def test_json_unmapped_provider_and_invalid_json() -> None:
    text = '{\n  "provider": "autogen_agentchat.teams.Swarm"\n}\n'
    migrated, problems = migrate_text(text, "json", "c.json")
    assert migrated == text
    assert [problem.line for problem in problems] == [2]
    with pytest.raises(ValueError, match="not valid JSON"):
        migrate_text("{", "json")


def test_yaml_providers_in_every_block_form() -> None:
    text = (
        "provider: autogen_ext.models.replay.ReplayChatCompletionClient  # the model\n"
        "tools:\n"
        "  - provider: 'autogen_core.tools.FunctionTool'\n"
        '  - "provider": "autogen_agentchat.agents.AssistantAgent"\n'
        "description: provider: autogen_core.AgentId in prose stays\n"
    )
    migrated, problems = migrate_text(text, "yaml", "c.yaml")
    assert migrated == (
        "provider: cantata.models.replay.ReplayChatCompletionClient  # the model\n"
        "tools:\n"
        "  - provider: 'cantata.tools.FunctionTool'\n"
        '  - "provider": "autogen_agentchat.agents.AssistantAgent"\n'
        "description: provider: autogen_core.AgentId in prose stays\n"
    )
    assert problems == [
        Problem(
            "c.yaml",
            4,
            "provider autogen_agentchat.agents.AssistantAgent",
            "AgentChat is not part of cantata, which provides autogen-core's API",
        )
    ]


# Files and the command -----------------------------------------------------------------------


def test_iter_files_walks_sources_and_skips_environments(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / "pkg" / "b.yml").write_text("")
    (tmp_path / "pkg" / "c.txt").write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.py").write_text("")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    (tmp_path / "venv" / "y.py").write_text("")
    (tmp_path / "conf.json").write_text("{}")
    (tmp_path / "guide.ipynb").write_text("{}")
    found = [path.relative_to(tmp_path).as_posix() for path in iter_files([tmp_path])]
    assert found == ["conf.json", "guide.ipynb", "pkg/a.py", "pkg/b.yml"]
    with pytest.raises(FileNotFoundError):
        list(iter_files([tmp_path / "missing"]))


def test_a_broken_file_is_reported_and_left(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("from autogen_core import (\n")
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"x = '\xe9'\n")
    results = [migrate_file(broken), migrate_file(latin)]
    assert [result.changed for result in results] == [False, False]
    assert "not valid Python" in results[0].problems[0].why
    assert "unreadable" in results[1].problems[0].why
    with pytest.raises(ValueError, match="not a Python, notebook, JSON or YAML file"):
        migrate_file(tmp_path / "notes.txt")


def test_main_prints_a_diff_then_writes(tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text("from autogen_core import AgentId\n")
    out, err = io.StringIO(), io.StringIO()
    assert main([str(tmp_path)], stdout=out, stderr=err) == 0
    assert source.read_text() == "from autogen_core import AgentId\n"
    name = source.as_posix().lstrip("/")
    assert out.getvalue() == (
        f"--- a/{name}\n+++ b/{name}\n@@ -1 +1 @@\n"
        "-from autogen_core import AgentId\n+from cantata import AgentId\n"
    )
    assert err.getvalue() == "would migrate 1 of 1 files\n"

    out, err = io.StringIO(), io.StringIO()
    assert main([str(source), "--write"], stdout=out, stderr=err) == 0
    assert source.read_text() == "from cantata import AgentId\n"
    assert out.getvalue() == ""
    assert err.getvalue() == f"migrated {source}\nmigrated 1 of 1 files\n"


def test_main_exit_status_1_lists_each_problem(tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text("import autogen_agentchat\nfrom autogen_core import AgentId\n")
    err = io.StringIO()
    assert main([str(source), "--write"], stdout=io.StringIO(), stderr=err) == 1
    assert err.getvalue().splitlines() == [
        f"migrated {source}",
        f"{source}:1: import autogen_agentchat: AgentChat is not part of cantata, which "
        "provides autogen-core's API",
        "migrated 1 of 1 files; 1 could not be migrated (listed above)",
    ]


def _in_tree(module: str) -> bool:
    path = Path(__file__).resolve().parent.parent / "src" / Path(*module.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


@pytest.mark.parametrize(
    "entry",
    [entry for entry in EXT_PATHS if _in_tree(entry.cantata)],
    ids=lambda entry: entry.autogen,
)
def test_provided_modules_import_and_declare_their_extra(entry: ExtPath) -> None:
    """Each mapped package that exists in the tree imports, and its extra is declared."""
    importlib.import_module(entry.cantata)
    pyproject = tomllib.loads(
        (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    )
    if entry.extra is not None:
        assert entry.extra in pyproject["project"]["optional-dependencies"]


# Notebooks -----------------------------------------------------------------------------------


def _notebook(*sources: str | list[str], cell_type: str = "code") -> str:
    cells: list[dict[str, object]] = [
        {"cell_type": cell_type, "metadata": {}, "outputs": [], "source": source}
        for source in sources
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}, indent=1) + "\n"


def test_notebook_code_cells_are_migrated_and_ipython_lines_kept() -> None:
    text = _notebook(
        ["%pip install autogen-core\n", "!echo hi\n", "from autogen_core import AgentId\n"],
        "    %time x = 1\nimport autogen_core\nawait autogen_core.foo()",
        "%%bash\necho autogen_core.AgentId\n",
    )
    migrated, problems = migrate_text(text, "notebook", "n.ipynb")
    assert problems == []
    cells = json.loads(migrated)["cells"]
    assert cells[0]["source"] == [
        "%pip install autogen-core\n",
        "!echo hi\n",
        "from cantata import AgentId\n",
    ]
    assert cells[1]["source"] == "    %time x = 1\nimport cantata\nawait cantata.foo()"
    assert cells[2]["source"] == "%%bash\necho autogen_core.AgentId\n"
    assert migrated.startswith('{\n "cells"')  # nbformat's indentation is kept
    assert migrate_text(migrated, "notebook")[0] == migrated


def test_notebook_markdown_and_outputs_are_left_alone() -> None:
    text = _notebook("Use `from autogen_core import AgentId`.", cell_type="markdown")
    assert migrate_text(text, "notebook") == (text, [])


def test_notebook_problems_name_the_cell() -> None:
    text = _notebook(
        "x = 1",
        "import os\nfrom autogen_agentchat.agents import AssistantAgent",
        "def (): autogen_core",
    )
    migrated, problems = migrate_text(text, "notebook", "n.ipynb")
    assert migrated == text
    assert [(problem.path, problem.line) for problem in problems] == [
        ("n.ipynb[cell 2]", 2),
        ("n.ipynb[cell 3]", 1),
    ]
    assert "not valid Python" in problems[1].why
    with pytest.raises(ValueError, match="not a notebook"):
        migrate_text("[]", "notebook")


# Robustness ----------------------------------------------------------------------------------


def test_files_are_taken_once_and_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = list(iter_files([tmp_path, tmp_path / "a.py", tmp_path]))
    assert found == [tmp_path / "a.py"]


def test_write_keeps_permissions_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text("#!/usr/bin/env python\nimport autogen_core\n")
    script.chmod(0o750)
    migrate_file(script).write()
    assert script.read_text() == "#!/usr/bin/env python\nimport cantata\n"
    assert script.stat().st_mode & 0o777 == 0o750
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run.py"]


@pytest.mark.parametrize(
    "expression",
    ["(" * 5000 + "1" + ")" * 5000, "+".join(["1"] * 20000)],
    ids=["5000 nested parentheses", "a 20000-term sum"],
)
def test_deeply_nested_source_is_reported_not_a_crash(expression: str, tmp_path: Path) -> None:
    # Deeper than CPython accepts; libcst's own parser crashes the process on the first.
    deep = tmp_path / "deep.py"
    deep.write_text(f"import autogen_core\nx = {expression}\n")
    result = migrate_file(deep)
    assert not result.changed
    (problem,) = result.problems
    assert problem.why.startswith("not valid Python")
    assert problem.line in (1, 2)


def test_a_large_file_is_migrated_whole() -> None:
    lines = [f"from autogen_core import AgentId as A{n}  # {n}" for n in range(3000)]
    migrated, problems = migrate_text("\n".join(lines) + "\n", "python")
    assert problems == []
    assert migrated.count("from cantata import AgentId as A") == 3000
    assert "autogen_core" not in migrated


def test_provided_packages_imported_from_their_parent() -> None:
    migrated, problems = _py(
        "from autogen_ext.models import openai, replay as scripted\n"
        "from autogen_ext.models import semantic_kernel\n"
    )
    assert migrated == (
        "from cantata.models import openai, replay as scripted\n"
        "from autogen_ext.models import semantic_kernel\n"
    )
    assert problems == [
        "m.py:2: from autogen_ext.models import semantic_kernel: cantata does not provide "
        "autogen_ext.models.semantic_kernel"
    ]


def test_without_libcst_the_command_says_which_extra_to_install(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import autogen_core\n")
    code = (
        "import sys; sys.modules['libcst'] = None\n"
        "from cantata.migrate import main\n"
        f"raise SystemExit(main([{str(tmp_path)!r}]))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 2
    assert "pip install 'cantata[migrate]'" in completed.stderr
