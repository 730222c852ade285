"""Component configuration: dump/load round trips, versions, aliases and trusted namespaces."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Self

import pytest
from pydantic import BaseModel

import cantata._components._providers as providers
from cantata import (
    CacheStore,
    Component,
    ComponentBase,
    ComponentLoader,
    ComponentModel,
    FunctionCall,
    InMemoryStore,
    allow_component_namespaces,
    is_component_class,
    is_component_instance,
)
from cantata._components import ALLOWED_NAMESPACES_ENV, WELL_KNOWN_PROVIDERS
from cantata.memory import ListMemory, Memory, MemoryContent, MemoryMimeType
from cantata.model_context import (
    BufferedChatCompletionContext,
    ChatCompletionContext,
    HeadAndTailChatCompletionContext,
    TokenLimitedChatCompletionContext,
    UnboundedChatCompletionContext,
)
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    UserMessage,
)
from cantata.models.cache import ChatCompletionCache
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tools import BaseTool, FunctionTool, StaticWorkbench, Workbench


@pytest.fixture(autouse=True)
def no_extra_namespaces(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with only ``cantata`` trusted."""
    monkeypatch.setattr(providers, "_allowed_namespaces", [])
    monkeypatch.delenv(ALLOWED_NAMESPACES_ENV, raising=False)
    yield


# -- A component of the tests' own -------------------------------------------------------------


class Config(BaseModel):
    value: str


class MyComponent(ComponentBase[Config], Component[Config]):
    """A component holding one value.

    It is defined by the tests, in a module that is not trusted by default.
    """

    component_type = "custom"
    component_config_schema = Config

    def __init__(self, value: str) -> None:
        self.value = value

    def _to_config(self) -> Config:
        return Config(value=self.value)

    @classmethod
    def _from_config(cls, config: Config) -> Self:
        return cls(value=config.value)


class ConfigV2(BaseModel):
    text: str
    repeat: int = 1


class VersionedComponent(ComponentBase[ConfigV2], Component[ConfigV2]):
    """A component whose config changed in version 2 (``value`` became ``text``)."""

    component_type = "custom"
    component_version = 2
    component_config_schema = ConfigV2

    def __init__(self, text: str, repeat: int = 1) -> None:
        self.text = text
        self.repeat = repeat

    def _to_config(self) -> ConfigV2:
        return ConfigV2(text=self.text, repeat=self.repeat)

    @classmethod
    def _from_config(cls, config: ConfigV2) -> Self:
        return cls(config.text, config.repeat)

    @classmethod
    def _from_config_past_version(cls, config: dict[str, Any], version: int) -> Self:
        assert version == 1
        return cls(text=config["value"])


def trust_this_module() -> None:
    allow_component_namespaces(MyComponent.__module__)


# -- Round trips of every component class --------------------------------------------------------

INFO: ModelInfo = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": ModelFamily.UNKNOWN,
    "structured_output": False,
}
HISTORY: list[LLMMessage] = [
    UserMessage(content="hello", source="user"),
    AssistantMessage(content=[FunctionCall(id="1", name="f", arguments="{}")], source="bot"),
]


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def _replay() -> ReplayChatCompletionClient:
    result = CreateResult(
        finish_reason="stop", content="done", usage=RequestUsage(1, 1), cached=False
    )
    return ReplayChatCompletionClient(["one", result], model_info=INFO)


def _memory() -> ListMemory:
    return ListMemory(
        name="facts",
        memory_contents=[
            MemoryContent(content="sky is blue", mime_type=MemoryMimeType.TEXT),
            MemoryContent(content={"k": 1}, mime_type=MemoryMimeType.JSON),
        ],
    )


COMPONENTS: dict[str, tuple[Callable[[], Any], type[ComponentLoader]]] = {
    "replay": (_replay, ChatCompletionClient),
    "in_memory_store": (InMemoryStore[int], CacheStore),
    "unbounded": (lambda: UnboundedChatCompletionContext(HISTORY), ChatCompletionContext),
    "buffered": (lambda: BufferedChatCompletionContext(3, HISTORY), ChatCompletionContext),
    "head_and_tail": (
        lambda: HeadAndTailChatCompletionContext(head_size=1, tail_size=2),
        ChatCompletionContext,
    ),
    "token_limited": (
        lambda: TokenLimitedChatCompletionContext(_replay(), token_limit=7),
        ChatCompletionContext,
    ),
    "list_memory": (_memory, Memory),
    "cache": (lambda: ChatCompletionCache(_replay(), InMemoryStore()), ChatCompletionClient),
    "function_tool": (lambda: FunctionTool(add, description="Add."), BaseTool),
    "static_workbench": (
        lambda: StaticWorkbench([FunctionTool(add, description="Add.")]),
        Workbench,
    ),
}


