"""The synthetic laboratory: deterministic, well-formed, and as sensitive as the incident's."""

from __future__ import annotations

import csv
import datetime as dt
import os
import pathlib
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from stdnum import luhn
from stdnum.fr import nir

from ariane.demo.generator import (
    LOCAL_SENSITIVE_CODES,
    SCHEMA_SQL,
    GenerationStats,
    generate,
)
from ariane.demo.nir import nir_key
from ariane.errors import InputError, UsageError
from ariane.model.categories import SENSITIVE_CLASSES
from ariane.model.loinc import sensitivity_table

TODAY = dt.date(2025, 3, 1)
N = 1500
REPO = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = pathlib.Path(os.environ.get("ARIANE_FIXTURES", REPO.parent / "shared" / "fixtures"))
TABLES = (
    "PAT_PATIENT",
    "MED_INTERVENANT",
    "SITE_PRELEVEMENT",
    "DOS_DOSSIER",
    "ANA_CATALOGUE",
    "RES_RESULTAT",
    "COM_COMMENTAIRE",
)


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[sqlite3.Connection, GenerationStats]]:
    path = tmp_path_factory.mktemp("lab") / "lab.db"
    stats = generate(path, N, seed=20240501, today=TODAY)
    conn = sqlite3.connect(path)
    yield conn, stats
    conn.close()


@pytest.fixture
def db(lab: tuple[sqlite3.Connection, GenerationStats]) -> sqlite3.Connection:
    return lab[0]


def rows(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql).fetchall()


def one(conn: sqlite3.Connection, sql: str) -> Any:
    return conn.execute(sql).fetchone()[0]


def dump(path: pathlib.Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        return {t: rows(conn, f"SELECT * FROM {t} ORDER BY 1") for t in TABLES}


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_same_contents_and_another_seed_does_not(tmp_path: pathlib.Path) -> None:
    generate(tmp_path / "a.db", 300, seed=7, today=TODAY)
    generate(tmp_path / "b.db", 300, seed=7, today=TODAY)
    generate(tmp_path / "c.db", 300, seed=8, today=TODAY)
    a, b, c = (dump(tmp_path / f"{x}.db") for x in "abc")
    assert a == b
    assert a["PAT_PATIENT"] != c["PAT_PATIENT"]
    assert a["RES_RESULTAT"] != c["RES_RESULTAT"]


# --- shape -------------------------------------------------------------------------------------


def test_schema_declares_the_vendor_types(db: sqlite3.Connection) -> None:
    declared = {t: [(r[1], r[2]) for r in rows(db, f"PRAGMA table_info({t})")] for t in TABLES}
    assert declared["PAT_PATIENT"][0] == ("PAT_ID", "INTEGER")
    assert ("PAT_WEB_MDP", "TEXT") in declared["PAT_PATIENT"]
    assert ("RES_VAL_NUM", "REAL") in declared["RES_RESULTAT"]
    assert ("ANA_BORNE_INF", "REAL") in declared["ANA_CATALOGUE"]
    assert ("COM_RES_ID", "INTEGER") in declared["COM_COMMENTAIRE"]
    for table, columns in declared.items():
        assert f"CREATE TABLE {table} (" in SCHEMA_SQL
        for name, sql_type in columns:
            assert f"{name} {sql_type}" in SCHEMA_SQL
    indexed = {
        r[0]
        for r in rows(
            db,
            "SELECT tbl_name || '.' || sql FROM sqlite_master "
            "WHERE type = 'index' AND sql IS NOT NULL",
        )
    }
    for column in ("DOS_PAT_ID", "DOS_DPREL", "RES_DOS_NUM", "COM_DOS_NUM"):
        assert any(f"({column})" in s for s in indexed), column


def test_row_counts_and_ratios(lab: tuple[sqlite3.Connection, GenerationStats]) -> None:
    db, stats = lab
    assert stats.patients == one(db, "SELECT count(*) FROM PAT_PATIENT") == N
    assert stats.requests == one(db, "SELECT count(*) FROM DOS_DOSSIER")
    assert stats.results == one(db, "SELECT count(*) FROM RES_RESULTAT")
    assert stats.comments == one(db, "SELECT count(*) FROM COM_COMMENTAIRE")
    assert stats.practitioners == one(db, "SELECT count(*) FROM MED_INTERVENANT")
    assert stats.seconds > 0
    assert 3.6 < stats.requests / N < 4.4
    assert 4.5 < stats.results / stats.requests < 5.5
    assert 0.25 < stats.comments / stats.requests < 0.42
    assert one(db, "SELECT count(*) FROM MED_INTERVENANT WHERE MED_TYPE = 'P'") == N // 50
    assert one(db, "SELECT count(*) FROM MED_INTERVENANT WHERE MED_TYPE = 'B'") == 5
    per_patient = "SELECT min(n) FROM (SELECT count(*) n FROM DOS_DOSSIER GROUP BY DOS_PAT_ID)"
    assert one(db, per_patient) >= 1
    assert 5 <= one(db, "SELECT count(*) FROM SITE_PRELEVEMENT") <= 8
    assert 40 <= one(db, "SELECT count(*) FROM ANA_CATALOGUE") <= 60


def test_small_lab_keeps_minimum_staff(tmp_path: pathlib.Path) -> None:
    stats = generate(tmp_path / "tiny.db", 1, seed=1, today=TODAY)
    assert stats.patients == 1
    assert stats.practitioners == 20 + 5
    assert stats.requests >= 1 and stats.results >= 1


def test_request_numbers_are_unique_and_shaped(db: sqlite3.Connection) -> None:
    numbers = [r[0] for r in rows(db, "SELECT DOS_NUM FROM DOS_DOSSIER")]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"D\d{12}", n) for n in numbers)
    mismatched = one(
        db,
        "SELECT count(*) FROM DOS_DOSSIER WHERE substr(DOS_NUM, 2, 6) <> "
        "substr(DOS_DPREL, 3, 2) || substr(DOS_DPREL, 6, 2) || "
        "substr(DOS_DPREL, 9, 2)",
    )
    assert mismatched == 0


