"""Drawing a trace: a self-contained HTML sequence diagram, or Mermaid text."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

from ._recorder import TraceEvent

__all__ = ["render_html", "render_mermaid"]

OUTSIDE = "(outside)"
"""The participant for messages sent from outside any agent."""

_DRAWN = {"send", "publish", "deliver", "response", "error", "cancel", "drop", "construct_error"}


def _participants(events: Sequence[TraceEvent]) -> list[str]:
    """Lifelines in order of first appearance; topics are not lifelines."""
    names: list[str] = []

    def add(name: str | None) -> None:
        if name is not None and name not in names:
            names.append(name)

    for e in events:
        etype = e.get("type")
        if etype not in _DRAWN:
            continue
        add(e.get("sender") or OUTSIDE)
        if etype != "publish":  # a publish's receiver is a topic
            add(e.get("receiver"))
    return names


def _label(e: TraceEvent) -> str:
    payload = str(e.get("payload") or "")
    etype = e["type"]
    if etype == "publish":
        return f"publish to {e.get('receiver')}: {payload}"
    if etype in ("error", "construct_error", "cancel"):
        return f"{etype}: {e.get('detail') or payload}"
    if etype == "drop":
        return f"dropped: {payload}"
    return payload


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


_CSS = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px; }
.meta { color: #555; margin-bottom: 10px; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 26px; height: 0; vertical-align: middle;
            border-top: 2px solid; margin-right: 4px; }
svg text { font: 12px system-ui, sans-serif; }
.lifeline { stroke: #bbb; stroke-dasharray: 4 4; }
.head rect { fill: #eef3fb; stroke: #5b7db1; }
.rpc-request { stroke: #1f5fbf; fill: none; stroke-width: 1.6; }
.rpc-response { stroke: #1f5fbf; fill: none; stroke-width: 1.4; stroke-dasharray: 6 4; }
.publish { stroke: #2e8b57; fill: none; stroke-width: 1.6; stroke-dasharray: 2 3; }
.deliver { fill: #fff3c4; stroke: #c9a400; }
.error, .construct_error { fill: #fde2e1; stroke: #c62828; }
.cancel { fill: #ffe8cc; stroke: #e67700; }
.drop { fill: #f1f1f1; stroke: #666; }
.time { fill: #777; }
.outcome-failed { color: #c62828; font-weight: 600; }
.outcome-ok { color: #2e7d32; font-weight: 600; }
table { border-collapse: collapse; margin-top: 12px; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; font-size: 12px; }
"""

_CHECK_JS = """
(function () {
  var svg = document.querySelector('svg.trace');
  var box = svg ? svg.getBBox() : {width: 0, height: 0};
  var count = function (sel) { return svg ? svg.querySelectorAll(sel).length : 0; };
  var out = {
    width: Math.round(box.width), height: Math.round(box.height),
    lifelines: count('line.lifeline'), requests: count('.rpc-request'),
    responses: count('.rpc-response'), publishes: count('.publish'),
    errors: count('.error'), cancels: count('.cancel'), drops: count('.drop')
  };
  document.getElementById('render-check').textContent = JSON.stringify(out);
})();
"""


