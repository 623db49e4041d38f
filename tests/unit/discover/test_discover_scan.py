"""`ariane scan` end to end on small sources: the synthetic laboratory, the same with meaningless
names, a CSV folder, PostgreSQL; drafts that load and check; nothing sampled in any output."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3

import pytest
import typer
from typer.testing import CliRunner

from ariane.cli import scan as scan_cli
from ariane.connectors import duck
from ariane.connectors import source as src
from ariane.demo.generator import generate
from ariane.discover.scan import scan_source
from ariane.manifest.load import load_manifest
from ariane.manifest.validate import verify_manifest
from ariane.model import categories as c
from ariane.profiles.compile import check_profile
from ariane.profiles.load import load_profile

TODAY = dt.date(2026, 1, 15)
EXPECTED = {
    ("PAT_PATIENT", "PAT_NIR"): (c.IDENTITY_DIRECT, "nir"),
    ("PAT_PATIENT", "PAT_NOM"): (c.IDENTITY_DIRECT, "person_name"),
    ("PAT_PATIENT", "PAT_PRENOM"): (c.IDENTITY_DIRECT, "person_name"),
    ("PAT_PATIENT", "PAT_DNAIS"): (c.IDENTITY_QUASI, "birth_date"),
    ("PAT_PATIENT", "PAT_SEXE"): (c.IDENTITY_QUASI, "sex"),
    ("PAT_PATIENT", "PAT_CP"): (c.IDENTITY_QUASI, "postal_code"),
    ("PAT_PATIENT", "PAT_VILLE"): (c.IDENTITY_QUASI, "city"),
    ("PAT_PATIENT", "PAT_ADR1"): (c.CONTACT, "address"),
    ("PAT_PATIENT", "PAT_TEL"): (c.CONTACT, "phone"),
    ("PAT_PATIENT", "PAT_MAIL"): (c.CONTACT, "email"),
    ("PAT_PATIENT", "PAT_WEB_MDP"): (c.CREDENTIAL, "credential"),
    ("MED_INTERVENANT", "MED_RPPS"): (c.PROFESSIONAL, "rpps"),
    ("MED_INTERVENANT", "MED_NOM"): (c.PROFESSIONAL, "person_name"),
    ("ANA_CATALOGUE", "ANA_LOINC"): (c.HEALTH_RESULT, "loinc"),
    ("DOS_DOSSIER", "DOS_RENS_CLIN"): (c.FREE_TEXT, "free_text"),
    ("COM_COMMENTAIRE", "COM_TEXTE"): (c.FREE_TEXT, "free_text"),
    ("DOS_DOSSIER", "DOS_PAT_ID"): (c.IDENTIFIER, "link"),
    ("RES_RESULTAT", "RES_VAL_NUM"): (c.HEALTH_RESULT, "measurement"),
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    path = tmp_path_factory.mktemp("lab") / "lis.db"
    generate(path, 400, 11, TODAY)
    return path


@pytest.fixture(scope="module")
def renamed(lab, tmp_path_factory):
    """The laboratory with tables t1..tN and columns c1..cN; returns (path, old -> new names)."""
    path = tmp_path_factory.mktemp("renamed") / "r.db"
    old, new = sqlite3.connect(lab), sqlite3.connect(path)
    mapping = {}
    k = 0
    tables = [r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for i, table in enumerate(sorted(tables), 1):
        cols = []
        for _, name, ctype, _, _, pk in old.execute(f'PRAGMA table_info("{table}")'):
            k += 1
            mapping[(table, name)] = (f"t{i}", f"c{k}")
            cols.append(f"c{k} {ctype}" + (" PRIMARY KEY" if pk else ""))
        new.execute(f"CREATE TABLE t{i} ({', '.join(cols)})")
        rows = old.execute(f'SELECT * FROM "{table}"').fetchall()
        new.executemany(f"INSERT INTO t{i} VALUES ({', '.join('?' * len(cols))})", rows)
    new.commit()
    return path, mapping


def categories_of(report):
    return {(r.table, r.column): (r.category, r.kind) for r in report.columns}


def test_synthetic_lab_is_mapped_and_its_sensitive_results_counted(lab):
    report = scan_source(str(lab))
    got = categories_of(report)
    for key, want in EXPECTED.items():
        assert got[key] == want, key
    text = report.column("COM_COMMENTAIRE", "COM_TEXTE")
    assert text.evidence["with_health_terms"] > 0 and text.evidence["with_titled_name"] > 0
    assert {"hiv", "genetic", "prenatal"} <= set(text.classes)
    assert {"health.sensitive.hiv", "health.sensitive.genetic"} <= set(report.sensitivity)
    assert report.roles["PAT_PATIENT"] == "patient" and report.roles["RES_RESULTAT"] == "result"


def test_draft_profile_reproduces_the_builtin_mapping(lab):
    report = scan_source(str(lab), profile_name="draft-lab")
    draft = report.profile.profile
    assert draft is not None and not report.profile.left_out
    builtin = load_profile("labosoft-sil4")
    for entity, mapping in builtin.entities.items():
        mine = draft.entities[entity]
        assert mine.table == mapping.table
        cols = report.profile.columns
        for field, expr in mapping.fields.items():
            if (entity, field) in cols:  # the same source column behind the same field
                assert cols[(entity, field)] in expr, (entity, field)
        missing = set(mapping.fields) - set(mine.fields)
        assert missing <= {"site", "validator_id"} or entity not in ("request", "result"), missing
    assert draft.local_codes == builtin.local_codes


def test_renamed_columns_are_detected_and_profiled(renamed):
    path, mapping = renamed
    report = scan_source(str(path))
    got = categories_of(report)
    for key, want in EXPECTED.items():
        assert got[mapping[key]] == want, (key, mapping[key])
    draft = report.profile.profile
    assert draft is not None and set(draft.entities) == {
        "patient",
        "practitioner",
        "request",
        "result",
        "comment",
    }
    con = duck.connect()
    src.attach(con, src.parse_source(str(path)))
    check_profile(draft, src.catalog(con))


@pytest.fixture(scope="module")
def operator_session(tmp_path_factory):
    """A workspace with an operator logged in: scanning is an operator's audited act."""
    import datetime as dt
    import urllib.parse

    from ariane.accounts import totp
    from ariane.crypto.sealing_key import Argon2Cost
    from ariane.engine import people
    from ariane.engine.actor import Actor
    from ariane.engine.workspace import Workspace

    root = tmp_path_factory.mktemp("scanws")
    ws = Workspace.open(root / "ws", create=True, cost=Argon2Cost(1, 8, 1))
    now = dt.datetime.now(dt.UTC)
    pw = "Disc0very-Pa55word!-Zq9#"
    made = ws.accounts.create("olivia.scan", "Olivia Scan", ["operator"], pw, now, by="test")
    seed = urllib.parse.parse_qs(urllib.parse.urlparse(made.totp_uri).query)["secret"][0]
    place = Actor("-", __import__("getpass").getuser(), __import__("socket").gethostname())
    login = people.login(ws, "olivia.scan", pw, totp.code_at(seed, now), place, now)
    home = root / "home"
    (home / "sessions").mkdir(parents=True)
    (home / "sessions" / f"{ws.id}.token").write_text(login.token)
    return ws, home


