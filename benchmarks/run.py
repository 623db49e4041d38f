"""Ariane's benchmark: the governed pipeline beside a raw, ungoverned copy of the same data.

    .venv/bin/python benchmarks/run.py [--patients N] [--out DIR] [--pg URL] [--keep] [--profile]

Generates a synthetic LIS of N patients, copies its tables raw (DuckDB to Parquet, to SQLite, and
to PostgreSQL with --pg), then runs Ariane's procedure on the demo manifest: dry-run, extract and
seal, load, reconcile. Each stage runs alone in a child process (this file, with --stage), so
that its peak RSS, read with wait4() when it exits, is its own. A child's peak can be no lower
than this orchestrator's RSS when it spawned it (Linux carries the pre-exec high-water mark over
exec), so the orchestrator imports nothing heavy before the last stage has run.

Results: a table on stdout and <out>/results.json. Every data file lives under <out>/data, which
is deleted at the end (also on failure) unless --keep; with --pg, the tables the benchmark made
in that database are dropped too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PATIENTS = 10_000
DEFAULT_SEED = 20261129
MB = 1_000_000

LABELS: dict[str, str] = {
    "baseline": "baseline (imports only)",
    "generate": "generate synthetic LIS",
    "setup": "setup: people, keys, manifest, DPA",
    "unlock": "key unlock x2 (scrypt)",
    "raw-parquet": "raw SQLite→Parquet (DuckDB)",
    "raw-sqlite": "raw SQLite→SQLite (DuckDB)",
    "raw-sqlite-native": "raw SQLite→SQLite (sqlite3)",
    "raw-pg": "raw SQLite→PostgreSQL (DuckDB)",
    "dry-run": "Ariane dry-run",
    "approve": "Ariane approve (signing key)",
    "extract": "Ariane extract + seal",
    "load-sqlite": "Ariane load → SQLite",
    "reconcile-sqlite": "Ariane reconcile SQLite",
    "load-pg": "Ariane load → PostgreSQL",
    "reconcile-pg": "Ariane reconcile PostgreSQL",
}
# Stages whose work includes one scrypt unlock, and the state key holding its measured cost.
UNLOCK_IN: dict[str, str] = {
    "extract": "unlock_sender",
    "load-sqlite": "unlock_recipient",
    "load-pg": "unlock_recipient",
}


class StageFailed(Exception):
    pass


@dataclass
class Record:
    stage: str
    label: str
    seconds: float
    data_seconds: float  # seconds minus the scrypt unlock the stage includes
    cpu_seconds: float | None  # process CPU time (all threads) during the work
    data_cpu_seconds: float | None  # the same minus the unlock's CPU time
    rows: int
    bytes: int | None
    peak_rss_mb: float
    peak_rss_excl_unlock_mb: float | None  # the peak after the scrypt unlock (extract, load)
    process_seconds: float  # the child's whole life: start-up, imports, work
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds > 0 else None

    @property
    def data_rows_per_s(self) -> float | None:
        return self.rows / self.data_seconds if self.rows and self.data_seconds > 0 else None

    @property
    def mb_per_s(self) -> float | None:
        if self.bytes is None or self.data_seconds <= 0:
            return None
        return self.bytes / MB / self.data_seconds


# -- child side ------------------------------------------------------------------------------------


def child(stage: str, state_path: Path, profile_dir: Path | None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import stages

    state = json.loads(state_path.read_text())
    if profile_dir is None:
        result = stages.run_stage(stage, state)
    else:
        import cProfile
        import io
        import pstats

        stages.preload()
        prof = cProfile.Profile()
        result = prof.runcall(stages.run_stage, stage, state)
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(45)
        (profile_dir / f"profile-{stage}.txt").write_text(text.getvalue())
    out = state_path.parent / f"result-{stage}.json"
    out.write_text(json.dumps(asdict(result)))
    return 0


# -- parent side -----------------------------------------------------------------------------------


def own_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def spawn(
    stage: str,
    state: dict[str, Any],
    state_path: Path,
    profile: Path | None,
    label: str | None = None,
) -> Record:
    state_path.write_text(json.dumps(state))
    argv = [sys.executable, str(Path(__file__).resolve()), "--stage", stage]
    argv += ["--state", str(state_path)]
    if profile is not None:
        argv += ["--profile-dir", str(profile)]
    label = label or LABELS.get(stage, stage)
    print(f"  {label} ...", end="", flush=True, file=sys.stderr)
    started = time.perf_counter()
    pid = os.posix_spawn(sys.executable, argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    process_seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    result_path = state_path.parent / f"result-{stage}.json"
    if code != 0 or not result_path.exists():
        print(" failed", file=sys.stderr)
        raise StageFailed(f"stage {stage} failed (exit {code})")
    result = json.loads(result_path.read_text())
    result_path.unlink()
    state.update(result["state"])
    seconds = float(result["seconds"])
    detail = result["detail"]
    # The unlock timed inside the stage; the separately measured one if the stage did not say.
    unlock = float(detail.get("unlock_seconds", state.get(UNLOCK_IN.get(stage, ""), 0.0)))
    cpu = result.get("cpu_seconds")
    data_cpu = None if cpu is None else max(cpu - float(detail.get("unlock_cpu_seconds", 0.0)), 0)
    record = Record(
        stage=stage,
        label=label,
        seconds=seconds,
        data_seconds=max(seconds - unlock, 0.0),
        cpu_seconds=cpu,
        data_cpu_seconds=data_cpu,
        rows=int(result["rows"]),
        bytes=result["bytes"],
        peak_rss_mb=max(usage.ru_maxrss / 1024, detail.get("peak_rss_before_reset_mb", 0.0)),
        peak_rss_excl_unlock_mb=detail.get("peak_rss_after_unlock_mb"),
        process_seconds=process_seconds,
        detail=detail,
    )
    print(f" {seconds:.2f} s, peak RSS {record.peak_rss_mb:.0f} MB", file=sys.stderr)
    return record


def plan(pg: bool) -> list[str]:
    raw = ["raw-parquet", "raw-sqlite", "raw-sqlite-native", *(["raw-pg"] if pg else [])]
    ariane = ["dry-run", "approve", "extract", "load-sqlite", "reconcile-sqlite"]
    if pg:
        ariane += ["load-pg", "reconcile-pg"]
    return ["baseline", "generate", "setup", "unlock", *raw, *ariane]


def run_floor(state: dict[str, Any], state_path: Path, data: Path) -> list[Record]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import floor  # imports nothing heavy: the orchestrator's RSS stays low

    records = []
    workspace = state["workspace"]
    try:
        for variant in floor.VARIANTS:
            copy = data / "ws-floor"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(data / "ws-approved", copy, symlinks=True)
            state["workspace"] = str(copy)
            records.append(spawn(variant, state, state_path, None, floor.LABELS[variant]))
    finally:
        state["workspace"] = workspace
        shutil.rmtree(data / "ws-floor", ignore_errors=True)
    return records


def ratio(
    records: dict[str, Record], ours: Sequence[str], raw: Sequence[str]
) -> dict[str, Any] | None:
    if not all(s in records for s in (*ours, *raw)):
        return None
    ours_s = sum(records[s].seconds for s in ours)
    ours_data_s = sum(records[s].data_seconds for s in ours)
    raw_s = sum(records[s].seconds for s in raw)
    ours_cpu = sum(records[s].data_cpu_seconds or 0.0 for s in ours)
    raw_cpu = sum(records[s].cpu_seconds or 0.0 for s in raw)
    ours_rows = records[ours[0]].rows  # rows carried through the pipeline (the extract's)
    raw_rows = records[raw[0]].rows  # every source row
    per_row = None
    if ours_rows and raw_rows and raw_s > 0:
        per_row = (ours_data_s / ours_rows) / (raw_s / raw_rows)
    return {
        "ariane_stages": list(ours),
        "raw_stages": list(raw),
        "ariane_seconds": ours_s,
        "ariane_seconds_excl_unlock": ours_data_s,
        "raw_seconds": raw_s,
        "time_ratio": ours_s / raw_s if raw_s > 0 else None,
        "time_ratio_excl_unlock": ours_data_s / raw_s if raw_s > 0 else None,
        "ariane_cpu_seconds_excl_unlock": ours_cpu,
        "raw_cpu_seconds": raw_cpu,
        "cpu_ratio_excl_unlock": ours_cpu / raw_cpu if raw_cpu > 0 else None,
        "ariane_rows": ours_rows,
        "raw_rows": raw_rows,
        "per_row_cost_ratio_excl_unlock": per_row,
    }


def ratios(records: dict[str, Record]) -> dict[str, Any]:
    found = {
        "extract+seal / raw Parquet": ratio(records, ["extract"], ["raw-parquet"]),
        "extract+seal+load+reconcile SQLite / raw SQLite + Parquet": ratio(
            records,
            ["extract", "load-sqlite", "reconcile-sqlite"],
            ["raw-parquet", "raw-sqlite"],
        ),
        # The yardstick: the whole governed procedure against one raw bulk copy.
        "extract+seal+load+reconcile PostgreSQL / raw PostgreSQL": ratio(
            records, ["extract", "load-pg", "reconcile-pg"], ["raw-pg"]
        ),
    }
    for stage, record in records.items():
        if stage.startswith("floor-"):
            found[f"{record.label} / raw Parquet"] = ratio(records, [stage], ["raw-parquet"])
    return {k: v for k, v in found.items() if v is not None}


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def render(results: dict[str, Any], records: list[Record]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 140))
    if "source" in results:
        source = results["source"]
        console.print(
            f"\n[bold]Synthetic LIS[/bold]: {results['patients']:,} patients, "
            f"{sum(source['tables'].values()):,} rows, {source['bytes'] / MB:,.1f} MB SQLite; "
            + ", ".join(f"{k} {v:,}" for k, v in source["tables"].items())
        )
    if "scope" in results:
        console.print(
            "[bold]Scope[/bold] (transferred / source rows): "
            + ", ".join(
                f"{k} {v['transferred']:,}/{v['source_rows']:,}"
                for k, v in results["scope"].items()
            )
        )
    machine = results["machine"]
    load = machine.get("load_average_1m", {})
    title = (
        f"Stages ({machine['cpus']} CPUs; 1-min load average {load.get('start', 0):.1f} at start,"
        f" {load.get('end', 0):.1f} at end)"
    )
    table = Table(title=title, title_justify="left")
    for name, justify in [
        ("Stage", "left"),
        ("Rows", "right"),
        ("Seconds", "right"),
        ("Data s", "right"),
        ("CPU s", "right"),
        ("Rows/s", "right"),
        ("Data rows/s", "right"),
        ("MB out", "right"),
        ("MB/s", "right"),
        ("Peak RSS MB", "right"),
        ("Data RSS MB", "right"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in records:
        has_unlock = r.stage in UNLOCK_IN or r.stage.startswith("floor-")
        table.add_row(
            r.label,
            f"{r.rows:,}" if r.rows else "",
            "" if r.stage == "baseline" else fmt(r.seconds, 2),
            fmt(r.data_seconds, 2) if has_unlock else "",
            fmt(r.data_cpu_seconds, 2),
            fmt(r.rows_per_s, 0),
            fmt(r.data_rows_per_s, 0) if has_unlock else "",
            fmt(r.bytes / MB if r.bytes is not None else None),
            fmt(r.mb_per_s),
            fmt(r.peak_rss_mb, 0),
            fmt(r.peak_rss_excl_unlock_mb, 0),
        )
    console.print(table)
    if results["failed"]:
        console.print(f"[bold red]Stopped: {results['failed']}[/bold red] (traceback above)")
    baseline_mb = next((r.peak_rss_mb for r in records if r.stage == "baseline"), 0.0)
    console.print(
        "Data = without the scrypt key unlock inside the stage (timed there; RSS peak after it)."
        " CPU s = process CPU time, all threads, unlock excluded (less sensitive than wall time"
        " to other load on the machine). MB/s = MB out / data s. Peak RSS includes ~"
        f"{baseline_mb:.0f} MB of interpreter and imports (baseline)."
    )
    rt = Table(title="Ratios (Ariane time / raw copy time)", title_justify="left")
    for name in (
        "Ratio",
        "Ariane s",
        "Raw s",
        "Time ratio",
        "Data time ratio",
        "CPU ratio",
        "Per-row cost",
    ):
        rt.add_column(name, justify="left" if name == "Ratio" else "right")
    for name, r in results["ratios"].items():
        rt.add_row(
            name,
            fmt(r["ariane_seconds"], 2),
            fmt(r["raw_seconds"], 2),
            fmt(r["time_ratio"], 2),
            fmt(r["time_ratio_excl_unlock"], 2),
            fmt(r["cpu_ratio_excl_unlock"], 2),
            fmt(r["per_row_cost_ratio_excl_unlock"], 2),
        )
    if results["ratios"]:
        console.print(rt)
        console.print(
            "Data time ratio leaves the scrypt unlocks out; CPU ratio is the same on CPU time."
            " Per-row cost = (Ariane data s / rows"
            " transferred) / (raw s / source rows): the raw copies move every row and column,"
            " Ariane only the manifest's scope."
        )


def orchestrate(args: argparse.Namespace) -> int:
    os.umask(0o077)  # the data directory holds personal-looking data and passphrases
    out = Path(args.out).resolve()
    data = out / "data"
    if data.exists():
        print(
            f"{data} exists (a kept or interrupted run; it may hold plaintext copies): "
            "delete it or choose another --out",
            file=sys.stderr,
        )
        return 2
    out.mkdir(parents=True, exist_ok=True)
    data.mkdir(mode=0o700)
    profile = out if args.profile else None
    today = dt.date.today()
    state: dict[str, Any] = {
        "data": str(data),
        "patients": args.patients,
        "seed": args.seed,
        "today": today.isoformat(),
        "source": str(data / "source" / "lis.db"),
        "workspace": str(data / "workspace"),
        "raw_dir": str(data / "raw"),
        "sqlite_target": str(data / "target" / "newlis.db"),
        "pg": args.pg,
        "extract_batch_rows": args.extract_batch_rows,
    }
    (data / "raw").mkdir()
    (data / "target").mkdir()
    state_path = data / "state.json"
    records: list[Record] = []
    pg_checked = False
    orchestrator_rss = own_rss_mb()
    load_before = os.getloadavg()
    started = time.perf_counter()
    print(f"Ariane benchmark, {args.patients:,} patients, in {data}", file=sys.stderr)
    failure: str | None = None
    try:
        if args.pg:
            spawn("pg-check", state, state_path, None)
            pg_checked = True
        for stage in plan(bool(args.pg)):
            if stage == "extract" and args.floor:
                # The floor variants each extract from a copy of the approved workspace.
                shutil.copytree(state["workspace"], data / "ws-approved", symlinks=True)
            records.append(spawn(stage, state, state_path, profile))
        if args.floor:
            records += run_floor(state, state_path, data)
        orchestrator_rss = max(orchestrator_rss, own_rss_mb())
    except StageFailed as exc:
        failure = str(exc)
    finally:
        if pg_checked and not args.keep:
            try:
                spawn("pg-cleanup", state, state_path, None)
            except StageFailed:
                print("could not drop the benchmark's tables from --pg", file=sys.stderr)
        if args.keep:
            print(
                f"kept {data}: it holds plaintext copies of the synthetic data and the run's "
                "throw-away passphrases (state.json); delete it when done",
                file=sys.stderr,
            )
        else:
            shutil.rmtree(data, ignore_errors=True)
    results = collect(args, state, records, failure)
    results["total_seconds"] = time.perf_counter() - started
    results["orchestrator_rss_mb"] = orchestrator_rss
    # Other work on the machine skews every figure: say how busy it was.
    results["machine"]["load_average_1m"] = {"start": load_before[0], "end": os.getloadavg()[0]}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    render(results, records)
    print(f"results: {out / 'results.json'}", file=sys.stderr)
    if failure:
        print(f"benchmark failed: {failure}", file=sys.stderr)
        return 1
    return 0


def collect(
    args: argparse.Namespace, state: dict[str, Any], records: list[Record], failure: str | None
) -> dict[str, Any]:
    by_stage = {r.stage: r for r in records}
    results: dict[str, Any] = {
        "patients": args.patients,
        "seed": args.seed,
        "extract_batch_rows": args.extract_batch_rows,
        "today": state["today"],
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "failed": failure,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    }
    if "tables" in state:
        results["source"] = {"tables": state["tables"], "bytes": state["source_bytes"]}
    if "dry-run" in by_stage:
        dry = by_stage["dry-run"].detail
        results["scope"] = {
            k: {"source_rows": dry["source_rows"][k], "transferred": v}
            for k, v in dry["transferred"].items()
        }
    if "unlock_sender" in state:
        results["unlock_seconds"] = {
            "sender": state["unlock_sender"],
            "recipient": state["unlock_recipient"],
        }
    results["stages"] = [
        {
            **asdict(r),
            "rows_per_s": r.rows_per_s,
            "rows_per_s_excl_unlock": r.data_rows_per_s,
            "mb_per_s": r.mb_per_s,
        }
        for r in records
    ]
    results["ratios"] = ratios(by_stage)
    return results


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("--patients takes N or N,N,... (integers)") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("--patients must be at least 1")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--patients",
        type=parse_sizes,
        default=[DEFAULT_PATIENTS],
        help="N, or sizes N,N,... run one after the other with a growth table at the end",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", default="bench-run", help="results.json goes here (default bench-run)")
    p.add_argument(
        "--pg",
        metavar="URL",
        help="also copy and load into this PostgreSQL database; 'auto' starts a throw-away "
        "server on loopback (Debian's PostgreSQL, as the tests do) and removes it at the end",
    )
    p.add_argument("--keep", action="store_true", help="keep <out>/data (plaintext copies)")
    p.add_argument(
        "--profile", action="store_true", help="cProfile each stage into <out>/profile-*.txt"
    )
    p.add_argument(
        "--extract-batch-rows",
        type=int,
        metavar="N",
        help="batch_rows for procedure.extract (default: Ariane's own default)",
    )
    p.add_argument(
        "--floor",
        action="store_true",
        help="also run the extraction with its guarantees switched off one by one (floor.py), "
        "to show what each costs and how close to the raw copy the bare reading is",
    )
    p.add_argument("--stage", help=argparse.SUPPRESS)
    p.add_argument("--state", help=argparse.SUPPRESS)
    p.add_argument("--profile-dir", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run_sizes(args: argparse.Namespace) -> int:
    """One orchestrated run per size (in <out>/<N> when there are several), then growth."""
    sizes: list[int] = args.patients
    server = None
    if args.pg == "auto":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from pgserver import PgServer  # the tests' throw-away server

        server = PgServer()
        server.start()
    try:
        summaries = []
        for n in sizes:
            one = argparse.Namespace(**vars(args))
            one.patients = n
            one.out = str(Path(args.out) / str(n)) if len(sizes) > 1 else args.out
            if server is not None:
                one.pg = server.url(server.create_database())
            code = orchestrate(one)
            summaries.append(json.loads((Path(one.out) / "results.json").read_text()))
            if code:
                return code
    finally:
        if server is not None:
            server.stop()
    if len(sizes) > 1:
        growth = {"runs": [growth_row(r) for r in summaries]}
        (Path(args.out) / "growth.json").write_text(json.dumps(growth, indent=2) + "\n")
        render_growth(growth["runs"])
    return 0


GROWTH_STAGES = {
    "raw-parquet": "raw Parquet",
    "raw-pg": "raw PostgreSQL",
    "extract": "extract+seal",
    "load-pg": "load PostgreSQL",
    "reconcile-pg": "reconcile PostgreSQL",
    "load-sqlite": "load SQLite",
    "reconcile-sqlite": "reconcile SQLite",
}


def growth_row(results: dict[str, Any]) -> dict[str, Any]:
    stages = {s["stage"]: s for s in results["stages"]}
    source_rows = sum(results.get("source", {}).get("tables", {}).values())
    row: dict[str, Any] = {"patients": results["patients"], "source_rows": source_rows}
    for name in GROWTH_STAGES:
        if name in stages:
            row[name] = {
                "seconds": stages[name]["seconds"],
                "rows": stages[name]["rows"],
                "peak_rss_mb": stages[name]["peak_rss_mb"],
                "data_rss_mb": stages[name]["peak_rss_excl_unlock_mb"],
            }
    row["ratios"] = {k: v["time_ratio"] for k, v in results["ratios"].items()}
    return row


def render_growth(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 140))
    table = Table(
        title="Growth (seconds; µs per source row in brackets; peak RSS MB after unlock)",
        title_justify="left",
    )
    table.add_column("Patients", justify="right")
    table.add_column("Source rows", justify="right")
    shown = [name for name in GROWTH_STAGES if any(name in r for r in rows)]
    for name in shown:
        table.add_column(GROWTH_STAGES[name], justify="right")
    table.add_column("Extract / load-pg data RSS", justify="right")
    for r in rows:
        cells = [f"{r['patients']:,}", f"{r['source_rows']:,}"]
        for name in shown:
            st = r.get(name)
            cells.append(
                f"{st['seconds']:.2f} ({st['seconds'] / r['source_rows'] * 1e6:.2f})" if st else ""
            )
        rss = [r.get(s, {}).get("data_rss_mb") for s in ("extract", "load-pg")]
        cells.append(" / ".join(fmt(x, 0) for x in rss))
        table.add_row(*cells)
    console.print(table)
    ratios_table = Table(title="Ratios by size (time ratio)", title_justify="left")
    ratios_table.add_column("Ratio")
    for r in rows:
        ratios_table.add_column(f"{r['patients']:,}", justify="right")
    for name in rows[-1]["ratios"]:
        ratios_table.add_row(name, *(fmt(r["ratios"].get(name), 2) for r in rows))
    console.print(ratios_table)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.stage:
        profile_dir = Path(args.profile_dir) if args.profile_dir else None
        return child(args.stage, Path(args.state), profile_dir)
    return run_sizes(args)


if __name__ == "__main__":
    sys.exit(main())
