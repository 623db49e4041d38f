"""The properties every fuzz target checks, shared by the atheris harnesses and tests/fuzz.

Each `check_<target>(data)` feeds one input to one of Ariane's parsers and returns quietly when
the parser either accepted the input whole or refused it with an `ArianeError`. Anything else
escapes: a foreign exception is a crash, a `Violation` is a broken promise (partial output, a
half-validated object, a tampered package opened). Hangs are bounded by the caller: libFuzzer's
`-timeout` in the harnesses, `time_limit` in the tests.

Only synthetic data is used; the package under test is built once per process, in a temporary
directory, with throw-away keys.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import pyarrow as pa

# Every Ariane module under test is imported here, at the top: the harnesses import this module
# inside atheris.instrument_imports(), and only modules imported there get coverage feedback.
from ariane.connectors.fhir_read import read_fhir
from ariane.connectors.hl7v2_read import read_hl7v2
from ariane.connectors.hprim_read import read_hprim
from ariane.connectors.messages import CanonicalBatch, Rejection
from ariane.crypto.digest import canonical_digest, sha256_hex
from ariane.crypto.keys import UnlockedKeys, generate_keys
from ariane.crypto.seal import encrypt_bytes
from ariane.crypto.sign import signature_from_text, signature_to_text
from ariane.errors import ArianeError
from ariane.manifest.load import manifest_digest, manifest_yaml, parse_manifest
from ariane.manifest.schema import Manifest
from ariane.manifest.validate import verify_manifest
from ariane.model.entities import ENTITIES, ORDER
from ariane.package.reader import open_package, verify_package
from ariane.package.writer import PackageWriter
from ariane.profiles.compile import mapped_fields
from ariane.profiles.load import (
    builtin_names,
    check_against_model,
    load_profile,
    profile_digest,
)
from ariane.profiles.schema import Profile
from ariane.scope.filters import parse_filter

T = TypeVar("T")

CORPUS: Final = Path(__file__).resolve().parent / "corpus"

# Inputs beyond this are cut: the properties are about structure, not volume, and a bounded
# input keeps every execution well under the per-input time limit.
MAX_INPUT: Final = 64 * 1024
ENTITY_NAMES: Final = tuple(sorted(ENTITIES))


class Violation(AssertionError):
    """A property broke without a crash: partial output, half validation, tampering accepted."""


class Hang(Exception):
    """One input ran longer than its time limit."""


# --- infrastructure ---------------------------------------------------------------------------

_WORK: Path | None = None


def workdir() -> Path:
    """A private scratch directory for this process, removed at exit.

    libFuzzer ends the process without running atexit hooks: run_all passes a directory it
    removes itself in ARIANE_FUZZ_WORKDIR.
    """
    global _WORK
    if _WORK is None:
        given = os.environ.get("ARIANE_FUZZ_WORKDIR")
        if given:
            _WORK = Path(given)
            _WORK.mkdir(parents=True, exist_ok=True)
        else:
            _WORK = Path(tempfile.mkdtemp(prefix="ariane-fuzz-"))
            atexit.register(shutil.rmtree, _WORK, True)
    return _WORK


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Hang in the main thread after `seconds` (a no-op elsewhere: signals need it).

    Not for atheris: libFuzzer owns SIGALRM there and enforces `-timeout` itself.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expired(signum: int, frame: object) -> None:
        raise Hang(f"input took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refused(call: Callable[[], T]) -> T | None:
    """`call()`, or None when it raised one of Ariane's own errors; anything else escapes."""
    try:
        return call()
    except ArianeError as exc:
        if not isinstance(exc.message, str) or not exc.message:
            raise Violation(f"{type(exc).__name__} without a message") from exc
        return None


def seeds(target: str) -> list[bytes]:
    """The committed seed corpus of one target, in a stable order."""
    return [p.read_bytes() for p in sorted((CORPUS / target).iterdir()) if p.is_file()]


def text_of(data: bytes) -> str:
    return data[:MAX_INPUT].decode("utf-8", "replace")


# --- manifest and profile loaders -------------------------------------------------------------


