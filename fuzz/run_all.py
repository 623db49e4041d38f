"""Run every fuzz harness for a bounded time; exit 1 if any of them found a crash or a hang.

    .venv/bin/python fuzz/run_all.py                    # 20 s per target, 2 at a time
    .venv/bin/python fuzz/run_all.py --seconds 300 hl7v2 fhir

Each harness runs in its own process under libFuzzer (atheris) with a per-input timeout, a
memory cap and the target's dictionary. It reads the committed seeds in fuzz/corpus/<target>/
but writes what it discovers to a temporary directory, so a run never dirties the repository.
Crashing inputs and logs go to fuzz/crashes/ (git-ignored); see fuzz/README.md to reproduce.

Without atheris (no wheel for this Python or platform), `--engine random` is used instead: the
same check functions over random byte edits of the same seeds, without coverage feedback.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRASHES = HERE / "crashes"
TARGETS = ("manifest", "profile", "filter", "package", "hl7v2", "hprim", "fhir")
MAX_LEN = {"manifest": 8192, "profile": 8192, "filter": 4200, "package": 8192}
DEFAULT_MAX_LEN = 16384
STARTUP_S = 90  # imports, instrumentation and the seed pass come on top of -max_total_time


@dataclass
class Outcome:
    target: str
    ok: bool
    seconds: float
    summary: str
    log: Path


def _env(work: str) -> dict[str, str]:
    return {**os.environ, "ARIANE_FUZZ_WORKDIR": work}


def _libfuzzer(target: str, seconds: int, per_input: int, log: Path) -> Outcome:
    with tempfile.TemporaryDirectory(prefix=f"ariane-fuzz-{target}-") as tmp:
        fresh = os.path.join(tmp, "found")
        os.mkdir(fresh)
        cmd = [
            sys.executable,
            str(HERE / f"fuzz_{target}.py"),
            f"-max_total_time={seconds}",
            f"-timeout={per_input}",
            f"-report_slow_units={per_input}",  # slow but within the limit: not a finding
            "-rss_limit_mb=2048",
            f"-max_len={MAX_LEN.get(target, DEFAULT_MAX_LEN)}",
            f"-dict={HERE / 'dict' / f'{target}.dict'}",
            f"-artifact_prefix={CRASHES / target}-",
            "-print_final_stats=1",
            fresh,  # first corpus directory: where libFuzzer writes new inputs
            str(HERE / "corpus" / target),
        ]
        start = time.monotonic()
        with log.open("wb") as out:
            try:
                proc = subprocess.run(
                    cmd, stdout=out, stderr=subprocess.STDOUT, timeout=seconds + STARTUP_S,
                    check=False, cwd=HERE.parent, env=_env(os.path.join(tmp, "work")),
                )  # fmt: skip
                ok, code = proc.returncode == 0, f"exit {proc.returncode}"
            except subprocess.TimeoutExpired:
                ok, code = False, "did not stop in time"
        elapsed = time.monotonic() - start
    text = log.read_text("utf-8", "replace")
    done = re.findall(r"#(\d+)\s+DONE\s+cov: (\d+).*?exec/s: (\d+)", text)
    stats = f"{done[-1][0]} runs, cov {done[-1][1]}, {done[-1][2]} exec/s" if done else code
    return Outcome(target, ok, elapsed, stats if ok else f"FAILED ({code})", log)


def _random(target: str, seconds: int, per_input: int, log: Path) -> Outcome:
    """The fallback engine, in a subprocess too: a crash must not take run_all down."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import ariane_fuzz as af; "
        "af.random_run(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])"
    )
    start = time.monotonic()
    with log.open("wb") as out, tempfile.TemporaryDirectory(prefix="ariane-fuzz-") as tmp:
        try:
            proc = subprocess.run(
                [sys.executable, "-c", code, str(HERE), target, str(seconds), str(per_input),
                 str(CRASHES)],
                stdout=out, stderr=subprocess.STDOUT, timeout=seconds + STARTUP_S, check=False,
                env=_env(tmp),
            )  # fmt: skip
            ok, status = proc.returncode == 0, f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            ok, status = False, "did not stop in time"
    elapsed = time.monotonic() - start
    last = log.read_text("utf-8", "replace").strip().splitlines()[-1:] or [status]
    return Outcome(target, ok, elapsed, last[0] if ok else f"FAILED ({status})", log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help=f"some of {', '.join(TARGETS)} (default all)")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", 20)))
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("FUZZ_JOBS", 2)))
    # Per input, instrumented: PyYAML spends ~1 s natively (10x under atheris) on 1000 nested
    # brackets before its recursion limit stops it; anything slower is reported as a hang.
    parser.add_argument("--timeout", type=int, default=30, help="seconds allowed per input")
    has_atheris = importlib.util.find_spec("atheris") is not None
    parser.add_argument(
        "--engine",
        choices=["libfuzzer", "random"],
        default="libfuzzer" if has_atheris else "random",
    )
    args = parser.parse_args()
    targets = args.targets or list(TARGETS)
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}")
    (CRASHES / "logs").mkdir(parents=True, exist_ok=True)
    run = _libfuzzer if args.engine == "libfuzzer" else _random
    if args.engine == "random" and not has_atheris:
        print("atheris is not installed: random mutation without coverage feedback", flush=True)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [
            pool.submit(run, t, args.seconds, args.timeout, CRASHES / "logs" / f"{t}.log")
            for t in targets
        ]
        outcomes = [f.result() for f in futures]
    for o in outcomes:
        print(f"{'ok  ' if o.ok else 'FAIL'} {o.target:9} {o.seconds:5.1f} s  {o.summary}")
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        tail = o.log.read_text("utf-8", "replace").splitlines()[-40:]
        print(f"\n--- {o.target}: last lines of {o.log} ---", *tail, sep="\n")
    kinds = ("crash", "timeout", "oom", "leak")
    found = sorted(p.name for p in CRASHES.glob("*-*") if p.name.split("-")[1] in kinds)
    if found:
        print("\ninputs saved under fuzz/crashes/:", *found, sep="\n  ")
    print(f"\n{len(outcomes) - len(failed)}/{len(outcomes)} targets clean in "
          f"{time.monotonic() - start:.0f} s")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
