"""Results of a block of requests, drawn analysis by analysis, never row by row."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from ariane.demo.catalogue import CATALOGUE, MALE_TEXT
from ariane.demo.columns import DAY, STR, Col, Ints, Timestamps, strings

_FLAGS = np.array([None, "N", "L", "H", "A"], dtype=STR)
_FLAG_CODE = {None: 0, "N": 1, "L": 2, "H": 3, "A": 4}
_STATUS = strings(["F", "P", "C"])
_STATUS_P = [0.955, 0.03, 0.015]
_EXTRA_RESULTS = 4.5  # Poisson mean of analyses beyond the first; duplicates are then dropped


@dataclass(frozen=True)
class _Tables:
    codes: Col
    p: npt.NDArray[np.float64]
    sex: npt.NDArray[np.int8]  # 0 both, else the only sex tested
    low: npt.NDArray[np.float64]  # NaN when the bound is absent
    high: npt.NDArray[np.float64]
    delay: npt.NDArray[np.float64]  # days
    common: npt.NDArray[np.int64]  # indices of analyses open to both sexes, for substitution
    common_p: npt.NDArray[np.float64]


@cache
def _tables() -> _Tables:
    weight = np.array([a.weight for a in CATALOGUE])
    sex = np.array([int(a.sex or 0) for a in CATALOGUE], dtype=np.int8)
    common = np.flatnonzero((sex == 0) & np.array([a.sensitive_class is None for a in CATALOGUE]))
    return _Tables(
        codes=strings([a.code for a in CATALOGUE]),
        p=weight / weight.sum(),
        sex=sex,
        low=np.array([np.nan if a.low is None else a.low for a in CATALOGUE]),
        high=np.array([np.nan if a.high is None else a.high for a in CATALOGUE]),
        delay=np.array([a.delay_days for a in CATALOGUE]),
        common=common.astype(np.int64),
        common_p=weight[common] / weight[common].sum(),
    )


def draw_results(
    rng: np.random.Generator,
    sex: npt.NDArray[np.int8],
    ready: Ints,
    now: int,
    first_id: int,
    clock: Timestamps,
) -> tuple[Ints, dict[str, npt.NDArray[Any]]]:
    """Results for requests whose patients have `sex`; returns each result's request position.

    Results come grouped by request, so their ids grow with collection time as in a real LIS.
    """
    t = _tables()
    m = sex.size
    req = np.repeat(np.arange(m), 1 + rng.poisson(_EXTRA_RESULTS, m))
    code = rng.choice(t.codes.size, size=req.size, p=t.p)
    # A PSA for a woman or a beta-hCG for a man becomes an ordinary analysis.
    wrong = (t.sex[code] != 0) & (t.sex[code] != sex[req])
    code[wrong] = t.common[rng.choice(t.common.size, size=req.size, p=t.common_p)][wrong]
    # One result per analysis and request, sorted by request (a plain sort beats np.unique).
    key = np.sort(req * t.codes.size + code)
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    req, code = key // t.codes.size, key % t.codes.size
    k = req.size

    value = np.full(k, np.nan)
    text = np.full(k, None, dtype=STR)
    flag = np.zeros(k, dtype=np.int8)
    by_code = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[by_code], np.arange(t.codes.size + 1))
    for j, analysis in enumerate(CATALOGUE):
        rows = by_code[bounds[j] : bounds[j + 1]]
        if rows.size == 0:
            continue
        if analysis.texts:
            options = strings([v for v, _, _ in analysis.texts])
            chosen = rng.choice(options.size, size=rows.size, p=[p for _, _, p in analysis.texts])
            text[rows] = options[chosen]
            flag[rows] = np.array([_FLAG_CODE[f] for _, f, _ in analysis.texts])[chosen]
            if any(v in MALE_TEXT for v, _, _ in analysis.texts):
                male = strings([MALE_TEXT.get(v, v) for v, _, _ in analysis.texts])
                is_male = sex[req[rows]] == 1
                text[rows[is_male]] = male[chosen[is_male]]
        else:
            drawn = analysis.median * analysis.gsd ** rng.standard_normal(rows.size)
            value[rows] = np.round(drawn, analysis.decimals)

    numeric = ~np.isnan(value)
    low, high = t.low[code], t.high[code]
    bounded = numeric & ~(np.isnan(low) & np.isnan(high))
    flag[bounded] = np.select(
        [value[bounded] < low[bounded], value[bounded] > high[bounded]], [2, 3], 1
    )

    jitter = rng.integers(0, 20 * 60, k) + t.delay[code] * DAY * rng.uniform(0.5, 1.5, k)
    validated = np.minimum(ready[req] + jitter.astype(np.int64), now - 1)
    return req, {
        "RES_ID": np.arange(first_id, first_id + k),
        "RES_ANA_CODE": t.codes[code],
        "RES_VAL_NUM": value,
        "RES_VAL_TXT": text,
        "RES_FLAG": _FLAGS[flag],
        "RES_STATUT": _STATUS[rng.choice(3, size=k, p=_STATUS_P)],
        "RES_DVALID": clock.format(validated),
    }
