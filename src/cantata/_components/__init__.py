"""Component configuration: objects that dump themselves to a config and load back from one.

A component is a class that can be created from a pydantic config model
(:meth:`ComponentFromConfig._from_config`) and can describe itself as one
(:meth:`ComponentToConfig._to_config`). :meth:`ComponentToConfig.dump_component` wraps that
config in a :class:`ComponentModel` naming the class (its *provider*);
:meth:`ComponentLoader.load_component` imports the provider and creates the object again.

Loading imports the provider's module, so importing is restricted to trusted namespaces:
modules under ``cantata`` and the prefixes given to :func:`allow_component_namespaces` or
listed (comma-separated) in the ``CANTATA_ALLOWED_COMPONENT_NAMESPACES`` environment
variable. A provider in any other module loads only when that module is already imported
(the program's ``__main__`` or its own modules) and names a component class of the kind the
caller expects (a subclass of ``expected``, or of the class ``load_component`` is called on);
anything else is refused with :class:`ValueError`, and nothing is imported for it.

Migrating from autogen-core: the classes keep their names (``autogen_core.Component`` ->
``cantata.Component``, ...). Providers named with autogen's well-known names (for example
``"openai_chat_completion_client"``) load the matching cantata class, and any other provider
under ``autogen_core.`` or ``autogen_ext.`` is looked up at the same path under ``cantata.``.
The allow-list variable is ``CANTATA_ALLOWED_COMPONENT_NAMESPACES``; autogen's
``AUTOGEN_ALLOWED_PROVIDER_NAMESPACES`` is read too. Test modules are not trusted by default
(but, once imported, their component classes load as described above).
"""

from ._component import (
    Component,
    ComponentBase,
    ComponentFromConfig,
    ComponentLoader,
    ComponentModel,
    ComponentSchemaType,
    ComponentToConfig,
    ComponentType,
    is_component_class,
    is_component_instance,
)
from ._providers import ALLOWED_NAMESPACES_ENV, WELL_KNOWN_PROVIDERS, allow_component_namespaces

__all__ = [
    "ALLOWED_NAMESPACES_ENV",
    "WELL_KNOWN_PROVIDERS",
    "Component",
    "ComponentBase",
    "ComponentFromConfig",
    "ComponentLoader",
    "ComponentModel",
    "ComponentSchemaType",
    "ComponentToConfig",
    "ComponentType",
    "allow_component_namespaces",
    "is_component_class",
    "is_component_instance",
]
