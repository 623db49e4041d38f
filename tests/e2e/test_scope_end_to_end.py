"""The demo manifest's scope, end to end on generated data, checked by independent SQL."""

from __future__ import annotations

import pathlib
import sqlite3

import pytest

from ariane.connectors.targets import open_target
from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
from ariane.engine import procedure
from ariane.model.loinc import sensitivity_table
from flows import (
    CTRL,
    CTRL_PW,
    OP,
    RCPT,
    RECIPIENT_PASS,
    approved,
    at,
    new_workspace,
    write_manifest,
)

GENETIC_LOINC = sorted(c for c, k in sensitivity_table().items() if k.endswith(".genetic"))
GENETIC_LOCAL = ("CARYO", "MUCO")
SINCE = "2023-11-29"


@pytest.fixture(scope="module")
def migrated(lab: pathlib.Path, keys: pathlib.Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("e2e")
    ws = new_workspace(root / "ws", keys)
    mid = write_manifest(ws, root / "m.yaml")
    approved(ws, root / "m.yaml", lab)
    from flows import SENDER_PASS

    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    target = root / "target.db"
    procedure.load(
        ws,
        result.package,
        open_target(f"sqlite:{target}"),
        RCPT,
        RECIPIENT_KEY,
        RECIPIENT_PASS,
        ws.keys.public(SENDER_KEY),
        at(4),
    )
    report = procedure.reconcile(
        ws,
        result.package,
        open_target(f"sqlite:{target}"),
        RCPT,
        ws.keys.public(SENDER_KEY),
        at(5),
    )
    return ws, mid, result, target, report


def q(db: pathlib.Path, sql: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_reconciliation_passes(migrated):
    _, _, _, _, report = migrated
    assert report["ok"] is True
    for name, e in report["entities"].items():
        assert e["expected_rows"] == e["target_rows"], name
        assert e["partition_balanced"], name
        assert e["fields_mismatched"] == []
        assert e["row_digest_matches"] is True


def test_extraction_counts_the_same_partition_as_the_dry_run(migrated):
    # Two code paths: the dry run groups in SQL, extraction tallies the stream it seals.
    ws, mid, result, _, _ = migrated
    dry = ws.read_json(ws.migration_dir(mid) / "dry-run.json", "dry run")["counts"]
    assert result.counts == dry
    assert result.counts["result"]["excluded"]  # the stream did see rows it left out


def test_target_holds_no_nir_password_or_comment(migrated):
    *_, target, _ = migrated
    assert q(target, "SELECT count(*) FROM patient WHERE nir IS NOT NULL")[0][0] == 0
    assert q(target, "SELECT count(*) FROM patient WHERE portal_password IS NOT NULL")[0][0] == 0
    assert (
        q(target, "SELECT count(*) FROM patient WHERE email IS NOT NULL OR phone IS NOT NULL")[0][0]
        == 0
    )
    assert q(target, "SELECT count(*) FROM comment")[0][0] == 0


def test_no_genetic_result_and_nothing_before_the_period(migrated, lab):
    *_, target, _ = migrated
    marks = ",".join("?" * len(GENETIC_LOINC))
    assert (
        q(
            target,
            f"SELECT count(*) FROM result WHERE loinc_code IN ({marks})",
            tuple(GENETIC_LOINC),
        )[0][0]
        == 0
    )
    assert q(target, "SELECT count(*) FROM result WHERE local_code IN ('CARYO','MUCO')")[0][0] == 0
    assert q(target, "SELECT count(*) FROM result WHERE sensitivity LIKE '%genetic'")[0][0] == 0
    assert q(target, "SELECT min(collected_at) FROM request")[0][0] >= SINCE
    # The source does hold genetic results and older requests: the test would see a leak.
    assert (
        q(
            lab,
            f"SELECT count(*) FROM RES_RESULTAT r JOIN ANA_CATALOGUE a "
            f"ON a.ANA_CODE = r.RES_ANA_CODE WHERE a.ANA_LOINC IN ({marks})",
            tuple(GENETIC_LOINC),
        )[0][0]
        > 0
    )
    assert q(lab, "SELECT count(*) FROM DOS_DOSSIER WHERE DOS_DPREL < ?", (SINCE,))[0][0] > 0


def test_every_in_scope_row_is_there(migrated, lab):
    *_, target, _ = migrated
    requests = q(lab, "SELECT count(*) FROM DOS_DOSSIER WHERE DOS_DPREL >= ?", (SINCE,))[0][0]
    patients = q(
        lab, "SELECT count(DISTINCT DOS_PAT_ID) FROM DOS_DOSSIER WHERE DOS_DPREL >= ?", (SINCE,)
    )[0][0]
    marks = ",".join("?" * len(GENETIC_LOINC))
    results = q(
        lab,
        f"SELECT count(*) FROM RES_RESULTAT r JOIN DOS_DOSSIER d ON d.DOS_NUM = r.RES_DOS_NUM "
        f"JOIN ANA_CATALOGUE a ON a.ANA_CODE = r.RES_ANA_CODE WHERE d.DOS_DPREL >= ? "
        f"AND COALESCE(a.ANA_LOINC, '') NOT IN ({marks}) AND a.ANA_CODE NOT IN ('CARYO','MUCO')",
        (SINCE, *GENETIC_LOINC),
    )[0][0]
    assert requests > 0 and results > 0
    assert q(target, "SELECT count(*) FROM request")[0][0] == requests
    assert q(target, "SELECT count(*) FROM patient")[0][0] == patients
    assert q(target, "SELECT count(*) FROM result")[0][0] == results


def test_identifiers_are_pseudonymised_and_links_hold(migrated, lab):
    *_, target, _ = migrated
    source_ids = {str(r[0]) for r in q(lab, "SELECT PAT_ID FROM PAT_PATIENT")}
    source_req = {r[0] for r in q(lab, "SELECT DOS_NUM FROM DOS_DOSSIER")}
    target_ids = {r[0] for r in q(target, "SELECT patient_id FROM patient")}
    target_req = {r[0] for r in q(target, "SELECT request_id FROM request")}
    assert not target_ids & source_ids
    assert not target_req & source_req
    assert (
        q(
            target,
            "SELECT count(*) FROM request WHERE patient_id NOT IN (SELECT patient_id FROM patient)",
        )[0][0]
        == 0
    )
    assert (
        q(
            target,
            "SELECT count(*) FROM result WHERE request_id NOT IN (SELECT request_id FROM request)",
        )[0][0]
        == 0
    )


def test_digests_of_another_algorithm_are_refused(migrated, monkeypatch):
    """A package whose digests were computed another way cannot be reconciled by comparing
    them: the refusal names both algorithms instead of reporting every field as different."""
    from ariane.engine import delivery
    from ariane.errors import ReconcileError

    ws, _, result, target, _ = migrated
    monkeypatch.setattr(delivery, "ALGORITHM", "some-other-digest/9")
    with pytest.raises(ReconcileError, match="some-other-digest/9"):
        procedure.reconcile(
            ws, result.package, open_target(f"sqlite:{target}"), RCPT,
            ws.keys.public(SENDER_KEY), at(9),
        )  # fmt: skip


def test_purge_destroys_package_and_secret(migrated):
    ws, mid, result, _, _ = migrated
    cert = procedure.purge(ws, mid, CTRL, CTRL_PW, at(6))
    assert not result.package.exists()
    assert not (ws.migration_dir(mid) / "secret.age").exists()
    assert cert["manifest"] == mid and cert["files"]
    assert ws.state(mid)["state"] == "purged"


def test_left_out_rows_carry_no_value_in_the_extraction_stream(migrated, lab):
    """The one-pass stream sees every source row, but a row left out (an excluded category,
    a request out of the period...) brings only its reason: each of its columns is NULL."""
    import pyarrow.compute as pc

    from ariane.connectors import source
    from ariane.profiles.load import load_profile
    from ariane.scope.plan import CATEGORY, REASON, TRANSFERRED
    from ariane.scope.session import ScopeSession
    from ariane.transform.pseudonymise import build_maps

    ws, mid, *_ = migrated
    manifest = ws.manifest(mid)
    profile = load_profile(manifest.source.profile)
    with ScopeSession(source.parse_source(str(lab)), profile, manifest) as session:
        maps = build_maps(session, b"k" * 32)
        left_out = {}
        for name, ep in session.plan.entities.items():
            if not ep.selected:
                continue
            table = session.con.execute(session.plan.stream_sql(name, maps[name])).arrow()
            table = table.read_all() if hasattr(table, "read_all") else table
            out = table.filter(pc.not_equal(table[REASON], TRANSFERRED))
            left_out[name] = out.num_rows
            for column in out.column_names:
                if column not in (REASON, CATEGORY):
                    assert out[column].null_count == out.num_rows, f"{name}.{column}"
    assert left_out["result"] > 0 and left_out["request"] > 0


def test_membership_read_off_the_pseudonym_join_selects_the_same_rows(migrated, lab):
    """Where a mapping table holds exactly a column of the scope, the stream tests membership by
    a match in that map instead of a second hash of the scope: row for row the same stream."""
    from ariane.connectors import source
    from ariane.profiles.load import load_profile
    from ariane.scope.session import ScopeSession
    from ariane.transform.pseudonymise import build_maps, exact_maps

    ws, mid, *_ = migrated
    manifest = ws.manifest(mid)
    profile = load_profile(manifest.source.profile)
    with ScopeSession(source.parse_source(str(lab)), profile, manifest) as session:
        maps = build_maps(session, b"k" * 32)
        exact = exact_maps(session.plan)
        # patient and request numbers are bound to the scope's columns; nothing else is mapped.
        assert exact == {"_pmap_patient": "patient_id", "_pmap_request": "request_id"}
        compared = 0
        for name, ep in session.plan.entities.items():
            if not ep.selected:
                continue
            plain = session.plan.stream_sql(name, maps[name])
            joined = session.plan.stream_sql(name, maps[name], exact)
            if any(c.member is not None and c.member[0] in maps[name] for c in ep.conditions):
                assert joined != plain and "IS NOT NULL" in joined
                compared += 1

            def rows(sql: str) -> list[tuple[object, ...]]:
                return sorted(session.con.execute(sql).fetchall(), key=repr)

            assert rows(joined) == rows(plain), name
        assert compared >= 3  # patient, request, result
