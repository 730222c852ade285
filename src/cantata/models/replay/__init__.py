"""A model client that replays scripted responses, for tests and demos.

Migrating from autogen: ``autogen_ext.models.replay`` -> ``cantata.models.replay``.
"""

from ._replay_client import ReplayChatCompletionClient, ReplayChatCompletionClientConfig

__all__ = ["ReplayChatCompletionClient", "ReplayChatCompletionClientConfig"]
