"""The result of checking a processing agreement, and its JSON form.

A report cites line numbers, headings and element ids. It quotes at most 80 characters of the
contract's own sentence, so that a reader can find the clause; e-mail addresses, telephone numbers
and the values of name or contact fields are masked in quotes, because an agreement can name its
signatories. Patient data never reaches an agreement, hence never a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["present", "weak", "unspecified", "missing"]
STATUSES: tuple[Status, ...] = ("present", "weak", "unspecified", "missing")
FORMAT = "ariane.dpa-check/1"
QUOTE_MAX = 80

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w/])\+?\d[\d .()-]{7,}\d(?![\w/])")
# The value of a field that names a person ("Name: …", "contact details: …", "représentée par …"),
# unless the value is still blank.
_NAMED_FIELD = re.compile(
    r"(?i)\b(name|nom|contact|details|coordonnées|signatory|signataire|signed\s+by|signé\s+par)"
    r"(\s*:)(?!\s*(?:…|\.{2}|_{2}|\[))\s*[^;.]+"
    r"|\b(represented\s+by|représentée?\s+par)(\s+)[^;,]+"
)


def redact(text: str) -> str:
    text = _EMAIL.sub("[e-mail]", text)
    text = _PHONE.sub("[phone]", text)
    return _NAMED_FIELD.sub(
        lambda m: f"{m.group(1)}{m.group(2)} […]" if m.group(1) else f"{m.group(3)} […]", text
    )


def quote(sentence: str, at: int = 0) -> str:
    """At most QUOTE_MAX characters of `sentence` around offset `at`, personal details masked."""
    text = redact(re.sub(r"\s+", " ", sentence).strip())
    if len(text) <= QUOTE_MAX:
        return text
    start = max(0, at - 20)  # a little context before the words that matched
    if start == 0:
        return text[: QUOTE_MAX - 1] + "…"
    if start >= len(text) - (QUOTE_MAX - 1):
        return "…" + text[-(QUOTE_MAX - 1) :]
    return "…" + text[start : start + QUOTE_MAX - 2] + "…"


@dataclass(frozen=True)
class Location:
    line: int
    heading: str = ""
    page: int | None = None
    quote: str = ""
    note: str = ""  # why this place matters: "placeholder", "narrows the element", …

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "heading": self.heading}
        if self.page is not None:
            out["page"] = self.page
        if self.quote:
            out["quote"] = self.quote
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class ElementResult:
    id: str
    title: str
    gdpr: str
    status: Status
    evidence: tuple[Location, ...] = ()  # the sentences or fields the status rests on
    issues: tuple[Location, ...] = ()  # placeholders left, narrowing wording, deferrals
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "gdpr": self.gdpr,
            "status": self.status,
            "reason": self.reason,
            "evidence": [e.to_json() for e in self.evidence],
            "issues": [e.to_json() for e in self.issues],
        }


@dataclass(frozen=True)
class Finding:
    kind: str  # outdated-reference | unknown-decision | dangling-reference | broken-link
    #            | contradictory-deadline
    subject: str
    message: str
    locations: tuple[Location, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
            "locations": [loc.to_json() for loc in self.locations],
        }


@dataclass(frozen=True)
class DpaReport:
    document: str  # the file's name, without its folder
    language: str
    elements: tuple[ElementResult, ...]
    placeholders: tuple[Location, ...] = ()
    findings: tuple[Finding, ...] = ()
    lines: int = 0

    def ids(self, status: Status) -> list[str]:
        return [e.id for e in self.elements if e.status == status]

    @property
    def missing(self) -> list[str]:
        return self.ids("missing")

    def element(self, element_id: str) -> ElementResult:
        for e in self.elements:
            if e.id == element_id:
                return e
        raise KeyError(element_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "document": self.document,
            "language": self.language,
            "lines": self.lines,
            "summary": {s: len(self.ids(s)) for s in STATUSES},
            "missing": self.missing,
            "unspecified": self.ids("unspecified"),
            "weak": self.ids("weak"),
            "elements": [e.to_json() for e in self.elements],
            "placeholders": [p.to_json() for p in self.placeholders],
            "findings": [f.to_json() for f in self.findings],
        }
