"""The benchmark's stages, each run alone in a child process of `run.py` (see its docstring).

A stage reads the run's state (paths, the benchmark's throw-away passphrases, the manifest id),
does one thing, and returns a `StageResult`: the seconds of the work itself (imports and process
start-up excluded), the rows it moved, the bytes of what it wrote, details for the report, and
any state the following stages need. Peak memory is measured by the parent, from outside.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pathlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

State = dict[str, Any]

RAW_PG_SCHEMA = "ariane_bench_raw"  # where the raw reference copy goes in a --pg database
PASS_LENGTH = 24


@dataclass
class StageResult:
    seconds: float
    cpu_seconds: float | None = None  # CPU time of the whole process (all threads) meanwhile
    rows: int = 0
    bytes: int | None = None  # size of what the stage wrote, when that is meaningful
    detail: dict[str, Any] = field(default_factory=dict)
    state: State = field(default_factory=dict)  # merged into the run's state by the parent


class Timer:
    """`with Timer() as t: ...` then `t.seconds` (wall) and `t.cpu` (process CPU, all threads)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0
        self._start = 0.0
        self._cpu_start = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        self._cpu_start = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        self.cpu = time.process_time() - self._cpu_start


class UnlockProbe:
    """Instrument `KeyStore.unlock` inside a stage: time each scrypt unlock, and reset the
    process's RSS high-water mark after it (scrypt takes ~500 MB for a moment, then frees it), so
    that the high-water mark read at the end of the stage is the data path's own peak. Nothing in
    Ariane's behaviour changes."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0
        self.calls = 0
        self.peak_before_reset_mb = 0.0

    def __enter__(self) -> UnlockProbe:
        from ariane.crypto.keys import KeyStore, UnlockedKeys

        self._original = original = KeyStore.unlock
        probe = self

        def unlock(store: KeyStore, name: str, passphrase: str) -> UnlockedKeys:
            with Timer() as t:
                keys = original(store, name, passphrase)
            probe.seconds += t.seconds
            probe.cpu += t.cpu
            probe.calls += 1
            # The reset also lowers what wait4() will report, so keep the peak so far.
            probe.peak_before_reset_mb = max(probe.peak_before_reset_mb, vm_hwm_mb())
            pathlib.Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
            return keys

        store_class: Any = KeyStore
        store_class.unlock = unlock
        return self

    def __exit__(self, *exc: object) -> None:
        from ariane.crypto.keys import KeyStore

        store_class: Any = KeyStore
        store_class.unlock = self._original

    def detail(self) -> dict[str, Any]:
        return {
            "unlock_calls": self.calls,
            "unlock_seconds": self.seconds,
            "unlock_cpu_seconds": self.cpu,
            "peak_rss_before_reset_mb": self.peak_before_reset_mb,
            "peak_rss_after_unlock_mb": vm_hwm_mb(),
        }


def vm_hwm_mb() -> float:
    """This process's peak RSS so far (since the last reset), in MiB."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def tree_bytes(path: pathlib.Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def source_tables(state: State) -> dict[str, int]:
    tables: dict[str, int] = state["tables"]
    return tables


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- set-up ---------------------------------------------------------------------------------------


def preload() -> None:
    """Import what the pipeline stages import (before profiling, so imports stay out of it)."""
    import duckdb  # noqa: F401
    import psycopg  # noqa: F401
    import pyarrow  # noqa: F401

    import ariane.connectors.targets
    import ariane.demo.run
    import ariane.engine.procedure  # noqa: F401


def baseline(state: State) -> StageResult:
    """Import and stop: the floor under the pipeline stages' peak RSS figures."""
    preload()
    return StageResult(seconds=0.0)


