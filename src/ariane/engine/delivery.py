"""The recipient's side of the procedure: open a package, load it, reconcile the target.

Nothing reaches the target before the whole package verifies (signature, hashes, manifest digest)
and its manifest carries a valid controller approval by someone other than its author.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import pathlib
from collections.abc import Callable
from typing import Any

from ariane.audit import alerts
from ariane.connectors.targets import PartLoader, SqlInspection, Target
from ariane.crypto.digest import canonical_digest
from ariane.crypto.keys import PublicKeys
from ariane.engine.actor import Actor, audited, require_role
from ariane.engine.approvals import verify_approval
from ariane.engine.progress import NullObserver, Observer
from ariane.engine.workspace import Workspace
from ariane.errors import PolicyError, ReconcileError, TargetError, UsageError
from ariane.model.entities import ENTITIES, ORDER
from ariane.package.reader import OpenedPackage, open_package, verify_package
from ariane.reconcile.digest import ALGORITHM, FieldDigests

RECIPIENT = "recipient"


def _check_governance(pkg: OpenedPackage, now: dt.datetime, ev: Any) -> None:
    """The package's manifest: approved by another person, and not past its deletion date."""
    manifest = pkg.manifest
    digest = canonical_digest(manifest)
    approvals = [a for a in pkg.approvals if a.get("kind") == "manifest"]
    if not approvals:
        raise PolicyError("the package's manifest carries no approval")
    for approval in approvals:
        verify_approval(approval, None, "manifest", str(manifest["id"]), digest, manifest["author"])
    alert = alerts.deletion_date_alert(now, dt.date.fromisoformat(manifest["delete_by"]))
    if alert is not None:
        ev.alert = alert
        raise PolicyError(f"manifest {manifest['id']} expired on {manifest['delete_by']}")


def load(
    ws: Workspace,
    package: pathlib.Path,
    target: Target,
    actor: Actor,
    key_name: str,
    passphrase: str,
    sender: PublicKeys,
    now: dt.datetime,
    observer: Observer | None = None,
) -> dict[str, int]:
    obs = observer or NullObserver()
    with audited(ws, actor, "load", now) as ev:
        require_role(ws, actor, (RECIPIENT,), now)
        keys = ws.keys.unlock(key_name, passphrase)
        pkg = open_package(package, keys, sender)
        mid = pkg.index.manifest_id
        ev.manifest, ev.package = mid, pkg.index.package_id
        _check_governance(pkg, now, ev)
        st = ws.require_state(mid, "load")
        if st.get("package") and pathlib.Path(st["package"]).resolve() != package.resolve():
            raise UsageError(f"package {package} is not the one extracted for {mid}")
        target.prepare()
        progress_path = ws.migration_dir(mid) / "load-progress.json"
        progress = _progress(progress_path, pkg.index.package_id, target.describe())
        loaded: dict[str, int] = dict(progress["entities"])
        resumed: dict[str, Any] = {"resumed": sorted(loaded)} if loaded else {}
        resumed_parts: dict[str, int] = {}  # entity -> parts an interrupted load committed
        if loaded:
            ev.details = dict(resumed)
        else:
            # Written before the first row, so that `ariane resume` knows a load is under way.
            ws.write_json(progress_path, {**progress, "package": str(package.resolve())})
        run = pkg.index.package_id  # names the load's checkpoints in the target
        for name in ORDER:
            if name not in pkg.index.entities or name in loaded:
                continue
            obs.stage(f"load {name}", pkg.index.entities[name].rows)

            def tracked(n: str = name) -> Any:
                for b in pkg.read(n):
                    obs.advance(b.num_rows)
                    yield b

            bulk = target if isinstance(target, PartLoader) else None
            # Parts an interrupted load committed (SQL targets record them with the rows).
            start = bulk.parts_loaded(run, name) if bulk is not None else 0
            if start:
                resumed_parts[name] = start
                obs.advance(sum(p.rows for p in pkg.index.entities[name].parts[:start]))

            def tracked_parts(n: str = name, start: int = start) -> Any:
                for rows, data in pkg.plain_parts(n, start):
                    yield rows, data
                    obs.advance(rows)

            def go(n: str = name, bulk: PartLoader | None = bulk) -> int:
                # SQL targets read each decrypted part themselves: memory stays flat.
                items = tracked_parts(n) if bulk is not None else tracked(n)
                # The first item opens the first part to load, which gives the schema: no part
                # is decrypted twice.
                first = next(items, None)
                items = itertools.chain([] if first is None else [first], items)
                if bulk is not None:
                    return bulk.load_parts(n, pkg.schema(n), items, run)
                return target.load(n, pkg.schema(n), items)

            loaded[name] = _load_entity(target, name, pkg, go, bool(progress["entities"]))
            if not target.deferred_writes:
                # Each entity's load is one transaction (SQL) or one rename (FHIR files);
                # message targets write only at close, so nothing is recorded before.
                progress["entities"] = loaded
                ws.write_json(progress_path, {**progress, "package": str(package.resolve())})
        target.close()
        progress_path.unlink(missing_ok=True)
        report = {
            "package_id": pkg.index.package_id,
            "target": target.describe(),
            "by": actor.name,
            "at": now.isoformat(),
            "loaded": loaded,
        }
        ws.write_json(ws.migration_dir(mid) / "load.json", report)
        ws.set_state(mid, st, "loaded", actor.name, now)
        ev.details = {"target": target.describe(), "loaded": loaded, **resumed}
        if resumed_parts:
            ev.details["resumed_parts"] = resumed_parts
    ws.audit.checkpoint(now, actor.name, actor.os_user, actor.host, key_name, keys.signing_key)
    return loaded