def check_manifest(data: bytes) -> None:
    """parse_manifest: a Manifest that is whole (re-validates, round-trips) or an ArianeError."""
    text = text_of(data)
    manifest = refused(lambda: parse_manifest(text, "fuzzed manifest"))
    if manifest is not None:
        check_manifest_whole(manifest)


def check_manifest_whole(manifest: Manifest) -> None:
    if not isinstance(manifest, Manifest):
        raise Violation("parse_manifest returned something other than a Manifest")
    again = Manifest.model_validate(manifest.model_dump())
    if again != manifest:
        raise Violation("a loaded manifest does not re-validate to itself")
    # What is approved is the digest of the YAML form: it must read back to the same digest.
    digest = manifest_digest(manifest)
    if manifest_digest(parse_manifest(manifest_yaml(manifest))) != digest:
        raise Violation("a loaded manifest does not survive its own YAML form")
    # The next step on the way to approval: checked against the profile it pins.
    if manifest.source.profile in _builtin_profiles():
        refused(lambda: verify_manifest(manifest, _builtin_profiles()[manifest.source.profile]))


_PROFILES: dict[str, Profile] = {}


def _builtin_profiles() -> dict[str, Profile]:
    if not _PROFILES:
        _PROFILES.update({name: load_profile(name) for name in builtin_names()})
    return _PROFILES


def check_profile(data: bytes) -> None:
    """load_profile (from a file): a Profile consistent with the model, or an ArianeError."""
    path = workdir() / "fuzzed-profile.yaml"
    path.write_bytes(data[:MAX_INPUT])  # raw bytes: load_profile decodes (and refuses) itself
    profile = refused(lambda: load_profile(str(path)))
    if profile is not None:
        check_profile_whole(profile)


def check_profile_whole(profile: Profile) -> None:
    if not isinstance(profile, Profile):
        raise Violation("load_profile returned something other than a Profile")
    check_against_model(profile)  # raises if the loader let an unchecked mapping through
    for name in profile.entities:
        mapped_fields(profile, name)
    dumped = profile.model_dump(by_alias=True)
    if Profile.model_validate(dumped) != profile:
        raise Violation("a loaded profile does not re-validate to itself")
    profile_digest(profile)


# --- filter compiler --------------------------------------------------------------------------

_DUCK: Any = None


_SAMPLE: Final[dict[str, object]] = {
    "string": "x",
    "float": 0.5,
    "date": dt.date(2000, 1, 1),
    "timestamp": dt.datetime(2000, 1, 1, 12),
}


def _duck() -> Any:
    """One in-memory DuckDB with a table per canonical entity, to run rendered filters on.

    Two rows, one of values and one of NULLs: over an empty table DuckDB never evaluates a
    literal's cast, and a date it cannot read would pass unnoticed.
    """
    global _DUCK
    if _DUCK is None:
        import duckdb

        con = duckdb.connect(":memory:")
        for name in ENTITY_NAMES:
            entity = ENTITIES[name]
            row = {f.name: _SAMPLE[f.type_name] for f in entity.fields}
            table = pa.Table.from_pylist([row, {}], schema=entity.schema())
            con.register(f"src_{name}", table)
        _DUCK = con
    return _DUCK


def check_filter(data: bytes) -> None:
    """parse_filter: the first byte picks the entity, the rest is the filter text."""
    if not data:
        return
    entity_name = ENTITY_NAMES[data[0] % len(ENTITY_NAMES)]
    check_filter_text(entity_name, text_of(data[1:]))


def check_filter_text(entity_name: str, text: str) -> None:
    entity = ENTITIES[entity_name]
    flt = refused(lambda: parse_filter(entity, text))
    if flt is None:
        return
    if not flt.columns <= set(entity.field_names):
        raise Violation("an accepted filter names a field outside its entity")
    rendered = flt.sql()
    aliased = flt.sql("t")
    # The rendered form is what reaches DuckDB: it must compile again to the same filter...
    again = refused(lambda: parse_filter(entity, rendered))
    if again is None or again.sql() != rendered:
        raise Violation("an accepted filter does not survive its own rendering")
    # ...and DuckDB must bind it against the entity's own columns and types.
    import duckdb

    try:
        _duck().execute(f"SELECT count(*) FROM src_{entity_name} AS t WHERE {aliased}").fetchall()
    except duckdb.Error as exc:
        raise Violation(f"an accepted filter is refused by DuckDB: {type(exc).__name__}") from exc


