"""The command line: parses, calls the library, renders. Nothing else lives here."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from ariane import yamlio
from ariane.cli import audit as audit_cli
from ariane.cli import common as c
from ariane.cli import compliance as compliance_cli
from ariane.cli import dpa as dpa_cli
from ariane.cli import people as people_cli
from ariane.cli import scan as scan_cli
from ariane.cli import serve as serve_cli
from ariane.cli.render import (
    RichObserver,
    categories_table,
    console,
    partition_table,
    reconcile_table,
)
from ariane.engine.actor import audited, require_role
from ariane.errors import UsageError

app = typer.Typer(
    name="ariane",
    help="Governed, sealed and provable migration of medical laboratory data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
keys_app = typer.Typer(
    help="Parties' keys: age (sealing) and Ed25519 (signing).", no_args_is_help=True
)
manifest_app = typer.Typer(
    help="The scope manifest: draft, check, submit, approve.", no_args_is_help=True
)
package_app = typer.Typer(help="Sealed packages: verify.", no_args_is_help=True)
profile_app = typer.Typer(help="Source profiles: list, show, check.", no_args_is_help=True)
target_app = typer.Typer(help="Targets: the canonical target schema.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(manifest_app, name="manifest")
app.add_typer(package_app, name="package")
app.add_typer(profile_app, name="profile")
app.add_typer(target_app, name="target")

T = TypeVar("T")

WorkspaceOpt = c.WorkspaceOpt
PassEnvOpt = c.PassEnvOpt
PASS_ENV = c.PASS_ENV
SourceOpt = Annotated[
    str,
    typer.Option(
        "--source", "-s", help="SQLite file, postgresql:// URL, or hl7v2:/hprim:/fhir:DIR"
    ),
]
PasswordEnvOpt = Annotated[
    str, typer.Option(help="variable holding your password (else you are prompted)")
]
_run, _fail, _now, _date = c.run, c.fail, c.now, c.date


def _passphrase(env: str, what: str) -> str:
    return c.secret(env, f"passphrase for {what}")


def _workspace(path: pathlib.Path, create: bool = False) -> Any:
    return c.workspace(path, create)


def _me(ws: Any) -> Any:
    return _run(lambda: c.actor(ws))


def _step(
    workspace: pathlib.Path,
    action: str,
    roles: tuple[str, ...],
    details: dict[str, Any],
    fn: Callable[[Any], T],
) -> T:
    """A command done by the logged-in person: role checked, audited whatever the outcome."""
    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)

    def go() -> T:
        with audited(ws, me, action, _now()) as ev:
            ev.details = details
            require_role(ws, me, roles, _now())
            return fn(ws)

    return _run(go)


# --- set-up ------------------------------------------------------------------------------------
app.command()(people_cli.init)
app.command()(people_cli.login)
app.command()(people_cli.logout)
app.command()(people_cli.whoami)
app.add_typer(people_cli.account_app, name="account")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(scan_cli.app)
app.add_typer(dpa_cli.app, name="dpa")
app.command()(serve_cli.serve)
compliance_cli.register(app)


@app.command()
def generate(
    out: Annotated[pathlib.Path, typer.Option(help="SQLite file to create")],
    patients: Annotated[int, typer.Option(min=1, help="number of patients")] = 10_000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same laboratory)")] = 1,
    today: Annotated[str | None, typer.Option(help="reference date YYYY-MM-DD")] = None,
) -> None:
    """Generate a deterministic synthetic laboratory (fictitious people, valid NIR keys)."""
    from ariane.demo.generator import generate as gen

    day = dt.date.fromisoformat(today) if today else _now().date()
    with RichObserver() as obs:
        obs.stage("generate", None)
        stats = _run(lambda: gen(out, patients, seed, day))
    console.print(
        f"{out}: {stats.patients:,} patients, {stats.practitioners:,} practitioners, "
        f"{stats.requests:,} requests, {stats.results:,} results, {stats.comments:,} comments "
        f"in {stats.seconds:.1f} s"
    )


# --- keys --------------------------------------------------------------------------------------
@keys_app.command("new")
def keys_new(
    name: Annotated[str, typer.Option(help="key name, e.g. processor-acme")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
    passphrase_env: PassEnvOpt = PASS_ENV,
) -> None:
    """Create a party's keys (operator or recipient), stored under a passphrase (12+ characters)."""
    public = _step(
        workspace,
        "keys.new",
        ("operator", "recipient"),
        {"key": name},
        lambda ws: ws.keys.create(name, _passphrase(passphrase_env, f"new key {name}")),
    )
    console.print(json.dumps(public.to_dict(), indent=2))


