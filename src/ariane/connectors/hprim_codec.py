"""HPRIM Santé 2.x syntax: delimiters, escapes, records, continuation lines, dates and numbers.

No mapping here (see `ariane.connectors.hprim`), only the text layer shared by reader and writer.
Nothing in this module puts a value into an exception message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

# HPRIM's own order in H-1: field, component, repetition, escape, sub-component (HL7 v2 swaps
# component and repetition).
DEFAULT_DELIMITERS: Final = "|~^\\&"
LINE_LIMIT: Final = 220  # characters per physical line, record end excluded
LINE_END: Final = re.compile(r"\r\n|\r|\n")
_NUMBER: Final = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE: Final = re.compile(rf"\s*({_NUMBER})\s*")
_RANGE_RE: Final = re.compile(rf"\s*({_NUMBER})?\s*-\s*({_NUMBER})?\s*")
_BOUND_RE: Final = re.compile(rf"\s*([<>])=?\s*({_NUMBER})\s*")
_TS_RE: Final = re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?")


class Malformed(Exception):
    """A syntax error at a known place; `field` names it (e.g. OBX.14), the text never a value."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Delimiters:
    field: str
    component: str
    repeat: str
    escape: str
    sub: str

    @classmethod
    def parse(cls, header: str) -> Delimiters:
        """Delimiters from an H record: `H` then field, component, repeat, escape, sub-component."""
        chars = header[1:6]
        if not header.startswith("H") or len(chars) != 5 or len(set(chars)) != 5:
            raise Malformed("H.1", "H record does not declare five distinct delimiters")
        if any(c.isalnum() or c.isspace() for c in chars):
            raise Malformed("H.1", "H record delimiters must be punctuation")
        if len(header) > 6 and header[6] != chars[0]:
            raise Malformed("H.1", "H record delimiters are not followed by the field delimiter")
        return cls(*chars)

    @property
    def text(self) -> str:
        return self.field + self.component + self.repeat + self.escape + self.sub


DEFAULT: Final = Delimiters.parse("H" + DEFAULT_DELIMITERS)


class Codec:
    """Escape and unescape values for one set of delimiters and one character set."""

    def __init__(self, d: Delimiters, charset: str = "latin-1") -> None:
        self.d = d
        self.charset = charset
        e = d.escape
        table: dict[int, str] = {ord(e): f"{e}E{e}"}
        for ch, name in ((d.field, "F"), (d.component, "S"), (d.repeat, "R"), (d.sub, "T")):
            table[ord(ch)] = f"{e}{name}{e}"
        # Record ends and other controls cannot stand in a line: hex escapes, as in HL7 v2.
        for code in (*range(0x20), *range(0x7F, 0xA0)):
            table[code] = f"{e}X{code:02X}{e}"
        self._table = table
        self._needs = re.compile("[" + re.escape("".join(chr(c) for c in table)) + "]")
        self._sequence = re.compile(re.escape(e) + r"([^" + re.escape(e) + r"]*)" + re.escape(e))
        self._named = {"F": d.field, "S": d.component, "R": d.repeat, "E": e, "T": d.sub}

    def escape(self, value: str) -> str:
        if self._needs.search(value) is None:
            return value
        return value.translate(self._table)

    def unescape(self, text: str) -> str:
        if self.d.escape not in text:
            return text
        return self._sequence.sub(self._replace, text)

    def _replace(self, m: re.Match[str]) -> str:
        name = m.group(1)
        named = self._named.get(name)
        if named is not None:
            return named
        if name.startswith("X") and len(name) % 2 == 1:
            try:
                return bytes.fromhex(name[1:]).decode(self.charset)
            except ValueError:
                return m.group(0)
        if name == ".br":
            return "\n"
        if name in ("H", "N"):  # highlighting on/off: formatting, not text
            return ""
        return m.group(0)  # unknown sequence: kept as written rather than guessed

    # --- structure -------------------------------------------------------------------------

    def fields(self, record: str) -> list[str]:
        return record.split(self.d.field)

    def repeats(self, field: str) -> list[str]:
        return field.split(self.d.repeat)

    def components(self, repeat: str) -> list[str]:
        return repeat.split(self.d.component)

    def subs(self, component: str) -> list[str]:
        return component.split(self.d.sub)

    def component(self, field: str, index: int, repeat: int = 0) -> str | None:
        """Unescaped component `index` (0-based) of repetition `repeat`; None when empty."""
        reps = field.split(self.d.repeat)
        if repeat >= len(reps):
            return None
        comps = reps[repeat].split(self.d.component)
        if index >= len(comps) or comps[index] == "":
            return None
        return self.unescape(comps[index])

    def text(self, field: str) -> str | None:
        """The whole field as one unescaped text (free text: delimiters kept literally)."""
        return self.unescape(field) if field != "" else None


def get(fields: list[str], index: int) -> str:
    return fields[index] if index < len(fields) else ""


