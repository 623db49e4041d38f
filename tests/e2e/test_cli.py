"""The command line as a person uses it: every step, exit codes, and what it leaves on disk."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

ARIANE = [sys.executable, "-m", "ariane.cli.main"]


def run(args, env, cwd, check=True):
    p = subprocess.run(
        [*ARIANE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600
    )
    if check and p.returncode != 0:
        raise AssertionError(f"{args[0]} exited {p.returncode}: {p.stderr[-2000:]}")
    return p


def patient_markers(db: pathlib.Path) -> list[bytes]:
    """Values that must never appear in clear outside the source and the target."""
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT PAT_NOM, PAT_PRENOM, PAT_NIR, PAT_MAIL, PAT_TEL, PAT_WEB_MDP FROM PAT_PATIENT"
    ).fetchall()
    con.close()
    markers = set()
    for nom, prenom, nir, mail, tel, mdp in rows:
        markers.add(f"{prenom} {nom}")
        for v in (nir, mail, tel, mdp):
            if v:
                markers.add(v)
        if nom and len(nom) >= 9:
            markers.add(nom)
    return sorted(m.encode() for m in markers if m)


def scan(paths: list[pathlib.Path], markers: list[bytes]) -> list[str]:
    found = []
    pattern = re.compile(b"|".join(re.escape(m) for m in markers))
    for root in paths:
        for f in [root] if root.is_file() else root.rglob("*"):
            if f.is_file():
                m = pattern.search(f.read_bytes())
                if m:
                    found.append(f"{f} (at byte {m.start()})")  # never print the value
    return found


@pytest.fixture
def env(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    e = dict(os.environ)
    e.update(TMPDIR=str(tmp), ARIANE_PASSPHRASE="a long passphrase for the cli test", COLUMNS="160")
    return e


def test_demo_runs_and_leaves_no_patient_value_in_clear(tmp_path, env):
    out = tmp_path / "demo"
    p = run(["demo", "--dir", str(out), "--patients", "400"], env, tmp_path)
    assert "Every step verified" in p.stdout
    assert "Reconciliation" in p.stdout
    markers = patient_markers(out / "source" / "lis.db")
    assert len(markers) > 400
    # The check can fail: the targets do hold names in clear.
    assert scan([out / "target"], markers)
    written = [x for x in out.iterdir() if x.name not in ("source", "target")]
    written.append(pathlib.Path(env["TMPDIR"]))
    assert scan(written, markers) == []
    for stream in (p.stdout, p.stderr):
        assert not any(m.decode() in stream for m in markers)


def test_every_command_of_a_migration(tmp_path, env):
    ws = ["--workspace", str(tmp_path / "ws")]
    lab = tmp_path / "lis.db"
    run(["generate", "--out", str(lab), "--patients", "300", "--seed", "3"], env, tmp_path)
    assert run(["generate", "--out", str(lab)], env, tmp_path, check=False).returncode == 2
    run(["init", *ws], env, tmp_path)
    run(["keys", "new", "--name", "processor-acme", *ws], env, tmp_path)
    rec = run(["keys", "new", "--name", "recipient-acme", *ws], env, tmp_path).stdout
    age_key = re.search(r"age1[0-9a-z]{58}", rec).group(0)
    run(["profile", "check", "labosoft-sil4", "--source", str(lab)], env, tmp_path)
    m = tmp_path / "m.yaml"
    run(
        [
            "manifest",
            "draft",
            "--profile",
            "labosoft-sil4",
            "--id",
            "MIG-1",
            "--author",
            "alice.martin",
            "--controller",
            "Lab",
            "--processor",
            "Acme",
            "--processor-key",
            "processor-acme",
            "--recipient",
            "NewLIS",
            "--recipient-key",
            age_key,
            "--agreement",
            "DPA-1",
            "--agreement-date",
            "2026-01-01",
            "--delete-by",
            "2099-01-01",
            "--since",
            "2024-01-01",
            "--out",
            str(m),
        ],
        env,
        tmp_path,
    )
    assert "nir" not in m.read_text() and "portal_password" not in m.read_text()
    run(["manifest", "check", str(m), "--source", str(lab)], env, tmp_path)
    run(["manifest", "submit", str(m), "--as", "alice.martin", *ws], env, tmp_path)
    refused = run(
        ["manifest", "approve", "MIG-1", "--as", "alice.martin", *ws], env, tmp_path, check=False
    )
    assert refused.returncode == 5 and "cannot approve" in refused.stderr
    run(["manifest", "approve", "MIG-1", "--as", "claire.dubois", *ws], env, tmp_path)
    early = run(
        ["extract", "MIG-1", "--source", str(lab), "--as", "alice.martin", *ws],
        env,
        tmp_path,
        check=False,
    )
    assert early.returncode == 5
    dry = run(
        ["dry-run", "MIG-1", "--source", str(lab), "--as", "alice.martin", *ws], env, tmp_path
    ).stdout
    assert "excluded category" in dry
    run(["extract", "MIG-1", "--source", str(lab), "--as", "alice.martin", *ws], env, tmp_path)
    pkg = next((tmp_path / "ws" / "packages").iterdir())
    run(["package", "verify", str(pkg), "--sender-key", "processor-acme", *ws], env, tmp_path)

    # The standard age tool opens a part with the exported identity.
    age = shutil.which("age")
    if age is None and os.environ.get("CI") != "true":
        pytest.skip("age is not installed")
    ident = tmp_path / "identity.txt"
    ident.write_text(
        run(["keys", "export-identity", "--name", "recipient-acme", *ws], env, tmp_path).stdout
    )
    part = sorted((pkg / "parts").glob("result-*"))[0]
    plain = tmp_path / "part.parquet"
    subprocess.run([age or "age", "-d", "-i", str(ident), "-o", str(plain), str(part)], check=True)
    assert pq.read_table(plain).num_rows > 0
    plain.unlink()
    ident.unlink()

    target = f"sqlite:{tmp_path / 'target.db'}"
    run(
        [
            "load",
            str(pkg),
            "--target",
            target,
            "--key",
            "recipient-acme",
            "--sender-key",
            "processor-acme",
            "--as",
            "romain.petit",
            *ws,
        ],
        env,
        tmp_path,
    )
    rec = run(
        [
            "reconcile",
            str(pkg),
            "--target",
            target,
            "--sender-key",
            "processor-acme",
            "--as",
            "romain.petit",
            *ws,
        ],
        env,
        tmp_path,
    ).stdout
    assert "none" in rec
    st = run(["status", *ws], env, tmp_path).stdout
    assert "reconciled" in st
    run(["purge", "MIG-1", "--as", "claire.dubois", *ws], env, tmp_path)
    assert not pkg.exists()


def test_errors_have_exit_codes_and_clear_messages(tmp_path, env):
    p = run(["manifest", "check", str(tmp_path / "missing.yaml")], env, tmp_path, check=False)
    assert p.returncode == 2 and "not found" in p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: [unclosed\n")
    p = run(["manifest", "check", str(bad)], env, tmp_path, check=False)
    assert p.returncode == 3 and "not valid YAML" in p.stderr
    bad.write_text("format: ariane.manifest/1\nid: X\nsurprise: 1\n")
    p = run(["manifest", "check", str(bad)], env, tmp_path, check=False)
    assert p.returncode == 3 and "surprise" in p.stderr
    p = run(["status", "--workspace", str(tmp_path / "nowhere")], env, tmp_path, check=False)
    assert p.returncode == 2 and "no Ariane workspace" in p.stderr
    assert "Traceback" not in p.stderr