@keys_app.command("list")
def keys_list(workspace: WorkspaceOpt = pathlib.Path("ariane-ws")) -> None:
    """List the keys in the workspace with their public parts."""
    ws = _run(lambda: _workspace(workspace))
    for name in ws.keys.names():
        p = ws.keys.public(name)
        console.print(f"{name}\t{p.age_recipient}\t{p.ed25519_public}")


@keys_app.command("export-public")
def keys_export_public(
    name: Annotated[str, typer.Option(help="key name")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
) -> None:
    """Print a key's public part as JSON, to give to the other party."""
    ws = _run(lambda: _workspace(workspace))
    console.print_json(json.dumps(_run(lambda: ws.keys.public(name)).to_dict()))


@keys_app.command("import")
def keys_import(
    file: Annotated[pathlib.Path, typer.Argument(help="public key JSON from export-public")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
) -> None:
    """Import another party's public key (operator or recipient)."""
    public = _step(
        workspace,
        "keys.import",
        ("operator", "recipient"),
        {"file": file.name},
        lambda ws: ws.keys.import_public(file),
    )
    console.print(f"imported {public.name}")


@keys_app.command("export-identity")
def keys_export_identity(
    name: Annotated[str, typer.Option(help="key name")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
    passphrase_env: PassEnvOpt = PASS_ENV,
) -> None:
    """Print the age identity (secret!) so that the standard `age -d -i` can open a part."""
    identity = str(
        _step(
            workspace,
            "keys.export-identity",
            ("recipient",),
            {"key": name},
            lambda ws: ws.keys.export_identity(name, _passphrase(passphrase_env, name)),
        )
    )
    sys.stdout.write(identity.strip() + "\n")


# --- profiles ----------------------------------------------------------------------------------
@profile_app.command("list")
def profile_list() -> None:
    """List the built-in profiles."""
    from ariane.profiles.load import builtin_names

    for name in builtin_names():
        console.print(name)


@profile_app.command("show")
def profile_show(
    profile: Annotated[str, typer.Argument(help="built-in name or YAML file")],
) -> None:
    """Print a profile (YAML) and its digest."""
    from ariane.profiles.load import load_profile, profile_digest

    p = _run(lambda: load_profile(profile))
    console.print(yamlio.dump_yaml(p.model_dump(mode="json", exclude_defaults=True)))
    console.print(f"# digest: {profile_digest(p)}")


@profile_app.command("check")
def profile_check(
    profile: Annotated[str, typer.Argument(help="built-in name or YAML file")],
    source: SourceOpt,
) -> None:
    """Check a profile against a live source: every table, column and expression must resolve."""
    from ariane.connectors import duck
    from ariane.connectors import source as src
    from ariane.profiles.compile import check_profile
    from ariane.profiles.load import load_profile

    def go() -> None:
        p = load_profile(profile)
        con = duck.connect()
        try:
            src.attach(con, src.parse_source(source))
            check_profile(p, src.catalog(con))
        finally:
            con.close()

    _run(go)
    console.print(f"profile {profile} fits the source")


# --- manifests ---------------------------------------------------------------------------------
@manifest_app.command("draft")
def manifest_draft(
    profile: Annotated[str, typer.Option(help="built-in profile name or YAML file")],
    manifest_id: Annotated[str, typer.Option("--id", help="manifest id, e.g. MIG-2026-001")],
    author: Annotated[str, typer.Option(help="the person drafting it")],
    controller: Annotated[str, typer.Option(help="the controller (laboratory)")],
    processor: Annotated[str, typer.Option(help="the processor (you)")],
    processor_key: Annotated[str, typer.Option(help="the processor's signing key name")],
    recipient: Annotated[str, typer.Option(help="the recipient organisation")],
    recipient_key: Annotated[str, typer.Option(help="the recipient's age public key (age1…)")],
    agreement: Annotated[str, typer.Option(help="processing agreement reference")],
    agreement_date: Annotated[str, typer.Option(help="agreement date YYYY-MM-DD")],
    delete_by: Annotated[str, typer.Option(help="date by which every copy is destroyed")],
    out: Annotated[pathlib.Path, typer.Option(help="where to write the YAML")],
    since: Annotated[
        str | None, typer.Option(help="only requests collected since YYYY-MM-DD")
    ] = None,
) -> None:
    """Write a minimal manifest from a profile: nothing sensitive is selected by default."""
    from ariane.manifest.draft import draft_manifest
    from ariane.manifest.load import manifest_yaml
    from ariane.profiles.load import load_profile

    def go() -> None:
        m = draft_manifest(
            load_profile(profile),
            manifest_id=manifest_id,
            author=author,
            controller=controller,
            processor=processor,
            processor_key=processor_key,
            recipient=recipient,
            recipient_key=recipient_key,
            agreement_reference=agreement,
            agreement_date=_date(agreement_date),
            delete_by=_date(delete_by),
            collected_since=_date(since) if since else None,
        )
        if out.exists():
            raise UsageError(f"{out} exists; choose another name")
        yamlio.write_atomic(out, manifest_yaml(m).encode(), mode=0o644)

    _run(go)
    console.print(f"draft written to {out}; review it, then `ariane manifest check`")


@manifest_app.command("check")
def manifest_check(
    manifest: Annotated[pathlib.Path, typer.Argument(help="manifest YAML")],
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="also check against this source")
    ] = None,
) -> None:
    """Validate a manifest against its profile and, with --source, the live source."""
    from ariane.connectors import source as src
    from ariane.manifest.load import load_manifest, manifest_digest
    from ariane.manifest.validate import verify_manifest
    from ariane.profiles.load import load_profile
    from ariane.scope.session import ScopeSession

    def go() -> str:
        m = load_manifest(manifest)
        p = load_profile(m.source.profile)
        verify_manifest(m, p)
        if source:
            with ScopeSession(src.parse_source(source), p, m):
                pass
        return manifest_digest(m)

    digest = _run(go)
    console.print(f"manifest is valid; digest {digest}")


@manifest_app.command("submit")
def manifest_submit(
    manifest: Annotated[pathlib.Path, typer.Argument(help="manifest YAML")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
) -> None:
    """Register a manifest (its author, an operator); it then waits for a controller's approval."""
    from ariane.engine import procedure

    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)
    digest = _run(lambda: procedure.submit(ws, manifest, me, _now()))
    console.print(f"submitted; digest {digest}")


@manifest_app.command("approve")
def manifest_approve(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
    password_env: PasswordEnvOpt = c.PASSWORD_ENV,
) -> None:
    """Approve a submitted manifest: a controller (never its author) signs its digest."""
    from ariane.engine import procedure

    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)
    pw = _run(lambda: c.secret(password_env, "your password (to sign)"))
    digest = _run(lambda: procedure.approve(ws, manifest_id, me, pw, _now()))
    console.print(f"approved digest {digest}")


