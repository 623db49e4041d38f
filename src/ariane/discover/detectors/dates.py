"""Dates: birth dates (identity.quasi) apart from the dates of events (health.context).

A birth-date column holds dates only (no time of day), spread over many decades, mostly well
before the latest one. Dates of collections, validations or comments cluster in the recent years
the system has been running, and usually carry a time of day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c

_FORMATS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?.*)?"), "ymd"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?"), "ymd"),
    (re.compile(r"(\d{4})/(\d{2})/(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?.*)?"), "ymd"),
    (
        re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?.*)?"),
        "dmy",
    ),
)
FORMAT_NAMES = {0: "YYYY-MM-DD", 1: "YYYYMMDD", 2: "YYYY/MM/DD", 3: "DD/MM/YYYY"}


@dataclass(frozen=True)
class Parsed:
    day: dt.date
    timed: bool  # a time of day other than midnight
    fmt: int
    clock: int  # 0 no time, 2 hours and minutes, 3 with seconds


def parse(value: str) -> Parsed | None:
    v = value.strip()
    for i, (pattern, order) in enumerate(_FORMATS):
        m = pattern.fullmatch(v)
        if not m:
            continue
        g = m.groups()
        y, mo, d = (
            (int(g[0]), int(g[1]), int(g[2]))
            if order == "ymd"
            else (int(g[2]), int(g[1]), int(g[0]))
        )
        if not 1850 <= y <= 2200:
            return None
        try:
            day = dt.date(y, mo, d)
        except ValueError:
            return None
        timed = any(x is not None and int(x) != 0 for x in g[3:6])
        clock = 3 if g[5] is not None else (2 if g[4] is not None else 0)
        return Parsed(day, timed, i, clock)
    return None


def date_column(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0:
        return None
    if col.numeric_type and not all(len(v.split(".")[0]) == 8 for v in col.values[:50]):
        return None  # an integer column is a date only in the YYYYMMDD form
    if col.rejects(parse, 0.95):
        return None
    parsed = [(p, k) for v, k in col.counts.items() if (p := parse(v)) is not None]
    total = sum(k for _, k in parsed)
    if total / n < 0.95:
        return None
    timed = sum(k for p, k in parsed if p.timed)
    latest = max(p.day for p, _ in parsed)
    span_years = (latest - min(p.day for p, _ in parsed)).days / 365.25
    old = sum(k for p, k in parsed if (latest - p.day).days > 20 * 365)
    fmts = Counter({p.fmt: 0 for p, _ in parsed})
    for p, k in parsed:
        fmts[p.fmt] += k
    fmt = FORMAT_NAMES[fmts.most_common(1)[0][0]]
    clocks = Counter(p.clock for p, _ in parsed)
    fmt += {0: "", 2: " HH:MM", 3: " HH:MM:SS"}[clocks.most_common(1)[0][0]]
    ev = {
        "checked": n,
        "parsed": total,
        "with_time": timed,
        "span_years": int(span_years),
        "older_than_20y": old,
    }
    if timed <= 0.02 * total and span_years >= 30 and old >= 0.3 * total:
        return Finding("birth_date", c.IDENTITY_QUASI, 0.9, ev, detail=fmt)
    return Finding("event_date", c.HEALTH_CONTEXT, 0.8, ev, detail=fmt)