# --- message readers --------------------------------------------------------------------------


def check_batch(batch: object) -> CanonicalBatch:
    """A reader's result: every canonical table with its exact schema, unique keys."""
    if not isinstance(batch, CanonicalBatch):
        raise Violation("a reader returned something other than a CanonicalBatch")
    if tuple(batch.tables) != ORDER:
        raise Violation("a reader's batch does not hold exactly the canonical entities")
    for name, table in batch.tables.items():
        if not isinstance(table, pa.Table) or not table.schema.equals(ENTITIES[name].schema()):
            raise Violation(f"{name}: table does not have the canonical schema")
        keys = [k for k in table.column(ENTITIES[name].key).to_pylist() if k is not None]
        if len(keys) != len(set(keys)):
            raise Violation(f"{name}: the same key in two rows")
    for r in batch.rejections:
        if not isinstance(r, Rejection) or not isinstance(r.reason, str):
            raise Violation("a rejection is not a Rejection with a reason")
    if not all(
        isinstance(k, str) and isinstance(n, int) for k, n in batch.unknown_segments.items()
    ):
        raise Violation("unknown_segments is not a count by name")
    return batch


def _read(reader: Callable[[list[Path]], CanonicalBatch], name: str, data: bytes) -> None:
    path = workdir() / name
    path.write_bytes(data[:MAX_INPUT])
    batch = refused(lambda: reader([path]))
    if batch is not None:
        check_batch(batch)


def check_hl7v2(data: bytes) -> None:
    _read(read_hl7v2, "fuzzed.hl7", data)


def check_hprim(data: bytes) -> None:
    _read(read_hprim, "fuzzed.hpr", data)


def check_fhir(data: bytes) -> None:
    """The same bytes as one JSON document and as NDJSON: both readers' paths."""
    _read(read_fhir, "fuzzed.json", data)
    _read(read_fhir, "fuzzed.ndjson", data)


# --- package opener ---------------------------------------------------------------------------

MANIFEST: Final = {"id": "fuzz-1", "purpose": "fuzzing the package opener"}
CREATED: Final = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
PATIENT_ROWS: Final = 3  # over two parts of at most 2 rows
SENDER_MARK: Final = b"@SENDER@"
RECIPIENT_MARK: Final = b"@RECIPIENT@"
INDEX_FILE: Final = "index.json"
SIGNATURE_FILE: Final = "index.sig"
MANIFEST_FILE: Final = "manifest.json"


def _synthetic_tables() -> dict[str, pa.Table]:
    patient = ENTITIES["patient"].schema()
    result = ENTITIES["result"].schema()
    comment = ENTITIES["comment"].schema()
    pats = [
        {"patient_id": f"FZ{i:04d}", "family_name": f"SYNTH{i}", "sex": "FMU"[i % 3],
         "birth_date": dt.date(1950 + i, 1 + i, 1)}
        for i in range(PATIENT_ROWS)
    ]  # fmt: skip
    results = [{"result_id": "FZR1", "request_id": "FZQ1", "value_num": 5.5, "unit": "mmol/L"}]
    return {
        "patient": pa.Table.from_pylist(pats, schema=patient),
        "result": pa.Table.from_pylist(results, schema=result),
        "comment": comment.empty_table(),
    }