# --- identities --------------------------------------------------------------------------------


def test_every_nir_is_valid_and_matches_sex_and_birth(db: sqlite3.Connection) -> None:
    people = rows(db, "SELECT PAT_NIR, PAT_SEXE, PAT_DNAIS FROM PAT_PATIENT")
    nirs = [p for p in people if p[0] is not None]
    assert 0.005 < 1 - len(nirs) / len(people) < 0.04  # about 2% missing
    for value, sex, birth in nirs:
        assert len(value) == 15 and nir.is_valid(value), value
        assert value[0] == sex and value[1:5] == birth[2:6]
    depts = {value[5:7] for value, _, _ in nirs}
    assert {"2A", "2B"} <= depts, "Corsican NIRs must be present"
    assert "99" in depts


def test_patients_look_real(db: sqlite3.Connection) -> None:
    assert one(db, "SELECT count(*) FROM PAT_PATIENT WHERE PAT_SEXE NOT IN ('1', '2')") == 0
    assert (
        one(
            db, "SELECT count(*) FROM PAT_PATIENT WHERE PAT_SEXE = '1' AND PAT_NOM <> PAT_NOM_NAISS"
        )
        == 0
    )
    women_renamed = one(
        db, "SELECT avg(PAT_NOM <> PAT_NOM_NAISS) FROM PAT_PATIENT WHERE PAT_SEXE = '2'"
    )
    assert 0.18 < women_renamed < 0.40
    assert 0.002 < one(db, "SELECT avg(PAT_MAIL IS NULL) FROM PAT_PATIENT") < 0.03
    assert all(
        re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]+", m)
        for (m,) in rows(db, "SELECT PAT_MAIL FROM PAT_PATIENT WHERE PAT_MAIL IS NOT NULL")
    )
    phones = [p for (p,) in rows(db, "SELECT PAT_TEL FROM PAT_PATIENT")]
    assert all(re.fullmatch(r"(0\d|\+33 \d)( \d\d){4}", p) for p in phones)
    assert any(p.startswith("+33 ") for p in phones)
    births = [b for (b,) in rows(db, "SELECT PAT_DNAIS FROM PAT_PATIENT")]
    assert all(dt.datetime.strptime(b, "%Y%m%d").date() < TODAY for b in births)
    assert one(db, "SELECT count(*) FROM PAT_PATIENT WHERE PAT_CP LIKE '20%'") > 0
    assert one(db, "SELECT count(*) FROM PAT_PATIENT WHERE PAT_WEB_MDP IS NULL") == 0
    assert (
        one(
            db,
            "SELECT count(*) FROM PAT_PATIENT WHERE PAT_NOM LIKE '%''%' "
            "OR PAT_NOM LIKE '%-%' OR PAT_PRENOM LIKE '%-%'",
        )
        > 0
    )


