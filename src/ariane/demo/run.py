"""`ariane demo`: the whole governed procedure on a synthetic laboratory, with embedded defaults.

Three named people act: an operator (processor staff) who drafts and extracts, a controller
(the laboratory's biologist) who approves, a recipient who loads. Passphrases are random and live
only in this process's memory.
"""

from __future__ import annotations

import datetime as dt
import getpass
import pathlib
import secrets
import socket
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ariane import yamlio
from ariane.accounts import totp
from ariane.compliance.draft import draft_annex
from ariane.connectors.targets import open_target
from ariane.engine import people, procedure
from ariane.engine.actor import Actor
from ariane.engine.agreement import register_agreement
from ariane.engine.progress import NullObserver, Observer
from ariane.engine.workspace import Workspace
from ariane.errors import UsageError
from ariane.manifest.draft import draft_manifest
from ariane.manifest.load import manifest_yaml
from ariane.manifest.schema import EntityScope, Transforms
from ariane.profiles.load import load_profile

ADMIN = "nadia.roux"
OPERATOR = "alice.martin"
CONTROLLER = "claire.dubois"
RECIPIENT = "romain.petit"
SENDER_KEY = "processor-labosoft"
RECIPIENT_KEY = "recipient-newlis"
PROFILE = "labosoft-sil4"


@dataclass
class DemoResult:
    directory: pathlib.Path
    manifest_id: str
    generation: Any
    dry_run: dict[str, Any]
    extracted: dict[str, Any]
    loaded: dict[str, dict[str, int]] = field(default_factory=dict)
    reconciled: dict[str, dict[str, Any]] = field(default_factory=dict)
    certificate: dict[str, Any] = field(default_factory=dict)
    package: pathlib.Path | None = None
    targets: dict[str, str] = field(default_factory=dict)
    manifest_path: pathlib.Path | None = None
    audit: Any = None


def demo_manifest_text(
    profile_name: str, manifest_id: str, recipient_key: str, today: dt.date
) -> str:
    """The demo's scope: requests of the last 3 years, identity without NIR, no genetic results,
    no free text, no contact details; patient and request numbers pseudonymised."""
    profile = load_profile(profile_name)
    since = today.replace(year=today.year - 3)
    base = draft_manifest(
        profile,
        manifest_id=manifest_id,
        author=OPERATOR,
        controller="Laboratoire de biologie médicale Rhône-Alpes (fictitious)",
        processor="Labosoft SAS (fictitious)",
        processor_key=SENDER_KEY,
        recipient="NewLIS SA (fictitious)",
        recipient_key=recipient_key,
        agreement_reference="DPA-2026-014",
        agreement_date=today - dt.timedelta(days=30),
        delete_by=today + dt.timedelta(days=90),
        collected_since=since,
    )
    entities = dict(base.entities)
    entities["patient"] = EntityScope(
        fields=["patient_id", "family_name", "birth_name", "given_name", "birth_date", "sex"]
    )
    entities["practitioner"] = EntityScope(
        fields=["practitioner_id", "family_name", "given_name", "rpps", "specialty"]
    )
    manifest = base.model_copy(
        update={
            "entities": entities,
            "exclude_categories": ["health.sensitive.genetic"],
            "transforms": Transforms(pseudonymise=["patient", "request"], generalise={}),
            "title": "Demo: 3 years of history to NewLIS, without NIR, genetics or free text",
        }
    )
    return manifest_yaml(manifest)


@dataclass(frozen=True)
class Person:
    actor: Actor
    password: str = field(repr=False)


def _people(ws: Workspace, place: Actor, now: Callable[[], dt.datetime]) -> dict[str, Person]:
    """An administrator creates one account per person; each logs in with password and TOTP."""
    admin_pass = secrets.token_urlsafe(24)
    created = people.bootstrap_admin(ws, ADMIN, "Nadia Roux", admin_pass, place, now())
    admin = _login(ws, ADMIN, admin_pass, created.totp_uri, place, now)
    out = {}
    for name, full_name, role in (
        (OPERATOR, "Alice Martin", "operator"),
        (CONTROLLER, "Claire Dubois", "controller"),
        (RECIPIENT, "Romain Petit", "recipient"),
    ):
        password = secrets.token_urlsafe(24)
        made = people.create_account(ws, admin, name, full_name, [role], password, now())
        out[role] = Person(_login(ws, name, password, made.totp_uri, place, now), password)
    return out


