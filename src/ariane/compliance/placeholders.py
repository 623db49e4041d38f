"""Unfilled parts of a template: placeholders, blank fields, open phrases, options not chosen.

A clause that carries one of these leaves its element open: the report then says *unspecified*
rather than *present*, and lists each of them with its line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from ariane.compliance.model import redact
from ariane.compliance.outline import Outline

_BRACKET = re.compile(r"\[([^\[\]\n]{0,400})\]")
_BLANK_CHARS = re.compile(r"[\s.…_\-–—x●•*]*", re.IGNORECASE)
_INSTRUCTION = re.compile(
    r"(?i:specify|insert|enter|identity|name|nom|date|address|adresse|if\s+applicable"
    r"|le\s+cas\s+échéant|à\s+compléter|compléter|préciser|indiquer|insérer|choisir|select)\b"
)
_ALTERNATIVE = re.compile(r"(?i:where|if|lorsque|si|dans\s+le\s+cas)\b.*:\s*$")
# "[SPECIFY TIME PERIOD]", "[INSERT NAME]": capitals naming what to fill, not a filled value.
_CAPS_INSTRUCTION = re.compile(
    r"^[A-ZÀ-Ý\s,/'’-]*\b(?:SPECIFY|INSERT|ENTER|NAME|DATE|ADDRESS|PERIOD|NUMBER|AMOUNT|TIME"
    r"|DETAILS|DESCRIPTION|PRÉCISER|INDIQUER|COMPLÉTER|NOM|ADRESSE|DÉLAI|MONTANT|DURÉE)\b"
)
_OPEN_PHRASE = re.compile(
    r"\b(?i:to\s+be\s+(?:defined|determined|specified|completed|confirmed)"
    r"(?:\s+by\s+the\s+(?:controller|processor|parties|customer))?"
    r"|needs\s+to\s+be\s+completed"
    r"|à\s+(?:définir|compléter|préciser|déterminer|convenir)"
    r"(?:\s+par\s+le\s+(?:responsable\s+(?:du|de)\s+traitement|client|sous-traitant|prestataire))?)\b"
    r"|\b(?:TBD|TBC)\b"
)
_NOTE = re.compile(r"\b(?:EXPLANATORY NOTE|NOTE EXPLICATIVE)\b")
_BLANK_FIELD = re.compile(r"^(?P<label>[^:]{1,160}):\s*(?:…|\.{2,}|_{3,}|\[\s*…?\s*\])+\s*\.?\s*$")
_BLANK_LINE = re.compile(r"^\s*(?:…|\.{3,}|_{3,}|●)+\s*\.*\s*$")
_OPTION = re.compile(r"\b(?:OPTION|Option)\s+(\d+|[A-C])\b")


@dataclass(frozen=True)
class Placeholder:
    line: int
    kind: str  # placeholder | blank | option | alternative | open-phrase | template-note
    text: str  # the template's own words, at most 80 characters


def find_placeholders(outline: Outline) -> list[Placeholder]:
    found: list[Placeholder] = []
    option_lines: dict[str, list[tuple[int, str]]] = defaultdict(list)
    option_ids: dict[str, set[str]] = defaultdict(set)
    for line in outline.document.lines:
        text = line.text.strip()
        if not text:
            continue
        n = line.number
        covered = False
        for m in _BRACKET.finditer(text):
            kind = classify_bracket(m.group(1))
            if kind is not None:
                found.append(Placeholder(n, kind, _cut(m.group(0))))
                covered = covered or kind == "option"
        if _BLANK_LINE.match(text) or _BLANK_FIELD.match(text):
            found.append(Placeholder(n, "blank", _cut(text)))
        for m in _OPEN_PHRASE.finditer(text):
            found.append(Placeholder(n, "open-phrase", m.group(0)))
        if _NOTE.search(text):
            found.append(Placeholder(n, "template-note", _cut(text)))
        options = _OPTION.findall(text)
        if options and not covered:
            scope = outline.scopes.get(n, "document")
            option_lines[scope].append((n, text))
            option_ids[scope].update(options)
    # "OPTION 1 … OPTION 2" both left in one clause: the choice was never made.
    for scope, lines in option_lines.items():
        if len(option_ids[scope]) >= 2:
            for n, text in lines:
                marker = _OPTION.search(text)
                start = marker.start() if marker else 0
                found.append(Placeholder(n, "option", _cut(text[start:])))
    found.sort(key=lambda p: p.line)
    return found


def classify_bracket(content: str) -> str | None:
    """What a bracketed text is in a template, or None for an ordinary bracket ([sic], [1])."""
    c = content.strip()
    if _BLANK_CHARS.fullmatch(c):
        return "blank"
    if "OPTION" in c or re.match(r"(?i:choose|select|choisir)\b", c):
        return "option"
    if _ALTERNATIVE.match(c):
        return "alternative"  # "[Where the data exporter is established in …:]"
    if _INSTRUCTION.match(c) or _CAPS_INSTRUCTION.match(c):
        return "placeholder"
    return None


def is_open_value(value: str) -> bool:
    """True when the value of a field is left blank or carries a placeholder."""
    v = value.strip()
    if _BLANK_CHARS.fullmatch(v):
        return True
    if _OPEN_PHRASE.search(v):
        return True
    return any(classify_bracket(m.group(1)) for m in _BRACKET.finditer(v))


def blocks_with_placeholders(outline: Outline, found: list[Placeholder]) -> dict[int, list[int]]:
    """Paragraph index -> lines of the placeholders it holds."""
    by_line: dict[int, int] = {}
    for block in outline.blocks:
        for line in block.lines:
            by_line[line.number] = block.index
    out: dict[int, list[int]] = defaultdict(list)
    for p in found:
        if p.line in by_line:
            out[by_line[p.line]].append(p.line)
    return dict(out)


def _cut(text: str) -> str:
    text = redact(text)  # a half-filled template can hold a signatory's details
    return text if len(text) <= 80 else text[:79] + "…"
