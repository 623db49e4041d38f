"""Vectorised column helpers: variable-width strings, NULLs, and timestamps as vendor text.

Columns are numpy arrays of `StringDType(na_object=None)`, so that a NULL is a None that
`tolist()` hands to sqlite3 unchanged and no fixed-width array can truncate a value silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from ariane.errors import ArianeError

STR = np.dtypes.StringDType(na_object=None)
DAY = 86_400

Col = npt.NDArray[Any]
Ints = npt.NDArray[np.int64]


def strings(values: Sequence[str]) -> Col:
    return np.array(values, dtype=STR)


def cat(*parts: Col | str) -> Col:
    """Element-wise concatenation of string columns and constants."""
    out: Col | str = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return np.asarray(out, dtype=STR)


def digits(values: npt.NDArray[np.integer[Any]], width: int) -> Col:
    """Zero-padded decimal text of non-negative integers."""
    return np.strings.zfill(np.asarray(values, dtype=np.int64).astype(STR), width)


def with_nulls(values: Col, null: npt.NDArray[np.bool_]) -> Col:
    out = np.asarray(values, dtype=STR).copy()
    out[null] = None
    return out


def zipf(n: int, offset: float = 8.0) -> npt.NDArray[np.float64]:
    """Probabilities decreasing with rank, for lists ordered by frequency."""
    w = 1.0 / (np.arange(n, dtype=np.float64) + offset)
    return np.asarray(w / w.sum(), dtype=np.float64)


def normalised(weights: Sequence[float]) -> npt.NDArray[np.float64]:
    w = np.asarray(weights, dtype=np.float64)
    return np.asarray(w / w.sum(), dtype=np.float64)


def epoch_day(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def iso_days(days: Ints) -> Col:
    """'YYYY-MM-DD' for days counted from 1970-01-01."""
    text = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D")
    return np.asarray(text, dtype=STR)


@cache
def _clock() -> Col:
    sod = np.arange(DAY, dtype=np.int64)
    hh, mm, ss = digits(sod // 3600, 2), digits(sod // 60 % 60, 2), digits(sod % 60, 2)
    return cat(" ", hh, ":", mm, ":", ss)


class Timestamps:
    """Formats seconds since 1970 as 'YYYY-MM-DD HH:MM:SS' through two lookup tables.

    Building the text of each distinct day and second of day once is several times faster than
    formatting millions of datetime64 values.
    """

    def __init__(self, first_day: int, last_day: int) -> None:
        self.first_day = first_day
        self.days = iso_days(np.arange(first_day, last_day + 1, dtype=np.int64))

    def format(self, seconds: Ints) -> Col:
        day = seconds // DAY - self.first_day
        if day.size and (day.min() < 0 or day.max() >= self.days.size):
            # A negative index would wrap around silently and write a wrong date.
            raise ArianeError("internal: timestamp outside the demo generator's day range")
        return np.strings.add(self.days[day], _clock()[seconds % DAY])

    def yymmdd(self, days: Ints) -> Col:
        iso = self.days[days - self.first_day]
        cut = np.strings.slice
        return cat(cut(iso, 2, 4), cut(iso, 5, 7), cut(iso, 8, 10))
