"""``python -m cantata.trace render TRACE.jsonl -o out.html [--format html|mermaid]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ._recorder import read_trace
from ._render import render_html, render_mermaid


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cantata.trace")
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="draw a JSON-lines trace")
    render.add_argument("trace", type=Path, help="the trace file (JSON lines)")
    render.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    render.add_argument("--format", choices=("html", "mermaid"), default="html")
    render.add_argument("--title", default=None, help="page title (HTML)")
    args = parser.parse_args(argv)
    try:
        events = read_trace(args.trace)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "html":
        text = render_html(events, title=args.title or f"cantata trace: {args.trace.name}")
    else:
        text = render_mermaid(events)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
