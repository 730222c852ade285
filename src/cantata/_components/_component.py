"""The component classes: :class:`ComponentModel`, dumping, loading, the type checks."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Literal, Self, TypeAlias, TypeGuard, TypeVar, overload

from pydantic import BaseModel

from ._providers import is_trusted, resolve_provider, split_provider, untrusted_error

__all__ = [
    "Component",
    "ComponentBase",
    "ComponentFromConfig",
    "ComponentLoader",
    "ComponentModel",
    "ComponentSchemaType",
    "ComponentToConfig",
    "ComponentType",
    "is_component_class",
    "is_component_instance",
]

ComponentType: TypeAlias = (
    Literal["model", "agent", "tool", "termination", "token_provider", "workbench"] | str
)
"""The kind of a component: one of the well-known kinds, or any other string."""

ConfigT = TypeVar("ConfigT", bound=BaseModel)
FromConfigT = TypeVar("FromConfigT", bound=BaseModel, contravariant=True)
ToConfigT = TypeVar("ToConfigT", bound=BaseModel, covariant=True)
ExpectedType = TypeVar("ExpectedType")


class ComponentModel(BaseModel):
    """The configuration of a component: which class to create and its config."""

    provider: str
    """The class to create, as ``"module.ClassName"`` or a well-known alias."""

    component_type: ComponentType | None = None
    """The kind of component (``"model"``, ``"tool"``, ...)."""

    version: int | None = None
    """The version of the component specification."""

    component_version: int | None = None
    """The version of the component's config; an older one is upgraded on loading."""

    description: str | None = None
    """A description of the component."""

    label: str | None = None
    """A human-readable name for the component."""

    config: dict[str, Any]
    """The component's config, validated against its ``component_config_schema``."""


class ComponentFromConfig(Generic[FromConfigT]):
    """The creating half of a component: :meth:`_from_config`."""

    @classmethod
    def _from_config(cls, config: FromConfigT) -> Self:
        """Create a new instance from *config* (validated against the schema)."""
        raise NotImplementedError("This component does not support loading from a config")

    @classmethod
    def _from_config_past_version(cls, config: dict[str, Any], version: int) -> Self:
        """Create a new instance from a *config* of an older ``component_version``."""
        raise NotImplementedError("This component does not support loading older configs")


class ComponentToConfig(Generic[ToConfigT]):
    """The dumping half of a component: :meth:`_to_config` and :meth:`dump_component`."""

    component_type: ClassVar[ComponentType]
    """The kind of component."""

    component_version: ClassVar[int] = 1
    """The version of the config format; raise it when the config changes."""

    component_provider_override: ClassVar[str | None] = None
    """The provider to record instead of ``module.qualname``."""

    component_description: ClassVar[str | None] = None
    """The description to record; defaults to the first paragraph of the class docstring."""

    component_label: ClassVar[str | None] = None
    """The label to record; defaults to the class name."""

    def _to_config(self) -> ToConfigT:
        """Return the config from which an equivalent instance can be created."""
        raise NotImplementedError("This component does not support dumping to a config")

    def dump_component(self) -> ComponentModel:
        """Return this object's :class:`ComponentModel`.

        Raises:
            TypeError: The class is defined inside a function (it could not be imported).
        """
        cls = type(self)
        provider = cls.component_provider_override or f"{cls.__module__}.{cls.__qualname__}"
        if "<locals>" in provider:
            raise TypeError(f"Cannot dump component {provider!r}: it is defined in a function")
        if "._" in provider:
            warnings.warn(
                f"Component provider {provider!r} is in a private module; set "
                "component_provider_override to a public name",
                UserWarning,
                stacklevel=2,
            )
        description = cls.component_description
        if description is None and cls.__doc__:
            description = cls.__doc__.strip()
            for marker in ("\n\nArgs:", "\n\nParameters:", "\n\nAttributes:", "\n\n"):
                description = description.split(marker)[0]
            description = description.strip()
        return ComponentModel(
            provider=provider,
            component_type=cls.component_type,
            version=cls.component_version,
            component_version=cls.component_version,
            description=description,
            label=cls.component_label or cls.__name__,
            config=self._to_config().model_dump(exclude_none=True),
        )