@pytest.mark.parametrize("name", sorted(COMPONENTS))
@pytest.mark.parametrize("form", ["model", "dict", "json"])
def test_round_trip(name: str, form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANTATA_TRUST_TOOL_SOURCE", "1")
    factory, interface = COMPONENTS[name]
    original = factory()
    assert is_component_instance(original)
    dumped = original.dump_component()
    assert dumped.provider.startswith("cantata.")
    assert "._" not in dumped.provider
    source: ComponentModel | dict[str, Any]
    if form == "model":
        source = dumped
    elif form == "dict":
        source = dumped.model_dump()
    else:
        source = ComponentModel.model_validate_json(dumped.model_dump_json())
    loaded = interface.load_component(source)
    assert type(loaded) is type(original)
    assert loaded is not original
    assert loaded.dump_component() == dumped
    assert ComponentLoader.load_component(source, expected=type(original)).dump_component() == (
        dumped
    )


def test_dump_records_provider_type_version_description_and_label() -> None:
    trust_this_module()
    model = MyComponent("x").dump_component()
    assert model == ComponentModel(
        provider=f"{MyComponent.__module__}.MyComponent",
        component_type="custom",
        version=1,
        component_version=1,
        description="A component holding one value.",
        label="MyComponent",
        config={"value": "x"},
    )
    loaded = MyComponent.load_component(model)
    assert isinstance(loaded, MyComponent) and loaded.value == "x"


def test_dump_drops_none_fields_of_the_config() -> None:
    config = UnboundedChatCompletionContext().dump_component().config
    assert config == {}


def test_replay_client_round_trip_restarts_the_script() -> None:
    loaded = ChatCompletionClient.load_component(_replay().dump_component())
    assert isinstance(loaded, ReplayChatCompletionClient)
    assert loaded.chat_completions[0] == "one"
    assert isinstance(loaded.chat_completions[1], CreateResult)
    assert loaded.model_info == INFO


def test_local_classes_cannot_be_dumped() -> None:
    class Local(MyComponent):
        pass

    with pytest.raises(TypeError, match="defined in a function"):
        Local("x").dump_component()


def test_is_component_class() -> None:
    assert is_component_class(MyComponent)
    assert is_component_class(ListMemory)
    assert not is_component_class(Memory)  # an interface: no schema
    assert not is_component_class(int)
    assert not is_component_class(len)
    assert not is_component_instance(object())


def test_component_without_base_warns() -> None:
    with pytest.warns(UserWarning, match="must subclass ComponentBase"):

        class NotLoadable(Component[Config]):
            component_type = "custom"
            component_config_schema = Config


def test_component_without_schema_warns() -> None:
    with pytest.warns(UserWarning, match="component_config_schema"):

        class NoSchema(ComponentBase[Config], Component[Config]):
            component_type = "custom"


# -- Versions -----------------------------------------------------------------------------------


def test_older_config_goes_through_past_version() -> None:
    trust_this_module()
    provider = f"{VersionedComponent.__module__}.VersionedComponent"
    old = {"provider": provider, "component_version": 1, "config": {"value": "v1"}}
    loaded = VersionedComponent.load_component(old)
    assert (loaded.text, loaded.repeat) == ("v1", 1)
    current = VersionedComponent("v2", 3).dump_component()
    assert current.component_version == 2 and current.version == 2
    reloaded = VersionedComponent.load_component(current)
    assert (reloaded.text, reloaded.repeat) == ("v2", 3)


def test_config_without_version_is_current() -> None:
    trust_this_module()
    provider = f"{VersionedComponent.__module__}.VersionedComponent"
    loaded = VersionedComponent.load_component({"provider": provider, "config": {"text": "t"}})
    assert loaded.text == "t"


def test_older_config_without_upgrade_is_refused() -> None:
    trust_this_module()
    old = {"provider": f"{MyComponent.__module__}.MyComponent", "config": {"value": "v"}}
    MyComponent.component_version = 2
    try:
        with pytest.raises(NotImplementedError, match="config version 1"):
            MyComponent.load_component({**old, "component_version": 1})
    finally:
        MyComponent.component_version = 1


# -- Aliases ------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", sorted(WELL_KNOWN_PROVIDERS))
def test_every_alias_names_a_cantata_component(alias: str) -> None:
    module_path, class_name = providers.check_provider(WELL_KNOWN_PROVIDERS[alias])
    module = __import__(module_path, fromlist=[class_name])
    assert is_component_class(getattr(module, class_name))


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("replay_chat_completion_client", ReplayChatCompletionClient),
        ("autogen_ext.models.replay.ReplayChatCompletionClient", ReplayChatCompletionClient),
        ("autogen_core.InMemoryStore", InMemoryStore),
        ("autogen_core.memory.ListMemory", ListMemory),
        ("autogen_core.model_context.BufferedChatCompletionContext", BufferedChatCompletionContext),
        (
            "autogen_core.model_context.UnboundedChatCompletionContext",
            UnboundedChatCompletionContext,
        ),
    ],
)
def test_autogen_names_load_cantata_classes(alias: str, expected: type[object]) -> None:
    configs: dict[type[object], dict[str, Any]] = {
        ReplayChatCompletionClient: {"chat_completions": ["hi"]},
        BufferedChatCompletionContext: {"buffer_size": 2},
    }
    loaded = ComponentLoader.load_component(
        {"provider": alias, "config": configs.get(expected, {})}, expected=expected
    )
    assert type(loaded) is expected