@pytest.fixture(autouse=True)
def _session_env(operator_session, monkeypatch):
    ws, home = operator_session
    monkeypatch.setenv("ARIANE_HOME", str(home))
    monkeypatch.setenv("ARIANE_WORKSPACE", str(ws.root))


def run_cli(args):
    app = typer.Typer()
    app.add_typer(scan_cli.app)
    return CliRunner().invoke(app, args)


def test_scan_needs_an_operator_session_and_is_audited(
    lab, tmp_path, operator_session, monkeypatch
):
    ws, _ = operator_session
    r = run_cli(["scan", str(lab), "--out", str(tmp_path / "o1"), "--no-count-sensitive"])
    assert r.exit_code == 0, r.output
    assert [e.action for e in ws.audit.events()][-1] == "scan"
    monkeypatch.setenv("ARIANE_HOME", str(tmp_path / "nobody"))
    r = run_cli(["scan", str(lab), "--out", str(tmp_path / "o2")])
    assert r.exit_code == 2 and "not logged in" in " ".join(r.output.split())


@pytest.mark.parametrize(
    ("fmt", "folder"),
    [("hl7v2", "hl7v2/microsoft-fhir-converter"), ("hprim", "hprim"), ("fhir", "fhir-r4")],
)
def test_message_folders_scan_like_databases(fixtures_dir, tmp_path, fmt, folder):
    out = tmp_path / "o"
    r = run_cli(["scan", f"{fmt}:{fixtures_dir / folder}", "--out", str(out)])
    assert r.exit_code == 0, r.output
    import json

    data = json.loads((out / "datamap.json").read_text())
    tables = {t["table"] for t in data["tables"] if t["rows"]}
    assert {"patient", "result"} <= tables


def personal_values(lab):
    con = sqlite3.connect(lab)
    out = set()
    for col in (
        "PAT_NIR",
        "PAT_MAIL",
        "PAT_TEL",
        "PAT_WEB_MDP",
        "PAT_ADR1",
        "PAT_NOM",
        "PAT_PRENOM",
    ):
        out |= {str(r[0]) for r in con.execute(f"SELECT {col} FROM PAT_PATIENT") if r[0]}
    for table, col in (("COM_COMMENTAIRE", "COM_TEXTE"), ("DOS_DOSSIER", "DOS_RENS_CLIN")):
        out |= {str(r[0]) for r in con.execute(f"SELECT {col} FROM {table}") if r[0]}
    out |= {str(r[0]) for r in con.execute("SELECT DOS_NUM FROM DOS_DOSSIER")}
    # Short values (a 3-letter name) could match by chance inside a word: long ones cannot.
    return {v for v in out if len(v) >= 7}


