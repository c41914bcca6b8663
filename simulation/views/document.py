"""A report as a list of blocks, written out as Markdown or as one self-contained HTML page.

Text uses three inline marks, as in Markdown: `code`, **strong** and *emphasis*. Figures are
named; Markdown links to their files, HTML embeds their bytes as data URIs, so the page needs
no other file, font or script.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# --- blocks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: columns holding numbers: right-aligned
    numeric: tuple[int, ...] = ()


@dataclass(frozen=True)
class Image:
    """A figure of the results folder, by its name without extension."""

    name: str
    caption: str


Block = Heading | Paragraph | Bullets | Table | Image


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


# --- Markdown --------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> list[str]:
    align = ["---:" if i in t.numeric else "---" for i in range(len(t.header))]
    lines = [
        "| " + " | ".join(_md_cell(h) for h in t.header) + " |",
        "|" + "|".join(align) + "|",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
    return lines


def to_markdown(doc: Document, figure_file: Callable[[str], str]) -> str:
    """The document as Markdown; `figure_file` names the file of a figure."""
    lines = [f"# {doc.title}", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            lines += ["#" * b.level + " " + b.text]
        elif isinstance(b, Paragraph):
            lines += [b.text]
        elif isinstance(b, Bullets):
            lines += [f"- {item}" for item in b.items]
        elif isinstance(b, Table):
            lines += _md_table(b)
        elif isinstance(b, Image):
            target = figure_file(b.name)
            is_image = target.endswith((".png", ".svg"))
            lines += [f"{'!' if is_image else ''}[{b.caption}]({target})"]
        lines.append("")
    return "\n".join(lines)


# --- HTML ------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC",
  "Microsoft YaHei", sans-serif; line-height: 1.5; color: #1d2330; background: #fff;
  margin: 0; }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 0.6rem; padding-bottom: 0.2rem;
  border-bottom: 2px solid #d8dde6; }
h3 { font-size: 1.08rem; margin: 1.5rem 0 0.4rem; }
p, li { max-width: 48rem; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 0.88em; background: #f1f3f7; padding: 0.05em 0.3em; border-radius: 3px; }
pre { background: #f1f3f7; padding: 0.75rem 1rem; overflow-x: auto; border-radius: 4px; }
pre code { background: none; padding: 0; }
.table { overflow-x: auto; margin: 0.6rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e1e5ec; vertical-align: top;
  text-align: left; }
th { background: #eef1f6; font-weight: 600; border-bottom: 2px solid #c9d0dc; }
tbody tr:nth-child(even) { background: #f8f9fb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.caption { font-size: 0.85rem; color: #4a5468; }
figure { margin: 1rem 0 1.6rem; }
figure img { width: 100%; height: auto; border: 1px solid #e1e5ec; }
figcaption { font-size: 0.88rem; color: #4a5468; margin-top: 0.3rem; }
nav ol { columns: 2; font-size: 0.92rem; }
a { color: #1f5fbf; }
"""

MIME = {"png": "image/png", "svg": "image/svg+xml"}


def inline(text: str) -> str:
    """Escape text for HTML, then turn `code`, **strong** and *emphasis* into tags."""
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    escaped = re.sub(r"\*\*(\S(?:.*?\S)?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"(?<![*\w])\*(\S(?:[^*]*?\S)?)\*(?![*\w])", r"<em>\1</em>", escaped)


def _anchor(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def _html_table(t: Table) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="num"' if i in t.numeric else ""
        return f"<{tag}{cls}>{inline(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(t.header))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in t.rows
    )
    return (
        f'<div class="table"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def to_html(doc: Document, figure_bytes: Callable[[str], tuple[str, bytes]]) -> str:
    """The document as one HTML page; `figure_bytes` gives a figure's format and bytes."""
    taken: set[str] = set()
    parts: list[str] = []
    contents: list[tuple[str, str]] = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            anchor = _anchor(b.text, taken)
            if b.level == 2:
                contents.append((anchor, b.text))
            parts.append(f'<h{b.level} id="{anchor}">{inline(b.text)}</h{b.level}>')
        elif isinstance(b, Paragraph):
            parts.append(f"<p>{inline(b.text)}</p>")
        elif isinstance(b, Bullets):
            parts.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Table):
            parts.append(_html_table(b))
        elif isinstance(b, Image):
            fmt, data = figure_bytes(b.name)
            uri = f"data:{MIME[fmt]};base64,{base64.b64encode(data).decode('ascii')}"
            alt = html.escape(b.caption)
            parts.append(
                f'<figure><img src="{uri}" alt="{alt}">'
                f"<figcaption>{inline(b.caption)}</figcaption></figure>"
            )
    nav = "".join(f'<li><a href="#{a}">{inline(t)}</a></li>' for a, t in contents)
    title = html.escape(doc.title)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{inline(doc.title)}</h1>\n"
        + (f"<nav><ol>{nav}</ol></nav>\n" if len(contents) > 2 else "")
        + "\n".join(parts)
        + "\n</main>\n</body>\n</html>\n"
    )


def bullets(items: Sequence[str]) -> Bullets:
    return Bullets(tuple(items))


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
) -> Table:
    return Table(tuple(header), tuple(tuple(r) for r in rows), tuple(numeric))
