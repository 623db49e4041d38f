"""Text helpers shared by the detectors: accent folding, tokens, character shapes."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII: 'Lefèvre' -> 'lefevre', 'Œillet' -> 'oeillet'."""
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    text = text.replace("µ", "u").replace("μ", "u")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return plain.lower().strip()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def shape(text: str) -> str:
    """Character classes with runs collapsed: 'D190510000002' -> 'A9', 'Ab3!' -> 'Aa9#'."""
    out: list[str] = []
    for ch in text:
        if ch.isdigit():
            c = "9"
        elif ch.isalpha():
            c = "A" if ch.isupper() else "a"
        elif ch.isspace():
            c = " "
        else:
            c = "#"
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def digits_only(text: str) -> str:
    return re.sub(r"[\s.\-/]", "", text)


def luhn_ok(number: str) -> bool:
    """The Luhn (mod 10) check used by RPPS, ADELI, SIRET and the LOINC check digit."""
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