def test_cli_writes_outputs_without_any_sampled_value(lab, tmp_path, monkeypatch):
    spill = tmp_path / "tmp"
    spill.mkdir()
    monkeypatch.setenv("TMPDIR", str(spill))
    out = tmp_path / "out"
    r = run_cli(["scan", str(lab), "--out", str(out), "--profile-name", "draft-lab"])
    assert r.exit_code == 0, r.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["datamap.json", "datamap.yaml", "manifest.yaml", "profile.yaml"]
    assert list(spill.iterdir()) == []  # no temporary file either
    blob = "\n".join((out / f).read_text("utf-8") for f in files) + r.output
    leaked = [v for v in personal_values(lab) if v in blob]
    assert leaked == []
    # The drafts load: the profile by path, the manifest against it; nothing sensitive selected.
    profile = load_profile(str(out / "profile.yaml"))
    manifest = load_manifest(out / "manifest.yaml")
    verify_manifest(manifest, profile)
    selected = {f for e in manifest.entities.values() for f in e.fields}
    assert not {"nir", "family_name", "email", "phone", "portal_password", "text"} & {
        f for name, e in manifest.entities.items() if name == "patient" for f in e.fields
    }
    assert "text" not in selected and manifest.free_text == "drop"
    assert set(manifest.exclude_categories) == set(c.SENSITIVE_CATEGORIES)


def test_csv_folder(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    rows = [
        {
            "id": i,
            "nom": ["MARTIN", "DUBOIS", "LEROY", "MOREAU"][i % 4],
            "cp": f"690{i % 9 + 1:02d}",
            "tel": f"06 12 34 {i % 90 + 10:02d} {i % 80 + 10:02d}",
            "remarque": [
                "Suivi VIH",
                "Grossesse 12 SA",
                "RAS, patient prévenu par courrier",
                "Chimiothérapie en cours",
                "Contrôle à 3 mois",
            ][i % 5]
            + f" (visite {i})",
        }
        for i in range(300)
    ]
    with (folder / "patients.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    report = scan_source(str(folder))
    got = categories_of(report)
    assert report.schema.kind == "csv" and report.keys["patients"] == "id"
    assert got[("patients", "nom")] == (c.IDENTITY_DIRECT, "person_name")
    assert got[("patients", "cp")] == (c.IDENTITY_QUASI, "postal_code")  # leading zeros kept
    assert got[("patients", "tel")] == (c.CONTACT, "phone")
    assert got[("patients", "remarque")][0] == c.FREE_TEXT
    assert report.column("patients", "remarque").evidence["with_health_terms"] == 180


@pytest.mark.parametrize(
    "make, code, message",
    [
        (lambda p: p / "missing.db", 2, "source not found"),
        (lambda p: (p / "x.db").write_text("not sqlite") and p / "x.db", 2, "not a SQLite"),
        (lambda p: (p / "empty").mkdir() or p / "empty", 2, "holds no .csv"),
    ],
)
def test_errors_have_clear_messages_and_exit_codes(tmp_path, make, code, message):
    r = run_cli(["scan", str(make(tmp_path)), "--out", str(tmp_path / "o")])
    said = " ".join(r.output.split())  # rich wraps long lines
    assert r.exit_code == code and message in said, said
    assert said.startswith("error (UsageError):")


def test_unreachable_postgresql_is_a_source_error(tmp_path):
    r = run_cli(["scan", "postgresql://nobody:secret@127.0.0.1:1/none", "--out", str(tmp_path)])
    assert r.exit_code == 8 and "SourceError" in r.output and "secret" not in r.output


@pytest.mark.postgres
def test_postgresql_source(lab, pg_db):
    con = duck.connect()
    duck.load_sqlite(con)
    duck.load_postgres(con)
    con.execute(f"ATTACH {duck.quote_literal(str(lab))} AS s (TYPE sqlite, READ_ONLY)")
    con.execute(f"ATTACH {duck.quote_literal(pg_db)} AS p (TYPE postgres)")
    for table in ("PAT_PATIENT", "MED_INTERVENANT", "DOS_DOSSIER", "COM_COMMENTAIRE"):
        con.execute(f'CREATE TABLE p.public."{table}" AS SELECT * FROM s.main."{table}"')
    con.close()
    report = scan_source(pg_db)
    got = categories_of(report)
    assert report.schema.kind == "postgres"
    for key, want in EXPECTED.items():
        if key[0] in ("PAT_PATIENT", "MED_INTERVENANT", "COM_COMMENTAIRE"):
            assert got[key] == want, key
    assert got[("DOS_DOSSIER", "DOS_PAT_ID")] == (c.IDENTIFIER, "link")  # key inferred: no PK
