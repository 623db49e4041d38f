"""The governed procedure on the processor's side: submit, approve, dry-run, extract+seal, purge.

Each step is a library call taking the acting person (an Actor, whose role is checked at that
moment) and the time; it checks the state machine, does its work, writes its report atomically,
and appends an audit event whether it succeeds or is refused. Transitions end with a checkpoint
of the audit log signed by the key the step unlocked. The recipient's steps are in delivery.py.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from dataclasses import dataclass
from typing import Any

from ariane import yamlio
from ariane.accounts.auth import unlock_signing_key
from ariane.audit import alerts
from ariane.compliance.gate import require_agreement
from ariane.connectors import source as source_mod
from ariane.crypto.digest import canonical_digest, sha256_hex
from ariane.crypto.keys import PublicKeys, UnlockedKeys
from ariane.crypto.seal import decrypt_bytes, encrypt_bytes
from ariane.crypto.secret import new_secret
from ariane.crypto.shred import destroy_file
from ariane.crypto.sign import SigningKey
from ariane.engine.actor import Actor, audited, require_role
from ariane.engine.approvals import sign_approval, verify_approval
from ariane.engine.delivery import load, reconcile
from ariane.engine.progress import NullObserver, Observer
from ariane.engine.review import decidable
from ariane.engine.workspace import Workspace
from ariane.errors import IntegrityError, PolicyError, StorageError, UsageError
from ariane.manifest.load import load_manifest, manifest_digest, manifest_document, manifest_yaml
from ariane.manifest.schema import Manifest
from ariane.manifest.validate import verify_manifest
from ariane.model.entities import ENTITIES, ORDER
from ariane.package.layout import partial_dir
from ariane.package.purge import purge_package
from ariane.package.writer import DEFAULT_PART_ROWS, PackageWriter
from ariane.profiles.load import load_profile
from ariane.scope.dryrun import entity_counts, partition, partition_entity, partition_json
from ariane.scope.extract import new_digest_connection, stream_entity
from ariane.scope.sealed import skip_sealed
from ariane.scope.session import ScopeSession
from ariane.transform.pseudonymise import build_maps, exact_maps

__all__ = ["ExtractResult", "approve", "dry_run", "extract", "load", "purge", "reconcile", "submit"]

OPERATOR, CONTROLLER = "operator", "controller"


def checkpoint(ws: Workspace, actor: Actor, now: dt.datetime, signer: str, key: SigningKey) -> None:
    ws.audit.checkpoint(now, actor.name, actor.os_user, actor.host, signer, key)


def submit(ws: Workspace, path: pathlib.Path, actor: Actor, now: dt.datetime) -> str:
    """Register a drafted manifest; only its author, an operator, may. A change resets approvals."""
    with audited(ws, actor, "manifest.submit", now) as ev:
        manifest = load_manifest(path)
        ev.manifest = manifest.id
        require_role(ws, actor, (OPERATOR,), now)
        verify_manifest(manifest, load_profile(manifest.source.profile))
        if actor.name != manifest.author:
            raise PolicyError(f"manifest {manifest.id} was drafted by another person")
        mdir = ws.migration_dir(manifest.id)
        digest = manifest_digest(manifest)
        ev.details = {"digest": digest}
        if (mdir / "state.json").exists():
            st = ws.state(manifest.id)
            if st["state"] not in ("draft", "approved", "rejected"):
                raise PolicyError(
                    f"manifest {manifest.id} is {st['state']}; it can no longer change"
                )
            if st["digest"] == digest and st["state"] != "rejected":
                return digest
        mdir.mkdir(parents=True, exist_ok=True)
        yamlio.write_atomic(mdir / "manifest.yaml", manifest_yaml(manifest).encode())
        history = [{"to": "draft", "by": actor.name, "at": now.isoformat()}]
        ws.write_json(
            mdir / "state.json",
            {"state": "draft", "digest": digest, "approvals": [], "history": history},
        )
        return digest


def approve(ws: Workspace, mid: str, actor: Actor, password: str, now: dt.datetime) -> str:
    """A controller signs the manifest's digest with their personal key (never its author)."""
    with audited(ws, actor, "manifest.approve", now, mid) as ev:
        st, manifest, digest = decidable(ws, mid, actor, now, ev, "approve", "approve it")
        key = unlock_signing_key(ws.accounts, actor.name, password, now)
        approval = sign_approval(key, "manifest", mid, digest, actor.name, now)
        verify_approval(approval, ws.accounts, "manifest", mid, digest, manifest.author)
        agreement = require_agreement(ws, mid, manifest.author, digest)  # raises: no agreement
        ev.details = {"digest": digest, "agreement": agreement}
        st = {**st, "approvals": [*st["approvals"], approval], "approved_digest": digest}
        ws.set_state(mid, st, "approved", actor.name, now)
    checkpoint(ws, actor, now, actor.name, key)
    return digest


