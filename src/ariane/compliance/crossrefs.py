"""References to clauses, sections, annexes or named sections that the document does not hold.

A reference is resolved against what the document defines (see `outline`): "Clause 7.1(b)" needs a
clause 7.1 with a point (b) when the clause's points are known; "Annex I.B" needs part B of annex I;
"the “Data Security” section" needs a heading with that title; a link "#id" needs that anchor.
References to another instrument ("Article 28 of the GDPR", "Annex XI thereto") are left alone. A
kind of reference is checked only when the document defines at least one target of that kind, and
references to "Article N" only when the document itself is divided into articles: otherwise
"Article 28(2)" is the GDPR's.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ariane.compliance.model import Finding, Location, quote
from ariane.compliance.outline import KEYWORD_KINDS, Outline, Sentence, norm_id

_NUM = r"\d+(?:\.\d+)*"
_ROM = r"[IVX]+(?:\.[A-Z])?(?![A-Za-z])"
_LET = r"[A-Z](?![A-Za-z])"
_PT = r"\((?:[a-z]{1,2}|\d{1,2}|[ivx]{1,5})\)"
_PTS = rf"(?:\s?{_PT})*"
_ITEM = rf"(?:{_NUM}|{_ROM}|{_LET}){_PTS}"
_SEP = r"(?:\s*,\s*(?:and\s+|or\s+|et\s+|ou\s+)?|\s+(?:and|or|to|through|et|ou|à)\s+|\s*[-–]\s*)"
_REF = re.compile(
    r"\b(?P<kw>(?i:clauses?|articles?|sections?|annex(?:es|e)?|appendix|appendices|appendice"
    r"|attachments?|schedules?))\s+"
    rf"(?P<list>{_ITEM}(?:{_SEP}(?:{_ITEM}|{_PT}{_PTS}))*)"
)
_SINGULAR = {
    "clause": "clause",
    "clauses": "clause",
    "article": "article",
    "articles": "article",
    "section": "section",
    "sections": "section",
    "annex": "annex",
    "annexes": "annex",
    "annexe": "annexe",
    "appendix": "appendix",
    "appendices": "appendix",
    "appendice": "appendice",
    "attachment": "attachment",
    "attachments": "attachment",
    "schedule": "schedule",
    "schedules": "schedule",
}
_TOKEN = re.compile(rf"(?P<id>{_NUM}|{_ROM}|{_LET})(?P<pts>{_PTS})|(?P<bare>{_PT}){_PTS}")
_EXTERNAL_AFTER = re.compile(
    r"^[\s,]*(?:(?:paragraphe|paragraph|point|alinéa|§)s?\s*[\w()]+\s*,?\s*)*"
    r"(?:thereto\b|thereof\b|(?:(?:of|du|de\s+la|de\s+l['’]|de|des|under|to|in|from)\s+)?"
    r"(?:(?:the|la|le|l['’]|ce|cette)\s*)?(?:(?:EU|UE|European|UK|U\.S\.|French|general)\s+)?"
    r"(?:GDPR|RGPD|General\s+Data\s+Protection|Regulation|Règlement|règlement|Directive|directive"
    r"|Decision|Décision|décision|Implementing|Code|code|Loi|loi|Law|law|Act\b|Charter|Charte"
    r"|Convention|Treaty|Traité|traité|TFEU|TFUE|CCPA|EEA\s+Agreement|Data\s+Protection\s+Act"
    r"|(?:GitHub\s+)?Customer\s+Agreement|Commission|Cal\.|Title\b|U\.S\.C|Informatique))"
)
_EXTERNAL_BEFORE = re.compile(r"(?:\bits|\bses|\bson|\bthereof|\bof\s+the\s+said)\s+$", re.I)
_NAMED = (
    re.compile(
        r"\b(?:section|clause|part|article|chapter)s?\s+(?:of\s+(?:this|the)\s+\w+\s+)?"
        r"(?:entitled|titled|headed|named|intitulée?|nommée?)\s+[“\"‘'«]\s*(?P<t>[^”\"’'»]{3,80}?)"
        r"\s*[”\"’'»]",
        re.I,
    ),
    re.compile(r"[“\"«]\s*(?P<t>[^”\"»]{3,80}?)\s*[”\"»]\s+(?:section|clause|article)\b", re.I),
    re.compile(
        r"\b(?:la\s+section|l['’]article|la\s+clause)\s+[«“\"]\s*(?P<t>[^»”\"]{3,80}?)\s*[»”\"]",
        re.I,
    ),
)
_UNQUOTED_SECTION = re.compile(
    r"\bsection\s+of\s+(?:this|the)\s+(?:DPA|Agreement|Addendum|Terms|contract)\b", re.I
)
_CAPITALISED_RUN = re.compile(
    r"\bthe\s+(?P<t>[A-Z][\w’'&()-]*(?:[;,]?\s+(?:(?:and|of|for|on|to|&)\s+)?[A-Z][\w’'&()-]*)*)\s+$"
)


def find(outline: Outline, sentences: list[Sentence]) -> list[Finding]:
    dangling: dict[tuple[str, str], list[Location]] = defaultdict(list)
    defined_kinds = {key.split(":")[0] for key in outline.targets}
    titles = [_norm(h.title) for h in outline.headings if h.title] + [
        _norm(h.name) for h in outline.headings if h.name
    ]
    for s in sentences:
        for problem, at in _numbered_problems(outline, s.text, defined_kinds):
            dangling[("dangling-reference", problem)].append(_loc(outline, s, at))
        for title, at in _named_refs(s.text):
            if not any(re.search(rf"(?:^| ){re.escape(_norm(title))}(?: |$)", t) for t in titles):
                dangling[("dangling-reference", f"“{title}” section")].append(_loc(outline, s, at))
    for line in outline.document.lines:
        for target in line.links:
            if target not in outline.anchors and target.lower() not in _slugs(outline):
                loc = Location(line.number, outline.path(line.number), line.page, f"#{target}")
                dangling[("broken-link", f"#{target}")].append(loc)
    out = []
    for (kind, subject), found in dangling.items():
        locations = list({loc.line: loc for loc in found}.values())  # once per line
        what = "no anchor with that id" if kind == "broken-link" else "not found in the document"
        out.append(Finding(kind, subject, f"{subject}: {what}", tuple(locations)))
    return out


def _numbered_problems(
    outline: Outline, text: str, defined_kinds: set[str]
) -> list[tuple[str, int]]:
    problems: list[tuple[str, int]] = []
    for m in _REF.finditer(text):
        word = _SINGULAR[m.group("kw").lower()]
        kind = KEYWORD_KINDS[word][0]
        if kind not in defined_kinds or (word == "article" and "article" not in outline.keywords):
            continue
        if _EXTERNAL_AFTER.match(text[m.end() : m.end() + 120]) or _EXTERNAL_BEFORE.search(
            text[max(0, m.start() - 20) : m.start()]
        ):
            continue
        last: str | None = None
        for tok in _TOKEN.finditer(m.group("list")):
            if tok.group("id"):
                raw = tok.group("id")
                if kind == "clause" and not re.fullmatch(_NUM, raw):
                    break  # "Clause A": not a numbering this check understands
                last = raw
                problem = _resolve(outline, kind, raw, _points(tok.group("pts")), word)
            elif last is not None:
                problem = _resolve(outline, kind, last, _points(tok.group("bare")), word)
            else:
                continue
            if problem:
                problems.append((problem, m.start()))
    return problems


def _resolve(outline: Outline, kind: str, raw: str, points: list[str], word: str) -> str | None:
    main, _, part = raw.partition(".") if kind != "clause" else (raw, "", "")
    key = f"{kind}:{norm_id(main)}" + (f".{part}" if part else "")
    label = f"{word.capitalize()} {raw}"
    if key not in outline.targets:
        return label
    known = outline.targets[key]
    for p in points:
        if known and p not in known:
            return f"{label}({p})"
    return None


def _named_refs(text: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for pattern in _NAMED:
        found += [(m.group("t").strip(), m.start()) for m in pattern.finditer(text)]
    for m in _UNQUOTED_SECTION.finditer(text):
        run = _CAPITALISED_RUN.search(text[max(0, m.start() - 90) : m.start()])
        if run:
            found.append((run.group("t"), m.start()))
    return found


def _points(text: str | None) -> list[str]:
    return re.findall(r"\(([^)]+)\)", text or "")[:1]  # the first level: "(d)" of "(d)(i)"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w]+", " ", text.lower())).strip()


def _slugs(outline: Outline) -> set[str]:
    """GitHub-style anchors of the headings, for Markdown links "(#heading-title)"."""
    return {re.sub(r"[^\w\- ]", "", h.title.lower()).replace(" ", "-") for h in outline.headings}


def _loc(outline: Outline, s: Sentence, at: int) -> Location:
    return Location(s.line, outline.path(s.line), outline.line(s.line).page, quote(s.text, at))