@dataclass
class PackageLab:
    """A pristine package, its keys, and the parts' plaintext, built once per process."""

    root: Path
    sender: UnlockedKeys
    recipient: UnlockedKeys
    files: tuple[str, ...]  # relative paths, sorted
    pristine: dict[str, bytes]
    index: dict[str, Any]
    rows: dict[str, int]
    part_plain: bytes  # plaintext of parts/patient-00000

    def template(self) -> bytes:
        """index.json with the run-dependent values replaced by marks (for the corpus).

        Keys and ciphertexts change with every build (age even pads its header at random);
        the marks let one seed reach past the signature and hash checks in any run.
        """
        raw = self.pristine[INDEX_FILE]
        for value, mark in self._marks():
            raw = raw.replace(value, mark)
        return raw

    def untemplate(self, raw: bytes) -> bytes:
        for value, mark in self._marks():
            raw = raw.replace(mark, value)
        return raw

    def _marks(self) -> list[tuple[bytes, bytes]]:
        marks = [
            (self.sender.public.ed25519_public.encode(), SENDER_MARK),
            (self.recipient.public.age_recipient.encode(), RECIPIENT_MARK),
        ]
        parts = [p for name in sorted(self.index["entities"])
                 for p in self.index["entities"][name]["parts"]]  # fmt: skip
        for n, p in enumerate(parts):
            marks.append((p["ciphertext_sha256"].encode(), f"@CIPHER{n}@".encode()))
            # Canonical JSON sorts keys: the size is always followed by the part's file name.
            size, name = p["ciphertext_size"], p["file"]
            marks.append((
                f'"ciphertext_size":{size},"file":"{name}"'.encode(),
                f'"ciphertext_size":@SIZE{n}@,"file":"{name}"'.encode(),
            ))  # fmt: skip
        return marks


_LAB: PackageLab | None = None


def package_lab() -> PackageLab:
    global _LAB
    if _LAB is None:
        _LAB = _build_lab()
    return _LAB


def _build_lab() -> PackageLab:
    sender, recipient = generate_keys("fuzz-sender"), generate_keys("fuzz-recipient")
    root = workdir() / "pristine"
    tables = _synthetic_tables()
    with PackageWriter(
        root,
        manifest=MANIFEST,
        manifest_digest=canonical_digest(MANIFEST),
        approvals=[{"by": "fuzz.approver"}],
        recipient=recipient.public,
        sender=sender,
        created_at=CREATED,
        package_id="pkg-fuzz",
        part_rows=2,
    ) as writer:
        for name, table in tables.items():
            writer.write_entity(name, table.schema, table.to_batches(max_chunksize=2), {})
        writer.finish()
    files = tuple(sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()))
    pristine = {f: (root / f).read_bytes() for f in files}
    index = json.loads(pristine[INDEX_FILE])
    part = "parts/patient-00000.parquet.age"
    return PackageLab(
        root=root,
        sender=sender,
        recipient=recipient,
        files=files,
        pristine=pristine,
        index=index,
        rows={name: t.num_rows for name, t in tables.items()},
        part_plain=recipient.decrypt(pristine[part]),
    )


@dataclass(frozen=True)
class Edit:
    """One change to a package copy. `target` indexes PackageLab.files (modulo its length)."""

    kind: str
    target: int
    offset: int = 0
    payload: bytes = b""


EDIT_KINDS: Final = (
    "flip", "truncate", "append", "insert", "replace", "overwrite", "delete", "extra",
    "symlink", "directory", "empty", "fifo",
)  # fmt: skip

# First input byte: the mode. Tamper edits a copy after sealing; the "signed" modes act as a
# sender that signs what it was given, to reach the checks behind the signature.
MODES: Final = ("tamper", "signed-index", "signed-part", "signed-manifest")


def decode_edits(data: bytes) -> list[Edit]:
    """Up to 4 edits: kind, target, offset (2 bytes), payload length, payload."""
    edits: list[Edit] = []
    pos = 0
    while pos + 5 <= len(data) and len(edits) < 4:
        kind = EDIT_KINDS[data[pos] % len(EDIT_KINDS)]
        target, offset = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        size = data[pos + 4]
        payload = data[pos + 5 : pos + 5 + size]
        edits.append(Edit(kind, target, offset, payload))
        pos += 5 + size
    return edits


def encode_edits(edits: list[Edit]) -> bytes:
    out = bytearray([MODES.index("tamper")])
    for e in edits:
        out += bytes([EDIT_KINDS.index(e.kind), e.target % 256])
        out += (e.offset % 65536).to_bytes(2, "big") + bytes([len(e.payload[:255])])
        out += e.payload[:255]
    return bytes(out)