# -- Trusted namespaces -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["os.system", "subprocess.Popen", "builtins.eval"])
def test_untrusted_providers_are_refused(provider: str) -> None:
    with pytest.raises(ValueError, match="not in a trusted namespace"):
        ComponentLoader.load_component({"provider": provider, "config": {}})


@pytest.fixture
def untrusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only ``cantata`` is trusted during the test (other tests may trust more)."""
    monkeypatch.setattr(providers, "_allowed_namespaces", [])
    monkeypatch.delenv(ALLOWED_NAMESPACES_ENV, raising=False)


@pytest.mark.usefixtures("untrusted")
def test_a_component_class_of_an_imported_module_loads_without_an_allow_list() -> None:
    # This test module is not trusted, but it is imported and MyComponent is a component.
    model = MyComponent("x").dump_component()
    assert not model.provider.startswith("cantata.")
    assert MyComponent.load_component(model).value == "x"
    loaded = ComponentLoader.load_component(model, expected=MyComponent)
    assert loaded.value == "x"


@pytest.mark.usefixtures("untrusted")
def test_an_imported_class_of_another_kind_is_refused() -> None:
    from cantata.models import ChatCompletionClient

    model = MyComponent("x").dump_component()
    with pytest.raises(ValueError, match=r"not a component class of the expected kind \(Chat"):
        ChatCompletionClient.load_component(model)
    with pytest.raises(ValueError, match="nothing was imported"):
        ComponentLoader.load_component(model, expected=InMemoryStore)


@pytest.mark.usefixtures("untrusted")
def test_an_imported_class_that_is_not_a_component_is_refused() -> None:
    provider = f"{__name__}.Config"  # a pydantic model, not a component
    with pytest.raises(ValueError, match="not in a trusted namespace"):
        ComponentLoader.load_component({"provider": provider, "config": {"value": "v"}})


def test_a_component_defined_in_main_loads(tmp_path: Path) -> None:
    script = tmp_path / "guide_component.py"
    script.write_text(
        "from pydantic import BaseModel\n"
        "from cantata import Component, ComponentBase, ComponentLoader\n"
        "class Config(BaseModel):\n"
        "    value: str\n"
        "class MyComponent(ComponentBase[Config], Component[Config]):\n"
        "    component_type = 'custom'\n"
        "    component_config_schema = Config\n"
        "    def __init__(self, value: str) -> None:\n"
        "        self.value = value\n"
        "    def _to_config(self) -> Config:\n"
        "        return Config(value=self.value)\n"
        "    @classmethod\n"
        "    def _from_config(cls, config: Config) -> 'MyComponent':\n"
        "        return cls(value=config.value)\n"
        "model = MyComponent('hello').dump_component()\n"
        "print(model.provider)\n"
        "print(MyComponent.load_component(model.model_dump()).value)\n"
        "try:\n"
        "    ComponentLoader.load_component({'provider': '__main__.Config', 'config': {}})\n"
        "except ValueError as exc:\n"
        "    print('refused' if 'trusted namespace' in str(exc) else exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANTATA_")}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["__main__.MyComponent", "hello", "refused"]


def test_a_prefix_trusts_whole_names_only() -> None:
    allow_component_namespaces("cantat")
    with pytest.raises(ValueError, match="not in a trusted namespace"):
        ComponentLoader.load_component({"provider": "cantatax.Thing", "config": {}})


@pytest.fixture
def noisy_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module ``noisy_provider`` that prints and writes a marker file when imported."""
    marker = tmp_path / "imported"
    (tmp_path / "noisy_provider.py").write_text(
        f"print('noisy_provider imported')\nopen({str(marker)!r}, 'w').close()\nThing = 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield marker
    sys.modules.pop("noisy_provider", None)


def test_refused_provider_is_not_imported(
    noisy_module: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="its module was not imported"):
        ComponentLoader.load_component({"provider": "noisy_provider.Thing", "config": {}})
    assert "noisy_provider" not in sys.modules
    assert not noisy_module.exists()
    assert capsys.readouterr().out == ""


def test_env_var_trusts_a_namespace(
    noisy_module: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ALLOWED_NAMESPACES_ENV, "myapp, noisy_provider")
    with pytest.raises(TypeError, match="not a component class"):
        ComponentLoader.load_component({"provider": "noisy_provider.Thing", "config": {}})
    assert noisy_module.exists()
    assert capsys.readouterr().out == "noisy_provider imported\n"


def test_function_trusts_a_namespace() -> None:
    trust_this_module()
    loaded = ComponentLoader.load_component(MyComponent("y").dump_component(), expected=MyComponent)
    assert loaded.value == "y"


@pytest.mark.parametrize("prefix", ["", ".", "a b", "1abc"])
def test_bad_namespaces_are_rejected(prefix: str) -> None:
    with pytest.raises(ValueError, match="Invalid component namespace"):
        allow_component_namespaces(prefix)


def test_bad_namespace_in_env_var_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWED_NAMESPACES_ENV, "ok,not valid")
    with pytest.raises(ValueError, match="Invalid component namespace"):
        ComponentLoader.load_component({"provider": "cantata.InMemoryStore", "config": {}})


