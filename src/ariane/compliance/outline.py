"""The shape of an agreement: headings, paragraphs, sentences, and what can be referred to.

A heading is recognised by markup (Markdown, HTML, DOCX styles) or by its words ("Clause 7",
"ARTICLE 3 – Objet", "ANNEX II", "7.1. Instructions"). Each line gets the path of headings above
it, which locates a finding for a reader ("Clause 7 › 7.7. Use of sub-processors"). Paragraphs
are runs of lines broken at blank lines, headings and list items; patterns run on their sentences.
The outline also collects the ids the document defines (clauses, sections, annexes, appendices,
attachments, their lettered parts and points) so that cross-references can be resolved.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ariane.compliance.model import redact
from ariane.compliance.text import Document, Line

# Levels of the heading path: 0 attachment, 1 section/annex, 2 clause/article, 3 sub-clause.
KEYWORD_KINDS: dict[str, tuple[str, int]] = {
    "attachment": ("attachment", 0),
    "schedule": ("schedule", 0),
    "section": ("section", 1),
    "annex": ("annex", 1),
    "annexe": ("annex", 1),
    "appendix": ("appendix", 1),
    "appendice": ("appendix", 1),
    "partie": ("section", 1),
    "titre": ("section", 1),
    "clause": ("clause", 2),
    "article": ("clause", 2),
}
_KEYWORD_HEADING = re.compile(
    r"^(?P<kw>(?i:attachment|schedule|section|annexe?|appendix|appendice|partie|titre|clause"
    r"|article))\s+(?P<id>\d+(?:\.\d+)*|[IVX]+|[A-Z])(?![\w(])\.?\s*(?P<rest>.*)$"
)
_SUB_HEADING = re.compile(r"^(?P<id>\d+\.\d+(?:\.\d+)*)\.?\s+(?P<title>[A-ZÀ-Ý][^.]{0,100})$")
_NUMBERED = re.compile(r"^(?P<id>\d+\.\d+(?:\.\d+)*)\.?\s")
_LETTERED_PART = re.compile(r"^(?P<id>[A-H])\.\s+(?P<title>\S.{0,100})$")
_POINT = re.compile(
    r"^\s*(?:\((?P<a>[a-z]{1,2}|\d{1,2}|[ivxl]{1,5})\)|(?P<b>[a-z]|\d{1,2})\)|(?P<c>\d{1,2})°)\s"
)
_LIST_START = re.compile(r"^\s*(?:\(?[a-z0-9]{1,4}\)|[-•*▪◦]\s|\d{1,2}[.)°]\s|[a-z][.)]\s)")
# A line that starts its own paragraph: "OPTION 2: …", or any line after a line that ended a
# sentence (text files often hold one paragraph per line with no blank line between).
_OPTION_START = re.compile(r"^\s*(?:OPTION|Option)\s+\w+\s*[:.]")
_ENDS_SENTENCE = re.compile(r"[.;:!?»”\"]\s*$")
_STARTS_SENTENCE = re.compile(r"^\s*[A-ZÀ-Ý0-9«“\"(\[]")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
# A sentence ends at . ! ? or ; followed by a capital, a quote or an opening parenthesis.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÀ-Ý«“\"(‘])")


def norm_id(ident: str) -> str:
    """'II' -> '2', '7.1' -> '7.1', 'A' -> 'A': roman and arabic numbering name the same target."""
    if not re.fullmatch(r"[IVX]+", ident):
        return ident
    values = [_ROMAN_VALUES[c] for c in ident]
    return str(
        sum(-v if i + 1 < len(values) and values[i + 1] > v else v for i, v in enumerate(values))
    )


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    kind: str | None  # clause, section, annex, ... or None for a plain title
    ident: str | None  # normalised: "2" for "ANNEX II"
    name: str  # as written: "ANNEX II", "Clause 7", "7.1." ("" for a plain title)
    title: str

    @property
    def short(self) -> str:
        return self.name or _cut(self.title, 40)

    @property
    def full(self) -> str:
        return _cut(f"{self.name} {self.title}".strip(), 60)


def _cut(text: str, n: int) -> str:
    text = redact(text)
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass(frozen=True)
class Sentence:
    text: str
    line: int
    block: int  # index of its paragraph


@dataclass(frozen=True)
class Block:
    index: int
    lines: tuple[Line, ...]
    text: str  # lines joined by spaces (offsets map back to lines)
    starts: tuple[int, ...]  # offset of each line in `text`

    @property
    def first(self) -> int:
        return self.lines[0].number

    def line_at(self, offset: int) -> int:
        return self.lines[bisect.bisect_right(self.starts, offset) - 1].number


@dataclass
class Outline:
    document: Document
    headings: list[Heading] = field(default_factory=list)
    paths: dict[int, str] = field(default_factory=dict)  # line -> "Clause 7 › 7.1. Instructions"
    scopes: dict[int, str] = field(default_factory=dict)  # line -> key of its clause (or section)
    heading_lines: set[int] = field(default_factory=set)
    blocks: list[Block] = field(default_factory=list)
    targets: dict[str, set[str]] = field(default_factory=dict)  # "clause:7.1" -> its points
    keywords: set[str] = field(default_factory=set)  # heading words used: clause, article, ...
    anchors: set[str] = field(default_factory=set)

    def path(self, line: int) -> str:
        return self.paths.get(line, "")

    def sentences(self) -> Iterator[Sentence]:
        for block in self.blocks:
            start = 0
            for m in [*_SENTENCE_END.finditer(block.text), None]:
                end = m.start() if m else len(block.text)
                chunk = block.text[start:end].strip()
                if chunk:
                    lead = len(block.text[start:end]) - len(block.text[start:end].lstrip())
                    yield Sentence(chunk, block.line_at(start + lead), block.index)
                if m:
                    start = m.end()

    def line(self, number: int) -> Line:
        return self.document.lines[number - 1]


def _keyword_heading(text: str, declared: bool) -> tuple[str, int, str, str, str, str] | None:
    """(kind, level, id, name, title, keyword) for "Clause 7", "ANNEX II – …", "Article 3 : …".

    `declared`: the markup says the line is a heading, so "Appendix 1 to the Clauses" is one.
    """
    m = _KEYWORD_HEADING.match(text)
    if not m or len(text) > 160:
        return None
    rest = m.group("rest").strip()
    if rest and not declared and not re.match(r"[-–—:.]|[A-ZÀ-Ý(\[]", rest):
        return None  # "Article 28 du RGPD …", "Annex II sets out …": a sentence, not a heading
    if rest.endswith(".") and len(rest) > 80:
        return None
    kind, level = KEYWORD_KINDS[m.group("kw").lower()]
    title = re.sub(r"^[-–—:.]\s*", "", rest)
    name = f"{m.group('kw')} {m.group('id')}"
    return kind, level, norm_id(m.group("id")), name, title, m.group("kw").lower()


def build_outline(doc: Document) -> Outline:
    out = Outline(doc)
    stack: dict[int, Heading] = {}
    clause: str | None = None  # "7" for points and sub-clauses
    sub: str | None = None  # "7.1"
    annex: str | None = None  # "annex:1" for lettered parts (Annex I.B)
    pending_title: Heading | None = None  # "Clause 6" waits for its title on the next line
    block_lines: list[Line] = []

    def flush() -> None:
        if block_lines:
            texts = [ln.text for ln in block_lines]
            starts, pos = [], 0
            for t in texts:
                starts.append(pos)
                pos += len(t) + 1
            out.blocks.append(
                Block(len(out.blocks), tuple(block_lines), " ".join(texts), tuple(starts))
            )
            block_lines.clear()

    def push(h: Heading) -> None:
        for lvl in [k for k in stack if k >= h.level]:
            del stack[lvl]
        stack[h.level] = h
        out.headings.append(h)

    for line in doc.lines:
        text = line.text.strip()
        out.anchors.update(line.anchors)
        if not text:
            flush()
            out.paths[line.number] = _path(stack)
            continue
        heading: Heading | None = None
        kw = _keyword_heading(text, line.heading_level is not None or line.bold)
        if pending_title is not None and kw is None and _is_title(text):
            # "Clause 6" followed by "Description of processing(s)": one heading.
            titled = Heading(
                pending_title.line,
                pending_title.level,
                pending_title.kind,
                pending_title.ident,
                pending_title.name,
                text,
            )
            stack[titled.level] = titled
            out.headings[-1] = titled
            pending_title = None
            out.heading_lines.add(line.number)
            flush()
            out.paths[line.number] = _path(stack)
            continue
        pending_title = None
        if kw is not None:
            kind, level, ident, name, title, word = kw
            heading = Heading(line.number, level, kind, ident, name, title)
            out.keywords.add(word)
        elif (m := _SUB_HEADING.match(text)) and clause is not None:
            heading = Heading(
                line.number, 3, "clause", m.group("id"), text.split()[0], m.group("title")
            )
        elif (
            annex is not None
            and (m := _LETTERED_PART.match(text))
            and (line.heading_level or line.bold or text.isupper() or len(text) < 60)
        ):
            heading = Heading(
                line.number, 3, "part", m.group("id"), f"{m.group('id')}.", m.group("title")
            )
        elif line.heading_level is not None or (line.bold and len(text) <= 120):
            level = 3 if line.heading_level is None else max(0, min(3, line.heading_level - 1))
            heading = Heading(line.number, level, None, None, "", text)
        if heading is not None:
            flush()
            if heading.kind == "part":
                out.targets.setdefault(f"{annex}.{heading.ident}", set())
            elif heading.kind == "clause" and heading.level == 3:
                sub = heading.ident
                out.targets.setdefault(f"clause:{sub}", set())
            elif heading.kind is not None:
                key = f"{heading.kind}:{heading.ident}"
                out.targets.setdefault(key, set())
                if heading.kind == "clause":
                    clause, sub = heading.ident, None
                else:
                    clause, sub = None, None
                    annex = key if heading.kind in ("annex", "appendix") else None
            elif heading.level <= 2:
                clause, sub = None, None
                if heading.level <= 1:
                    annex = None
            push(heading)
            if heading.kind and not heading.title:
                pending_title = heading
            out.heading_lines.add(line.number)
            out.paths[line.number] = _path(stack)
            out.scopes[line.number] = _scope(stack)
            continue
        # Numbered paragraphs ("3.1 Le prestataire …") are targets too, without being headings.
        if (m := _NUMBERED.match(text)) and clause is not None:
            out.targets.setdefault(f"clause:{m.group('id')}", set())
        owner = f"clause:{sub}" if sub else (f"clause:{clause}" if clause else None)
        point = _POINT.match(text)
        if owner is not None:
            if line.label is not None and line.label_depth == 1:
                out.targets[owner].add(line.label)
            elif point is not None:
                out.targets[owner].add(point.group("a") or point.group("b") or point.group("c"))
        if (
            line.label is not None
            or _LIST_START.match(text)
            or _OPTION_START.match(text)
            or (
                block_lines
                and _ENDS_SENTENCE.search(block_lines[-1].text)
                and _STARTS_SENTENCE.match(text)
            )
        ):
            flush()
        block_lines.append(line)
        out.paths[line.number] = _path(stack)
        out.scopes[line.number] = _scope(stack)
    flush()
    return out


def _is_title(text: str) -> bool:
    return (
        len(text) <= 160
        and not _LIST_START.match(text)
        and not text.endswith((".", ";", ","))  # a sentence, not the clause's title
    )


def _path(stack: dict[int, Heading]) -> str:
    """Outer headings by name ("SECTION II", "Clause 7"), the innermost with its title."""
    levels = sorted(stack)
    return " › ".join(
        stack[k].full if i == len(levels) - 1 else stack[k].short for i, k in enumerate(levels)
    )


def _scope(stack: dict[int, Heading]) -> str:
    """The clause (or, outside clauses, the section) a line belongs to: the unit of an option."""
    for level in (2, 1, 0):
        if level in stack:
            return f"{level}:{stack[level].line}"
    return "document"
