r"""HL7 v2 encoding characters and escape sequences (v2.5.1 chapter 2.7).

Written values are escaped so that no value can ever split a field, a component, a repetition or
a segment: the five delimiters become \F\ \S\ \T\ \R\ \E\, every C0 control character and
DEL becomes a hex escape (\X0D\, \X0A\, ...), and in formatted text (FT, the NTE comment) a line
feed becomes \.br\. An empty string is written as "" (HL7's "present but null"), and a value that
is literally "" is hex-escaped, so that null, "" and '""' stay three different things.

Reading undoes exactly that, plus the rest of chapter 2.7: \X..\ bytes are decoded with the
message's character set; \.br\, \.sp\ and \.ce\ are line breaks, \.sk\ is spaces; the
highlighting (\H\ \N\) and layout (\.fi\ \.nf\ \.in\ \.ti\) commands carry no data and are
removed. Character-set switches (\C..\ \M..\) and locally defined escapes (\Z..\) cannot be
interpreted safely: they raise `EscapeError`, which the reader turns into a rejected message.
No error message quotes the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

_ALNUM: Final = re.compile(r"[A-Za-z0-9]")
_NUMBER: Final = re.compile(r"\s*([+-]?\d*)\s*")
_EMPTY: Final = '""'


class EscapeError(ValueError):
    """A malformed or uninterpretable escape sequence (the message carries no value)."""


@dataclass(frozen=True)
class Delimiters:
    """The field separator (MSH-1) and the encoding characters (MSH-2) of one message."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str | None = None  # v2.7+: a fifth encoding character

    @property
    def msh2(self) -> str:
        return (
            self.component
            + self.repetition
            + self.escape
            + self.subcomponent
            + (self.truncation or "")
        )

    @classmethod
    def parse(cls, field: str, encoding: str) -> Delimiters:
        """From MSH-1 and MSH-2; raises ValueError when they cannot delimit anything."""
        chars = [field, *encoding]
        if len(encoding) not in (4, 5) or len(set(chars)) != len(chars):
            raise ValueError("encoding characters must be 4 or 5 distinct characters")
        if any(_ALNUM.match(c) or c.isspace() or ord(c) < 0x20 for c in chars):
            raise ValueError("encoding characters must be punctuation")
        trunc = encoding[4] if len(encoding) == 5 else None
        return cls(field, encoding[0], encoding[1], encoding[2], encoding[3], trunc)


DEFAULT: Final = Delimiters()


def _table(d: Delimiters, formatted: bool) -> dict[int, str]:
    e = d.escape
    table = {c: f"{e}X{c:02X}{e}" for c in (*range(0x20), 0x7F)}
    table |= {
        ord(e): f"{e}E{e}",
        ord(d.field): f"{e}F{e}",
        ord(d.component): f"{e}S{e}",
        ord(d.subcomponent): f"{e}T{e}",
        ord(d.repetition): f"{e}R{e}",
    }
    if d.truncation is not None:
        table[ord(d.truncation)] = f"{e}P{e}"
    if formatted:
        table[0x0A] = f"{e}.br{e}"  # FT's own line break, which receivers render
    return table


def escaper(d: Delimiters = DEFAULT, *, formatted: bool = False) -> Callable[[str | None], str]:
    """A function writing one value (None: empty) into one field, component or subcomponent."""
    table = _table(d, formatted)
    literal_empty = f"{d.escape}X2222{d.escape}"

    def escape(value: str | None) -> str:
        if value is None:
            return ""
        if value == "":
            return _EMPTY
        if value == _EMPTY:
            return literal_empty
        return value.translate(table)

    return escape


def unescape(text: str, d: Delimiters, charset: str) -> str:
    """The value of one raw field, component or subcomponent; raises EscapeError."""
    if d.escape not in text:
        return text
    parts = text.split(d.escape)
    if len(parts) % 2 == 0:
        raise EscapeError("unterminated escape sequence")
    out = parts[0::2]
    for i, body in enumerate(parts[1::2]):
        out[i] += _sequence(body, d, charset)
    return "".join(out)


def _count(arg: str) -> int:
    match = _NUMBER.fullmatch(arg)
    if match is None:
        raise EscapeError("malformed formatting escape")
    digits = match.group(1)
    if len(digits.lstrip("+-")) > 3:
        # \.sp<n>\ and \.sk<n>\ expand to n characters: a few bytes must not make gigabytes.
        raise EscapeError("formatting escape count out of range")
    return int(digits) if digits not in ("", "+", "-") else 1


def _sequence(body: str, d: Delimiters, charset: str) -> str:
    simple = {"F": d.field, "S": d.component, "T": d.subcomponent, "R": d.repetition}
    simple["E"] = d.escape
    if d.truncation is not None:
        simple["P"] = d.truncation
    if body in simple:
        return simple[body]
    if body in ("H", "N"):
        return ""  # highlighting on/off: presentation only
    if body.startswith("X"):
        hexa = body[1:]
        if not hexa or len(hexa) % 2:
            raise EscapeError("malformed hexadecimal escape")
        try:
            return bytes.fromhex(hexa).decode(charset)
        except (ValueError, LookupError):  # UnicodeDecodeError is a ValueError
            raise EscapeError("hexadecimal escape is not text in the message charset") from None
    if body.startswith("."):
        command, arg = body[1:3], body[3:]
        if command == "br" and not arg:
            return "\n"
        if command == "sp":
            return "\n" * max(1, _count(arg))
        if command == "ce" and not arg:
            return "\n"
        if command == "sk":
            return " " * max(1, _count(arg))
        if command in ("fi", "nf") and not arg:
            return ""
        if command in ("in", "ti"):
            _count(arg)
            return ""  # indentation: layout only
    raise EscapeError("unsupported escape sequence")