# -- Provider errors and expected types ---------------------------------------------------------


@pytest.mark.parametrize("provider", ["x", ".Thing", "cantata..Thing", "cantata.", "a-b.C"])
def test_malformed_providers_are_refused(provider: str) -> None:
    with pytest.raises(ValueError, match="Invalid component provider"):
        ComponentLoader.load_component({"provider": provider, "config": {}})


def test_autogen_paths_map_to_cantata_paths() -> None:
    from cantata.tools.http import HttpTool

    assert providers.resolve_provider("autogen_ext.tools.http.HttpTool") == (
        "cantata.tools.http.HttpTool"
    )
    assert providers.resolve_provider("autogen_core.Thing") == "cantata.Thing"
    assert providers.resolve_provider("autogen_agentchat.Thing") == "autogen_agentchat.Thing"
    assert providers.resolve_provider("autogen_corex.Thing") == "autogen_corex.Thing"
    tool = ComponentLoader.load_component(
        {
            "provider": "autogen_ext.tools.http.HttpTool",
            "config": {
                "name": "t",
                "host": "127.0.0.1",
                "port": 1,
                "json_schema": {"type": "object", "properties": {}},
            },
        },
        expected=HttpTool,
    )
    assert tool.name == "t"


def test_autogen_path_cantata_lacks_is_reported() -> None:
    with pytest.raises(TypeError, match=r"'autogen_ext.nowhere.Thing' \(looked up as"):
        ComponentLoader.load_component({"provider": "autogen_ext.nowhere.Thing", "config": {}})
    with pytest.raises(TypeError, match=r"there is no module 'cantata\.nowhere'"):
        ComponentLoader.load_component({"provider": "cantata.nowhere.deeper.Thing", "config": {}})


def test_autogen_allow_list_variable_is_read(
    noisy_module: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(providers.AUTOGEN_ALLOWED_NAMESPACES_ENV, "noisy_provider")
    with pytest.raises(TypeError, match="not a component class"):
        ComponentLoader.load_component({"provider": "noisy_provider.Thing", "config": {}})
    assert noisy_module.exists()


def test_missing_class_is_reported() -> None:
    with pytest.raises(TypeError, match="does not exist"):
        ComponentLoader.load_component({"provider": "cantata.NoSuchThing", "config": {}})


def test_non_component_is_refused() -> None:
    with pytest.raises(TypeError, match="not a component class"):
        ComponentLoader.load_component({"provider": "cantata.CancellationToken", "config": {}})


def test_invalid_config_is_a_validation_error() -> None:
    with pytest.raises(ValueError, match="buffer_size"):
        ChatCompletionContext.load_component(
            {"provider": "cantata.model_context.BufferedChatCompletionContext", "config": {}}
        )


def test_result_is_checked_against_the_class_called_on() -> None:
    memory = _memory().dump_component()
    with pytest.raises(TypeError, match="not a ChatCompletionClient"):
        ChatCompletionClient.load_component(memory)
    assert isinstance(Memory.load_component(memory), ListMemory)


def test_result_is_checked_against_expected() -> None:
    memory = _memory().dump_component()
    with pytest.raises(TypeError, match="not a ReplayChatCompletionClient"):
        Memory.load_component(memory, expected=ReplayChatCompletionClient)
    loaded = ComponentLoader.load_component(memory, expected=ListMemory)
    assert loaded.name == "facts"
