"""Recorded runtime traces: JSON lines in, pictures out.

* :class:`TraceRecorder` records what a runtime does (RPCs and their responses, publishes,
  deliveries, drops, errors, cancellations, with logical and wall times) and writes it as JSON
  lines.
* ``python -m cantata.trace render TRACE.jsonl -o out.html`` draws a self-contained HTML page;
  ``--format mermaid`` writes a Mermaid sequence diagram instead.
"""

from ._recorder import TraceEvent, TraceRecorder, read_trace, write_trace
from ._render import render_html, render_mermaid

__all__ = [
    "TraceEvent",
    "TraceRecorder",
    "read_trace",
    "render_html",
    "render_mermaid",
    "write_trace",
]