def generate(state: State) -> StageResult:
    from ariane.demo.generator import generate as gen

    source = pathlib.Path(state["source"])
    source.parent.mkdir(parents=True, exist_ok=True)
    today = dt.date.fromisoformat(state["today"])
    with Timer() as t:
        stats = gen(source, state["patients"], state["seed"], today)
    con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        names = [
            str(r[0])
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        tables = {
            n: int(con.execute(f"SELECT count(*) FROM {quote(n)}").fetchone()[0]) for n in names
        }
    finally:
        con.close()
    size = source.stat().st_size
    return StageResult(
        seconds=t.seconds,
        cpu_seconds=t.cpu,
        rows=sum(tables.values()),
        bytes=size,
        detail={"tables": tables, "generator_seconds": stats.seconds},
        state={"tables": tables, "source_bytes": size},
    )


def _place() -> Any:
    """Where the benchmark's people act from: this OS user on this host."""
    import getpass
    import socket

    from ariane.engine.actor import Actor

    return Actor("-", getpass.getuser(), socket.gethostname())


def _actor(state: State, role: str) -> Any:
    from ariane.engine.actor import Actor

    place = _place()
    return Actor(state["people"][role]["name"], place.os_user, place.host)


def setup(state: State) -> StageResult:
    """The demo's people (accounts, Argon2id), both parties' keys (scrypt), the demo manifest
    submitted by its author and its processing agreement on record, as `ariane demo` does it.
    Timed in parts; none of it is data work."""
    import secrets

    from ariane import yamlio
    from ariane.compliance.draft import draft_annex
    from ariane.demo import run as demo
    from ariane.engine import procedure
    from ariane.engine.agreement import register_agreement
    from ariane.engine.workspace import Workspace

    ws = Workspace.open(pathlib.Path(state["workspace"]), create=True)
    with Timer() as t_people:
        # The demo's own helper: an administrator, then one account per role, each logged in.
        cast = demo._people(ws, _place(), now)
    sender_pass = secrets.token_urlsafe(PASS_LENGTH)
    recipient_pass = secrets.token_urlsafe(PASS_LENGTH)
    with Timer() as t_sender:
        ws.keys.create(demo.SENDER_KEY, sender_pass)
    with Timer() as t_recipient:
        recipient = ws.keys.create(demo.RECIPIENT_KEY, recipient_pass)
    today = dt.date.fromisoformat(state["today"])
    mid = f"BENCH-{today.strftime('%Y%m%d')}"
    manifest = pathlib.Path(state["data"]) / "manifest.yaml"
    with Timer() as t_manifest:
        text = demo.demo_manifest_text(demo.PROFILE, mid, recipient.age_recipient, today)
        yamlio.write_atomic(manifest, text.encode())
        procedure.submit(ws, manifest, cast["operator"].actor, now())
        # The demo's agreement: the annex Ariane drafts from the manifest (passes `dpa check`).
        annex = pathlib.Path(state["data"]) / "agreement-annex-fr.md"
        yamlio.write_atomic(annex, draft_annex(ws.manifest(mid), "fr").encode())
        register_agreement(ws, mid, annex, cast["operator"].actor, now())
    people = {
        role: {"name": person.actor.name, "password": person.password}
        for role, person in cast.items()
    }
    return StageResult(
        seconds=t_people.seconds + t_sender.seconds + t_recipient.seconds + t_manifest.seconds,
        cpu_seconds=t_people.cpu + t_sender.cpu + t_recipient.cpu + t_manifest.cpu,
        detail={
            "people_seconds": t_people.seconds,
            "create_sender_key_seconds": t_sender.seconds,
            "create_recipient_key_seconds": t_recipient.seconds,
            "manifest_submit_and_agreement_seconds": t_manifest.seconds,
        },
        state={
            "mid": mid,
            "people": people,
            "sender_pass": sender_pass,
            "recipient_pass": recipient_pass,
        },
    )


def approve(state: State) -> StageResult:
    """The controller approves (opens their personal signing key with their password)."""
    from ariane.compliance.draft import draft_annex
    from ariane.engine import procedure
    from ariane.engine.agreement import register_agreement

    ws = _workspace(state)
    # The approval gate needs a processing agreement on record that passes `dpa check`.
    annex = ws.migration_dir(state["mid"]) / "agreement-annex.md"
    annex.write_text(draft_annex(ws.manifest(state["mid"]), "en"))
    register_agreement(ws, state["mid"], annex, _actor(state, "operator"), now())
    with Timer() as t:
        procedure.approve(
            ws,
            state["mid"],
            _actor(state, "controller"),
            state["people"]["controller"]["password"],
            now(),
        )
    return StageResult(seconds=t.seconds, cpu_seconds=t.cpu)


def unlock(state: State) -> StageResult:
    """One unlock of each key: the scrypt cost inside extract (sender) and load (recipient)."""
    from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
    from ariane.engine.workspace import Workspace

    ws = Workspace.open(pathlib.Path(state["workspace"]))
    with Timer() as t_sender:
        ws.keys.unlock(SENDER_KEY, state["sender_pass"])
    with Timer() as t_recipient:
        ws.keys.unlock(RECIPIENT_KEY, state["recipient_pass"])
    return StageResult(
        seconds=t_sender.seconds + t_recipient.seconds,
        cpu_seconds=t_sender.cpu + t_recipient.cpu,
        detail={"sender_seconds": t_sender.seconds, "recipient_seconds": t_recipient.seconds},
        state={"unlock_sender": t_sender.seconds, "unlock_recipient": t_recipient.seconds},
    )


# -- raw, ungoverned reference copies --------------------------------------------------------------


@contextlib.contextmanager
def duck_with_source(state: State) -> Iterator[Any]:
    """DuckDB configured as Ariane configures it (no spill, 1 GB), the source attached read-only."""
    from ariane.connectors import duck

    con = duck.connect()
    try:
        duck.load_sqlite(con)
        con.execute(f"ATTACH {literal(state['source'])} AS src (TYPE sqlite, READ_ONLY)")
        yield con
    finally:
        con.close()


def raw_parquet(state: State) -> StageResult:
    out = pathlib.Path(state["raw_dir"]) / "parquet"
    out.mkdir(parents=True)
    tables = source_tables(state)
    with duck_with_source(state) as con, Timer() as t:
        for name in tables:
            target = literal(str(out / f"{name}.parquet"))
            con.execute(
                f"COPY (SELECT * FROM src.{quote(name)}) TO {target} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
    return StageResult(
        seconds=t.seconds, cpu_seconds=t.cpu, rows=sum(tables.values()), bytes=tree_bytes(out)
    )


def raw_sqlite(state: State) -> StageResult:
    """SQLite to SQLite through DuckDB's scanner: the path Ariane's SQL target writes through."""
    out = pathlib.Path(state["raw_dir"]) / "raw-duckdb.db"
    tables = source_tables(state)
    with duck_with_source(state) as con, Timer() as t:
        con.execute(f"ATTACH {literal(str(out))} AS dst (TYPE sqlite)")
        for name in tables:
            con.execute(f"CREATE TABLE dst.{quote(name)} AS SELECT * FROM src.{quote(name)}")
        con.execute("DETACH dst")
    return StageResult(
        seconds=t.seconds, cpu_seconds=t.cpu, rows=sum(tables.values()), bytes=out.stat().st_size
    )


def raw_sqlite_native(state: State) -> StageResult:
    """SQLite to SQLite inside SQLite itself: the floor for writing this data into SQLite."""
    out = pathlib.Path(state["raw_dir"]) / "raw-native.db"
    tables = source_tables(state)
    with Timer() as t:
        con = sqlite3.connect(f"file:{out}", uri=True, isolation_level=None)
        try:
            con.execute("ATTACH DATABASE ? AS src", (f"file:{state['source']}?mode=ro",))
            for name in tables:
                con.execute(f"CREATE TABLE main.{quote(name)} AS SELECT * FROM src.{quote(name)}")
        finally:
            con.close()
    return StageResult(
        seconds=t.seconds, cpu_seconds=t.cpu, rows=sum(tables.values()), bytes=out.stat().st_size
    )


def _pg_conninfo(state: State) -> str:
    from ariane.connectors.sql_url import PostgresLocation, parse_url

    loc = parse_url(state["pg"])
    if not isinstance(loc, PostgresLocation):
        raise SystemExit("--pg must be a postgresql:// URL")
    return loc.conninfo


def _pg_relation_bytes(state: State, schema: str, tables: list[str]) -> int:
    import psycopg

    with psycopg.connect(_pg_conninfo(state)) as pg:
        total = 0
        for name in tables:
            relation = "(quote_ident(%s) || '.' || quote_ident(%s))::regclass"
            row = pg.execute(
                f"SELECT pg_total_relation_size({relation})", (schema, name)
            ).fetchone()
            total += int(row[0]) if row else 0
        return total


def pg_check(state: State) -> StageResult:
    """Refuse a database that already holds the canonical tables or the raw copy's schema."""
    import psycopg

    from ariane.model.entities import ORDER

    with psycopg.connect(_pg_conninfo(state)) as pg:
        found = [
            str(r[0])
            for r in pg.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name = ANY(%s)",
                (list(ORDER),),
            )
        ]
        schema = pg.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (RAW_PG_SCHEMA,)
        ).fetchone()
    if found or schema:
        what = ", ".join([*(f"public.{n}" for n in found), *([RAW_PG_SCHEMA] if schema else [])])
        raise SystemExit(
            f"the --pg database already holds {what}: give the benchmark a scratch database "
            "(it creates these tables and drops them at the end)"
        )
    return StageResult(seconds=0.0)


