"""An agreement's text as numbered lines, from .txt, .md, .pdf or .docx.

Every check cites a line number, so each format is reduced to lines: a text or Markdown file keeps
its own lines; a PDF gives its extracted lines (with their page); a DOCX gives one line per
paragraph or table cell. Markup is removed from the text the patterns see, but a line keeps its
number. Items of HTML ordered lists get their implicit label ((a), (b), (i)…), so that a reference
to "Clause 9(c)" can be resolved in a Markdown file that numbers its points with `<li>`.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ariane.errors import InputError, UsageError

Kind = Literal["txt", "md", "pdf", "docx"]
SUFFIXES: dict[str, Kind] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".pdf": "pdf",
    ".docx": "docx",
}
MAX_BYTES = 20 * 1024 * 1024  # an agreement, not a data dump


@dataclass(frozen=True)
class Line:
    number: int
    text: str  # without markup
    page: int | None = None
    heading_level: int | None = None  # declared by markup: Markdown #, <h1>, a DOCX heading style
    bold: bool = False  # the whole line is emphasised (a title in Markdown clauses)
    label: str | None = None  # implicit label of an HTML list item: "a", "iv", "3"
    label_depth: int = 0  # 1 for an item of an outermost list
    anchors: tuple[str, ...] = ()  # id="…" defined on the line
    links: tuple[str, ...] = ()  # href="#…" used on the line


@dataclass(frozen=True)
class Document:
    name: str
    kind: Kind
    lines: tuple[Line, ...] = field(repr=False)


def load_document(path: Path) -> Document:
    """Read an agreement; errors name the file and the problem, never its content."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UsageError(
            f"{path.name}: unsupported document type (use {', '.join(sorted(SUFFIXES))})"
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UsageError(f"agreement not found: {path}") from None
    except OSError as e:
        raise UsageError(f"agreement {path} cannot be read: {e.strerror}") from None
    if size > MAX_BYTES:
        raise InputError(f"{path.name}: larger than {MAX_BYTES // (1024 * 1024)} MB")
    if kind == "pdf":
        doc = Document(path.name, kind, _pdf_lines(path))
    elif kind == "docx":
        doc = Document(path.name, kind, _docx_lines(path))
    else:
        doc = document_from_text(_decode(path), path.name, kind)
    if not any(line.text.strip() for line in doc.lines):
        raise InputError(f"{path.name}: no text could be extracted (a scanned image?)")
    return doc


def document_from_text(text: str, name: str = "agreement", kind: Kind = "txt") -> Document:
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if kind == "md":
        return Document(name, kind, tuple(_markdown_lines(raw)))
    return Document(name, kind, tuple(Line(i, t.rstrip()) for i, t in enumerate(raw, 1)))


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # older French office documents


# --- Markdown / HTML --------------------------------------------------------------------------
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_H_TAG = re.compile(r"<h([1-6])\b", re.IGNORECASE)
_LIST_TAG = re.compile(r"<(/?)(ol|ul|li|il)\b([^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,400}>")
_ANCHOR = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_LINK = re.compile(r"""href\s*=\s*["']#([^"']+)["']|\]\(#([^)\s]+)\)""", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\((?:[^)\s]+)\)")
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])[*_](?=\S)|(?<=\S)[*_](?![\w*])")
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(?P<t>[^*_].*?)(?:\*\*|__)\s*[:.]?\s*$")
_STYLE_KIND = re.compile(r"list-style-type\s*:\s*(lower-alpha|upper-alpha|lower-roman|decimal)")


def _markdown_lines(raw: list[str]) -> list[Line]:
    lines: list[Line] = []
    stack: list[tuple[str, int]] = []  # open lists: (style, items so far)
    in_front_matter = bool(raw) and raw[0].strip() == "---"
    for number, text in enumerate(raw, 1):
        if in_front_matter:
            if number > 1 and text.strip() == "---":
                in_front_matter = False
            lines.append(Line(number, ""))
            continue
        level: int | None = None
        m = _MD_HEADING.match(text)
        if m:
            level, text = len(m.group(1)), m.group(2)
            stack.clear()  # a heading ends any list left open by malformed HTML
        h = _H_TAG.search(text)
        if h:
            level = int(h.group(1))
            stack.clear()
        label, depth = None, 0
        for tag in _LIST_TAG.finditer(text):
            closing, name, attrs = tag.group(1) == "/", tag.group(2).lower(), tag.group(3)
            if name in ("ol", "ul"):
                if closing:
                    if stack:
                        stack.pop()
                else:
                    style = _STYLE_KIND.search(attrs)
                    stack.append((style.group(1) if style else name, 0))
            elif not closing and stack:  # <li>, or the <il> typo some published texts carry
                style_name, count = stack[-1]
                stack[-1] = (style_name, count + 1)
                if label is None:
                    label, depth = _list_label(style_name, count + 1), len(stack)
        anchors = tuple(a for a in _ANCHOR.findall(text))
        links = tuple(a or b for a, b in _LINK.findall(text))
        bold = bool(_BOLD_LINE.match(text))
        lines.append(
            Line(
                number,
                _strip_markup(text),
                heading_level=level,
                bold=bold,
                label=label,
                label_depth=depth,
                anchors=anchors,
                links=links,
            )
        )
    return lines


def _strip_markup(text: str) -> str:
    text = re.sub(r"<br\s*/?>|</br>", " ", text, flags=re.IGNORECASE)
    text = _TAG.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|])", r"\1", text)  # Markdown escapes
    text = html.unescape(text)
    return re.sub(r"[ \t]+", " ", text).strip()


_ROMAN = ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _list_label(style: str, n: int) -> str | None:
    if style in ("lower-alpha", "upper-alpha"):
        return chr(ord("a") + n - 1) if n <= 26 else None
    if style == "lower-roman":
        out = ""
        for value, numeral in _ROMAN:
            while n >= value:
                out, n = out + numeral, n - value
        return out
    if style in ("decimal", "ol"):
        return str(n)
    return None  # bullets carry no label


# --- PDF and DOCX -----------------------------------------------------------------------------
def _pdf_lines(path: Path) -> tuple[Line, ...]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{path.name}: the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise InputError(f"{path.name}: not a readable PDF ({type(e).__name__})") from None
    lines: list[Line] = []
    for page_no, text in enumerate(pages, 1):
        for raw in text.replace("\r", "").split("\n"):
            lines.append(Line(len(lines) + 1, re.sub(r"[ \t]+", " ", raw).strip(), page=page_no))
        lines.append(Line(len(lines) + 1, "", page=page_no))  # a page break ends a paragraph
    return tuple(lines)


def _docx_lines(path: Path) -> tuple[Line, ...]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise InputError(f"{path.name}: not a readable DOCX ({type(e).__name__})") from None

    lines: list[Line] = []

    def add(p: Paragraph) -> None:
        style = (p.style.name if p.style is not None else "") or ""
        m = re.match(r"(?:Heading|Titre)\s*(\d)", style)
        level = int(m.group(1)) if m else (1 if style in ("Title", "Titre") else None)
        lines.append(Line(len(lines) + 1, p.text.strip(), heading_level=level))

    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            add(item)
        elif isinstance(item, Table):
            seen: list[object] = []  # the cells' XML nodes, kept alive so that `is` holds
            for row in item.rows:
                for cell in row.cells:
                    if any(cell._tc is tc for tc in seen):  # a merged cell repeats in each row
                        continue
                    seen.append(cell._tc)
                    for p in cell.paragraphs:
                        add(p)
                    lines.append(Line(len(lines) + 1, ""))
    return tuple(lines)
