"""Fictitious patients and practitioners, drawn column by column."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from ariane.demo import names
from ariane.demo.columns import (
    STR,
    Col,
    Ints,
    cat,
    digits,
    iso_days,
    normalised,
    strings,
    with_nulls,
    zipf,
)
from ariane.demo.nir import make_nirs

CORSICAN_SITE = len(names.SITES) - 1
_RANDOM_CHARS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@#$%&*?"


@dataclass(frozen=True)
class Patients:
    """Per-patient columns, in draw order; the generator renumbers them by creation date."""

    sex: npt.NDArray[np.int8]  # 1 male, 2 female
    birth_day: Ints  # days since 1970-01-01
    surname: Ints  # index into SURNAMES of the name in use (PAT_NOM)
    columns: dict[str, Col]  # every PAT_ column except PAT_ID and PAT_DCRE
    site: Ints  # usual collection site, index into SITES
    prescriber: Ints  # usual prescriber, index among prescribers


@dataclass(frozen=True)
class Practitioners:
    surname: Ints
    columns: dict[str, Col]  # every MED_ column except MED_ID


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for e-mail addresses: 'Lefèvre' -> 'lefevre', "N'Diaye" -> 'ndiaye'."""
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == "-")


@cache
def _name_tables() -> dict[str, Col]:
    given = names.MALE_GIVEN + names.FEMALE_GIVEN
    return {
        "surname": strings(names.SURNAMES),
        "surname_upper": strings([s.upper() for s in names.SURNAMES]),
        "surname_fold": strings([ascii_fold(s) for s in names.SURNAMES]),
        "given": strings(given),
        "given_fold": strings([ascii_fold(g) for g in given]),
    }


def _given_index(rng: np.random.Generator, sex: npt.NDArray[np.int8]) -> Ints:
    n_male, n_female = len(names.MALE_GIVEN), len(names.FEMALE_GIVEN)
    male = rng.choice(n_male, size=sex.size, p=zipf(n_male, 15))
    female = rng.choice(n_female, size=sex.size, p=zipf(n_female, 15)) + n_male
    return np.where(sex == 1, male, female).astype(np.int64)


def _pick(rng: np.random.Generator, options: Col, size: int, p: Any = None) -> Col:
    return np.asarray(options[rng.choice(options.size, size=size, p=p)], dtype=STR)


def draw_patients(rng: np.random.Generator, n: int, today_day: int, n_prescribers: int) -> Patients:
    t = _name_tables()
    sex = np.where(rng.random(n) < 0.52, 2, 1).astype(np.int8)
    child = rng.random(n) < 0.09
    years = np.where(child, rng.uniform(0.0, 16.0, n), np.clip(rng.normal(54, 19, n), 16, 102))
    birth_day = today_day - np.maximum(1, (years * 365.25).astype(np.int64))
    births = np.asarray(birth_day, dtype="datetime64[D]")
    birth_year = births.astype("datetime64[Y]").astype(np.int64) + 1970
    birth_month = births.astype("datetime64[M]").astype(np.int64) % 12 + 1

    # About 30% of women use a spouse's name; PAT_NOM_NAISS keeps the birth name.
    born_as = rng.choice(len(names.SURNAMES), size=n, p=zipf(len(names.SURNAMES)))
    spouse = rng.choice(len(names.SURNAMES), size=n, p=zipf(len(names.SURNAMES)))
    married = (sex == 2) & (rng.random(n) < 0.33) & (spouse != born_as) & ~child
    surname = np.where(married, spouse, born_as).astype(np.int64)
    given = _given_index(rng, sex)

    city = rng.choice(len(names.CITIES), size=n, p=normalised([c[2] for c in names.CITIES]))
    corsican = np.array([c[0].startswith("20") for c in names.CITIES])[city]
    n_sites = len(names.SITES) - 1
    site = np.where(
        corsican, CORSICAN_SITE, rng.choice(n_sites, size=n, p=normalised([30, 15, 25, 15, 15]))
    ).astype(np.int64)

    columns = {
        "PAT_NOM": t["surname_upper"][surname],
        "PAT_NOM_NAISS": t["surname_upper"][born_as],
        "PAT_PRENOM": t["given"][given],
        "PAT_DNAIS": np.strings.replace(iso_days(birth_day), "-", ""),
        "PAT_SEXE": digits(sex, 1),
        "PAT_NIR": with_nulls(
            _nirs(rng, sex, birth_year, birth_month, corsican), rng.random(n) < 0.02
        ),
        "PAT_ADR1": _addresses(rng, n),
        "PAT_CP": strings([c[0] for c in names.CITIES])[city],
        "PAT_VILLE": strings([c[1] for c in names.CITIES])[city],
        "PAT_TEL": _phones(rng, corsican),
        "PAT_MAIL": with_nulls(
            _mails(rng, t["given_fold"][given], t["surname_fold"][surname], birth_year),
            rng.random(n) < 0.01,
        ),
        "PAT_WEB_MDP": _passwords(rng, t["given_fold"][given], birth_year),
    }
    prescriber = rng.choice(n_prescribers, size=n, p=zipf(n_prescribers, n_prescribers / 5))
    return Patients(sex, birth_day, surname, columns, site, prescriber.astype(np.int64))