def _login(
    ws: Workspace,
    name: str,
    password: str,
    totp_uri: str | None,
    place: Actor,
    now: Callable[[], dt.datetime],
) -> Actor:
    code = None
    if totp_uri is not None:
        seed = urllib.parse.parse_qs(urllib.parse.urlparse(totp_uri).query)["secret"][0]
        code = totp.code_at(seed, now())
    login = people.login(ws, name, password, code, place, now())
    return people.session_actor(ws, login.token, place, now())


def run_demo(
    directory: pathlib.Path,
    patients: int,
    seed: int = 20261129,
    today: dt.date | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    observer: Observer | None = None,
    sql_target: str | None = None,
) -> DemoResult:
    from ariane.demo.generator import generate

    obs = observer or NullObserver()

    def now_utc() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    now = clock or now_utc
    today = today or now().date()
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(f"demo directory {directory} is not empty")
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "source" / "lis.db"
    source.parent.mkdir()
    obs.stage("generate", patients)
    generation = generate(
        source,
        patients,
        seed,
        today,
        progress=lambda stage, done, total: obs.note(f"{stage} {done}/{total}"),
    )

    ws = Workspace.open(directory / "workspace", create=True)
    obs.stage("accounts")
    place = Actor("-", getpass.getuser(), socket.gethostname())
    cast = _people(ws, place, now)
    operator, controller, recipient = cast["operator"], cast["controller"], cast["recipient"]
    sender_pass = secrets.token_urlsafe(24)
    recipient_pass = secrets.token_urlsafe(24)
    obs.stage("keys")
    ws.keys.create(SENDER_KEY, sender_pass)
    recipient_public = ws.keys.create(RECIPIENT_KEY, recipient_pass)

    mid = f"DEMO-{today.strftime('%Y%m%d')}"
    manifest_path = directory / "manifest.yaml"
    yamlio.write_atomic(
        manifest_path,
        demo_manifest_text(PROFILE, mid, recipient_public.age_recipient, today).encode(),
    )
    procedure.submit(ws, manifest_path, operator.actor, now())
    obs.stage("dry-run")
    dry = procedure.dry_run(ws, mid, str(source), controller.actor, now())
    # The signed processing agreement goes on record before approval (the gate of issue 6); the
    # demo's is the annex Ariane drafts from the manifest, which passes `dpa check`.
    annex = directory / "agreement-annex-fr.md"
    yamlio.write_atomic(annex, draft_annex(ws.manifest(mid), "fr").encode(), mode=0o644)
    register_agreement(ws, mid, annex, operator.actor, now())
    procedure.approve(ws, mid, controller.actor, controller.password, now())
    extracted = procedure.extract(ws, mid, str(source), operator.actor, sender_pass, now(), obs)
    sender = ws.keys.public(SENDER_KEY)

    targets = {
        "sql": sql_target or f"sqlite:{directory / 'target' / 'newlis.db'}",
        "fhir": f"fhir:{directory / 'target' / 'fhir'}",
    }
    (directory / "target").mkdir(exist_ok=True)
    result = DemoResult(
        directory,
        mid,
        generation,
        dry,
        extracted.counts,
        package=extracted.package,
        targets=targets,
        manifest_path=manifest_path,
    )
    for kind, spec in targets.items():
        result.loaded[kind] = procedure.load(
            ws,
            extracted.package,
            open_target(spec),
            recipient.actor,
            RECIPIENT_KEY,
            recipient_pass,
            sender,
            now(),
            obs,
        )
        result.reconciled[kind] = procedure.reconcile(
            ws, extracted.package, open_target(spec), recipient.actor, sender, now()
        )
    result.certificate = procedure.purge(
        ws, mid, controller.actor, controller.password, now(), (RECIPIENT_KEY,)
    )
    result.audit = ws.audit.verify(ws.trusted_keys())
    # The evidence a DPO or an inspector asks for: the procedure report, counts only.
    from ariane.compliance.report import render_html, render_pdf

    (directory / "report.html").write_text(render_html(ws, mid), "utf-8")
    (directory / "report.pdf").write_bytes(render_pdf(ws, mid))
    return result