def raw_pg(state: State) -> StageResult:
    from ariane.connectors import duck

    tables = source_tables(state)
    with duck_with_source(state) as con:
        duck.load_postgres(con)
        con.execute(f"ATTACH {literal(_pg_conninfo(state))} AS pg (TYPE postgres)")
        with Timer() as t:
            con.execute(f"CREATE SCHEMA pg.{quote(RAW_PG_SCHEMA)}")
            for name in tables:
                con.execute(
                    f"CREATE TABLE pg.{quote(RAW_PG_SCHEMA)}.{quote(name)} AS "
                    f"SELECT * FROM src.{quote(name)}"
                )
        con.execute("DETACH pg")
    size = _pg_relation_bytes(state, RAW_PG_SCHEMA, list(tables))
    return StageResult(seconds=t.seconds, cpu_seconds=t.cpu, rows=sum(tables.values()), bytes=size)


def pg_cleanup(state: State) -> StageResult:
    """Drop what the benchmark created in the --pg database (checked absent by pg_check)."""
    import psycopg
    from psycopg import sql

    from ariane.model.entities import ORDER

    with psycopg.connect(_pg_conninfo(state)) as pg:
        drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
        pg.execute(drop.format(sql.Identifier(RAW_PG_SCHEMA)))
        for name in reversed(ORDER):
            pg.execute(
                sql.SQL("DROP TABLE IF EXISTS {}.{} CASCADE").format(
                    sql.Identifier("public"), sql.Identifier(name)
                )
            )
    return StageResult(seconds=0.0)