def _nirs(
    rng: np.random.Generator,
    sex: npt.NDArray[np.int8],
    birth_year: Ints,
    birth_month: Ints,
    corsican: npt.NDArray[np.bool_],
) -> Col:
    n = sex.size
    # Birth place: mainland, Corsica, overseas ("97" + 3-digit commune) or abroad ("99").
    r = rng.random(n)
    place = np.where(
        corsican,
        np.select([r < 0.70, r < 0.75], [1, 3], 0),
        np.select([r < 0.01, r < 0.025, r < 0.105], [1, 2, 3], 0),
    )
    mainland = [d for d, _ in names.BIRTH_DEPTS]
    dept = _pick(rng, strings(mainland), n, normalised([w for _, w in names.BIRTH_DEPTS]))
    commune = rng.integers(1, 500, n)
    corsica = place == 1
    dept[corsica] = np.where(rng.random(n) < 0.55, "2A", "2B")[corsica]
    # Corsica was one department, "20", until 1976; older NIRs keep it.
    dept[corsica & (birth_year < 1976)] = "20"
    commune[corsica] = rng.integers(1, 366, n)[corsica]
    overseas = place == 2
    dept[overseas] = "97"
    region = np.array([1, 2, 3, 4, 6])[rng.integers(0, 5, n)]
    commune[overseas] = (region * 100 + rng.integers(1, 35, n))[overseas]
    abroad = place == 3
    dept[abroad] = "99"
    country = np.array([int(c) for c in names.BIRTH_COUNTRIES])
    commune[abroad] = country[rng.integers(0, country.size, n)][abroad]
    order = rng.integers(1, 1000, n)
    return make_nirs(sex, birth_year, birth_month, dept, commune, order)


def _addresses(rng: np.random.Generator, n: int) -> Col:
    number = np.minimum(1 + rng.geometric(0.04, n), 250)
    bis = np.where(rng.random(n) < 0.03, " bis ", " ").astype(STR)
    kinds = names.STREET_TYPES
    kind = _pick(rng, strings([k for k, _ in kinds]), n, normalised([w for _, w in kinds]))
    street = _pick(rng, strings(names.STREET_NAMES), n, zipf(len(names.STREET_NAMES), 10))
    return cat(number.astype(STR), bis, kind, " ", street)


