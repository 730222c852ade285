"""A local stand-in for the Playwright MCP server, for ``examples/mcp_workbench.py``.

It serves two of Playwright's browser tools, ``browser_navigate`` and ``browser_snapshot``,
over stdio, on a small offline web of two pages: a search engine's start page and its results
for the question the example asks. Run it as ``python examples/mcp_servers/web_browser.py``
(an MCP client starts it; it speaks MCP on stdin/stdout).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from mcp.server.mcpserver import MCPServer

server: MCPServer[None] = MCPServer("local-web-browser")

START_PAGE = """- generic [ref=s1e2]:
  - heading "Search - Microsoft Bing" [level=1] [ref=s1e3]
  - search [ref=s1e50]:
    - textbox "0 characters out of 2000" [ref=s1e53]
    - button "Search" [ref=s1e55]"""

ADDRESSES = {
    "microsoft building 99": "14820 NE 36th Street, Redmond, WA 98052, United States",
    "microsoft building 92": "15010 NE 36th Street, Redmond, WA 98052, United States",
}


class Browser:
    """One tab: the page it shows."""

    def __init__(self) -> None:
        self.url = "about:blank"

    def page(self) -> str:
        parts = urlsplit(self.url)
        if parts.netloc != "www.bing.com":
            return "- generic: This page cannot be reached offline"
        if parts.path == "/search":
            query = parse_qs(parts.query).get("q", [""])[0].lower()
            hits = [
                f'  - listitem:\n    - heading "{name.title()}" [level=2]\n    - text: {address}'
                for name, address in ADDRESSES.items()
                if name in query
            ]
            return "- list [ref=s2e1]:\n" + ("\n".join(hits) or "  - text: No results")
        return START_PAGE

    def describe(self) -> str:
        return f"- Page URL: {self.url}\n- Page Snapshot\n```yaml\n{self.page()}\n```"


browser = Browser()


@server.tool(description="Navigate to a URL")
def browser_navigate(url: str) -> str:
    browser.url = url
    return f"- Ran Playwright code:\n```js\nawait page.goto('{url}');\n```\n\n{browser.describe()}"


@server.tool(description="Capture accessibility snapshot of the current page")
def browser_snapshot() -> str:
    return browser.describe()


if __name__ == "__main__":
    server.run("stdio")