# -- the governed pipeline -------------------------------------------------------------------------


def _workspace(state: State) -> Any:
    from ariane.engine.workspace import Workspace

    return Workspace.open(pathlib.Path(state["workspace"]))


def dry_run(state: State) -> StageResult:
    from ariane.engine import procedure

    ws = _workspace(state)
    with Timer() as t:
        report = procedure.dry_run(
            ws, state["mid"], state["source"], _actor(state, "operator"), now()
        )
    counts = report["counts"]
    return StageResult(
        seconds=t.seconds,
        cpu_seconds=t.cpu,
        rows=sum(c["source_rows"] for c in counts.values()),
        detail={
            "source_rows": {k: c["source_rows"] for k, c in counts.items()},
            "transferred": {k: c["transferred"] for k, c in counts.items()},
        },
    )


def extract(state: State) -> StageResult:
    from ariane.engine import procedure

    ws = _workspace(state)
    options: dict[str, Any] = {}
    if state.get("extract_batch_rows"):
        options["batch_rows"] = state["extract_batch_rows"]
    with UnlockProbe() as probe, Timer() as t:
        res = procedure.extract(
            ws,
            state["mid"],
            state["source"],
            _actor(state, "operator"),
            state["sender_pass"],
            now(),
            **options,
        )
    transferred = {k: int(c["transferred"]) for k, c in res.counts.items()}
    return StageResult(
        seconds=t.seconds,
        cpu_seconds=t.cpu,
        rows=sum(transferred.values()),
        bytes=tree_bytes(res.package),
        detail={"transferred": transferred, **probe.detail()},
        state={"package": str(res.package)},
    )


