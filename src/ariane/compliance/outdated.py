"""References to transfer mechanisms and texts that no longer apply; unknown clause decisions."""

from __future__ import annotations

import re
from collections import defaultdict

from ariane.compliance.model import Finding, Location, quote
from ariane.compliance.outline import Outline, Sentence

_I = re.IGNORECASE

OUTDATED: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "Privacy Shield",
        re.compile(r"privacy\s+shield|bouclier\s+de\s+protection\s+des\s+données", _I),
        "the EU-US Privacy Shield was invalidated by the Court of Justice (C-311/18, Schrems II, "
        "16 July 2020)",
    ),
    (
        "Safe Harbor",
        re.compile(r"safe\s+harbou?r|sphère\s+de\s+sécurité", _I),
        "the Safe Harbor decision was invalidated by the Court of Justice (C-362/14, "
        "6 October 2015)",
    ),
    (
        "Decision 2010/87/EU",
        re.compile(r"\b2010/87(?:/(?:EU|UE))?\b", _I),
        "the 2010 standard contractual clauses (Decision 2010/87/EU) were repealed by Decision "
        "(EU) 2021/914; contracts relying on them had to be replaced by 27 December 2022",
    ),
    (
        "Decisions 2001/497/EC, 2004/915/EC",
        re.compile(r"\b(?:2001/497|2004/915)(?:/(?:EC|CE))?\b", _I),
        "the 2001 and 2004 standard contractual clauses were repealed by Decision (EU) 2021/914",
    ),
    (
        "Directive 95/46/EC",
        re.compile(r"(?<!repealing )(?<!abrogeant la )\b[Dd]irective\s+95/46(?:/(?:EC|CE))?\b"),
        "Directive 95/46/EC was repealed by the GDPR on 25 May 2018",
    ),
)

# Commission decisions adopting standard contractual clauses, current or repealed.
KNOWN_CLAUSE_DECISIONS = frozenset(
    {"2021/914", "2021/915", "2010/87", "2004/915", "2001/497", "2002/16"}
)
# Only the Commission's decisions, numbered year/number as since 2015 and in the SCC decisions.
_DECISION = re.compile(
    r"(?:Commission\s+(?:Implementing\s+)?Decision|Implementing\s+Decision"
    r"|[Dd]écision\s+d['’]exécution|[Dd]écision\s+de\s+la\s+Commission)"
    r"(?:\s+\((?:EU|UE)\))?\s+(?:No\.?\s*|n°\s*)?(?P<n>(?:19|20)\d\d/\d+)\b"
)
_CLAUSES = re.compile(
    r"standard\s+contractual\s+clauses|clauses\s+contractuelles\s+types|\bSCCs?\b", _I
)


def find(outline: Outline, sentences: list[Sentence]) -> list[Finding]:
    hits: dict[tuple[str, str, str], list[Location]] = defaultdict(list)
    for s in sentences:
        for subject, pattern, why in OUTDATED:
            if m := pattern.search(s.text):
                hits[("outdated-reference", subject, why)].append(_loc(outline, s, m.start()))
        if _CLAUSES.search(s.text):
            for m in _DECISION.finditer(s.text):
                number = m.group("n")
                if number not in KNOWN_CLAUSE_DECISIONS:
                    why = (
                        f"Decision {number} adopted no standard contractual clauses (the current "
                        "ones are Decisions (EU) 2021/914 and 2021/915): a wrong or mistyped number"
                    )
                    key = ("unknown-decision", f"Decision {number}", why)
                    hits[key].append(_loc(outline, s, m.start()))
    return [Finding(k, subject, why, tuple(locs)) for (k, subject, why), locs in hits.items()]


def _loc(outline: Outline, s: Sentence, at: int) -> Location:
    return Location(s.line, outline.path(s.line), outline.line(s.line).page, quote(s.text, at))
