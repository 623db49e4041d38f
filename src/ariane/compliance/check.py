"""`dpa check`: is each element that GDPR Art. 28 requires present, missing, left open or narrowed?

For each element the check collects, sentence by sentence:
- statements of it in a clause with no placeholder (-> present),
- statements in a clause that still holds a placeholder or an option not chosen, fields of an
  annex left blank, and descriptions handed to an annex ("…specified in Annex II") (-> unspecified),
- wording that narrows it against the GDPR (-> weak, even when it is also stated),
- weaker substitutes (-> weak, when nothing better is there),
and decides in that order of strength. Nothing found is *missing*. The report also lists every
placeholder and the document's other defects (outdated references, references to clauses that do
not exist, contradictory deadlines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ariane.compliance import crossrefs, deadlines, outdated
from ariane.compliance.elements import DEFERRAL, ELEMENTS, INSTRUCTION, Element
from ariane.compliance.model import DpaReport, ElementResult, Location, Status, quote
from ariane.compliance.outline import Outline, Sentence, build_outline
from ariane.compliance.placeholders import (
    blocks_with_placeholders,
    find_placeholders,
    is_open_value,
)
from ariane.compliance.text import Document, Kind, document_from_text, load_document
from ariane.errors import PolicyError

_BULLET = re.compile(r"^\s*(?:[-•*▪◦]\s+|\(?[a-z0-9]{1,3}[.)]\s+)")
_WORDS = re.compile(r"[A-Za-zÀ-ÿ]{2,}")


def check_file(path: Path) -> DpaReport:
    return check_document(load_document(path))


def check_text(text: str, name: str = "agreement", kind: Kind = "txt") -> DpaReport:
    return check_document(document_from_text(text, name, kind))


def check_document(doc: Document) -> DpaReport:
    outline = build_outline(doc)
    found = find_placeholders(outline)
    templated = blocks_with_placeholders(outline, found)
    sentences = list(outline.sentences())
    slots = _slots(outline)
    results = tuple(_evaluate(e, outline, sentences, templated, slots) for e in ELEMENTS)
    placeholders = tuple(
        Location(p.line, outline.path(p.line), _page(outline, p.line), p.text, p.kind)
        for p in found
    )
    findings = (
        *outdated.find(outline, sentences),
        *crossrefs.find(outline, sentences),
        *deadlines.find(outline, sentences),
    )
    return DpaReport(
        doc.name, _language(doc), results, placeholders, tuple(findings), len(doc.lines)
    )


def require_elements(report: DpaReport, *, strict: bool = False) -> None:
    """Raise PolicyError when a required element is missing (strict: also open or weak)."""
    refused: list[Status] = ["missing", "unspecified", "weak"] if strict else ["missing"]
    bad = [f"{e.id} ({e.status})" for e in report.elements if e.status in refused]
    if bad:
        raise PolicyError(
            f"processing agreement {report.document} lacks {len(bad)} required element(s): "
            + ", ".join(bad)
        )


# --- fields of a description: "Duration of the processing: …" -----------------------------------
@dataclass(frozen=True)
class _Slot:
    line: int
    text: str  # the label and its value, as written
    filled: bool


def _label_patterns() -> dict[str, list[re.Pattern[str]]]:
    tail = r"(?:\s*\([^)]{0,40}\))?\s*(?:[:.–—]\s*(?P<value>.*)|-\s+(?P<dash>.*))?$"
    return {
        e.id: [re.compile(rf"^(?:{p.pattern})" + tail, re.IGNORECASE) for p in e.labels]
        for e in ELEMENTS
        if e.descriptive
    }


_LABELS = _label_patterns()


def _label_of(text: str) -> list[tuple[str, str]]:
    """(element id, inline value) for each element whose field label `text` starts with."""
    body = _BULLET.sub("", text).strip()
    hits: list[tuple[str, str]] = []
    for element_id, patterns in _LABELS.items():
        for p in patterns:
            m = p.match(body)
            if m:
                hits.append((element_id, (m.group("value") or m.group("dash") or "").strip()))
                break
    if not hits and (m := INSTRUCTION.match(body)):
        for e in ELEMENTS:
            if e.descriptive and e.keyword is not None and e.keyword.search(m.group("rest")):
                hits.append((e.id, ""))
    return hits


def _slots(outline: Outline) -> dict[str, list[_Slot]]:
    lines = outline.document.lines
    out: dict[str, list[_Slot]] = {}
    for i, line in enumerate(lines):
        text = line.text.strip()
        for element_id, value in _label_of(text) if text else []:
            shown = text
            if not value:
                value, value_line = _next_value(outline, i)
                if value_line != line.number:
                    shown = f"{text} {value}"
            # "Duration: see Annex 1" is a pointer, not a value.
            filled = (
                not is_open_value(value)
                and len(_WORDS.findall(value)) >= 2
                and DEFERRAL.search(value) is None
            )
            out.setdefault(element_id, []).append(_Slot(line.number, shown, filled))
    return out


def _next_value(outline: Outline, i: int) -> tuple[str, int]:
    """The value under a label: the next non-blank line, unless it is a heading or a label."""
    lines = outline.document.lines
    for j in range(i + 1, min(i + 5, len(lines))):
        text = lines[j].text.strip()
        if not text:
            continue
        if lines[j].number in outline.heading_lines or _label_of(text):
            return "", lines[i].number
        return text, lines[j].number
    return "", lines[i].number


# --- one element ------------------------------------------------------------------------------
def _evaluate(
    element: Element,
    outline: Outline,
    sentences: list[Sentence],
    templated: dict[int, list[int]],
    slots: dict[str, list[_Slot]],
) -> ElementResult:
    clean: list[Location] = []
    open_: list[Location] = []
    narrowing: list[Location] = []
    weaker: list[Location] = []
    for s in sentences:
        for r in element.present:
            m = r.search(s.text)
            if m is None:
                continue
            deferral = DEFERRAL.search(s.text) if element.descriptive else None
            if s.block in templated:
                lines = ", ".join(str(n) for n in sorted(set(templated[s.block]))[:4])
                open_.append(
                    _loc(outline, s, m.start(), f"clause holds placeholders (line {lines})")
                )
            elif deferral is not None:
                open_.append(_loc(outline, s, m.start(), f"deferred to {deferral.group('target')}"))
            else:
                clean.append(_loc(outline, s, m.start()))
            break
        else:
            if element.descriptive and element.keyword is not None:
                k, d = element.keyword.search(s.text), DEFERRAL.search(s.text)
                if k is not None and d is not None:
                    open_.append(_loc(outline, s, k.start(), f"deferred to {d.group('target')}"))
        for r in element.narrowing:
            if m := r.search(s.text):
                narrowing.append(_loc(outline, s, m.start(), "narrows the GDPR wording"))
                break
        for r in element.weaker:
            if m := r.search(s.text):
                weaker.append(_loc(outline, s, m.start(), "weaker than the GDPR wording"))
                break
    for slot in slots.get(element.id, []):
        where = Location(
            slot.line,
            outline.path(slot.line),
            _page(outline, slot.line),
            quote(slot.text),
            "" if slot.filled else "field left blank or open",
        )
        (clean if slot.filled else open_).append(where)
    status: Status
    if clean:
        status = "weak" if narrowing else "present"
        evidence, issues = clean, narrowing
    elif open_:
        status, evidence, issues = "unspecified", open_, []
    elif narrowing or weaker:
        status, evidence, issues = "weak", [], narrowing + weaker
    else:
        status, evidence, issues = "missing", [], []
    reason = {
        "present": "",
        "weak": element.weak_reason,
        "unspecified": "stated but left open (placeholder, blank field or option not chosen)",
        "missing": "no clause found",
    }[status]
    return ElementResult(
        element.id,
        element.title,
        element.gdpr,
        status,
        _by_line(evidence),
        _by_line(issues),
        reason,
    )


def _by_line(locations: list[Location]) -> tuple[Location, ...]:
    first: dict[int, Location] = {}
    for loc in locations:
        first.setdefault(loc.line, loc)
    return tuple(first[n] for n in sorted(first))


def _loc(outline: Outline, s: Sentence, at: int, note: str = "") -> Location:
    return Location(s.line, outline.path(s.line), _page(outline, s.line), quote(s.text, at), note)


def _page(outline: Outline, line: int) -> int | None:
    return outline.line(line).page if 0 < line <= len(outline.document.lines) else None


_FR = re.compile(r"\b(?:le|la|les|des|du|et|est|sont|une?|aux?|par|pour|dans)\b", re.IGNORECASE)
_EN = re.compile(r"\b(?:the|and|of|is|are|shall|will|to|by|for|with|any)\b", re.IGNORECASE)


def _language(doc: Document) -> str:
    text = " ".join(line.text for line in doc.lines[:400])
    fr, en = len(_FR.findall(text)), len(_EN.findall(text))
    return "fr" if fr > en else "en"