def extract_floor(state: State, variant: str) -> StageResult:
    """The extraction with some guarantees switched off (floor.py): measurement only."""
    import floor

    with floor.switched_off(floor.VARIANTS[variant]):
        return extract(state)


def _target_spec(state: State, kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:{state['sqlite_target']}"
    url: str = state["pg"]
    return url


def _load(state: State, kind: str) -> StageResult:
    from ariane.connectors.targets import open_target
    from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
    from ariane.engine import procedure
    from ariane.model.entities import ORDER

    ws = _workspace(state)
    sender = ws.keys.public(SENDER_KEY)
    package = pathlib.Path(state["package"])
    target = open_target(_target_spec(state, kind))
    with UnlockProbe() as probe, Timer() as t:
        loaded = procedure.load(
            ws,
            package,
            target,
            _actor(state, "recipient"),
            RECIPIENT_KEY,
            state["recipient_pass"],
            sender,
            now(),
        )
    detail: dict[str, Any] = {"loaded": loaded, **probe.detail()}
    if kind == "sqlite":
        size = pathlib.Path(state["sqlite_target"]).stat().st_size
    else:
        size = _pg_relation_bytes(state, "public", list(ORDER))
    return StageResult(
        seconds=t.seconds, cpu_seconds=t.cpu, rows=sum(loaded.values()), bytes=size, detail=detail
    )


def _reconcile(state: State, kind: str) -> StageResult:
    from ariane.connectors.targets import open_target
    from ariane.demo.run import SENDER_KEY
    from ariane.engine import procedure

    ws = _workspace(state)
    sender = ws.keys.public(SENDER_KEY)
    package = pathlib.Path(state["package"])
    target = open_target(_target_spec(state, kind))
    with Timer() as t:
        report = procedure.reconcile(ws, package, target, _actor(state, "recipient"), sender, now())
    entities = report["entities"]
    return StageResult(
        seconds=t.seconds,
        cpu_seconds=t.cpu,
        rows=sum(int(e["target_rows"]) for e in entities.values()),
        detail={
            "ok": report["ok"],
            "fields_checked": sum(int(e["fields_checked"]) for e in entities.values()),
        },
    )


def load_sqlite(state: State) -> StageResult:
    return _load(state, "sqlite")


def reconcile_sqlite(state: State) -> StageResult:
    return _reconcile(state, "sqlite")


def load_pg(state: State) -> StageResult:
    return _load(state, "pg")


def reconcile_pg(state: State) -> StageResult:
    return _reconcile(state, "pg")


STAGES: dict[str, Callable[[State], StageResult]] = {
    "baseline": baseline,
    "generate": generate,
    "setup": setup,
    "unlock": unlock,
    "raw-parquet": raw_parquet,
    "raw-sqlite": raw_sqlite,
    "raw-sqlite-native": raw_sqlite_native,
    "pg-check": pg_check,
    "raw-pg": raw_pg,
    "dry-run": dry_run,
    "approve": approve,
    "extract": extract,
    "load-sqlite": load_sqlite,
    "reconcile-sqlite": reconcile_sqlite,
    "load-pg": load_pg,
    "reconcile-pg": reconcile_pg,
    "pg-cleanup": pg_cleanup,
}


def run_stage(name: str, state: State) -> StageResult:
    os.umask(0o077)  # everything the benchmark writes holds (synthetic) personal data
    if name.startswith("floor-"):
        return extract_floor(state, name)
    return STAGES[name](state)