# --- the procedure -----------------------------------------------------------------------------
@app.command("dry-run")
def dry_run(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    source: SourceOpt,
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
) -> None:
    """Count what the manifest would transfer and what it leaves out, and why. No values."""
    from ariane.engine import procedure

    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)
    report = _run(lambda: procedure.dry_run(ws, manifest_id, source, me, _now()))
    console.print(partition_table(f"Dry run of {manifest_id}", report["counts"]))
    console.print(categories_table(report["counts"]))


@app.command()
def extract(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    source: SourceOpt,
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
    passphrase_env: PassEnvOpt = PASS_ENV,
    out: Annotated[pathlib.Path | None, typer.Option(help="package folder")] = None,
) -> None:
    """Extract the approved scope, check it, transform it and seal it into a package."""
    from ariane.engine import procedure

    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)

    def go() -> Any:
        m = ws.manifest(manifest_id)
        pw = _passphrase(passphrase_env, m.processor.signing_key)
        with RichObserver() as obs:
            return procedure.extract(ws, manifest_id, source, me, pw, _now(), obs, out)

    result = _run(go)
    console.print(partition_table(f"Extracted {manifest_id}", result.counts))
    console.print(f"sealed package: {result.package}")


@package_app.command("verify")
def package_verify(
    package: Annotated[pathlib.Path, typer.Argument(help="package folder")],
    sender_key: Annotated[str, typer.Option(help="the sender's public key name (trusted)")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
) -> None:
    """Check a package's signature, manifest digest, and every part's size and hash."""
    from ariane.package.reader import verify_package

    ws = _run(lambda: _workspace(workspace))
    index = _run(lambda: verify_package(package, ws.keys.public(sender_key)))
    console.print(
        f"package {index.package_id} verified: manifest {index.manifest_id}, "
        + ", ".join(f"{k} {v.rows:,} rows" for k, v in index.entities.items())
    )


@app.command()
def load(
    package: Annotated[pathlib.Path, typer.Argument(help="package folder")],
    target: Annotated[str, typer.Option(help="sqlite:PATH, postgresql://… or fhir:DIR")],
    key: Annotated[str, typer.Option(help="the recipient's key name")],
    sender_key: Annotated[str, typer.Option(help="the sender's public key name (trusted)")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
    passphrase_env: PassEnvOpt = PASS_ENV,
) -> None:
    """Open a package with the recipient's key and load it into a target."""
    from ariane.connectors.targets import open_target
    from ariane.engine import procedure

    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)

    def go() -> dict[str, int]:
        pw = _passphrase(passphrase_env, key)
        with RichObserver() as obs:
            return procedure.load(
                ws,
                package,
                open_target(target),
                me,
                key,
                pw,
                ws.keys.public(sender_key),
                _now(),
                obs,
            )

    loaded = _run(go)
    console.print("loaded: " + ", ".join(f"{k} {v:,}" for k, v in loaded.items()))


@app.command()
def resume(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    source: Annotated[
        str | None, typer.Option(help="interrupted extraction: the same source as before")
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="interrupted load: the same target as before")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="interrupted load: the recipient's key name")
    ] = None,
    sender_key: Annotated[
        str | None, typer.Option(help="interrupted load: the sender's public key name (trusted)")
    ] = None,
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
    passphrase_env: PassEnvOpt = PASS_ENV,
) -> None:
    """Finish an extraction or a load that a crash, a kill or a full disk interrupted.

    What was sealed or committed and still verifies is kept; the rest is done again. The same
    checks run as for the first attempt (role, approval, source unchanged, package verified).
    """
    from ariane.connectors.targets import open_target
    from ariane.engine.delivery import interrupted_load
    from ariane.errors import UsageError

    ws = _run(lambda: _workspace(workspace))

    def step() -> tuple[str, Any]:
        st = ws.state(manifest_id)
        if st.get("extracting"):
            if source is None:
                raise UsageError(
                    f"the extraction of {manifest_id} was interrupted: give --source "
                    "(the source it was reading)"
                )
            return "extract", st["extracting"]
        progress = interrupted_load(ws, manifest_id)
        if progress is not None:
            missing = [
                name
                for name, value in (
                    ("--target", target),
                    ("--key", key),
                    ("--sender-key", sender_key),
                )
                if value is None
            ]
            if missing:
                raise UsageError(
                    f"the load of {manifest_id} into {progress['target']} was interrupted: "
                    f"give {', '.join(missing)}"
                )
            assert target is not None
            if open_target(target).describe() != progress["target"]:
                raise UsageError(
                    f"the interrupted load of {manifest_id} was into {progress['target']}, "
                    "not into --target"
                )
            return "load", progress
        raise UsageError(f"nothing to resume for {manifest_id}: it is {st['state']}")

    what, run = _run(step)
    if what == "extract":
        assert source is not None
        console.print(f"resuming the extraction of {manifest_id} into {run['package']}")
        extract(manifest_id, source, workspace, passphrase_env, None)
    else:
        assert target is not None and key is not None and sender_key is not None
        done = ", ".join(sorted(run["entities"])) or "nothing yet"
        console.print(f"resuming the load of {manifest_id} (already committed: {done})")
        load(pathlib.Path(run["package"]), target, key, sender_key, workspace, passphrase_env)


