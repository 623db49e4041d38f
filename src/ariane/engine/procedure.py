"""The governed procedure: submit, approve, dry-run, extract+seal, load, reconcile, purge.

Each step is a library call taking the acting person and the time; it checks the state machine,
does its work, writes its report atomically, and journals what it did (ids, counts, digests).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ariane.connectors import source as source_mod
from ariane.connectors.targets import Target
from ariane.crypto.digest import canonical_digest, sha256_hex
from ariane.crypto.keys import PublicKeys
from ariane.crypto.seal import decrypt_bytes, encrypt_bytes
from ariane.crypto.secret import new_secret
from ariane.crypto.shred import destroy_file
from ariane.engine.progress import NullObserver, Observer
from ariane.engine.workspace import Workspace
from ariane.errors import IntegrityError, PolicyError, ReconcileError, UsageError
from ariane.manifest.load import load_manifest, manifest_digest, manifest_document, manifest_yaml
from ariane.manifest.schema import Manifest
from ariane.manifest.validate import verify_manifest
from ariane.model.entities import ENTITIES, ORDER
from ariane.package.purge import purge_package
from ariane.package.reader import open_package, verify_package
from ariane.package.writer import PackageWriter
from ariane.profiles.load import load_profile
from ariane.reconcile.digest import table_digests
from ariane.scope.dryrun import partition, partition_json
from ariane.scope.extract import new_digest_connection, stream_entity
from ariane.scope.session import ScopeSession
from ariane.transform.pseudonymise import build_maps

Clock = Callable[[], dt.datetime]


def submit(ws: Workspace, path: pathlib.Path, who: str, now: dt.datetime) -> str:
    """Register a drafted manifest; only its author may submit it. A change resets approvals."""
    manifest = load_manifest(path)
    verify_manifest(manifest, load_profile(manifest.source.profile))
    if who != manifest.author:
        raise PolicyError(f"manifest {manifest.id} was drafted by another person; they submit it")
    mdir = ws.migration_dir(manifest.id)
    digest = manifest_digest(manifest)
    if (mdir / "state.json").exists():
        st = ws.state(manifest.id)
        if st["state"] not in ("draft", "approved"):
            raise PolicyError(f"manifest {manifest.id} is {st['state']}; it can no longer change")
        if st["digest"] == digest:
            return digest
    mdir.mkdir(parents=True, exist_ok=True)
    from ariane import yamlio

    yamlio.write_atomic(mdir / "manifest.yaml", manifest_yaml(manifest).encode())
    ws.write_json(
        mdir / "state.json",
        {
            "state": "draft",
            "digest": digest,
            "approvals": [],
            "history": [{"to": "draft", "by": who, "at": now.isoformat()}],
        },
    )
    ws.journal(now, who, "manifest.submit", manifest=manifest.id, digest=digest)
    return digest


def approve(ws: Workspace, mid: str, who: str, now: dt.datetime) -> str:
    st = ws.require_state(mid, "approve")
    manifest = ws.manifest(mid)
    digest = manifest_digest(manifest)
    if digest != st["digest"]:
        raise PolicyError(f"manifest {mid} changed since it was submitted; submit it again")
    if who == manifest.author:
        ws.journal(now, who, "manifest.approve.refused", manifest=mid, reason="self-approval")
        raise PolicyError(f"{who} drafted manifest {mid} and cannot approve it")
    approval = {"by": who, "at": now.isoformat(), "digest": digest, "role": "controller"}
    st = {**st, "approvals": [*st["approvals"], approval], "approved_digest": digest}
    ws.set_state(mid, st, "approved", who, now)
    ws.journal(now, who, "manifest.approve", manifest=mid, digest=digest)
    return digest


def _approved_manifest(ws: Workspace, mid: str, st: dict[str, Any]) -> tuple[Manifest, str]:
    manifest = ws.manifest(mid)
    digest = manifest_digest(manifest)
    if digest != st.get("approved_digest"):
        raise PolicyError(
            f"manifest {mid} does not match its approved digest; it changed after approval"
        )
    if not st["approvals"] or any(a["by"] == manifest.author for a in st["approvals"]):
        raise PolicyError(f"manifest {mid} has no valid approval")
    return manifest, digest


def dry_run(ws: Workspace, mid: str, src: str, who: str, now: dt.datetime) -> dict[str, Any]:
    st = ws.require_state(mid, "dry-run")
    manifest = ws.manifest(mid)
    profile = load_profile(manifest.source.profile)
    with ScopeSession(source_mod.parse_source(src), profile, manifest) as session:
        counts = partition_json(partition(session))
        source_report = session.source_report
    report: dict[str, Any] = {
        "manifest": mid,
        "digest": manifest_digest(manifest),
        "at": now.isoformat(),
        "by": who,
        "counts": counts,
    }
    if source_report is not None:
        report["messages"] = source_report  # rejected messages, by reason and position
    ws.write_json(ws.migration_dir(mid) / "dry-run.json", report)
    ws.journal(
        now,
        who,
        "dry-run",
        manifest=mid,
        digest=report["digest"],
        transferred={k: v["transferred"] for k, v in counts.items()},
        state=st["state"],
    )
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


def _secret(ws: Workspace, mid: str, sender_keys: Any) -> bytes:
    path = ws.migration_dir(mid) / "secret.age"
    if path.exists():
        return decrypt_bytes(path.read_bytes(), sender_keys.identity_str, what="migration secret")
    secret = new_secret()
    from ariane import yamlio

    yamlio.write_atomic(path, encrypt_bytes(secret, sender_keys.public.age_recipient))
    return secret


def extract(
    ws: Workspace,
    mid: str,
    src: str,
    who: str,
    sender_passphrase: str,
    now: dt.datetime,
    observer: Observer | None = None,
    out: pathlib.Path | None = None,
    batch_rows: int = 100_000,
) -> ExtractResult:
    obs = observer or NullObserver()
    st = ws.require_state(mid, "extract")
    manifest, digest = _approved_manifest(ws, mid, st)
    dry = ws.read_json(ws.migration_dir(mid) / "dry-run.json", f"a dry run of {mid}")
    if dry["digest"] != digest:
        raise PolicyError(f"the last dry run of {mid} was of another version; run it again")
    if now.date() > manifest.delete_by:
        raise PolicyError(f"manifest {mid} expired on {manifest.delete_by}; nothing may leave")
    profile = load_profile(manifest.source.profile)
    sender = ws.keys.unlock(manifest.processor.signing_key, sender_passphrase)
    recipient = _recipient_keys(ws, manifest)
    secret = _secret(ws, mid, sender)
    package_id = f"{mid}-{now.strftime('%Y%m%dT%H%M%S')}"
    target = out or ws.packages_dir() / package_id
    digest_con = new_digest_connection()
    with ScopeSession(source_mod.parse_source(src), profile, manifest) as session:
        counts = partition_json(partition(session))
        maps = build_maps(session, secret)
        with PackageWriter(
            target,
            manifest=manifest_document(manifest),
            manifest_digest=digest,
            approvals=st["approvals"],
            recipient=recipient,
            sender=sender,
            created_at=now,
            package_id=package_id,
        ) as writer:
            for name in ORDER:
                ep = session.plan.entities[name]
                if not ep.selected:
                    continue
                obs.stage(f"extract {name}", counts[name]["transferred"])
                stream = stream_entity(session, name, maps.get(name, {}), digest_con, batch_rows)
                expected = counts[name]["transferred"]

                def tracked(s: Any = stream) -> Any:
                    for b in s.batches:
                        obs.advance(b.num_rows)
                        yield b

                def stats(s: Any = stream, n: str = name, want: int = expected) -> dict[str, Any]:
                    if s.digests.rows != want:
                        raise IntegrityError(
                            f"{n}: {s.digests.rows} rows extracted but {want} counted in scope"
                        )
                    return {
                        "partition": counts[n],
                        "key": ENTITIES[n].key,
                        "field_digests": s.digests.result(),
                    }

                writer.write_entity(name, stream.schema, tracked(), stats)
            writer.finish()
    digest_con.close()
    for name, c in counts.items():
        before = dry["counts"][name]["transferred"]
        if c["transferred"] > before:
            ws.journal(
                now,
                who,
                "alert.extract-exceeds-dry-run",
                manifest=mid,
                entity=name,
                dry_run=before,
                extracted=c["transferred"],
            )
    report = {
        "manifest": mid,
        "digest": digest,
        "package_id": package_id,
        "package": str(target),
        "at": now.isoformat(),
        "by": who,
        "counts": counts,
        "index_sha256": sha256_hex((target / "index.json").read_bytes()),
    }
    ws.write_json(ws.migration_dir(mid) / "extract.json", report)
    ws.set_state(mid, {**st, "package": str(target)}, "extracted", who, now)
    ws.journal(
        now,
        who,
        "extract",
        manifest=mid,
        digest=digest,
        package=package_id,
        transferred={k: v["transferred"] for k, v in counts.items()},
        index_sha256=report["index_sha256"],
    )
    return ExtractResult(target, package_id, counts)


def _check_package_governance(pkg: Any) -> None:
    """The package must carry an approval of its manifest by someone other than the author."""
    manifest = pkg.manifest
    digest = canonical_digest(manifest)
    approvals = [a for a in pkg.approvals if a.get("digest") == digest]
    if not approvals or any(a.get("by") == manifest.get("author") for a in approvals):
        raise PolicyError("the package's manifest carries no valid approval")


def load(
    ws: Workspace,
    package: pathlib.Path,
    target: Target,
    who: str,
    key_name: str,
    passphrase: str,
    sender: PublicKeys,
    now: dt.datetime,
    observer: Observer | None = None,
) -> dict[str, int]:
    obs = observer or NullObserver()
    keys = ws.keys.unlock(key_name, passphrase)
    pkg = open_package(package, keys, sender)
    _check_package_governance(pkg)
    mid = pkg.index.manifest_id
    st = ws.require_state(mid, "load")
    if st.get("package") and pathlib.Path(st["package"]).resolve() != package.resolve():
        raise UsageError(f"package {package} is not the one extracted for {mid}")
    target.prepare()
    loaded: dict[str, int] = {}
    for name in ORDER:
        if name not in pkg.index.entities:
            continue
        obs.stage(f"load {name}", pkg.index.entities[name].rows)

        def tracked(n: str = name) -> Any:
            for b in pkg.read(n):
                obs.advance(b.num_rows)
                yield b

        loaded[name] = target.load(name, pkg.schema(name), tracked())
    target.close()
    report = {
        "package_id": pkg.index.package_id,
        "target": target.describe(),
        "by": who,
        "at": now.isoformat(),
        "loaded": loaded,
    }
    ws.write_json(ws.migration_dir(mid) / "load.json", report)
    ws.set_state(mid, st, "loaded", who, now)
    ws.journal(now, who, "load", manifest=mid, package=pkg.index.package_id, loaded=loaded)
    return loaded


def reconcile(
    ws: Workspace,
    package: pathlib.Path,
    target: Target,
    who: str,
    sender: PublicKeys,
    now: dt.datetime,
) -> dict[str, Any]:
    """Read the target back and compare counts and field digests with the signed index."""
    index = verify_package(package, sender)
    mid = index.manifest_id
    st = ws.require_state(mid, "reconcile")
    con = new_digest_connection()
    results: dict[str, Any] = {}
    problems: list[str] = []
    for name, entry in index.entities.items():
        columns = [c.name for c in entry.columns]
        table = target.read_back(name, columns)
        rows, digests = table_digests(con, ENTITIES[name].key, table)
        expected = entry.stats["field_digests"]
        part = entry.stats["partition"]
        mismatched = sorted(f for f in columns if digests.get(f) != expected.get(f))
        balanced = part["transferred"] + sum(part["excluded"].values()) == part["source_rows"]
        surplus: list[str] = []
        non_null = getattr(target, "non_null_columns", None)
        if non_null is not None:
            surplus = sorted(set(non_null(name)) - set(columns))
        results[name] = {
            "expected_rows": entry.rows,
            "target_rows": rows,
            "fields_checked": len(columns),
            "fields_mismatched": mismatched,
            "surplus_columns": surplus,
            "partition_balanced": balanced,
            "source_rows": part["source_rows"],
            "excluded": part["excluded"],
        }
        if rows != entry.rows:
            problems.append(f"{name}: {rows} rows in the target, {entry.rows} sent")
        if mismatched:
            problems.append(
                f"{name}: content differs in {len(mismatched)} field(s): " + ", ".join(mismatched)
            )
        if surplus:
            problems.append(
                f"{name}: target columns filled beyond the package: " + ", ".join(surplus)
            )
        if not balanced:
            problems.append(f"{name}: transferred + excluded does not equal the source rows")
    con.close()
    report = {
        "package_id": index.package_id,
        "target": target.describe(),
        "by": who,
        "at": now.isoformat(),
        "ok": not problems,
        "problems": problems,
        "entities": results,
    }
    ws.write_json(ws.migration_dir(mid) / "reconcile.json", report)
    ws.journal(
        now,
        who,
        "reconcile",
        manifest=mid,
        package=index.package_id,
        ok=not problems,
        problems=len(problems),
    )
    if problems:
        raise ReconcileError("reconciliation failed: " + "; ".join(problems))
    ws.set_state(mid, st, "reconciled", who, now)
    return report


def purge(
    ws: Workspace, mid: str, who: str, now: dt.datetime, destroy_keys: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Destroy the package, the migration's secret and the named keys; write a certificate."""
    st = ws.require_state(mid, "purge")
    manifest = ws.manifest(mid)
    destroyed = []
    pkg = pathlib.Path(st["package"]) if st.get("package") else None
    if pkg is not None and pkg.exists():
        destroyed += purge_package(pkg)
    secret = ws.migration_dir(mid) / "secret.age"
    if secret.exists():
        destroyed.append(destroy_file(secret))
    for name in destroy_keys:
        destroyed += ws.keys.destroy(name)
    cert = {
        "certificate": "ariane.purge/1",
        "manifest": mid,
        "manifest_digest": st.get("approved_digest"),
        "purpose": manifest.purpose,
        "package": st.get("package"),
        "destroyed_by": who,
        "destroyed_at": now.isoformat(),
        "files": [{"path": str(d.path), "size": d.size, "sha256": d.sha256} for d in destroyed],
        "keys_destroyed": list(destroy_keys),
    }
    ws.write_json(ws.migration_dir(mid) / "certificate.json", cert)
    ws.set_state(mid, st, "purged", who, now)
    ws.journal(
        now,
        who,
        "purge",
        manifest=mid,
        files=len(destroyed),
        certificate_sha256=canonical_digest(cert),
    )
    return cert