class ComponentLoader:
    """Loading components: :meth:`load_component`."""

    @overload
    @classmethod
    def load_component(
        cls, model: ComponentModel | Mapping[str, Any], expected: None = None
    ) -> Self: ...

    @overload
    @classmethod
    def load_component(
        cls, model: ComponentModel | Mapping[str, Any], expected: type[ExpectedType]
    ) -> ExpectedType: ...

    @classmethod
    def load_component(
        cls,
        model: ComponentModel | Mapping[str, Any],
        expected: type[ExpectedType] | None = None,
    ) -> Self | ExpectedType:
        """Create the component described by *model*.

        Well-known provider aliases are resolved first, and any other provider under
        ``autogen_core.`` or ``autogen_ext.`` is looked up under ``cantata.`` (the migration
        rule: ``autogen_ext.tools.http.HttpTool`` -> ``cantata.tools.http.HttpTool``). A
        provider whose module is in a trusted namespace (see
        :func:`allow_component_namespaces`) is imported. A provider
        in any other module loads only if that module is already imported (``__main__``,
        the program's own modules) and the class is a component class of the expected kind
        (a subclass of *expected*, or of the class called on); nothing is imported for it.
        A config older than the class's ``component_version`` goes through
        ``_from_config_past_version``; otherwise it is validated against the class's
        ``component_config_schema`` and passed to ``_from_config``.

        Args:
            model: A :class:`ComponentModel` or a dict of one.
            expected: The type the result must have; defaults to the class called on.

        Raises:
            ValueError: The provider is malformed, or it is not in a trusted namespace and
                not a component class of the expected kind in an imported module.
            TypeError: The provider is not a component class, or the result is not an
                instance of *expected* (or of this class).
        """
        loaded = model if isinstance(model, ComponentModel) else ComponentModel(**model)
        provider = resolve_provider(loaded.provider)
        module_path, class_name = split_provider(provider)
        wanted: type[Any] = cls if expected is None else expected
        if is_trusted(module_path):
            try:
                module = importlib.import_module(module_path)
            except ModuleNotFoundError as exc:
                if exc.name is None or not (module_path + ".").startswith(exc.name + "."):
                    raise  # a module the provider needs is missing, not the provider
                named = repr(loaded.provider)
                if provider != loaded.provider:
                    named += f" (looked up as {provider!r})"
                raise TypeError(
                    f"Component provider {named} does not exist: there is no module {exc.name!r}"
                ) from exc
            component_class = getattr(module, class_name, None)
        else:
            component_class = _imported_component(module_path, class_name, wanted, provider)
        if component_class is None:
            raise TypeError(f"Component provider {provider!r} does not exist")
        if not is_component_class(component_class):
            raise TypeError(f"Component provider {provider!r} is not a component class")
        current = component_class.component_version
        version = loaded.component_version or current
        instance: object
        if version < current:
            try:
                instance = component_class._from_config_past_version(loaded.config, version)
            except NotImplementedError as error:
                raise NotImplementedError(
                    f"{provider} cannot load config version {version} (current: {current})"
                ) from error
        else:
            config = component_class.component_config_schema.model_validate(loaded.config)
            instance = component_class._from_config(config)
        if not isinstance(instance, wanted):
            raise TypeError(
                f"Component {provider!r} is a {type(instance).__name__}, not a {wanted.__name__}"
            )
        return instance  # type: ignore[no-any-return]  # checked against expected above


def _imported_component(
    module_path: str, class_name: str, wanted: type[Any], provider: str
) -> type[Any]:
    """The component class *provider* names in an untrusted but already imported module.

    Raises:
        ValueError: The module is not imported, or the name is not a component class that
            is a subclass of *wanted*.
    """
    module = sys.modules.get(module_path)
    if module is None:
        raise untrusted_error(provider, module_path, "its module was not imported")
    found = getattr(module, class_name, None)
    if not (is_component_class(found) and issubclass(found, wanted)):
        raise untrusted_error(
            provider,
            module_path,
            f"nothing was imported, and in the already imported module {module_path!r} it "
            f"is not a component class of the expected kind ({wanted.__name__})",
        )
    return found


class ComponentSchemaType(Generic[ConfigT]):
    """The config schema of a component: ``component_config_schema``."""

    component_config_schema: type[ConfigT]
    """The pydantic model of the component's config."""

    required_class_vars: ClassVar[list[str]] = ["component_config_schema", "component_type"]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__ not in ("Component", "_ConcreteComponent"):
            for var in cls.required_class_vars:
                if not hasattr(cls, var):
                    warnings.warn(
                        f"Class variable '{var}' must be defined in {cls.__name__} "
                        "to be a valid component",
                        UserWarning,
                        stacklevel=2,
                    )


class ComponentBase(ComponentToConfig[ConfigT], ComponentLoader, Generic[ConfigT]):
    """The base of component interfaces: dumping and loading."""


class Component(ComponentFromConfig[ConfigT], ComponentSchemaType[ConfigT], Generic[ConfigT]):
    """A concrete component: its config schema and :meth:`_from_config`.

    A component class derives from :class:`ComponentBase` (often through its interface) and
    from ``Component[Config]``, sets ``component_type`` and ``component_config_schema`` and
    implements ``_to_config`` and ``_from_config``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not is_component_class(cls):
            warnings.warn(
                f"Component class '{cls.__name__}' must subclass ComponentBase[Config] "
                "to be dumped and loaded",
                UserWarning,
                stacklevel=2,
            )


class _ConcreteComponent(
    ComponentFromConfig[ConfigT],
    ComponentSchemaType[ConfigT],
    ComponentToConfig[ConfigT],
    ComponentLoader,
    Generic[ConfigT],
):
    """What :func:`is_component_class` checks for (all parts of a component)."""


def is_component_instance(obj: Any) -> TypeGuard[_ConcreteComponent[BaseModel]]:
    """Whether *obj* is an instance of a complete component class."""
    return is_component_class(type(obj))


def is_component_class(cls: Any) -> TypeGuard[type[_ConcreteComponent[BaseModel]]]:
    """Whether *cls* is a complete component class (dumpable, loadable, with a schema)."""
    return isinstance(cls, type) and all(
        issubclass(cls, base)
        for base in (ComponentFromConfig, ComponentToConfig, ComponentSchemaType, ComponentLoader)
    )