def test_practitioners_have_valid_distinct_rpps(db: sqlite3.Connection) -> None:
    rpps = [r for (r,) in rows(db, "SELECT MED_RPPS FROM MED_INTERVENANT")]
    assert len(set(rpps)) == len(rpps)
    assert all(len(r) == 11 and r.isdigit() and luhn.is_valid(r) for r in rpps)


# --- results -----------------------------------------------------------------------------------


def _classes(db: sqlite3.Connection) -> dict[str, int]:
    table = sensitivity_table()
    counts: dict[str, int] = {}
    for code, loinc, n in rows(
        db,
        "SELECT a.ANA_CODE, a.ANA_LOINC, count(*) FROM RES_RESULTAT r "
        "JOIN ANA_CATALOGUE a ON a.ANA_CODE = r.RES_ANA_CODE "
        "GROUP BY 1, 2",
    ):
        cls = table[loinc].rsplit(".", 1)[1] if loinc in table else LOCAL_SENSITIVE_CODES.get(code)
        if cls is not None:
            counts[cls] = counts.get(cls, 0) + n
    return counts


def test_every_sensitive_class_is_present_in_a_plausible_share(db: sqlite3.Connection) -> None:
    counts = _classes(db)
    assert set(counts) == set(SENSITIVE_CLASSES)
    share = sum(counts.values()) / one(db, "SELECT count(*) FROM RES_RESULTAT")
    assert 0.05 <= share <= 0.08


def test_local_sensitive_codes_have_no_loinc_and_are_used(db: sqlite3.Connection) -> None:
    assert LOCAL_SENSITIVE_CODES == {
        "CARYO": "genetic",
        "MUCO": "genetic",
        "TRISO21": "prenatal",
        "CHARGVIR": "hiv",
    }
    for code in LOCAL_SENSITIVE_CODES:
        loinc = rows(db, f"SELECT ANA_LOINC FROM ANA_CATALOGUE WHERE ANA_CODE = '{code}'")
        assert loinc == [(None,)]
        assert one(db, f"SELECT count(*) FROM RES_RESULTAT WHERE RES_ANA_CODE = '{code}'") > 0


def test_common_analyses_carry_real_loinc_codes(db: sqlite3.Connection) -> None:
    loincs = {r[0] for r in rows(db, "SELECT ANA_LOINC FROM ANA_CATALOGUE")}
    assert {
        "2345-7",
        "2160-0",
        "2951-2",
        "2823-3",
        "718-7",
        "6690-2",
        "777-3",
        "1742-6",
        "1920-8",
        "2093-3",
        "3016-3",
        "1988-5",
        "2276-4",
        "4548-4",
        "883-9",
    } <= loincs
    assert None in loincs