def _phones(rng: np.random.Generator, corsican: npt.NDArray[np.bool_]) -> Col:
    n = corsican.size
    pairs = digits(np.arange(100), 2)
    p = [pairs[rng.integers(0, 100, n)] for _ in range(4)]
    mobile = rng.random(n) < 0.7
    lead = np.where(mobile, np.where(rng.random(n) < 0.7, "06", "07"), "04").astype(STR)
    # Landlines: area code 04, then 95 in Corsica, Lyon exchanges otherwise.
    lyon = strings(["72", "78", "37", "26", "81"])[rng.integers(0, 5, n)]
    p[0] = np.where(mobile, p[0], np.where(corsican, "95", lyon)).astype(STR)
    tail = cat(p[0], " ", p[1], " ", p[2], " ", p[3])
    national = cat(lead, " ", tail)
    international = cat("+33 ", np.strings.slice(lead, 1, 2), " ", tail)
    return np.where(mobile & (rng.random(n) < 0.2), international, national).astype(STR)


def _mails(rng: np.random.Generator, given: Col, surname: Col, birth_year: Ints) -> Col:
    n = given.size
    domain = _pick(rng, strings(names.MAIL_DOMAINS), n, zipf(len(names.MAIL_DOMAINS), 2))
    forms = (
        cat(given, ".", surname),
        cat(surname, ".", given),
        cat(np.strings.slice(given, 0, 1), ".", surname),
        cat(given, surname, digits(rng.integers(1, 100, n), 2)),
        cat(given, "_", surname, digits(birth_year % 100, 2)),
    )
    form = rng.choice(len(forms), size=n, p=[0.4, 0.15, 0.2, 0.15, 0.1])
    local = forms[0].copy()
    for k in range(1, len(forms)):
        local[form == k] = forms[k][form == k]
    return cat(local, "@", domain)


def _passwords(rng: np.random.Generator, given: Col, birth_year: Ints) -> Col:
    """Portal passwords stored in clear, as in the incident: many random, many guessable."""
    n = given.size
    alphabet = np.array([ord(c) for c in _RANDOM_CHARS], dtype=np.uint32)
    code = alphabet[rng.integers(0, alphabet.size, (n, 12))]
    code[np.arange(12) >= rng.integers(8, 13, n)[:, None]] = 0  # NULs end a numpy str
    out = np.ascontiguousarray(code).view("U12").ravel().astype(STR)
    kind = rng.random(n)
    personal = kind < 0.2
    out[personal] = cat(given, digits(birth_year, 4))[personal]
    weak = (kind >= 0.2) & (kind < 0.32)
    out[weak] = _pick(rng, strings(names.WEAK_PASSWORDS), n)[weak]
    return out


def draw_practitioners(
    rng: np.random.Generator, n_prescribers: int, n_biologists: int
) -> Practitioners:
    t = _name_tables()
    m = n_prescribers + n_biologists
    sex = np.where(rng.random(m) < 0.55, 2, 1).astype(np.int8)
    surname = rng.choice(len(names.SURNAMES), size=m, p=zipf(len(names.SURNAMES))).astype(np.int64)
    specs = names.SPECIALTIES
    spec = _pick(rng, strings([s for s, _ in specs]), m, normalised([w for _, w in specs]))
    spec[n_prescribers:] = names.BIOLOGIST_SPECIALTY
    kind = np.where(np.arange(m) < n_prescribers, "P", "B").astype(STR)
    columns = {
        "MED_NOM": t["surname_upper"][surname],
        "MED_PRENOM": t["given"][_given_index(rng, sex)],
        "MED_RPPS": rpps_numbers(rng, m),
        "MED_SPEC": spec,
        "MED_TYPE": kind,
    }
    return Practitioners(surname, columns)


def rpps_numbers(rng: np.random.Generator, m: int) -> Col:
    """Distinct 11-digit RPPS numbers: '10', 8 random digits, and a Luhn check digit."""
    payload = 10**9 + rng.choice(10**8, size=m, replace=False).astype(np.int64)
    body = payload[:, None] // 10 ** np.arange(10, dtype=np.int64)[None, :] % 10  # rightmost first
    doubled = body[:, 0::2] * 2
    total = (doubled - 9 * (doubled > 9)).sum(axis=1) + body[:, 1::2].sum(axis=1)
    return cat(payload.astype(STR), ((10 - total % 10) % 10).astype(STR))
