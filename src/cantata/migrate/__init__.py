"""Migrate a code base from autogen-core to cantata: ``python -m cantata.migrate PATH...``.

The codemod rewrites, keeping formatting and comments (it edits the syntax tree with
libcst, extra ``migrate``):

* imports and dotted paths: ``autogen_core`` -> ``cantata``, ``autogen_ext.X`` ->
  ``cantata.X`` for every package in :data:`EXT_PATHS`, and the reference's private modules
  (``autogen_core._default_subscription``, ...) -> the public package that exports the name;
* component provider strings (``"autogen_ext.models.openai.OpenAIChatCompletionClient"``) in
  Python, and the ``provider`` values of JSON and YAML files;
* logger names (``"autogen_core.events"`` -> ``"cantata.events"``) and the ``AUTOGEN_``
  environment variables cantata has its own name for (:data:`ENVIRONMENT_VARIABLES`).

Python files (``.py``, ``.pyi``) and the code cells of notebooks (``.ipynb``) get all of
these; JSON and YAML files get their ``provider`` values rewritten.

Whatever it cannot map (an ``autogen_agentchat`` import, an ``autogen_ext`` package cantata
does not provide, a name cantata does not export) is left as it is and reported as a
:class:`Problem`. Running it again on its own output changes nothing.
"""

from ._cli import main
from ._files import FileMigration, iter_files, migrate_file, migrate_text
from ._paths import CORE_MODULES, ENVIRONMENT_VARIABLES, EXT_PATHS, ExtPath, map_dotted
from ._problems import Problem

__all__ = [
    "CORE_MODULES",
    "ENVIRONMENT_VARIABLES",
    "EXT_PATHS",
    "ExtPath",
    "FileMigration",
    "Problem",
    "iter_files",
    "main",
    "map_dotted",
    "migrate_file",
    "migrate_text",
]