def _approved_manifest(ws: Workspace, mid: str, st: dict[str, Any]) -> tuple[Manifest, str]:
    """The manifest as approved: same digest, and each approval verifies as of its signing."""
    manifest = ws.manifest(mid)
    digest = manifest_digest(manifest)
    if digest != st.get("approved_digest"):
        raise PolicyError(
            f"manifest {mid} does not match its approved digest; it changed after approval"
        )
    if not st["approvals"]:
        raise PolicyError(f"manifest {mid} has no approval")
    for approval in st["approvals"]:
        verify_approval(approval, ws.accounts, "manifest", mid, digest, manifest.author)
    return manifest, digest


def _check_not_expired(manifest: Manifest, now: dt.datetime, ev: Any) -> None:
    alert = alerts.deletion_date_alert(now, manifest.delete_by)
    if alert is not None:
        ev.alert = alert
        raise PolicyError(f"manifest {manifest.id} expired on {manifest.delete_by}")


def dry_run(ws: Workspace, mid: str, src: str, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    with audited(ws, actor, "dry-run", now, mid) as ev:
        require_role(ws, actor, (OPERATOR, CONTROLLER), now)
        st = ws.require_state(mid, "dry-run")
        manifest = ws.manifest(mid)
        _check_not_expired(manifest, now, ev)
        profile = load_profile(manifest.source.profile)
        with ScopeSession(
            source_mod.parse_source(src), profile, manifest, spill_root=ws.root
        ) as session:
            counts = partition_json(partition(session))
            source_report = session.source_report
        report: dict[str, Any] = {
            "manifest": mid,
            "digest": manifest_digest(manifest),
            "at": now.isoformat(),
            "by": actor.name,
            "counts": counts,
        }
        if source_report is not None:
            report["messages"] = source_report  # rejected messages, by reason and position
        ws.write_json(ws.migration_dir(mid) / "dry-run.json", report)
        ev.details = {
            "digest": report["digest"],
            "state": st["state"],
            "transferred": {k: v["transferred"] for k, v in counts.items()},
        }
        return report


@dataclass(frozen=True)
class ExtractResult:
    package: pathlib.Path
    package_id: str
    counts: dict[str, Any]


def _recipient_keys(ws: Workspace, manifest: Manifest) -> PublicKeys:
    """The recipient's published keys, found in the key store by the age key the manifest names."""
    for name in ws.keys.names():
        public = ws.keys.public(name)
        if public.age_recipient == manifest.recipient.key:
            return public
    raise UsageError(
        f"the recipient key of manifest {manifest.id} is not in the key store; "
        "import the recipient's public key first (ariane keys import)"
    )


def _secret(ws: Workspace, mid: str, sender: UnlockedKeys) -> bytes:
    """The migration's pseudonymisation secret, sealed to the processor's key on first use."""
    path = ws.migration_dir(mid) / "secret.age"
    if path.exists():
        return decrypt_bytes(path.read_bytes(), sender.identity_str, what="migration secret")
    secret = new_secret()
    yamlio.write_atomic(path, encrypt_bytes(secret, sender.public.age_recipient))
    return secret


def extract(
    ws: Workspace,
    mid: str,
    src: str,
    actor: Actor,
    sender_passphrase: str,
    now: dt.datetime,
    observer: Observer | None = None,
    out: pathlib.Path | None = None,
    batch_rows: int = 100_000,
    part_rows: int = DEFAULT_PART_ROWS,
) -> ExtractResult:
    with audited(ws, actor, "extract", now, mid) as ev:
        require_role(ws, actor, (OPERATOR,), now)
        st = ws.require_state(mid, "extract")
        manifest, digest = _approved_manifest(ws, mid, st)
        _check_not_expired(manifest, now, ev)
        dry = ws.read_json(ws.migration_dir(mid) / "dry-run.json", f"a dry run of {mid}")
        if dry["digest"] != digest:
            raise PolicyError(f"the last dry run of {mid} was of another version; run it again")
        sender = ws.keys.unlock(manifest.processor.signing_key, sender_passphrase)
        run = st.get("extracting")
        if run is None or run["digest"] != digest:
            # Recorded before any byte is written, so that a killed run can be resumed.
            package_id = f"{mid}-{now.strftime('%Y%m%dT%H%M%S')}"
            run = {
                "digest": digest,
                "package_id": package_id,
                "package": str(out or ws.packages_dir() / package_id),
                "created_at": now.isoformat(),
            }
            st = {**st, "extracting": run}
            ws.write_json(ws.migration_dir(mid) / "state.json", st)
        else:
            ev.details = {"resumed": True}
        package_id = run["package_id"]
        ev.package = package_id
        target = pathlib.Path(run["package"])
        created = dt.datetime.fromisoformat(run["created_at"])
        try:
            counts = _seal(
                ws,
                mid,
                src,
                manifest,
                digest,
                st,
                sender,
                target,
                package_id,
                created,
                observer or NullObserver(),
                batch_rows,
                part_rows,
                {n: c["transferred"] for n, c in dry["counts"].items()},
            )
        except OSError as e:
            # The writer has already destroyed its partial package: nothing half-written stays.
            raise StorageError(
                f"the package could not be written ({e.strerror or type(e).__name__}); "
                "nothing was published: fix the storage and run extract again"
            ) from None
        exceeded = {
            n: c["transferred"]
            for n, c in counts.items()
            if c["transferred"] > dry["counts"][n]["transferred"]
        }
        index_sha256 = sha256_hex((target / "index.json").read_bytes())
        report = {
            "manifest": mid,
            "digest": digest,
            "package_id": package_id,
            "package": str(target),
            "at": now.isoformat(),
            "by": actor.name,
            "counts": counts,
            "index_sha256": index_sha256,
        }
        ws.write_json(ws.migration_dir(mid) / "extract.json", report)
        done = {k: v for k, v in st.items() if k != "extracting"}
        ws.set_state(mid, {**done, "package": str(target)}, "extracted", actor.name, now)
        ev.details = {
            **(ev.details or {}),
            "digest": digest,
            "index_sha256": index_sha256,
            "transferred": {k: v["transferred"] for k, v in counts.items()},
        }
        if exceeded:
            # The source grew (or changed) since the dry run the controller saw: flag it.
            ev.alert = alerts.EXTRACT_EXCEEDS_DRY_RUN
            ev.details["exceeds_dry_run"] = exceeded
    checkpoint(ws, actor, now, sender.public.name, sender.signing_key)
    return ExtractResult(target, package_id, counts)


def _seal(
    ws: Workspace,
    mid: str,
    src: str,
    manifest: Manifest,
    digest: str,
    st: dict[str, Any],
    sender: UnlockedKeys,
    target: pathlib.Path,
    package_id: str,
    now: dt.datetime,
    obs: Observer,
    batch_rows: int,
    part_rows: int,
    planned: dict[str, int],
) -> dict[str, Any]:
    """Stream every selected entity through the checks and transforms into a sealed package."""
    profile = load_profile(manifest.source.profile)
    recipient = _recipient_keys(ws, manifest)
    secret = _secret(ws, mid, sender)
    digest_con = new_digest_connection()
    try:
        with ScopeSession(
            source_mod.parse_source(src), profile, manifest, spill_root=ws.root
        ) as session:
            maps = build_maps(session, secret)
            exact = exact_maps(session.plan)
            counts: dict[str, Any] = {}
            with PackageWriter(
                target,
                manifest=manifest_document(manifest),
                manifest_digest=digest,
                approvals=st["approvals"],
                recipient=recipient,
                sender=sender,
                created_at=now,
                package_id=package_id,
                part_rows=part_rows,
                resume=True,
            ) as writer:
                for name in ORDER:
                    if not session.plan.entities[name].selected or name in writer.completed:
                        counts[name] = partition_entity(session, name).to_json()
                        if name in writer.completed:
                            _check_unchanged(writer, name, counts[name])
                        continue
                    obs.stage(f"extract {name}", planned.get(name, 0))
                    stream = stream_entity(
                        session, name, maps.get(name, {}), digest_con, batch_rows, exact
                    )

                    def tracked(s: Any = stream) -> Any:
                        for b in s.batches:
                            obs.advance(b.num_rows)
                            yield b

                    def stats(s: Any = stream, n: str = name) -> Any:
                        # Counted in the very pass that produced the rows.
                        counts[n] = entity_counts(session, n, s.partition()).to_json()
                        if s.digests.rows != counts[n]["transferred"]:
                            raise IntegrityError(
                                f"{n}: {s.digests.rows} rows extracted but "
                                f"{counts[n]['transferred']} counted in scope"
                            )
                        return {
                            "partition": counts[n],
                            "key": ENTITIES[n].key,
                            **s.digests.stats(),
                        }

                    key = ENTITIES[name].key
                    sealed = writer.resumed_keys(name)
                    rows = tracked()
                    if sealed is not None:  # resuming after the last part sealed before
                        rows = skip_sealed(rows, key, sealed, name)
                    try:
                        writer.write_entity(name, stream.schema, rows, stats, key=key)
                    finally:
                        stream.close()
                writer.finish()
    finally:
        digest_con.close()
    return counts


def _check_unchanged(writer: PackageWriter, name: str, partition_now: Any) -> None:
    """A resumed entity was sealed by the interrupted run: the source must not have moved."""
    sealed = writer.entry(name).stats.get("partition")
    if sealed != partition_now:
        raise IntegrityError(
            f"{name}: the source changed since the interrupted extraction; "
            "its sealed parts are discarded: extract again"
        )


def purge(
    ws: Workspace,
    mid: str,
    actor: Actor,
    password: str,
    now: dt.datetime,
    destroy_keys: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A controller approves and performs the destruction of the package, the migration secret
    and the named keys; the certificate is signed with their personal key."""
    with audited(ws, actor, "purge", now, mid) as ev:
        require_role(ws, actor, (CONTROLLER,), now)
        st = ws.require_state(mid, "purge")
        manifest = ws.manifest(mid)
        key = unlock_signing_key(ws.accounts, actor.name, password, now)
        approval = sign_approval(key, "purge", mid, st.get("approved_digest", ""), actor.name, now)
        destroyed = []
        pkg = pathlib.Path(st["package"]) if st.get("package") else None
        if pkg is not None and pkg.exists():
            destroyed += purge_package(pkg)
        if st.get("extracting"):  # an interrupted extraction's sealed parts
            partial = partial_dir(pathlib.Path(st["extracting"]["package"]))
            if partial.exists():
                destroyed += purge_package(partial)
        secret = ws.migration_dir(mid) / "secret.age"
        if secret.exists():
            destroyed.append(destroy_file(secret))
        for name in destroy_keys:
            ws.retire_key(ws.keys.public(name))  # its signatures in the audit log stay checkable
            destroyed += ws.keys.destroy(name)
        body = {
            "certificate": "ariane.purge/1",
            "manifest": mid,
            "manifest_digest": st.get("approved_digest"),
            "purpose": manifest.purpose,
            "package": st.get("package"),
            "destroyed_by": actor.name,
            "destroyed_at": now.isoformat(),
            "files": [{"path": str(d.path), "size": d.size, "sha256": d.sha256} for d in destroyed],
            "keys_destroyed": list(destroy_keys),
            "approval": approval,
        }
        cert = {**body, "certificate_digest": canonical_digest(body)}
        ws.write_json(ws.migration_dir(mid) / "certificate.json", cert)
        ws.set_state(mid, st, "purged", actor.name, now)
        ev.details = {"files": len(destroyed), "certificate_digest": cert["certificate_digest"]}
    checkpoint(ws, actor, now, actor.name, key)
    return cert