# --- lines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    line: int  # first physical line, 1-based
    physical: int  # physical lines, the A continuation lines included
    text: str
    kind: str  # record type: H, P, OBR, OBX, C, L...


def records(text: str, field_delimiter: str) -> Iterator[Record]:
    """Logical records: an `A` line's content is appended to the previous record's text.

    The A record continues the previous record's last field as raw text (the H2.1 fixture splits
    `Cliniq|ue HP` across lines), so it is joined before any splitting or unescaping.
    Blank lines are ignored. An A line with nothing before it is its own (malformed) record.
    """
    prefix = "A" + field_delimiter
    line_no = 0
    start = 0
    physical = 0
    buffer: list[str] = []
    for line_no, line in enumerate(LINE_END.split(text), 1):
        if line.startswith(prefix) and buffer:
            buffer.append(line[2:])
            physical += 1
            continue
        if buffer:
            yield _record(start, physical, buffer, field_delimiter)
            buffer = []
        if line == "":
            continue
        start, physical, buffer = line_no, 1, [line]
    if buffer:
        yield _record(start, physical, buffer, field_delimiter)


def _record(line: int, physical: int, parts: list[str], field_delimiter: str) -> Record:
    text = "".join(parts)
    return Record(line, physical, text, text.split(field_delimiter, 1)[0])


def fold(record: str, d: Delimiters, limit: int = LINE_LIMIT) -> list[str]:
    """Split a record into a first line and `A|` continuation lines of at most `limit` characters.

    A split never falls inside an escape sequence (each holds exactly two escape characters, and
    a literal escape character is itself escaped), and avoids whitespace at either side of the
    cut, since some readers trim lines.
    """
    if len(record) <= limit:
        return [record]
    prefix = "A" + d.field
    # The H record's delimiter field holds a bare escape character: never cut in or count it.
    opaque = 7 if record.startswith("H" + d.text) else 0
    lines: list[str] = []
    pos = 0
    room = limit
    while len(record) - pos > room:
        cut = _cut(record, max(pos, opaque), pos + room, d.escape)
        lines.append((prefix if lines else "") + record[pos:cut])
        pos = cut
        room = limit - len(prefix)
    lines.append((prefix if lines else "") + record[pos:])
    return lines


def _cut(record: str, start: int, end: int, escape: str) -> int:
    fallback = None
    for cut in range(end, max(start + 1, end - 40), -1):
        if record.count(escape, start, cut) % 2:
            continue  # inside an escape sequence
        if fallback is None:
            fallback = cut
        if not (record[cut - 1].isspace() or record[cut].isspace()):
            return cut
    if fallback is not None:
        return fallback
    cut = end  # 40 characters of one escape sequence cannot happen with our escapes
    while record.count(escape, start, cut) % 2 and cut > start + 1:
        cut -= 1
    return cut


# --- values ------------------------------------------------------------------------------------


def parse_timestamp(text: str, where: str) -> dt.datetime:
    """YYYYMMDD[HHMM[SS[.f]]] as naive local time; time zones are not part of HPRIM 2.x."""
    m = _TS_RE.fullmatch(text.strip())
    if m is None:
        raise Malformed(where, "not a date/time YYYYMMDD[HHMM[SS[.ffffff]]]")
    y, mo, d, h, mi, s, frac = m.groups()
    try:
        return dt.datetime(
            int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
            int((frac or "0").ljust(6, "0")),
        )  # fmt: skip
    except ValueError:
        raise Malformed(where, "date/time out of range") from None


def parse_date(text: str, where: str) -> dt.date:
    return parse_timestamp(text, where).date()  # a birth time, when given, has no canonical field


def parse_number(text: str) -> float | None:
    m = _NUMBER_RE.fullmatch(text)
    return float(m.group(1).replace(",", ".")) if m else None


def parse_range(text: str) -> tuple[float | None, float | None] | None:
    """`low - high`, `low -`, `- high`, `<high`, `>low`; None when not such a range."""
    m = _RANGE_RE.fullmatch(text)
    if m and (m.group(1) or m.group(2)):
        return _num(m.group(1)), _num(m.group(2))
    m = _BOUND_RE.fullmatch(text)
    if m:
        bound = float(m.group(2).replace(",", "."))
        return (None, bound) if m.group(1) == "<" else (bound, None)
    return None


def _num(text: str | None) -> float | None:
    return None if text is None else float(text.replace(",", "."))


def format_number(value: float) -> str:
    return repr(value)  # shortest text that reads back to the same float


def format_range(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return ""
    left = "" if low is None else repr(low)
    right = "" if high is None else repr(high)
    return f"{left} - {right}".strip()


def charset_of(header_fields: list[str]) -> str:
    """Character set named in H.8 (transmission characteristics), else HPRIM's ISO-8859-1."""
    declared = get(header_fields, 8).upper().replace("_", "-").replace("/", "-")
    if "UTF-8" in declared or "UTF8" in declared:
        return "utf-8"
    if "8859-15" in declared:
        return "iso-8859-15"
    return "latin-1"
