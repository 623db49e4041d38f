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
    e.update(
        TMPDIR=str(tmp),
        ARIANE_PASSPHRASE="a long passphrase for the cli test",
        COLUMNS="160",
        ARIANE_HOME=str(tmp_path / "home"),
    )
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


PASSWORDS = {
    "nadia.roux": "Admin-Only-Pa55word!-Vx3#",
    "alice.martin": "Operator-Pa55word!-Lm8#",
    "claire.dubois": "Controller-Pa55word!-Qz2#",
    "romain.petit": "Recipient-Pa55word!-Ht5#-long-enough",
}
PASSPHRASE = "a long passphrase for the cli test"


def _seed(stdout: str) -> str:
    return re.search(r"secret=([A-Z2-7]+)", stdout).group(1)


class Cli:
    """Drives the CLI as one OS user who logs in as different people in turn."""

    def __init__(self, tmp_path, env):
        self.tmp, self.env = tmp_path, env
        self.ws = ["--workspace", str(tmp_path / "ws")]
        self.seeds: dict[str, str] = {}
        self.current = "nobody"
        self.logged_in: set[str] = set()

    def __call__(self, *args, check=True, password=None, extra=None):
        # Each person has their own home (their token); each logs in once, since a TOTP
        # code cannot be used twice.
        env = dict(self.env, ARIANE_HOME=str(self.tmp / "home" / self.current))
        if password:
            env["ARIANE_PASSWORD"] = password
        env.update(extra or {})
        return run(
            [*args, *self.ws] if args[0] not in ("generate",) else list(args),
            env,
            self.tmp,
            check=check,
        )

    def login(self, name):
        import datetime as dt

        from ariane.accounts import totp

        self.current = name
        if name in self.logged_in:
            return None
        self.logged_in.add(name)
        args = ["login", name]
        if name in self.seeds:
            # A fresh code each time: a code already used is refused (replay).
            step_time = dt.datetime.now(dt.UTC)
            args += ["--totp", totp.code_at(self.seeds[name], step_time)]
        return self(*args, password=PASSWORDS[name])


def test_every_command_of_a_migration(tmp_path, env):
    cli = Cli(tmp_path, env)
    lab = tmp_path / "lis.db"
    cli("generate", "--out", str(lab), "--patients", "300", "--seed", "3")
    assert cli("generate", "--out", str(lab), check=False).returncode == 2

    out = cli(
        "init",
        "--admin",
        "nadia.roux",
        "--full-name",
        "Nadia Roux",
        password=PASSWORDS["nadia.roux"],
    ).stdout
    cli.seeds["nadia.roux"] = _seed(out)
    assert cli("status", check=False).returncode == 2  # not logged in
    cli.login("nadia.roux")
    for name, full, role in (
        ("alice.martin", "Alice Martin", "operator"),
        ("claire.dubois", "Claire Dubois", "controller"),
        ("romain.petit", "Romain Petit", "recipient"),
    ):
        p = cli(
            "account",
            "create",
            name,
            "--full-name",
            full,
            "--role",
            role,
            extra={"ARIANE_NEW_PASSWORD": PASSWORDS[name]},
        )
        if "secret=" in p.stdout:
            cli.seeds[name] = _seed(p.stdout)
    weak = cli(
        "account",
        "create",
        "bob.weak",
        "--full-name",
        "Bob Weak",
        "--role",
        "recipient",
        extra={"ARIANE_NEW_PASSWORD": "azerty123"},
        check=False,
    )
    assert weak.returncode == 2 and "password" in weak.stderr
    generic = cli(
        "account",
        "create",
        "shared",
        "--full-name",
        "Shared",
        "--role",
        "operator",
        extra={"ARIANE_NEW_PASSWORD": PASSWORDS["nadia.roux"]},
        check=False,
    )
    assert generic.returncode == 2
    # The administrator manages accounts but cannot touch data.
    assert cli("keys", "new", "--name", "admin-key", check=False).returncode == 5

    cli.login("alice.martin")
    cli("keys", "new", "--name", "processor-acme")
    cli.login("romain.petit")
    rec = cli("keys", "new", "--name", "recipient-acme").stdout
    age_key = re.search(r"age1[0-9a-z]{58}", rec).group(0)
    run(["profile", "check", "labosoft-sil4", "--source", str(lab)], env, tmp_path)

    cli.login("alice.martin")
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
    cli("manifest", "submit", str(m))
    refused = cli("manifest", "approve", "MIG-1", check=False, password=PASSWORDS["alice.martin"])
    assert refused.returncode == 5 and "role controller" in refused.stderr

    cli.login("claire.dubois")
    dry = cli("dry-run", "MIG-1", "--source", str(lab)).stdout
    assert "excluded category" in dry
    blocked = cli("manifest", "approve", "MIG-1", check=False, password=PASSWORDS["claire.dubois"])
    assert blocked.returncode == 5 and "no processing agreement" in blocked.stderr
    annex = tmp_path / "annex.md"
    run(["dpa", "draft", "--manifest", str(m), "--out", str(annex)], env, tmp_path)
    cli("dpa", "register", "MIG-1", str(annex))
    cli("manifest", "approve", "MIG-1", password=PASSWORDS["claire.dubois"])
    cli.login("alice.martin")
    cli("extract", "MIG-1", "--source", str(lab))
    pkg = next((tmp_path / "ws" / "packages").iterdir())

    cli.login("romain.petit")
    cli("package", "verify", str(pkg), "--sender-key", "processor-acme")
    # The standard age tool opens a part with the exported identity.
    age = shutil.which("age")
    if age is None and os.environ.get("CI") != "true":
        pytest.skip("age is not installed")
    ident = tmp_path / "identity.txt"
    ident.write_text(cli("keys", "export-identity", "--name", "recipient-acme").stdout)
    part = sorted((pkg / "parts").glob("result-*"))[0]
    plain = tmp_path / "part.parquet"
    subprocess.run([age or "age", "-d", "-i", str(ident), "-o", str(plain), str(part)], check=True)
    assert pq.read_table(plain).num_rows > 0
    plain.unlink()
    ident.unlink()

    target = f"sqlite:{tmp_path / 'target.db'}"
    cli(
        "load",
        str(pkg),
        "--target",
        target,
        "--key",
        "recipient-acme",
        "--sender-key",
        "processor-acme",
    )
    rec = cli("reconcile", str(pkg), "--target", target, "--sender-key", "processor-acme").stdout
    assert "none" in rec
    assert "reconciled" in cli("status").stdout

    cli.login("claire.dubois")
    cli("purge", "MIG-1", password=PASSWORDS["claire.dubois"])
    assert not pkg.exists()
    verified = cli("audit", "verify").stdout
    assert "audit log verified" in verified
    shown = cli("audit", "show", "--action", "manifest").stdout
    assert "manifest.approve" in shown and "refused" in shown
    assert "alert" in cli("status").stdout  # the refused approval is an alert
    cli(
        "audit",
        "export",
        "--json",
        str(tmp_path / "audit.json"),
        "--csv",
        str(tmp_path / "audit.csv"),
    )
    cli("logout")
    assert cli("status", check=False).returncode == 2

    # No secret in clear in anything the tool wrote.
    secrets_ = [p.encode() for p in PASSWORDS.values()] + [PASSPHRASE.encode()]
    secrets_ += [s.encode() for s in cli.seeds.values()]
    written = [
        tmp_path / "ws",
        pathlib.Path(env["ARIANE_HOME"]),
        tmp_path / "audit.json",
        tmp_path / "audit.csv",
        pathlib.Path(env["TMPDIR"]),
    ]
    assert scan(written, secrets_) == []


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