def test_values_match_analysis_type_and_flags_match_bounds(db: sqlite3.Connection) -> None:
    kinds = rows(
        db,
        "SELECT a.ANA_TYPE, r.RES_VAL_NUM IS NULL, r.RES_VAL_TXT IS NULL, count(*) "
        "FROM RES_RESULTAT r JOIN ANA_CATALOGUE a ON a.ANA_CODE = r.RES_ANA_CODE "
        "GROUP BY 1, 2, 3",
    )
    assert {(k, num_null, txt_null) for k, num_null, txt_null, _ in kinds} == {
        ("N", 0, 1),
        ("T", 1, 0),
    }
    wrong = one(
        db,
        """
        SELECT count(*) FROM RES_RESULTAT r JOIN ANA_CATALOGUE a ON a.ANA_CODE = r.RES_ANA_CODE
        WHERE a.ANA_TYPE = 'N' AND RES_FLAG IS NOT CASE
            WHEN a.ANA_BORNE_INF IS NULL AND a.ANA_BORNE_SUP IS NULL THEN NULL
            WHEN r.RES_VAL_NUM < a.ANA_BORNE_INF THEN 'L'
            WHEN r.RES_VAL_NUM > a.ANA_BORNE_SUP THEN 'H'
            ELSE 'N' END""",
    )
    assert wrong == 0
    assert {f for (f,) in rows(db, "SELECT DISTINCT RES_FLAG FROM RES_RESULTAT")} == {
        None,
        "N",
        "L",
        "H",
        "A",
    }
    statuses = dict(rows(db, "SELECT RES_STATUT, count(*) FROM RES_RESULTAT GROUP BY 1"))
    assert set(statuses) == {"F", "P", "C"} and statuses["F"] > 0.9 * sum(statuses.values())
    texts = {t for (t,) in rows(db, "SELECT DISTINCT RES_VAL_TXT FROM RES_RESULTAT")}
    assert {"Positif", "Négatif", "A Rh+", "Non détecté", "46,XX"} <= texts


def test_sex_specific_analyses_follow_the_patient(db: sqlite3.Connection) -> None:
    mismatched = one(
        db,
        """
        SELECT count(*) FROM RES_RESULTAT r
        JOIN DOS_DOSSIER d ON d.DOS_NUM = r.RES_DOS_NUM
        JOIN PAT_PATIENT p ON p.PAT_ID = d.DOS_PAT_ID
        WHERE (r.RES_ANA_CODE IN ('BHCG', 'HCGU', 'TRISO21', 'CA125', 'HPV16') AND p.PAT_SEXE = '1')
           OR (r.RES_ANA_CODE = 'PSA' AND p.PAT_SEXE = '2')
           OR (r.RES_VAL_TXT LIKE '%XY%' AND p.PAT_SEXE = '2')
           OR (r.RES_VAL_TXT LIKE '46,XX' AND p.PAT_SEXE = '1')""",
    )
    assert mismatched == 0


# --- links and dates ---------------------------------------------------------------------------


def test_referential_integrity(db: sqlite3.Connection) -> None:
    orphans = {
        "request->patient": "SELECT count(*) FROM DOS_DOSSIER d "
        "LEFT JOIN PAT_PATIENT p ON p.PAT_ID = d.DOS_PAT_ID WHERE p.PAT_ID IS NULL",
        "request->prescriber": "SELECT count(*) FROM DOS_DOSSIER d LEFT JOIN MED_INTERVENANT m "
        "ON m.MED_ID = d.DOS_MED_ID AND m.MED_TYPE = 'P' WHERE m.MED_ID IS NULL",
        "request->site": "SELECT count(*) FROM DOS_DOSSIER d "
        "LEFT JOIN SITE_PRELEVEMENT s ON s.SITE_CODE = d.DOS_SITE WHERE s.SITE_CODE IS NULL",
        "result->request": "SELECT count(*) FROM RES_RESULTAT r "
        "LEFT JOIN DOS_DOSSIER d ON d.DOS_NUM = r.RES_DOS_NUM WHERE d.DOS_NUM IS NULL",
        "result->analysis": "SELECT count(*) FROM RES_RESULTAT r "
        "LEFT JOIN ANA_CATALOGUE a ON a.ANA_CODE = r.RES_ANA_CODE WHERE a.ANA_CODE IS NULL",
        "result->biologist": "SELECT count(*) FROM RES_RESULTAT r LEFT JOIN MED_INTERVENANT m "
        "ON m.MED_ID = r.RES_VALIDEUR_ID AND m.MED_TYPE = 'B' WHERE m.MED_ID IS NULL",
        "comment->request": "SELECT count(*) FROM COM_COMMENTAIRE c "
        "LEFT JOIN DOS_DOSSIER d ON d.DOS_NUM = c.COM_DOS_NUM WHERE d.DOS_NUM IS NULL",
        "comment->result of its request": "SELECT count(*) FROM COM_COMMENTAIRE c "
        "LEFT JOIN RES_RESULTAT r ON r.RES_ID = c.COM_RES_ID AND r.RES_DOS_NUM = c.COM_DOS_NUM "
        "WHERE c.COM_RES_ID IS NOT NULL AND r.RES_ID IS NULL",
        "duplicate analysis in a request": "SELECT count(*) FROM (SELECT 1 FROM RES_RESULTAT "
        "GROUP BY RES_DOS_NUM, RES_ANA_CODE HAVING count(*) > 1)",
        "request without results": "SELECT count(*) FROM DOS_DOSSIER d WHERE NOT EXISTS "
        "(SELECT 1 FROM RES_RESULTAT r WHERE r.RES_DOS_NUM = d.DOS_NUM)",
    }
    assert {name: one(db, sql) for name, sql in orphans.items()} == dict.fromkeys(orphans, 0)
    both = rows(db, "SELECT COM_RES_ID IS NULL, count(*) FROM COM_COMMENTAIRE GROUP BY 1")
    assert len(both) == 2  # request-level and result-level comments


