"""French NIR (social security number): the control key, one at a time and vectorised.

NIR = sex(1) + birth year(2) + birth month(2) + department(2) + commune(3) + order(3) + key(2).
The key is 97 - (the 13-digit number mod 97); Corsican departments "2A" and "2B" count as 19 and
18 in that number. Born abroad: department "99" and a 3-digit INSEE country code as commune.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ariane.demo.columns import STR, cat, digits
from ariane.errors import InputError

_CORSICA = {"2A": "19", "2B": "18"}


def nir_key(body: str) -> str:
    """The 2-digit key of a 13-character NIR body (spaces ignored, "2a" read as "2A")."""
    body = body.replace(" ", "").upper()
    if len(body) != 13:
        raise InputError("a NIR body has 13 characters")
    dept = body[5:7]
    digits = body[:5] + _CORSICA.get(dept, dept) + body[7:]
    if not digits.isdigit():
        raise InputError("a NIR body is made of digits, with 2A or 2B as department")
    return f"{97 - int(digits) % 97:02d}"


def make_nirs(
    sex: npt.NDArray[np.integer[Any]],
    birth_year: npt.NDArray[np.integer[Any]],
    birth_month: npt.NDArray[np.integer[Any]],
    dept: npt.NDArray[Any],
    commune: npt.NDArray[np.integer[Any]],
    order: npt.NDArray[np.integer[Any]],
) -> npt.NDArray[Any]:
    """Full 15-character NIRs from per-person parts; `dept` holds 2-character strings."""
    dept_num = np.where(dept == "2A", 19, np.where(dept == "2B", 18, 0)).astype(np.int64)
    plain = (dept != "2A") & (dept != "2B")
    dept_num[plain] = np.asarray(dept[plain], dtype=np.int64)
    yy = np.asarray(birth_year, dtype=np.int64) % 100
    number = (
        np.asarray(sex, dtype=np.int64) * 10**12
        + yy * 10**10
        + np.asarray(birth_month, dtype=np.int64) * 10**8
        + dept_num * 10**6
        + np.asarray(commune, dtype=np.int64) * 10**3
        + np.asarray(order, dtype=np.int64)
    )
    key = 97 - number % 97
    return cat(
        digits(sex, 1),
        digits(yy, 2),
        digits(birth_month, 2),
        np.asarray(dept, dtype=STR),
        digits(commune, 3),
        digits(order, 3),
        digits(key, 2),
    )