def check_package(data: bytes) -> None:
    if not data:
        return
    mode = MODES[data[0] % len(MODES)]
    body = data[1:MAX_INPUT]
    if mode == "tamper":
        check_tampered(decode_edits(body))
    else:
        check_signed(mode, body)


def _fresh_copy() -> Path:
    lab = package_lab()
    work = workdir() / "work"
    if work.exists() or work.is_symlink():
        _remove(work)
    shutil.copytree(lab.root, work, symlinks=True)
    return work


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        for sub in path.iterdir():
            _remove(sub)
        path.rmdir()
    else:
        path.unlink()


def _apply(work: Path, edit: Edit) -> None:
    lab = package_lab()
    rel = lab.files[edit.target % len(lab.files)]
    path = work / rel
    if edit.kind == "extra":
        name = "".join(c for c in edit.payload.decode("ascii", "ignore") if c.isalnum())
        stray = (work / "parts" if edit.offset % 2 else work) / (name or "stray")
        if not stray.exists():
            stray.write_bytes(edit.payload)
        return
    if not path.is_file() or path.is_symlink():
        return  # an earlier edit removed or replaced it
    raw = bytearray(path.read_bytes())
    at = edit.offset % (len(raw) + 1)
    if edit.kind == "flip":
        if raw:
            raw[at % len(raw)] ^= (edit.payload[:1] or b"\x01")[0] or 1
    elif edit.kind == "truncate":
        del raw[at:]
    elif edit.kind == "append":
        raw += edit.payload
    elif edit.kind == "insert":
        raw[at:at] = edit.payload
    elif edit.kind == "replace":
        raw[at : at + len(edit.payload)] = edit.payload
    elif edit.kind == "overwrite":
        raw = bytearray(edit.payload)
    elif edit.kind == "empty":
        raw = bytearray()
    elif edit.kind == "delete":
        path.unlink()
        return
    elif edit.kind == "symlink":
        # Same bytes behind a link: a package must hold regular files only.
        copy = work.parent / f"link-target-{edit.target % len(lab.files)}"
        copy.write_bytes(raw)
        path.unlink()
        path.symlink_to(copy)
        return
    elif edit.kind == "directory":
        path.unlink()
        path.mkdir()
        return
    elif edit.kind == "fifo":
        # A named pipe with no writer: opening it for reading must not block the opener.
        path.unlink()
        os.mkfifo(path)
        return
    path.write_bytes(bytes(raw))