def render_html(events: Sequence[TraceEvent], *, title: str = "cantata trace") -> str:
    """A self-contained HTML page (inline SVG, CSS and a few lines of script; no network).

    Agents are lifelines, in order of first appearance (``(outside)`` for code outside any
    agent). Solid arrows are RPC requests, dashed arrows their responses, dotted green arrows
    published messages reaching a subscriber; boxes mark handler starts, errors,
    cancellations and drops. The left margin shows the logical time (``t``) and wall time of
    every row.
    """
    names = _participants(events)
    col = {name: i for i, name in enumerate(names)}
    col_w, left, top, row_h = 190, 150, 60, 28
    rows = [e for e in events if e.get("type") in _DRAWN]
    width = left + max(1, len(names)) * col_w + 40
    height = top + (len(rows) + 1) * row_h + 20

    def x(name: str | None) -> int:
        return left + col.get(name or OUTSIDE, 0) * col_w + col_w // 2

    parts: list[str] = [
        f'<svg class="trace" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#444"/></marker></defs>',
    ]
    for name in names:
        cx = x(name)
        parts.append(
            f'<g class="head"><rect x="{cx - col_w // 2 + 8}" y="10" width="{col_w - 16}" '
            f'height="26" rx="4"/><text x="{cx}" y="28" text-anchor="middle">'
            f"{html.escape(_short(name, 26))}<title>{html.escape(name)}</title></text></g>"
        )
        parts.append(f'<line class="lifeline" x1="{cx}" y1="36" x2="{cx}" y2="{height - 10}"/>')
    for i, e in enumerate(rows):
        y = top + i * row_h + row_h // 2
        etype = e["type"]
        t, wall = e.get("t"), e.get("wall")
        stamp = (f"t={t:g}" if isinstance(t, (int, float)) else "t=?") + (
            f"  {float(wall) * 1000:.2f} ms" if isinstance(wall, (int, float)) else ""
        )
        parts.append(f'<text class="time" x="6" y="{y + 4}">{html.escape(stamp)}</text>')
        label = html.escape(_short(_label(e), 60))
        tip = html.escape(json.dumps(e, default=str, ensure_ascii=False))
        sx, rx = x(e.get("sender")), x(e.get("receiver"))
        if etype in ("send", "response") or (etype == "deliver" and e.get("kind") == "publish"):
            cls = {"send": "rpc-request", "response": "rpc-response"}.get(etype, "publish")
            if sx == rx:  # a message to itself: a small loop
                d = f"M{sx},{y - 6} h30 v12 h-30"
                parts.append(f'<path class="{cls}" d="{d}" marker-end="url(#arrow)"/>')
            else:
                parts.append(
                    f'<line class="{cls}" x1="{sx}" y1="{y}" x2="{rx}" y2="{y}" '
                    f'marker-end="url(#arrow)"><title>{tip}</title></line>'
                )
            parts.append(
                f'<text x="{(sx + rx) // 2}" y="{y - 4}" text-anchor="middle">{label}'
                f"<title>{tip}</title></text>"
            )
        else:
            # a mark on one lifeline: handler start, publish, error, cancel, drop
            at = sx if etype in ("publish", "drop") else rx
            cls = "publish-mark deliver" if etype == "publish" else etype
            parts.append(
                f'<rect class="{cls}" x="{at - 7}" y="{y - 7}" width="14" height="14" rx="3">'
                f"<title>{tip}</title></rect>"
            )
            parts.append(f'<text x="{at + 12}" y="{y + 4}">{label}<title>{tip}</title></text>')
    parts.append("</svg>")

    header = next((e for e in events if e.get("type") == "run"), {})
    outcome = next((e for e in reversed(events) if e.get("type") == "outcome"), None)
    meta = " · ".join(
        f"{k}: {html.escape(str(v))}" for k, v in header.items() if k not in ("seq", "type")
    )
    if outcome is None:
        outcome_html = ""
    elif outcome.get("error"):
        outcome_html = f'<p class="outcome-failed">failed: {html.escape(str(outcome["error"]))}</p>'
    else:
        outcome_html = '<p class="outcome-ok">passed</p>'
    counts: dict[str, int] = {}
    for e in rows:
        counts[e["type"]] = counts.get(e["type"], 0) + 1
    table = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in sorted(counts.items()))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><div class='meta'>{meta}</div>{outcome_html}"
        "<div class='legend'><span><i style='border-color:#1f5fbf'></i>RPC request</span>"
        "<span><i style='border-color:#1f5fbf;border-top-style:dashed'></i>RPC response</span>"
        "<span><i style='border-color:#2e8b57;border-top-style:dotted'></i>publish</span>"
        "<span>&#9632; handler start / publish / error (red) / cancel (orange) / drop (grey)"
        "</span></div>"
        + "".join(parts)
        + f"<table><tr><th>event</th><th>count</th></tr>{table}</table>"
        "<pre id='render-check'></pre>"
        f"<script>{_CHECK_JS}</script></body></html>\n"
    )


_MERMAID_UNSAFE = re.compile(r"[;#\n\r:]")


def _mermaid_text(text: str) -> str:
    return _short(_MERMAID_UNSAFE.sub(" ", text), 80)


def render_mermaid(events: Sequence[TraceEvent]) -> str:
    """A Mermaid ``sequenceDiagram`` of the trace (same conventions as :func:`render_html`)."""
    names = _participants(events)
    alias = {name: f"p{i}" for i, name in enumerate(names)}
    lines = ["sequenceDiagram"]
    for name in names:
        lines.append(f"    participant {alias[name]} as {_mermaid_text(name)}")

    def who(name: Any) -> str:
        return alias.get(name or OUTSIDE, "p0")

    for e in events:
        etype = e.get("type")
        if etype not in _DRAWN:
            continue
        s, r = who(e.get("sender")), who(e.get("receiver"))
        text = _mermaid_text(_label(e)) or etype
        if etype == "send":
            lines.append(f"    {s}->>{r}: {text}")
        elif etype == "response":
            lines.append(f"    {s}-->>{r}: {text}")
        elif etype == "deliver" and e.get("kind") == "publish":
            lines.append(f"    {s}-){r}: {text}")
        elif etype in ("publish", "drop"):
            lines.append(f"    Note over {s}: {etype} {text}")
        elif etype in ("error", "cancel", "construct_error"):
            lines.append(f"    Note over {r}: {text}")
    outcome = next((e for e in reversed(events) if e.get("type") == "outcome"), None)
    if outcome is not None and outcome.get("error") and names:
        lines.append(f"    Note over p0: run failed {_mermaid_text(str(outcome['error']))}")
    return "\n".join(lines) + "\n"