def test_nothing_is_dated_on_or_after_today(db: sqlite3.Connection) -> None:
    limit = TODAY.isoformat()
    window = dt.date(TODAY.year - 8, TODAY.month, TODAY.day).isoformat()
    for table, column in (
        ("DOS_DOSSIER", "DOS_DPREL"),
        ("DOS_DOSSIER", "DOS_DRECEP"),
        ("RES_RESULTAT", "RES_DVALID"),
        ("COM_COMMENTAIRE", "COM_DATE"),
        ("PAT_PATIENT", "PAT_DCRE"),
    ):
        latest = one(db, f"SELECT max({column}) FROM {table}")
        assert latest < limit, column
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", latest)
    assert one(db, "SELECT min(DOS_DPREL) FROM DOS_DOSSIER") >= window
    assert (
        one(
            db,
            "SELECT count(*) FROM DOS_DOSSIER WHERE DOS_DRECEP < DOS_DPREL "
            "OR DOS_DRECEP > datetime(DOS_DPREL, '+6 hours')",
        )
        == 0
    )
    assert (
        one(
            db,
            "SELECT count(*) FROM RES_RESULTAT r JOIN DOS_DOSSIER d "
            "ON d.DOS_NUM = r.RES_DOS_NUM WHERE r.RES_DVALID < d.DOS_DRECEP",
        )
        == 0
    )
    assert (
        one(
            db,
            "SELECT count(*) FROM DOS_DOSSIER d JOIN PAT_PATIENT p ON p.PAT_ID = "
            "d.DOS_PAT_ID WHERE replace(substr(d.DOS_DPREL, 1, 10), '-', '') "
            "< p.PAT_DNAIS OR d.DOS_DPREL < p.PAT_DCRE",
        )
        == 0
    )
    years = {y for (y,) in rows(db, "SELECT DISTINCT substr(DOS_DPREL, 1, 4) FROM DOS_DOSSIER")}
    assert len(years) == 9  # spread over the whole window


# --- free text ---------------------------------------------------------------------------------


def test_comments_name_the_patient_and_mention_pathologies(db: sqlite3.Connection) -> None:
    pairs = rows(
        db,
        "SELECT c.COM_TEXTE, p.PAT_NOM FROM COM_COMMENTAIRE c "
        "JOIN DOS_DOSSIER d ON d.DOS_NUM = c.COM_DOS_NUM "
        "JOIN PAT_PATIENT p ON p.PAT_ID = d.DOS_PAT_ID",
    )
    naming = [
        t for t, name in pairs if name.casefold() in t.casefold() and re.search(r"\b(Mme|M\.) ", t)
    ]
    assert len(naming) > 0.03 * len(pairs)
    all_text = "\n".join(t for t, _ in pairs)
    for phrase in (
        "Séropositivité VIH connue",
        "Mutation BRCA1 familiale",
        "Appeler Dr ",
        "Prélèvement hémolysé",
        "d'Arc",
    ):
        assert phrase in all_text, phrase
    assert ";" in all_text and '"' in all_text
    pregnant_men = one(
        db,
        "SELECT count(*) FROM COM_COMMENTAIRE c JOIN DOS_DOSSIER d "
        "ON d.DOS_NUM = c.COM_DOS_NUM JOIN PAT_PATIENT p ON p.PAT_ID = "
        "d.DOS_PAT_ID WHERE p.PAT_SEXE = '1' AND c.COM_TEXTE LIKE '%enceinte%'",
    )
    assert pregnant_men == 0