def interrupted_load(ws: Workspace, mid: str) -> dict[str, Any] | None:
    """The progress of a load of `mid` that did not finish (package, target, entities done)."""
    path = ws.migration_dir(mid) / "load-progress.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _progress(path: pathlib.Path, package_id: str, target: str) -> dict[str, Any]:
    """What an interrupted load of this package into this target already committed."""
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        if data.get("package_id") == package_id and data.get("target") == target:
            return data
    return {"package_id": package_id, "target": target, "entities": {}}


def _load_entity(
    target: Target, name: str, pkg: OpenedPackage, go: Callable[[], int], resuming: bool
) -> int:
    """Load one entity; when resuming, a primary-key clash on an entity whose commit raced the
    crash means its rows are already there: reconciliation then proves it exactly."""
    expected = pkg.index.entities[name].rows
    try:
        return go()
    except TargetError as e:
        if (
            resuming
            and "primary key" in e.message
            and isinstance(target, SqlInspection)
            and target.count(name) >= expected
        ):
            return expected
        raise


def _compare(name: str, entry: Any, target: Target, con: Any) -> tuple[dict[str, Any], list[str]]:
    uncarried = target.uncarried.get(name, frozenset())
    sent = [c.name for c in entry.columns]
    columns = [c for c in sent if c not in uncarried]  # the key is always carried
    algorithm = entry.stats.get("digest_algorithm")
    if algorithm != ALGORITHM:
        raise ReconcileError(
            f"{name}: the package's digests were made with {algorithm or 'an older format'}; "
            f"this version of Ariane computes {ALGORITHM}"
        )
    acc = FieldDigests(con, ENTITIES[name].key, columns)
    inspection = target if isinstance(target, SqlInspection) else None
    if inspection is not None:
        # SQL targets digest where they are read, in one parallel scan: nothing crosses into
        # Python but the sums.
        acc.add(inspection.digest_rows(name, columns, acc.aggregate))
    else:
        for batch in target.read_back(name, columns).to_batches(200_000):
            acc.update(batch)
    rows, digests = acc.rows, acc.result()
    expected = entry.stats["field_digests"]
    mismatched = sorted(f for f in columns if digests.get(f) != expected.get(f))
    # The row digest (MD5) is the integrity check; it needs every field, so a target that
    # cannot carry some of them is checked on the field digests alone.
    row_checked = columns == sent
    row_ok = acc.row_digest() == entry.stats["row_digest"] if row_checked else None
    part = entry.stats["partition"]
    balanced = part["transferred"] + sum(part["excluded"].values()) == part["source_rows"]
    surplus = (
        sorted(set(inspection.non_null_columns(name)) - set(sent)) if inspection is not None else []
    )
    result = {
        "expected_rows": entry.rows,
        "target_rows": rows,
        "row_digest_matches": row_ok,
        "fields_checked": len(columns),
        "fields_mismatched": mismatched,
        "fields_not_carried": sorted(set(sent) & uncarried),
        "surplus_columns": surplus,
        "partition_balanced": balanced,
        "source_rows": part["source_rows"],
        "excluded": part["excluded"],
    }
    problems = []
    if rows != entry.rows:
        problems.append(f"{name}: {rows} rows in the target, {entry.rows} sent")
    if mismatched:
        problems.append(
            f"{name}: content differs in {len(mismatched)} field(s): " + ", ".join(mismatched)
        )
    if row_ok is False and not mismatched:
        problems.append(f"{name}: the row digest differs (no single field is named)")
    if surplus:
        problems.append(f"{name}: target columns filled beyond the package: " + ", ".join(surplus))
    if not balanced:
        problems.append(f"{name}: transferred + excluded does not equal the source rows")
    return result, problems


def reconcile(
    ws: Workspace,
    package: pathlib.Path,
    target: Target,
    actor: Actor,
    sender: PublicKeys,
    now: dt.datetime,
) -> dict[str, Any]:
    """Read the target back and compare counts and field digests with the signed index."""
    from ariane.scope.extract import new_digest_connection

    with audited(ws, actor, "reconcile", now) as ev:
        require_role(ws, actor, (RECIPIENT,), now)
        index = verify_package(package, sender)
        mid = index.manifest_id
        ev.manifest, ev.package = mid, index.package_id
        st = ws.require_state(mid, "reconcile")
        con = new_digest_connection()
        results: dict[str, Any] = {}
        problems: list[str] = []
        try:
            for name, entry in index.entities.items():
                results[name], found = _compare(name, entry, target, con)
                problems += found
        finally:
            con.close()
        report = {
            "package_id": index.package_id,
            "target": target.describe(),
            "by": actor.name,
            "at": now.isoformat(),
            "ok": not problems,
            "problems": problems,
            "entities": results,
        }
        ws.write_json(ws.migration_dir(mid) / "reconcile.json", report)
        ev.details = {"target": target.describe(), "problems": len(problems)}
        if problems:
            raise ReconcileError("reconciliation failed: " + "; ".join(problems))
        ws.set_state(mid, st, "reconciled", actor.name, now)
        return report