@app.command()
def reconcile(
    package: Annotated[pathlib.Path, typer.Argument(help="package folder")],
    target: Annotated[str, typer.Option(help="sqlite:PATH, postgresql://… or fhir:DIR")],
    sender_key: Annotated[str, typer.Option(help="the sender's public key name (trusted)")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
) -> None:
    """Read the target back and compare counts and field digests with the signed index."""
    from ariane.connectors.targets import open_target
    from ariane.engine import procedure

    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)
    report = _run(
        lambda: procedure.reconcile(
            ws, package, open_target(target), me, ws.keys.public(sender_key), _now()
        )
    )
    console.print(reconcile_table(target, report))


@app.command()
def purge(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
    destroy_key: Annotated[list[str] | None, typer.Option(help="also destroy this key")] = None,
    password_env: PasswordEnvOpt = c.PASSWORD_ENV,
) -> None:
    """A controller destroys the package and the migration's key material, signing a certificate."""
    from ariane.engine import procedure

    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)
    pw = _run(lambda: c.secret(password_env, "your password (to sign)"))
    cert = _run(lambda: procedure.purge(ws, manifest_id, me, pw, _now(), tuple(destroy_key or ())))
    console.print(
        f"purged {len(cert['files'])} files; certificate in "
        f"{ws.migration_dir(manifest_id) / 'certificate.json'}"
    )


