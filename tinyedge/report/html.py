"""HTML primitives and the page template: one self-contained file (inline CSS, images as
base64 ``data:`` URIs, no scripts, no external assets), readable on a narrow screen —
wide tables scroll sideways inside their own box and images shrink to the page width."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any, NamedTuple

CSS = """
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--fg); background: #fff; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--line); padding-bottom: 0.2rem;
     margin-top: 2rem; }
h3 { font-size: 1.1rem; margin-top: 1.5rem; }
p.note, .muted { color: var(--muted); font-size: 0.9rem; }
nav.toc { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px;
          padding: 0.5rem 1rem; }
nav.toc ul { margin: 0.2rem 0; padding-left: 1.2rem; }
.scroll { overflow-x: auto; max-width: 100%; margin: 0.5rem 0; }
table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 0.2rem 0.5rem; text-align: right;
         white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
figure { margin: 0.8rem 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.85rem; }
.tag { font-size: 0.75rem; background: #fff8c5; border: 1px solid #d4a72c;
       border-radius: 4px; padding: 0 0.25rem; }
.warning { background: #ffebe9; border: 1px solid #cf222e; border-radius: 6px;
           padding: 0.5rem 1rem; margin: 0.5rem 0; }
/* key column stays visible while a wide table scrolls sideways */
.scroll th:first-child, .scroll td:first-child { position: sticky; left: 0; z-index: 1;
                                                 background: #fff; }
.scroll thead th:first-child { background: #f6f8fa; z-index: 2; }
/* plot panels: side by side on a wide screen, one per row below ~720 px */
.panels { display: grid; gap: 0.5rem 1rem;
          grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); }
.panels figure { margin: 0.4rem 0; min-width: 0; }
.thumbs { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.5rem 0; }
.thumb { width: 8.5rem; font-size: 0.75rem; line-height: 1.3; overflow-wrap: anywhere; }
.thumb img { width: 64px; height: 64px; image-rendering: pixelated; display: block; }
details { margin: 0.5rem 0; }
summary { cursor: pointer; color: var(--muted); }
h4 { font-size: 1rem; margin: 1rem 0 0.3rem; }
@media (max-width: 600px) { body { font-size: 14px; } main { padding: 0.5rem; } }
"""


class TocEntry(NamedTuple):
    anchor: str
    title: str
    children: Sequence[TocEntry] = ()


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure(png: bytes, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{data_uri(png)}" alt="{esc(alt)}">{cap}</figure>'


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], raw: bool = False) -> str:
    """A table in a horizontally scrolling box; cells are escaped unless ``raw``."""
    cell = (lambda c: c) if raw else esc
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def section(anchor: str, title: str, body: str, level: int = 2) -> str:
    return f'<section id="{esc(anchor)}"><h{level}>{esc(title)}</h{level}>{body}</section>'


def toc(entries: Sequence[TocEntry]) -> str:
    def items(es: Sequence[TocEntry]) -> str:
        return "".join(f'<li><a href="#{esc(e.anchor)}">{esc(e.title)}</a>'
                       + (f"<ul>{items(e.children)}</ul>" if e.children else "") + "</li>"
                       for e in es)

    return f'<nav class="toc"><strong>Contents</strong><ul>{items(entries)}</ul></nav>'


def page(title: str, intro: str, entries: Sequence[TocEntry], body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><main><h1>{esc(title)}</h1>{intro}{toc(entries)}{body}</main></body></html>\n"
    )