def _snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under root: file bytes, or a tag for a link or a directory."""
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "symlink"
        elif p.is_fifo():
            out[rel] = "fifo"
        elif p.is_dir():
            out[rel] = "dir" if rel == "parts" else "directory"
        else:
            out[rel] = p.read_bytes()
    return out


def _same_signature(a: bytes, b: bytes) -> bool:
    try:
        return signature_from_text(a.decode("ascii")) == signature_from_text(b.decode("ascii"))
    except (ArianeError, UnicodeDecodeError):
        return False


def check_tampered(edits: list[Edit]) -> None:
    """An altered package is refused before a single row comes out of it."""
    lab = package_lab()
    work = _fresh_copy()
    for edit in edits:
        _apply(work, edit)
    after = _snapshot(work)
    before: dict[str, bytes | str] = {**lab.pristine, "parts": "dir"}
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # A signature re-encoded to the same 64 bytes is the same signature: not a tampering.
    sig = SIGNATURE_FILE
    now = after.get(sig)
    if changed == {sig} and isinstance(now, bytes) and _same_signature(lab.pristine[sig], now):
        changed = set()
    rows: dict[str, int] = {}
    outcome = refused(lambda: _open_and_read(work, rows))
    if changed and outcome is not None:
        raise Violation(f"a package with {sorted(changed)[0]} altered was opened")
    if changed and any(rows.values()):
        raise Violation("rows came out of an altered package before it was refused")
    if not changed and rows != lab.rows:
        raise Violation("an unaltered package did not read back whole")


def _open_and_read(path: Path, rows: dict[str, int]) -> bool:
    lab = package_lab()
    verify_package(path)
    package = open_package(path, lab.recipient, lab.sender.public)
    for entity in package.entities:
        rows[entity] = 0
        schema = package.schema(entity)
        for batch in package.read(entity, batch_rows=1):
            if not batch.schema.equals(schema):
                raise Violation(f"{entity}: a batch does not have the entity's schema")
            rows[entity] += batch.num_rows
        if rows[entity] != package.index.entities[entity].rows:
            raise Violation(f"{entity}: rows read differ from the signed index")
    return True


def check_signed(mode: str, body: bytes) -> None:
    """A sender that signs whatever it is given: the opener still raises only its own errors."""
    lab = package_lab()
    work = _fresh_copy()
    if mode == "signed-index":
        index_bytes = lab.untemplate(body)
    else:
        index = json.loads(lab.pristine[INDEX_FILE])
        if mode == "signed-part":
            part = index["entities"]["patient"]["parts"][0]
            cipher = _seal(body, lab)
            (work / part["file"]).write_bytes(cipher)
            part["plaintext_sha256"] = sha256_hex(body)
            part["ciphertext_sha256"] = sha256_hex(cipher)
            part["ciphertext_size"] = len(cipher)
        else:  # signed-manifest
            (work / MANIFEST_FILE).write_bytes(body)
            index["manifest_file_sha256"] = sha256_hex(body)
            with contextlib.suppress(Exception):  # best effort: reach past the digest check
                index["manifest_digest"] = canonical_digest(json.loads(body)["manifest"])
        index_bytes = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
    (work / INDEX_FILE).write_bytes(index_bytes)
    signature = signature_to_text(lab.sender.sign(index_bytes)) + "\n"
    (work / SIGNATURE_FILE).write_bytes(signature.encode("ascii"))
    rows: dict[str, int] = {}
    refused(lambda: _open_and_read(work, rows))


def _seal(plain: bytes, lab: PackageLab) -> bytes:
    return encrypt_bytes(plain, lab.recipient.public.age_recipient)


TARGETS: Final[dict[str, Callable[[bytes], None]]] = {
    "manifest": check_manifest,
    "profile": check_profile,
    "filter": check_filter,
    "package": check_package,
    "hl7v2": check_hl7v2,
    "hprim": check_hprim,
    "fhir": check_fhir,
}


# --- fallback engine (no atheris) ---------------------------------------------------------------


def dictionary(target: str) -> list[bytes]:
    """The tokens of fuzz/dict/<target>.dict (libFuzzer's format: one quoted string a line)."""
    path = CORPUS.parent / "dict" / f"{target}.dict"
    tokens = []
    for line in path.read_text("ascii").splitlines():
        if line.startswith('"') and line.endswith('"'):
            body = re.sub(r"\\x([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), line[1:-1])
            tokens.append(body.encode("latin-1"))
    return tokens


def random_run(target: str, seconds: float, per_input: float, crash_dir: str) -> None:
    """Random byte edits and dictionary tokens over the seeds, for `seconds`, without coverage
    feedback. The first failing input is saved as <crash_dir>/<target>-crash-<sha1>, then
    the failure is raised."""
    rng = random.Random()  # noqa: S311 (test inputs, not secrets)
    pool, tokens = seeds(target), dictionary(target)
    end, runs = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        data = bytearray(rng.choice(pool))
        for _ in range(rng.randint(1, 8)):
            at = rng.randint(0, len(data))
            pick = rng.randrange(5)
            if pick == 0:
                del data[at : at + rng.randint(1, 32)]
            elif pick == 1:
                data[at:at] = rng.randbytes(rng.randint(1, 8))
            elif pick == 2 and tokens:
                data[at:at] = rng.choice(tokens)
            elif pick == 3:
                data[at:at] = data[at : at + rng.randint(1, 64)]
            else:
                data[at:at] = rng.choice(pool)[: rng.randint(1, 256)]  # a splice
        raw = bytes(data[:MAX_INPUT])
        try:
            with time_limit(per_input):
                TARGETS[target](raw)
        except BaseException:
            name = f"{target}-crash-{hashlib.sha1(raw).hexdigest()}"  # noqa: S324 (libFuzzer's names)
            Path(crash_dir, name).write_bytes(raw)
            raise
        runs += 1
    print(f"{runs} runs, {runs / seconds:.0f} exec/s (random engine)")