@app.command()
def status(
    manifest_id: Annotated[str | None, typer.Argument(help="manifest id")] = None,
    workspace: WorkspaceOpt = pathlib.Path("ariane-ws"),
) -> None:
    """Alerts first, then the state of each manifest in the workspace."""
    ws = _run(lambda: _workspace(workspace))
    me = _me(ws)
    _run(
        lambda: require_role(
            ws, me, ("controller", "operator", "recipient", "auditor", "admin"), _now()
        )
    )
    recent = ws.audit.alerts(since=_now() - dt.timedelta(days=30))
    if recent:
        console.print(f"[bold red]{len(recent)} alert(s) in the last 30 days:[/bold red]")
        for e in recent[-20:]:
            console.print(
                f"  {e.at:%Y-%m-%d %H:%M} {e.alert} — {e.action} by {e.who} "
                f"({e.os_user}@{e.host}) {e.manifest or ''}"
            )
    root = ws.root / "migrations"
    ids = [manifest_id] if manifest_id else sorted(p.name for p in root.glob("*") if p.is_dir())
    for mid in ids:
        st = _run(lambda m=mid: ws.state(m))  # type: ignore[misc]
        console.print(f"{mid}\t{st['state']}\t{st['digest'][:16]}…")


@target_app.command("schema")
def target_schema(
    dialect: Annotated[str, typer.Option(help="sqlite or postgresql")] = "postgresql",
) -> None:
    """Print the canonical target schema (DDL)."""
    from ariane.connectors.sql_ddl import POSTGRESQL, SQLITE

    if dialect not in ("sqlite", "postgresql"):
        _fail(UsageError("dialect must be sqlite or postgresql"))
    sys.stdout.write((SQLITE if dialect == "sqlite" else POSTGRESQL).ddl() + "\n")


@app.command()
def demo(
    directory: Annotated[pathlib.Path, typer.Option("--dir", help="empty folder for the run")],
    patients: Annotated[
        int, typer.Option(min=10, help="size of the synthetic laboratory")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 20261129,
) -> None:
    """Run the whole governed procedure on a synthetic laboratory and tell what happened."""
    from ariane.demo.run import ADMIN, CONTROLLER, OPERATOR, RECIPIENT, run_demo

    with RichObserver() as obs:
        r = _run(lambda: run_demo(directory, patients, seed, observer=obs))
    g = r.generation
    console.rule("[bold]Ariane demo: a governed migration")
    console.print(
        f"Source: synthetic laboratory {directory / 'source' / 'lis.db'} — "
        f"{g.patients:,} patients, "
        f"{g.requests:,} requests, {g.results:,} results, {g.comments:,} comments"
    )
    console.print(
        f"Accounts: {ADMIN} (admin) created {OPERATOR} (operator), {CONTROLLER} (controller) "
        f"and {RECIPIENT} (recipient); each logged in with password and second factor"
    )
    console.print(
        f"Manifest {r.manifest_id}: drafted by {OPERATOR}, dry run reviewed and approved "
        f"(signed) by {CONTROLLER}; extracted by {OPERATOR}; loaded by {RECIPIENT}"
    )
    console.print(partition_table("Selected, excluded and why (dry run = extraction)", r.extracted))
    console.print(categories_table(r.extracted))
    console.print(f"Sealed package: {r.package} (age to the recipient, Ed25519-signed index)")
    for kind, rep in r.reconciled.items():
        console.print(reconcile_table(f"{kind} ({r.targets[kind]})", rep))
    console.print(
        f"Purge: {len(r.certificate['files'])} files destroyed, keys destroyed: "
        f"{', '.join(r.certificate['keys_destroyed'])}; certificate in "
        f"{directory / 'workspace' / 'migrations' / r.manifest_id / 'certificate.json'}"
    )
    a = r.audit
    console.print(
        f"Audit log: {a.events} events, {a.checkpoints} signed checkpoints "
        f"({', '.join(sorted(a.signers))}), chain verified; head {a.head_hash[:16]}…"
    )
    console.print(
        f"Processing agreement: drafted from the manifest, checked (no Art. 28 element "
        f"missing) and on record; procedure report: {directory / 'report.pdf'} "
        f"(and report.html)"
    )
    console.print("[bold green]Every step verified.[/bold green]")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
