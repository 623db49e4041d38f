"""A deterministic synthetic laboratory: the SQLite database of a fictitious French LIS.

"Labosoft SIL 4" is invented, and so is every person in it, but its shape follows the incident
Ariane answers: identities with NIR, portal passwords in clear, results of every sensitivity class
(some behind local codes with no LOINC code), and free-text comments naming diagnoses and people.

The same `seed`, `patients` and `today` always give the same table contents. Nothing is dated on
or after `today`: the database is a snapshot taken at its first second. Columns are drawn whole
with numpy and inserted in batches; indexes are built once the tables are full.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ariane.demo import names, texts
from ariane.demo.catalogue import CATALOGUE, LOCAL_SENSITIVE_CODES
from ariane.demo.columns import (
    DAY,
    STR,
    Col,
    Ints,
    Timestamps,
    cat,
    digits,
    epoch_day,
    strings,
    with_nulls,
    zipf,
)
from ariane.demo.people import (
    CORSICAN_SITE,
    Patients,
    draw_patients,
    draw_practitioners,
)
from ariane.demo.results import draw_results
from ariane.errors import TargetError, UsageError

__all__ = ["LOCAL_SENSITIVE_CODES", "SCHEMA_SQL", "GenerationStats", "Progress", "generate"]

Progress = Callable[[str, int, int], None]

SCHEMA_SQL: Final = """\
CREATE TABLE PAT_PATIENT (
    PAT_ID INTEGER PRIMARY KEY,
    PAT_NOM TEXT,
    PAT_NOM_NAISS TEXT,
    PAT_PRENOM TEXT,
    PAT_DNAIS TEXT,
    PAT_SEXE TEXT,
    PAT_NIR TEXT,
    PAT_ADR1 TEXT,
    PAT_CP TEXT,
    PAT_VILLE TEXT,
    PAT_TEL TEXT,
    PAT_MAIL TEXT,
    PAT_WEB_MDP TEXT,
    PAT_DCRE TEXT
);
CREATE TABLE MED_INTERVENANT (
    MED_ID INTEGER PRIMARY KEY,
    MED_NOM TEXT,
    MED_PRENOM TEXT,
    MED_RPPS TEXT,
    MED_SPEC TEXT,
    MED_TYPE TEXT
);
CREATE TABLE SITE_PRELEVEMENT (
    SITE_CODE TEXT PRIMARY KEY,
    SITE_LIBELLE TEXT
);
CREATE TABLE DOS_DOSSIER (
    DOS_NUM TEXT PRIMARY KEY,
    DOS_PAT_ID INTEGER,
    DOS_MED_ID INTEGER,
    DOS_DPREL TEXT,
    DOS_DRECEP TEXT,
    DOS_SITE TEXT,
    DOS_RENS_CLIN TEXT
);
CREATE TABLE ANA_CATALOGUE (
    ANA_CODE TEXT PRIMARY KEY,
    ANA_LIBELLE TEXT,
    ANA_LOINC TEXT,
    ANA_UNITE TEXT,
    ANA_BORNE_INF REAL,
    ANA_BORNE_SUP REAL,
    ANA_TYPE TEXT
);
CREATE TABLE RES_RESULTAT (
    RES_ID INTEGER PRIMARY KEY,
    RES_DOS_NUM TEXT,
    RES_ANA_CODE TEXT,
    RES_VAL_NUM REAL,
    RES_VAL_TXT TEXT,
    RES_FLAG TEXT,
    RES_STATUT TEXT,
    RES_DVALID TEXT,
    RES_VALIDEUR_ID INTEGER
);
CREATE TABLE COM_COMMENTAIRE (
    COM_ID INTEGER PRIMARY KEY,
    COM_DOS_NUM TEXT,
    COM_RES_ID INTEGER,
    COM_DATE TEXT,
    COM_TEXTE TEXT
);
"""

INDEX_SQL: Final = """\
CREATE INDEX IX_DOS_PAT_ID ON DOS_DOSSIER (DOS_PAT_ID);
CREATE INDEX IX_DOS_DPREL ON DOS_DOSSIER (DOS_DPREL);
CREATE INDEX IX_RES_DOS_NUM ON RES_RESULTAT (RES_DOS_NUM);
CREATE INDEX IX_COM_DOS_NUM ON COM_COMMENTAIRE (COM_DOS_NUM);
"""

YEARS_OF_HISTORY: Final = 8
_BATCH: Final = 50_000  # rows per executemany: bounds the Python objects alive at once
_CHUNK: Final = 100_000  # requests whose results are drawn together (part of the seed's meaning)


@dataclass(frozen=True)
class GenerationStats:
    patients: int
    practitioners: int
    requests: int
    results: int
    comments: int
    seconds: float


@dataclass(frozen=True)
class _Requests:
    """Per-request arrays, sorted by collection time."""

    pat: Ints  # patient index in draw order
    med: Ints  # prescriber index
    collected: Ints  # seconds since 1970
    received: Ints
    ready: Ints  # when the biologist starts validating
    validator: Ints  # MED_ID of a biologist
    number: Col  # DOS_NUM
    site: Col
    clinical: Col


def generate(
    out: pathlib.Path,
    patients: int,
    seed: int,
    today: dt.date,
    progress: Progress | None = None,
) -> GenerationStats:
    """Write a new synthetic LIS database at `out`, which must not exist yet.

    `progress(stage, done, total)` reports "patients" and "requests" in rows, "results" and
    "comments" in requests whose results or comments are written.
    """
    if patients < 1:
        raise UsageError("the demo needs at least one patient")
    if seed < 0:
        raise UsageError("the demo seed must be a non-negative integer")
    if out.exists():
        raise UsageError(f"refusing to overwrite existing path {out}")
    if not out.parent.is_dir():
        raise UsageError(f"directory {out.parent} does not exist")
    # Built under a temporary name and renamed at the end, so a crash never leaves a
    # half-made database under the name the caller asked for.
    partial = out.with_name(out.name + ".partial")
    started = time.perf_counter()
    try:
        partial.unlink(missing_ok=True)
        counts = _write(partial, patients, seed, today, progress or _silent)
        os.replace(partial, out)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise TargetError(f"could not write the demo database {out}: {type(exc).__name__}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return GenerationStats(*counts, seconds=time.perf_counter() - started)


def _silent(stage: str, done: int, total: int) -> None:
    return None


def _write(
    path: pathlib.Path, n: int, seed: int, today: dt.date, progress: Progress
) -> tuple[int, int, int, int, int]:
    # Independent streams per stage: changing how one table is drawn leaves the others alone.
    rng = np.random.Generator(np.random.PCG64(seed)).spawn(6)
    today_day = epoch_day(today)
    start_day = epoch_day(_years_before(today, YEARS_OF_HISTORY))
    clock = Timestamps(start_day - 2, today_day)
    n_prescribers, n_biologists = max(20, n // 50), max(5, n // 2000)

    pats = draw_patients(rng[0], n, today_day, n_prescribers)
    meds = draw_practitioners(rng[1], n_prescribers, n_biologists)
    reqs = _draw_requests(rng[2], pats, today_day, start_day, n_prescribers, n_biologists, clock)

    # Patient ids follow creation order, as a LIS numbers them; creation precedes the first visit.
    first_visit = reqs.collected[np.unique(reqs.pat, return_index=True)[1]]
    created = first_visit - rng[3].integers(5 * 60, 90 * 60, n)
    created = np.maximum(created, pats.birth_day * DAY)
    by_creation = np.argsort(created, kind="stable")
    pat_id = np.empty(n, dtype=np.int64)
    pat_id[by_creation] = np.arange(1, n + 1)

    conn = sqlite3.connect(path)
    try:
        conn.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=MEMORY;"
            "PRAGMA cache_size=-262144;"
        )
        conn.executescript(SCHEMA_SQL)
        _insert_reference(conn)
        meds_cols: dict[str, npt.NDArray[Any]] = {
            "MED_ID": np.arange(1, n_prescribers + n_biologists + 1),
            **meds.columns,
        }
        n_meds = _insert(conn, "MED_INTERVENANT", meds_cols)
        pat_cols: dict[str, npt.NDArray[Any]] = {"PAT_ID": np.arange(1, n + 1)}
        pat_cols |= {k: v[by_creation] for k, v in pats.columns.items()}
        pat_cols["PAT_DCRE"] = clock.format(created[by_creation])
        _insert(conn, "PAT_PATIENT", pat_cols, lambda done: progress("patients", done, n))

        m = reqs.pat.size
        dos_cols: dict[str, npt.NDArray[Any]] = {
            "DOS_NUM": reqs.number,
            "DOS_PAT_ID": pat_id[reqs.pat],
            "DOS_MED_ID": reqs.med + 1,
            "DOS_DPREL": clock.format(reqs.collected),
            "DOS_DRECEP": clock.format(reqs.received),
            "DOS_SITE": reqs.site,
            "DOS_RENS_CLIN": reqs.clinical,
        }
        _insert(conn, "DOS_DOSSIER", dos_cols, lambda done: progress("requests", done, m))

        now = today_day * DAY
        res_first = np.empty(m, dtype=np.int64)
        res_count = np.empty(m, dtype=np.int64)
        n_results = 0
        for a in range(0, m, _CHUNK):
            b = min(m, a + _CHUNK)
            req, cols = draw_results(
                rng[4], pats.sex[reqs.pat[a:b]], reqs.ready[a:b], now, n_results + 1, clock
            )
            cols["RES_DOS_NUM"] = reqs.number[a:b][req]
            cols["RES_VALIDEUR_ID"] = reqs.validator[a:b][req]
            res_count[a:b] = np.bincount(req, minlength=b - a)
            res_first[a:b] = n_results + 1 + np.cumsum(res_count[a:b]) - res_count[a:b]
            n_results += _insert(conn, "RES_RESULTAT", cols)
            progress("results", b, m)

        n_comments = 0
        for a in range(0, m, _CHUNK):
            b = min(m, a + _CHUNK)
            cols = _draw_comments(
                rng[5], np.arange(a, b), reqs, pats, meds.surname, res_first, res_count, now, clock
            )
            cols["COM_ID"] = np.arange(n_comments + 1, n_comments + 1 + cols["COM_DOS_NUM"].size)
            n_comments += _insert(conn, "COM_COMMENTAIRE", cols)
            progress("comments", b, m)

        conn.executescript(INDEX_SQL)
        conn.commit()
    finally:
        conn.close()
    return n, n_meds, m, n_results, n_comments


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _draw_requests(
    rng: np.random.Generator,
    pats: Patients,
    today_day: int,
    start_day: int,
    n_prescribers: int,
    n_biologists: int,
    clock: Timestamps,
) -> _Requests:
    n = pats.sex.size
    pat = np.repeat(np.arange(n), 1 + rng.poisson(3.0, n))
    m = pat.size
    # Uniform over the history window, or from birth for the youngest; last day is yesterday.
    first = np.maximum(pats.birth_day[pat], start_day)
    day = first + (rng.random(m) * (today_day - first)).astype(np.int64)
    hour = np.where(rng.random(m) < 0.75, rng.normal(9.0, 1.2, m), rng.uniform(7.0, 19.0, m))
    collected = day * DAY + (np.clip(hour, 6.5, 20.0) * 3600).astype(np.int64)
    order = np.lexsort((pat, collected))
    pat, day, collected = pat[order], day[order], collected[order]

    # DOS_NUM: 'D' + yymmdd + the request's rank within its day.
    rank = np.arange(m) - np.searchsorted(day, day, side="left") + 1
    if rank.max() > 999_999:
        raise UsageError("too many patients: more than 999999 requests on one day")
    number = cat("D", clock.yymmdd(day), digits(rank, 6))

    now = today_day * DAY
    received = np.minimum(collected + rng.integers(0, 6 * 3600 + 1, m), now - 1)
    ready = received + rng.integers(30 * 60, 30 * 3600, m)

    usual = pats.site[pat]
    elsewhere = rng.integers(0, CORSICAN_SITE, m)
    stays = (usual == CORSICAN_SITE) | (rng.random(m) < 0.85)
    site = strings([code for code, _ in names.SITES])[np.where(stays, usual, elsewhere)]

    other = rng.choice(n_prescribers, size=m, p=zipf(n_prescribers, n_prescribers / 5))
    med = np.where(rng.random(m) < 0.7, pats.prescriber[pat], other).astype(np.int64)
    validator = n_prescribers + 1 + rng.integers(0, n_biologists, m)
    return _Requests(
        pat,
        med,
        collected,
        received,
        ready,
        validator,
        number,
        site,
        _clinical(rng, pats, pat, day),
    )


def _clinical(rng: np.random.Generator, pats: Patients, pat: Ints, day: Ints) -> Col:
    m = pat.size
    age = (day - pats.birth_day[pat]) / 365.25
    fertile = (pats.sex[pat] == 2) & (age >= 16) & (age <= 45)
    r = rng.random(m)
    pregnant = fertile & (r < 0.03)
    pregnancy = cat("grossesse ", rng.integers(5, 41, m).astype(STR), " SA")
    other = strings(texts.CLINICAL)[rng.integers(0, len(texts.CLINICAL), m)]
    text = np.where(pregnant, pregnancy, other).astype(STR)
    return with_nulls(text, ~pregnant & (r > 0.22))


def _draw_comments(
    rng: np.random.Generator,
    requests: Ints,
    reqs: _Requests,
    pats: Patients,
    med_surname: Ints,
    res_first: Ints,
    res_count: Ints,
    now: int,
    clock: Timestamps,
) -> dict[str, npt.NDArray[Any]]:
    req = np.repeat(requests, rng.poisson(0.34, requests.size))
    k = req.size
    pat = reqs.pat[req]
    female = pats.sex[pat] == 2

    on_result = rng.random(k) < 0.35
    res_id = (res_first[req] + (rng.random(k) * res_count[req]).astype(np.int64)).astype(object)
    res_id[~on_result] = None
    date = np.minimum(reqs.received[req] + rng.integers(600, 36 * 3600, k), now - 1)

    neutral = strings(texts.NEUTRAL)[rng.integers(0, len(texts.NEUTRAL), k)]
    ills = strings(texts.PATHOLOGY + texts.PATHOLOGY_FEMALE)
    ill = np.where(female, rng.integers(0, ills.size, k), rng.integers(0, len(texts.PATHOLOGY), k))

    # Names appear as typed: sometimes upper-case as stored, sometimes in title case.
    t = rng.integers(0, len(texts.NAMING), k)
    prefix_f, prefix_m, who, suffix = (strings([row[i] for row in texts.NAMING]) for i in range(4))
    upper = strings([s.upper() for s in names.SURNAMES])
    title = strings(names.SURNAMES)
    person = np.where(who[t] == "patient", pats.surname[pat], med_surname[reqs.med[req]])
    name = np.where(rng.random(k) < 0.5, upper[person], title[person]).astype(STR)
    naming = cat(np.where(female, prefix_f[t], prefix_m[t]).astype(STR), name, suffix[t])

    kind = rng.random(k)
    text = np.where(kind < 0.42, neutral, np.where(kind < 0.67, ills[ill], naming)).astype(STR)
    return {
        "COM_DOS_NUM": reqs.number[req],
        "COM_RES_ID": res_id,
        "COM_DATE": clock.format(date),
        "COM_TEXTE": text,
    }


def _insert_reference(conn: sqlite3.Connection) -> None:
    conn.executemany("INSERT INTO SITE_PRELEVEMENT VALUES (?, ?)", names.SITES)
    conn.executemany(
        "INSERT INTO ANA_CATALOGUE VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(a.code, a.label, a.loinc, a.unit, a.low, a.high, a.kind) for a in CATALOGUE],
    )


def _insert(
    conn: sqlite3.Connection,
    table: str,
    data: dict[str, npt.NDArray[Any]],
    on_rows: Callable[[int], None] | None = None,
) -> int:
    columns = list(data)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    n = len(data[columns[0]])
    for a in range(0, n, _BATCH):
        b = min(n, a + _BATCH)
        batch = [_python(data[c][a:b]) for c in columns]
        conn.executemany(sql, zip(*batch, strict=True))
        if on_rows is not None:
            on_rows(b)
    return n


def _python(values: npt.NDArray[Any]) -> list[Any]:
    """Plain Python values for sqlite3, with NULL for NaN and None."""
    if values.dtype.kind == "f":
        out = values.astype(object)
        out[np.isnan(values)] = None
        return list(out.tolist())
    return list(values.tolist())
