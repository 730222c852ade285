"""An HTTP endpoint as a tool, on httpx (extra ``http``).

Migrating from autogen: ``autogen_ext.tools.http`` -> ``cantata.tools.http``.
"""

from ._http_tool import HttpTool, HttpToolConfig, HttpToolError

__all__ = ["HttpTool", "HttpToolConfig", "HttpToolError"]
