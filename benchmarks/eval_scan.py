"""Evaluation of `ariane scan` on a labelled corpus generated with its ground truth.

    .venv/bin/python benchmarks/eval_scan.py [--patients 2000] [--timing-patients 100000]

Three corpora, each with one expected category per column:
  1. the synthetic laboratory (`ariane.demo.generator`), labelled from the built-in profile's
     mapping and the meaning of its unmapped columns;
  2. the same database with tables renamed t1..tN and columns c1..cN (names carry nothing);
  3. an English-named LIS of another shape, as a folder of CSV files: patients and results in one
     wide table, phones and e-mails in a contacts table with hashed passwords, comments embedded
     in results, staff accounts; with near-miss numbers (13- and 15-digit barcodes and accession
     numbers, 13-digit international phones) beside real NIRs.
Prints precision and recall per category, macro-F1, the targets (NIR recall and false positives,
free text with health terms, credentials) and the scan time of a larger laboratory. Exits 1 when
a target is missed. Everything is generated under a temporary folder, deleted at the end.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import pathlib
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass

from ariane.demo import names
from ariane.demo.catalogue import CATALOGUE
from ariane.demo.generator import generate
from ariane.demo.people import ascii_fold
from ariane.discover.detectors.nir import nir_key
from ariane.discover.detectors.text import luhn_ok
from ariane.discover.scan import ScanReport, scan_source
from ariane.model import categories as c

TODAY = dt.date(2026, 1, 15)
SEED = 20261129

# --- ground truth of the synthetic laboratory ---------------------------------------------------
ID, DIRECT, QUASI, CONTACT = c.IDENTIFIER, c.IDENTITY_DIRECT, c.IDENTITY_QUASI, c.CONTACT
PRO, CTX, RES, FREE, CRED = (
    c.PROFESSIONAL,
    c.HEALTH_CONTEXT,
    c.HEALTH_RESULT,
    c.FREE_TEXT,
    c.CREDENTIAL,
)

LAB_TRUTH: dict[str, dict[str, str]] = {
    "PAT_PATIENT": {
        "PAT_ID": ID,
        "PAT_NOM": DIRECT,
        "PAT_NOM_NAISS": DIRECT,
        "PAT_PRENOM": DIRECT,
        "PAT_DNAIS": QUASI,
        "PAT_SEXE": QUASI,
        "PAT_NIR": DIRECT,
        "PAT_ADR1": CONTACT,
        "PAT_CP": QUASI,
        "PAT_VILLE": QUASI,
        "PAT_TEL": CONTACT,
        "PAT_MAIL": CONTACT,
        "PAT_WEB_MDP": CRED,
        "PAT_DCRE": CTX,
    },
    "MED_INTERVENANT": {
        "MED_ID": ID,
        "MED_NOM": PRO,
        "MED_PRENOM": PRO,
        "MED_RPPS": PRO,
        "MED_SPEC": PRO,
        "MED_TYPE": PRO,
    },
    "SITE_PRELEVEMENT": {"SITE_CODE": CTX, "SITE_LIBELLE": CTX},
    "DOS_DOSSIER": {
        "DOS_NUM": ID,
        "DOS_PAT_ID": ID,
        "DOS_MED_ID": ID,
        "DOS_DPREL": CTX,
        "DOS_DRECEP": CTX,
        "DOS_SITE": CTX,
        "DOS_RENS_CLIN": FREE,
    },
    "ANA_CATALOGUE": {
        "ANA_CODE": RES,
        "ANA_LIBELLE": RES,
        "ANA_LOINC": RES,
        "ANA_UNITE": RES,
        "ANA_BORNE_INF": RES,
        "ANA_BORNE_SUP": RES,
        "ANA_TYPE": RES,
    },
    "RES_RESULTAT": {
        "RES_ID": ID,
        "RES_DOS_NUM": ID,
        "RES_ANA_CODE": RES,
        "RES_VAL_NUM": RES,
        "RES_VAL_TXT": RES,
        "RES_FLAG": RES,
        "RES_STATUT": CTX,
        "RES_DVALID": CTX,
        "RES_VALIDEUR_ID": ID,
    },
    "COM_COMMENTAIRE": {
        "COM_ID": ID,
        "COM_DOS_NUM": ID,
        "COM_RES_ID": ID,
        "COM_DATE": CTX,
        "COM_TEXTE": FREE,
    },
}
LAB_NIR = {("PAT_PATIENT", "PAT_NIR")}
LAB_HEALTH_TEXT = {("DOS_DOSSIER", "DOS_RENS_CLIN"), ("COM_COMMENTAIRE", "COM_TEXTE")}
LAB_LONG_NUMBERS = {
    ("DOS_DOSSIER", "DOS_NUM"),
    ("RES_RESULTAT", "RES_DOS_NUM"),
    ("COM_COMMENTAIRE", "COM_DOS_NUM"),
    ("MED_INTERVENANT", "MED_RPPS"),
    ("PAT_PATIENT", "PAT_TEL"),
}


@dataclass
class Corpus:
    name: str
    source: str
    truth: dict[tuple[str, str], str]
    nir: set[tuple[str, str]]
    health_text: set[tuple[str, str]]
    long_numbers: set[tuple[str, str]]  # 10-15 digit columns that are not NIRs


def _flat(truth: dict[str, dict[str, str]]) -> dict[tuple[str, str], str]:
    return {(t, col): cat for t, cols in truth.items() for col, cat in cols.items()}


def rename_sqlite(src: pathlib.Path, dst: pathlib.Path) -> dict[tuple[str, str], tuple[str, str]]:
    """Copy `src` with tables t1..tN and columns c1..cN (primary keys kept); the renaming map."""
    old = sqlite3.connect(src)
    new = sqlite3.connect(dst)
    mapping: dict[tuple[str, str], tuple[str, str]] = {}
    tables = [
        r[0]
        for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    k = 0
    for i, table in enumerate(tables, 1):
        info = old.execute(f'PRAGMA table_info("{table}")').fetchall()
        cols = []
        for _, col, ctype, _, _, pk in info:
            k += 1
            mapping[(table, col)] = (f"t{i}", f"c{k}")
            cols.append(f"c{k} {ctype}" + (" PRIMARY KEY" if pk else ""))
        new.execute(f"CREATE TABLE t{i} ({', '.join(cols)})")
        marks = ", ".join("?" for _ in info)
        rows = old.execute(f'SELECT * FROM "{table}"')
        while batch := rows.fetchmany(50_000):
            new.executemany(f"INSERT INTO t{i} VALUES ({marks})", batch)
    new.commit()
    new.close()
    old.close()
    return mapping


# --- the English-named LIS, another shape ------------------------------------------------------
NOTES = (
    "Prefers to be called in the morning",
    "New address since March",
    "Speaks Spanish",
    "Call the daughter first",
    "Do not send letters",
    "Call back after 5 pm",
    "Moved to Lyon in 2023",
    "Works nights, call after noon",
    "Letters to the office address",
    "Use the mobile number only",
    "Hard of hearing, speak slowly",
    "Guardian handles the mail",
    "Asked for results by e-mail",
    "Second phone is the husband's",
)
COMMENTS = (
    "HIV follow-up, viral load requested",
    "Known HIV seropositivity",
    "Pregnant, 12 weeks",
    "Grossesse 24 SA",
    "BRCA2 mutation in the family",
    "Cystic fibrosis follow-up",
    "Chemotherapy ongoing",
    "Suspected trisomy 21, prenatal screening",
    "Hepatitis C treated in 2020",
    "Haemolysed sample, redo",
    "Fasting sample",
    "Results phoned to the GP",
    "Cancer du sein, suivi CA 15-3",
    "Patient on methadone",
    "Sample received late",
    "Diabète de type 2, bilan annuel",
)
TRUTH_EN: dict[str, dict[str, str]] = {
    "lab_records": {
        "record_id": ID,
        "mrn": ID,
        "first_name": DIRECT,
        "last_name": DIRECT,
        "dob": QUASI,
        "gender": QUASI,
        "ssn_fr": DIRECT,
        "zip": QUASI,
        "city": QUASI,
        "street": CONTACT,
        "accession": ID,
        "specimen_barcode": ID,
        "collected": CTX,
        "ordering_doctor": PRO,
        "doctor_rpps": PRO,
        "test_code": RES,
        "test_name": RES,
        "result_value": RES,
        "result_units": RES,
        "abnormal_flag": RES,
        "result_comment": FREE,
        "status": CTX,
    },
    "contacts": {
        "contact_id": ID,
        "mrn": ID,
        "mobile": CONTACT,
        "home_phone": CONTACT,
        "email": CONTACT,
        "notes": FREE,
        "portal_pwd_hash": CRED,
        "verification_digest": CRED,
    },
    "staff": {
        "staff_id": ID,
        "login": PRO,
        "full_name": PRO,
        "rpps": PRO,
        "profession": PRO,
        "pwd_sha256": CRED,
    },
}


def _ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _rpps(rng: random.Random) -> str:
    body = "10" + "".join(rng.choice("0123456789") for _ in range(8))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def _nir(rng: random.Random, sex: int, born: dt.date) -> str:
    dept = rng.choice(["69", "75", "13", "2A", "2B", "99", "38"])
    commune = f"{rng.randint(1, 400):03d}"
    first = str(sex) if rng.random() > 0.03 else str(sex + 6)  # a few temporary (NIA) numbers
    body = f"{first}{born.year % 100:02d}{born.month:02d}{dept}{commune}{rng.randint(1, 999):03d}"
    key = nir_key(body)
    full = body + key
    return " ".join((full[0], full[1:3], full[3:5], full[5:7], full[7:10], full[10:13], full[13:]))


def write_english_lis(folder: pathlib.Path, patients: int, seed: int) -> None:
    import hashlib

    rng = random.Random(seed)
    folder.mkdir(parents=True)
    cities = [(cp, city) for cp, city, _ in names.CITIES]
    streets = [f"{k} {s}" for k, _ in names.STREET_TYPES for s in names.STREET_NAMES[:12]]
    doctors = [
        (
            rng.choice(names.SURNAMES).upper(),
            rng.choice(names.MALE_GIVEN + names.FEMALE_GIVEN),
            _rpps(rng),
        )
        for _ in range(40)
    ]
    tests = [a for a in CATALOGUE if a.loinc]
    records = []
    contacts = []
    rid = 0
    for p in range(patients):
        sex = rng.choice((1, 2))
        given = rng.choice(names.MALE_GIVEN if sex == 1 else names.FEMALE_GIVEN)
        family = rng.choice(names.SURNAMES)
        born = TODAY - dt.timedelta(days=rng.randint(365, 95 * 365))
        cp, city = rng.choice(cities)
        mrn = 100_000 + p
        ident = {
            "mrn": mrn,
            "first_name": given,
            "last_name": family.upper(),
            "dob": born.strftime("%d/%m/%Y"),
            "gender": "MF"[sex - 1],
            "ssn_fr": _nir(rng, sex, born),
            "zip": cp,
            "city": city,
            "street": f"{rng.randint(1, 120)} {rng.choice(streets)}",
        }
        for _ in range(rng.randint(1, 3)):
            day = TODAY - dt.timedelta(days=rng.randint(1, 2500), minutes=rng.randint(0, 1440))
            accession = f"{rng.choice('12')}{day:%y%m%d}{rng.randint(0, 10**8 - 1):08d}"
            barcode = _ean13("20" + "".join(rng.choice("0123456789") for _ in range(10)))
            doc = rng.choice(doctors)
            for test in rng.sample(tests, rng.randint(2, 6)):
                rid += 1
                value = (
                    ""
                    if test.texts
                    else f"{test.median * rng.uniform(0.5, 1.6):.{max(1, test.decimals)}f}"
                )
                flag = rng.choice("NNNNNLH") if value else ""
                comment = rng.choice(COMMENTS) if rng.random() < 0.12 else ""
                records.append(
                    {
                        "record_id": rid,
                        **ident,
                        "accession": accession,
                        "specimen_barcode": barcode,
                        "collected": day.strftime("%d/%m/%Y %H:%M"),
                        "ordering_doctor": f"Dr {doc[0]} {doc[1]}",
                        "doctor_rpps": doc[2],
                        "test_code": test.loinc,
                        "test_name": test.label,
                        "result_value": value,
                        "result_units": test.unit or "",
                        "abnormal_flag": flag,
                        "result_comment": comment,
                        "status": rng.choice("FFFFFFFFPC"),
                    }
                )
        mobile = "0" + rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8))
        salt = "".join(
            rng.choice("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            for _ in range(53)
        )
        contacts.append(
            {
                "contact_id": p + 1,
                "mrn": mrn,
                "mobile": mobile if rng.random() < 0.7 else "+33" + mobile[1:],
                "home_phone": "00334" + "".join(rng.choice("0123456789") for _ in range(8)),
                "email": f"{ascii_fold(given)}.{ascii_fold(family)}{rng.randint(1, 99)}@x.example",
                "notes": rng.choice(NOTES) if rng.random() < 0.4 else "",
                "portal_pwd_hash": "$2b$12$" + salt,
                "verification_digest": hashlib.sha1(str(rng.random()).encode()).hexdigest(),
            }
        )
    staff = []
    for i, (family, given, rpps) in enumerate(doctors[:30], 1):
        staff.append(
            {
                "staff_id": i,
                "login": (given[0] + family).lower().replace(" ", ""),
                "full_name": f"{given} {family.title()}",
                "rpps": rpps,
                "profession": rng.choice(
                    ("Biologie médicale", "Médecin biologiste", "Pharmacien biologiste")
                ),
                "pwd_sha256": hashlib.sha256(str(rng.random()).encode()).hexdigest(),
            }
        )
    for name, rows in (("lab_records", records), ("contacts", contacts), ("staff", staff)):
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


# --- scoring ------------------------------------------------------------------------------------
@dataclass
class Score:
    table: list[tuple[str, int, int, int, float, float, float]]  # cat, tp, fp, fn, p, r, f1
    macro_f1: float
    errors: list[str]
    nir_recall: float
    nir_false_positives: int
    health_text_recall: float
    credential_recall: float


def score(report: ScanReport, corpus: Corpus) -> Score:
    predicted = {(r.table, r.column): r for r in report.columns}
    cats = sorted(set(corpus.truth.values()))
    rows = []
    errors = []
    for (t, col), want in sorted(corpus.truth.items()):
        got = predicted[(t, col)].category
        if got != want:
            errors.append(f"{t}.{col}: expected {want}, got {got} ({predicted[(t, col)].kind})")
    f1s = []
    for cat in cats:
        tp = sum(1 for k, v in corpus.truth.items() if v == cat and predicted[k].category == cat)
        fp = sum(1 for k, v in corpus.truth.items() if v != cat and predicted[k].category == cat)
        fn = sum(1 for k, v in corpus.truth.items() if v == cat and predicted[k].category != cat)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        f1s.append(f1)
        rows.append((cat, tp, fp, fn, p, r, f1))
    nir_hit = sum(1 for k in corpus.nir if predicted[k].kind in ("nir", "ins"))
    nir_fp = sum(
        1 for k, r in predicted.items() if r.kind in ("nir", "ins") and k not in corpus.nir
    )
    text_hit = sum(
        1
        for k in corpus.health_text
        if predicted[k].kind == "free_text"
        and predicted[k].evidence.get("with_health_terms", 0) > 0
    )
    creds = [k for k, v in corpus.truth.items() if v == CRED]
    cred_hit = sum(1 for k in creds if predicted[k].category == CRED)
    return Score(
        rows,
        sum(f1s) / len(f1s),
        errors,
        nir_hit / max(1, len(corpus.nir)),
        nir_fp,
        text_hit / max(1, len(corpus.health_text)),
        cred_hit / max(1, len(creds)),
    )


def print_score(name: str, s: Score, seconds: float) -> None:
    print(f"\n## {name}  (scan {seconds:.2f} s)")
    print(
        f"{'category':<18}{'cols':>5}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}{'F1':>7}"
    )
    for cat, tp, fp, fn, p, r, f1 in s.table:
        print(f"{cat:<18}{tp + fn:>5}{tp:>5}{fp:>5}{fn:>5}{p:>11.3f}{r:>8.3f}{f1:>7.3f}")
    print(
        f"macro-F1 {s.macro_f1:.3f}; NIR recall {s.nir_recall:.2f}, NIR false positives "
        f"{s.nir_false_positives}; free text with health terms flagged {s.health_text_recall:.2f}; "
        f"credentials flagged {s.credential_recall:.2f}"
    )
    for e in s.errors:
        print(f"  miss: {e}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=2000, help="size of the labelled laboratory")
    ap.add_argument(
        "--timing-patients",
        type=int,
        default=100_000,
        help="size of the laboratory timed (0: skip)",
    )
    args = ap.parse_args(argv)
    failed = []
    with tempfile.TemporaryDirectory(prefix="ariane-eval-scan-") as tmp:
        root = pathlib.Path(tmp)
        lab = root / "lab.db"
        generate(lab, args.patients, SEED, TODAY)
        renamed = root / "renamed.db"
        mapping = rename_sqlite(lab, renamed)
        english = root / "english-lis"
        write_english_lis(english, max(200, args.patients // 4), SEED)
        truth = _flat(LAB_TRUTH)

        def moved(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
            return {mapping[k] for k in keys}

        corpora = [
            Corpus(
                "synthetic laboratory", str(lab), truth, LAB_NIR, LAB_HEALTH_TEXT, LAB_LONG_NUMBERS
            ),
            Corpus(
                "renamed t1..tN / c1..cN",
                str(renamed),
                {mapping[k]: v for k, v in truth.items()},
                moved(LAB_NIR),
                moved(LAB_HEALTH_TEXT),
                moved(LAB_LONG_NUMBERS),
            ),
            Corpus(
                "English LIS, other shape (CSV folder)",
                str(english),
                _flat(TRUTH_EN),
                {("lab_records", "ssn_fr")},
                {("lab_records", "result_comment")},
                {
                    ("lab_records", "accession"),
                    ("lab_records", "specimen_barcode"),
                    ("contacts", "home_phone"),
                    ("contacts", "mobile"),
                    ("lab_records", "doctor_rpps"),
                },
            ),
        ]
        print(f"# ariane scan evaluation: {args.patients:,}-patient laboratory, seed {SEED}")
        all_f1 = []
        for corpus in corpora:
            started = time.perf_counter()
            report = scan_source(corpus.source)
            s = score(report, corpus)
            print_score(corpus.name, s, time.perf_counter() - started)
            all_f1.append(s.macro_f1)
            if s.nir_recall < 1.0 or s.nir_false_positives:
                failed.append(f"{corpus.name}: NIR recall/false positives")
            if s.health_text_recall < 1.0:
                failed.append(f"{corpus.name}: free text with health terms not flagged")
            if s.credential_recall < 1.0:
                failed.append(f"{corpus.name}: credential not flagged")
            if s.macro_f1 < 0.95:
                failed.append(f"{corpus.name}: macro-F1 {s.macro_f1:.3f} < 0.95")
        print(f"\nmacro-F1 over the three corpora: {sum(all_f1) / len(all_f1):.3f}")
        if args.timing_patients:
            big = root / "big.db"
            g = generate(big, args.timing_patients, SEED, TODAY)
            print(
                f"\n## timing: {g.patients:,} patients, {g.requests:,} requests, "
                f"{g.results:,} results, {g.comments:,} comments"
            )
            for count in (False, True):
                started = time.perf_counter()
                report = scan_source(str(big), count_sensitive=count)
                total = time.perf_counter() - started
                stages = ", ".join(f"{k} {v:.2f}" for k, v in report.seconds.items())
                label = "with" if count else "without"
                print(
                    f"scan {label} the full pass counting results by sensitivity class: "
                    f"{total:.2f} s ({stages})"
                )
    if failed:
        print("\nTARGETS MISSED: " + "; ".join(failed))
        return 1
    print("\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
