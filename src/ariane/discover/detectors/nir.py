"""NIR (French social security number) and INS, checked with their control key.

A keyed NIR is 15 characters: sex, year, month, department (2A/2B in Corsica), commune, order,
and a key = 97 - (number mod 97), python-stdnum's `fr.nir` check. The first digit tells the kind:
1-2 a person's NIR, 7-8 a temporary number (NIA) awaiting a NIR; stdnum checks only the key, so a
keyed 8... number is reported as temporary, not as a NIR. Thirteen-character forms carry no key:
a NIR body (accepted by the Assurance Maladie), or a temporary NNP (first digit 7/8) or MIG (5/6)
number; they are recognised by structure only and weigh less. The INS is the NIR used as the
national health identifier; its OIDs (1.2.250.1.213.1.4.8 to .11) or the column's name tell it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.exceptions import ValidationError
from stdnum.fr import nir as stdnum_nir

from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c

_SEPARATORS = re.compile(r"[\s.\-]")
_INS_OID = re.compile(r"1\.2\.250\.1\.213\.1\.4\.(?:8|9|10|11)(?!\d)")
# A NIR-shaped run inside longer text (HL7 CX, comments): 13 characters and a 2-digit key.
_EMBEDDED = re.compile(
    r"(?<![0-9A-Za-z])[1-478]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AaBb])\s?\d{3}\s?\d{3}\s?\d{2}(?![0-9])"
)


@dataclass(frozen=True)
class NirMatch:
    kind: str  # nir | temporary | keyless | nnp | mig
    compact: str
    corsica: bool = False


def compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def nir_key(body: str) -> str:
    """The 2-digit key of a 13-character body (2A counts as 19, 2B as 18, as CNAM computes it)."""
    body = compact(body)
    digits = body.replace("2A", "19").replace("2B", "18")
    if len(body) != 13 or not digits.isdigit():
        raise ValueError("not a 13-character NIR body")
    return f"{97 - int(digits) % 97:02d}"


def _plausible_body(body: str) -> bool:
    """Sex, month and department of a 13-character body look like a NIR's."""
    if len(body) != 13 or body[0] not in "12":
        return False
    dept = body[5:7]
    rest = body[:5] + ("19" if dept in ("2A", "2B") else dept) + body[7:]
    if not rest.isdigit():
        return False
    month = int(body[3:5])
    return (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99) and dept != "00"


def match(value: str) -> NirMatch | None:
    """Classify one value; None when it is neither a keyed NIR nor a known 13-character form."""
    v = compact(value)
    if len(v) == 15:
        try:
            checked = str(stdnum_nir.validate(v))
        except ValidationError:
            return None
        kind = "temporary" if checked[0] in "78" else "nir"
        return NirMatch(kind, checked, checked[5:7] in ("2A", "2B"))
    if len(v) == 13:
        if v.isdigit() and v[0] in "5678" and v[1] in "012":
            return NirMatch("nnp" if v[0] in "78" else "mig", v)
        if _plausible_body(v):
            return NirMatch("keyless", v, v[5:7] in ("2A", "2B"))
    return None


def find_in_text(text: str) -> int:
    """How many keyed NIRs (or temporary numbers) a text holds."""
    return sum(
        1 for m in _EMBEDDED.finditer(text) if (r := match(m.group())) and len(r.compact) == 15
    )


def detect(col: ColumnSample) -> Finding | None:
    if not col.values:
        return None
    counts = {"nir": 0, "temporary": 0, "keyless": 0, "nnp": 0, "mig": 0, "corsica": 0}
    embedded = ins_oid = 0
    if col.rejects(lambda v: match(v) or len(v) > 15, 0.5):
        return None
    for v, k in col.counts.items():
        m = match(v)
        if m is None:
            if len(v) > 15:
                embedded += k * (find_in_text(v) > 0)
                ins_oid += k * bool(_INS_OID.search(v))
            continue
        counts[m.kind] += k
        counts["corsica"] += k * m.corsica
    n = len(col.values)
    keyed = counts["nir"] + counts["temporary"]
    structural = counts["keyless"] + counts["nnp"] + counts["mig"]
    evidence = {"checked": n, "keyed_valid": keyed, **{k: v for k, v in counts.items() if v}}
    if ins_oid:
        evidence["ins_oid"] = ins_oid
    if embedded:
        evidence["embedded_in_longer_value"] = embedded
    # A random 15-digit number passes the key once in 97: a column needs a clear majority.
    if keyed / n >= 0.8:
        return Finding("nir", c.IDENTITY_DIRECT, min(0.99, 0.6 + 0.4 * keyed / n), evidence)
    if (keyed + structural) / n >= 0.9 and structural:
        return Finding("nir", c.IDENTITY_DIRECT, 0.7, evidence, detail="without key")
    if (embedded + ins_oid) / n >= 0.5:
        return Finding("ins", c.IDENTITY_DIRECT, 0.9, evidence, detail="identifier with OID")
    return None
