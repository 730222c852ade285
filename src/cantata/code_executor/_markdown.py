"""Finding the fenced code blocks in a model's markdown reply."""

from __future__ import annotations

import re

from ._base import CodeBlock

__all__ = ["CODE_BLOCK_PATTERN", "extract_markdown_code_blocks"]

CODE_BLOCK_PATTERN = re.compile(
    r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<language>[\w+\-.#]*)[^\n]*\n"
    r"(?P<code>.*?)"
    r"^(?P=indent)?[ \t]{0,3}(?P=fence)[`~]*[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
"""A fenced code block: a line opening with three or more backticks (or tildes) and an
optional language tag, the code, and a closing line with the same fence."""


def extract_markdown_code_blocks(markdown_text: str) -> list[CodeBlock]:
    """Return the fenced code blocks of *markdown_text*, in order.

    A block opens with a line of three or more backticks or tildes, optionally followed by a
    language tag (```` ```python ````), and closes with a line holding the same fence. The
    language is the tag, lower-cased, or ``""`` when the block has none; the code is the text
    between the fence lines (with its final newline). Unclosed fences and inline code
    (```` ``x`` ````) are not blocks.
    """
    blocks: list[CodeBlock] = []
    for match in CODE_BLOCK_PATTERN.finditer(markdown_text):
        language = match.group("language").strip().lower()
        blocks.append(CodeBlock(code=match.group("code"), language=language))
    return blocks