def test_clinical_information_is_mostly_empty(db: sqlite3.Connection) -> None:
    empty = one(db, "SELECT avg(DOS_RENS_CLIN IS NULL) FROM DOS_DOSSIER")
    assert 0.6 < empty < 0.9
    assert one(db, "SELECT count(*) FROM DOS_DOSSIER WHERE DOS_RENS_CLIN LIKE 'grossesse % SA'") > 0


# --- the output file ---------------------------------------------------------------------------


def test_existing_output_is_refused_and_left_alone(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "lab.db"
    out.write_bytes(b"precious")
    with pytest.raises(UsageError) as info:
        generate(out, 10, seed=1, today=TODAY)
    assert str(out) in info.value.message
    assert out.read_bytes() == b"precious"


def test_bad_arguments_are_usage_errors(tmp_path: pathlib.Path) -> None:
    with pytest.raises(UsageError):
        generate(tmp_path / "a.db", 0, seed=1, today=TODAY)
    with pytest.raises(UsageError):
        generate(tmp_path / "a.db", 10, seed=-1, today=TODAY)
    with pytest.raises(UsageError):
        generate(tmp_path / "missing" / "a.db", 10, seed=1, today=TODAY)


def test_an_interrupted_run_leaves_no_database(tmp_path: pathlib.Path) -> None:
    def crash(stage: str, done: int, total: int) -> None:
        if stage == "results":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "lab.db", 50, seed=1, today=TODAY, progress=crash)
    assert list(tmp_path.iterdir()) == []


def test_progress_reports_each_stage_to_completion(tmp_path: pathlib.Path) -> None:
    seen: list[tuple[str, int, int]] = []
    stats = generate(
        tmp_path / "lab.db",
        200,
        seed=3,
        today=TODAY,
        progress=lambda s, d, t: seen.append((s, d, t)),
    )
    stages = [s for s, _, _ in seen]
    assert list(dict.fromkeys(stages)) == ["patients", "requests", "results", "comments"]
    last = {s: (d, t) for s, d, t in seen}
    assert last["patients"] == (200, 200)
    assert all(d == t == stats.requests for s, (d, t) in last.items() if s != "patients")
    assert list(tmp_path.iterdir()) == [tmp_path / "lab.db"]


# --- NIR key -----------------------------------------------------------------------------------


def test_nir_key_agrees_with_published_vectors() -> None:
    path = FIXTURES / "nir" / "nir_test_vectors.csv"
    lines = path.read_text("utf-8").splitlines()
    checked = 0
    for row in csv.DictReader(line for line in lines if not line.startswith("#")):
        compact = row["stdnum_2.2_result"]
        if len(compact) == 15 and nir.is_valid(compact):
            assert nir_key(compact[:13]) == compact[13:], row["value"]
            checked += 1
    assert checked >= 8
    # Key vectors in a comment line: "body"->key. "2B34567890123" is skipped: CNAM replaces a
    # 2B anywhere, while a NIR's department sits in characters 6-7 as stdnum reads it.
    vectors = [line for line in lines if "NirKeySpec" in line]
    pairs = re.findall(r'"([^"]+)"->(\d\d)', lines[lines.index(vectors[0]) + 1])
    assert len(pairs) >= 6
    for body, key in pairs:
        if body != "2B34567890123":
            assert nir_key(body) == key, body


def test_nir_key_rejects_malformed_bodies() -> None:
    with pytest.raises(InputError):
        nir_key("12345")
    with pytest.raises(InputError):
        nir_key("2840520C32102")
