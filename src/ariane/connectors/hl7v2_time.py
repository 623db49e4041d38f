"""HL7 v2 DTM/DT values <-> the canonical model's naive UTC timestamps and dates.

DTM is YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]. Reading:

- a value with an offset is converted to UTC; a value without one takes the offset of MSH-7
  (v2.5 2A.3.22: the sender's time zone), and without that either it is taken as UTC, which is
  the canonical model's convention;
- a value of lower precision stands for the start of its period (1962 -> 1962-01-01 00:00), the
  only reading that does not invent a later instant; the canonical type has no precision, so the
  precision itself is not kept;
- up to six fraction digits are accepted (senders exceed the standard's four);
- a birth date is a date: its own calendar day is kept, with no time-zone shift.

Writing: full precision in UTC with "+0000"; a fraction only when non-zero, with four digits,
so a timestamp finer than 100 microseconds has no DTM form and is refused by the writer.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Final

_DTM: Final = re.compile(
    r"(\d{4})(?:(\d\d)(?:(\d\d)(?:(\d\d)(?:(\d\d)(?:(\d\d)(?:\.(\d{1,6}))?)?)?)?)?)?"
    r"(?:([+-])(\d\d)(\d\d))?"
)


def offset(text: str) -> dt.timedelta | None:
    """The UTC offset written in a DTM (for MSH-7), or None."""
    match = _DTM.fullmatch(text.strip())
    if match is None or match.group(8) is None:
        return None
    try:
        return _offset(match)
    except ValueError:
        return None


def _offset(match: re.Match[str]) -> dt.timedelta:
    hours, minutes = int(match.group(9)), int(match.group(10))
    if hours > 23 or minutes > 59:
        raise ValueError("bad offset")
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return -delta if match.group(8) == "-" else delta


@functools.lru_cache(maxsize=8192)  # a message repeats its times; a lab repeats them a lot
def parse_dtm(text: str, default_offset: dt.timedelta | None) -> dt.datetime:
    """A naive UTC datetime; raises ValueError (without quoting the value)."""
    match = _DTM.fullmatch(text.strip())
    if match is None:
        raise ValueError("not an HL7 date/time")
    g = match.groups()
    micro = int(g[6].ljust(6, "0")) if g[6] else 0
    local = dt.datetime(  # ValueError if not a real date and time
        int(g[0]),
        int(g[1] or 1),
        int(g[2] or 1),
        int(g[3] or 0),
        int(g[4] or 0),
        int(g[5] or 0),
        micro,
    )
    shift = _offset(match) if match.group(8) is not None else default_offset
    if shift is None:
        return local
    try:
        return local - shift
    except OverflowError:
        raise ValueError("date/time out of range") from None


def parse_date(text: str) -> dt.date:
    """The calendar date a DT/DTM names (its time and offset ignored); raises ValueError."""
    match = _DTM.fullmatch(text.strip())
    if match is None:
        raise ValueError("not an HL7 date")
    if match.group(8) is not None:
        _offset(match)
    return dt.date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))


def format_dtm(value: dt.datetime) -> str:
    """A naive UTC datetime as DTM; raises ValueError below 100 microseconds."""
    if value.microsecond % 100:
        raise ValueError("finer than DTM's 1/10000 s")
    text = (
        f"{value.year:04d}{value.month:02d}{value.day:02d}"
        f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
    )
    if value.microsecond:
        text += f".{value.microsecond // 100:04d}"
    return text + "+0000"


def format_date(value: dt.date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"
