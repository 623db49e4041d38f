"""The writer's refusals, and that any failure leaves nothing behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ariane.crypto.digest import canonical_digest
from ariane.crypto.keys import UnlockedKeys, generate_keys
from ariane.errors import IntegrityError, KeyMaterialError, PolicyError, UsageError
from ariane.package.writer import PackageWriter

MARKER = "ZZMARKERZZ"
MANIFEST = {"id": "m-1", "purpose": "test"}
SCHEMA = pa.schema([("patient_id", pa.string()), ("family_name", pa.string())])


def _batch(n: int) -> pa.RecordBatch:
    return pa.record_batch(
        [pa.array([f"P{i}" for i in range(n)]), pa.array([MARKER] * n)], schema=SCHEMA
    )


@pytest.fixture(scope="module")
def sender() -> UnlockedKeys:
    return generate_keys("processor")


@pytest.fixture(scope="module")
def recipient() -> UnlockedKeys:
    return generate_keys("vendor-b")


@pytest.fixture
def make(sender: UnlockedKeys, recipient: UnlockedKeys, tmp_path: Path) -> Any:
    def _make(**overrides: Any) -> PackageWriter:
        args: dict[str, Any] = {
            "manifest": MANIFEST,
            "manifest_digest": canonical_digest(MANIFEST),
            "approvals": [{"by": "dr.martin"}],
            "recipient": recipient.public,
            "sender": sender,
            "created_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            "package_id": "pkg-w",
            "part_rows": 10,
        }
        args.update(overrides)
        return PackageWriter(tmp_path / "pkg", **args)

    return _make


def _nothing_left(tmp_path: Path) -> None:
    assert list(tmp_path.iterdir()) == []


def test_exception_inside_the_with_block_leaves_nothing(make: Any, tmp_path: Path) -> None:
    def failing() -> Iterator[pa.RecordBatch]:
        yield _batch(25)  # two sealed parts are on disk when the source fails
        raise RuntimeError("source went away")

    with pytest.raises(RuntimeError), make() as writer:
        writer.write_entity("patient", SCHEMA, failing(), {})
    _nothing_left(tmp_path)


def test_failure_in_write_entity_aborts_even_without_with(make: Any, tmp_path: Path) -> None:
    writer = make()
    wrong = pa.schema([("patient_id", pa.string()), ("family_name", pa.large_string())])
    with pytest.raises(UsageError, match="does not match its schema") as err:
        writer.write_entity("patient", wrong, [_batch(5)], {})
    assert MARKER not in str(err.value)
    _nothing_left(tmp_path)
    with pytest.raises(UsageError, match="aborted"):
        writer.write_entity("patient", SCHEMA, [_batch(5)], {})


def test_closing_without_finish_discards(make: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="without finish"), make() as writer:
        writer.write_entity("patient", SCHEMA, [_batch(5)], {})
    _nothing_left(tmp_path)


def test_explicit_abort(make: Any, tmp_path: Path) -> None:
    writer = make()
    writer.write_entity("patient", SCHEMA, [_batch(5)], {})
    writer.abort()
    writer.abort()
    _nothing_left(tmp_path)


def test_refuses_existing_out_dir_and_partial(make: Any, tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        make()
    (tmp_path / "pkg").rmdir()
    (tmp_path / "pkg.partial").mkdir()
    with pytest.raises(UsageError, match="partial"):
        make()
    assert [p.name for p in tmp_path.iterdir()] == ["pkg.partial"]  # not ours to remove


def test_out_dir_appearing_before_finish(make: Any, tmp_path: Path) -> None:
    writer = make()
    writer.write_entity("patient", SCHEMA, [_batch(5)], {})
    (tmp_path / "pkg").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        writer.finish()
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]
    assert list((tmp_path / "pkg").iterdir()) == []


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"manifest_digest": "0" * 64}, IntegrityError, "manifest digest"),
        ({"approvals": []}, PolicyError, "approval"),
        ({"created_at": dt.datetime(2025, 1, 1)}, UsageError, "time zone"),
        ({"part_rows": 0}, UsageError, "part_rows"),
        ({"package_id": ""}, UsageError, "package_id"),
        ({"manifest": {"x": 1}, "manifest_digest": canonical_digest({"x": 1})}, UsageError, "id"),
        ({"approvals": [{"at": dt.date(2025, 1, 1)}]}, UsageError, "JSON"),
    ],
)
def test_constructor_refusals(
    make: Any, tmp_path: Path, overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make(**overrides)
    _nothing_left(tmp_path)


def test_explicit_manifest_id(make: Any, tmp_path: Path) -> None:
    manifest = {"name": "no id key"}
    with make(
        manifest=manifest, manifest_digest=canonical_digest(manifest), manifest_id="m-9"
    ) as w:
        w.write_entity("patient", SCHEMA, [_batch(3)], {})
        assert w.finish().manifest_id == "m-9"


@pytest.mark.parametrize(
    ("entity", "schema", "stats", "message"),
    [
        ("../x", SCHEMA, {}, "entity name"),
        ("Patient", SCHEMA, {}, "entity name"),
        ("patient", pa.schema([]), {}, "no column"),
        ("patient", SCHEMA, {"bad": {1, 2}}, "stats"),
    ],
)
def test_write_entity_refusals(
    make: Any, tmp_path: Path, entity: str, schema: pa.Schema, stats: Any, message: str
) -> None:
    with pytest.raises(UsageError, match=message), make() as writer:
        writer.write_entity(entity, schema, [], stats)
    _nothing_left(tmp_path)


def test_duplicate_entity_and_empty_package(make: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="twice"), make() as writer:
        writer.write_entity("patient", SCHEMA, [], {})
        writer.write_entity("patient", SCHEMA, [], {})
    _nothing_left(tmp_path)
    with pytest.raises(UsageError, match="at least one entity"), make() as writer:
        writer.finish()
    _nothing_left(tmp_path)


def test_finished_writer_is_closed(make: Any, tmp_path: Path) -> None:
    with make() as writer:
        writer.write_entity("patient", SCHEMA, [_batch(3)], {})
        writer.finish()
    with pytest.raises(UsageError, match="finished"):
        writer.finish()
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_batches_with_schema_metadata_are_accepted(make: Any) -> None:
    batch = _batch(3).replace_schema_metadata({"origin": "driver"})
    with make() as writer:
        writer.write_entity("patient", SCHEMA.with_metadata({"x": "y"}), [batch], {})
        index = writer.finish()
    assert index.entities["patient"].rows == 3


# -- per-part checkpoints ------------------------------------------------------------------------


class _Died(BaseException):
    """Stands for the process dying: no clean-up handler runs."""


def _die_after(rows: int) -> Iterator[pa.RecordBatch]:
    yield _batch(rows)
    raise _Died()


def _crashed(make: Any, monkeypatch: pytest.MonkeyPatch, rows: int) -> Path:
    """A writer killed while sealing `patient` after `rows` rows (parts of 10); its partial dir."""
    writer = make()
    writer.write_entity("practitioner", SCHEMA, [_batch(3)], {}, key="patient_id")
    monkeypatch.setattr(PackageWriter, "abort", lambda self: None)  # a dead process cleans nothing
    with pytest.raises(_Died):
        writer.write_entity("patient", SCHEMA, _die_after(rows), {}, key="patient_id")
    monkeypatch.undo()
    return writer._partial


def test_a_killed_entity_resumes_after_its_last_sealed_part(
    make: Any, monkeypatch: pytest.MonkeyPatch, recipient: UnlockedKeys, tmp_path: Path
) -> None:
    from ariane.package.reader import open_package

    partial = _crashed(make, monkeypatch, 25)  # parts 0 and 1 sealed, 5 rows were in memory
    names = sorted(p.relative_to(partial).as_posix() for p in partial.rglob("*") if p.is_file())
    assert names == [
        "manifest.json",
        "parts/patient-00000.parquet.age",
        "parts/patient-00001.parquet.age",
        "parts/practitioner-00000.parquet.age",
        "progress.json",
        "resume/patient-00000.keys.age",
        "resume/patient-00001.keys.age",
    ]
    for path in partial.rglob("*.age"):
        data = path.read_bytes()
        assert data.startswith(b"age-encryption.org/v1\n") and MARKER.encode() not in data
    (partial / "parts" / "patient-00002.parquet.age").write_bytes(b"half-written")  # unrecorded

    writer = make(resume=True)
    assert writer.completed == {"practitioner"}
    sealed = writer.resumed_keys("patient")
    assert sealed is not None and sorted(sealed.to_pylist()) == sorted(f"P{i}" for i in range(20))
    assert not (partial / "parts" / "patient-00002.parquet.age").exists()
    assert writer.resumed_keys("practitioner") is None
    rest = _batch(32).filter(pa.array([i >= 20 for i in range(32)]))
    writer.write_entity("patient", SCHEMA, [rest], {}, key="patient_id")
    index = writer.finish()
    out = tmp_path / "pkg"
    assert not (out / "resume").exists() and not (out / "progress.json").exists()
    assert [p.file for p in index.entities["patient"].parts] == [
        f"parts/patient-{i:05d}.parquet.age" for i in range(4)
    ]
    assert index.entities["patient"].rows == 32
    pkg = open_package(out, recipient, None)
    got = [v for b in pkg.read("patient") for v in b.column("patient_id").to_pylist()]
    assert sorted(got) == sorted(f"P{i}" for i in range(32))  # none lost, none twice


def test_the_sealed_key_lists_are_readable_by_the_sender_alone(
    make: Any, monkeypatch: pytest.MonkeyPatch, recipient: UnlockedKeys
) -> None:
    partial = _crashed(make, monkeypatch, 12)
    data = (partial / "resume" / "patient-00000.keys.age").read_bytes()
    with pytest.raises(KeyMaterialError, match="not sealed to this key"):
        recipient.decrypt(data)


@pytest.mark.parametrize("what", ["keys", "progress", "part"])
def test_an_altered_checkpoint_is_refused_on_resume(
    make: Any, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    partial = _crashed(make, monkeypatch, 25)
    victim = {
        "keys": partial / "resume" / "patient-00001.keys.age",
        "progress": partial / "progress.json",
        "part": partial / "parts" / "patient-00000.parquet.age",
    }[what]
    data = bytearray(victim.read_bytes())
    if what == "progress":
        data = bytearray(bytes(data).replace(b'"unfinished"', b'"unfinishedX"'))
    else:
        data[len(data) // 2] ^= 1
    victim.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        make(resume=True)


def test_a_key_list_resealed_with_a_row_missing_is_refused(
    make: Any, monkeypatch: pytest.MonkeyPatch, sender: UnlockedKeys
) -> None:
    """Sealing to the sender's public key needs no secret: a list that hashes right in
    progress.json but does not name every row of its part must still be refused."""
    import json

    import pyarrow.ipc as ipc

    from ariane.crypto.digest import canonical_json, sha256_hex
    from ariane.crypto.seal import encrypt_bytes

    partial = _crashed(make, monkeypatch, 25)
    sink = pa.BufferOutputStream()
    short = pa.table({"key": pa.array([f"P{i}" for i in range(10, 19)])})  # P19 left out
    with ipc.new_stream(sink, short.schema) as out:
        out.write_table(short)
    forged = encrypt_bytes(sink.getvalue().to_pybytes(), sender.public.age_recipient)
    (partial / "resume" / "patient-00001.keys.age").write_bytes(forged)
    doc = json.loads((partial / "progress.json").read_text())
    doc["unfinished"]["keys"][1]["sha256"] = sha256_hex(forged)
    (partial / "progress.json").write_bytes(canonical_json(doc))
    writer = make(resume=True)  # every recorded hash matches
    with pytest.raises(IntegrityError, match="does not list the rows"):
        writer.resumed_keys("patient")


def test_the_interrupted_entity_comes_first(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _crashed(make, monkeypatch, 25)
    writer = make(resume=True)
    with pytest.raises(UsageError, match="interrupted: write it first"):
        writer.write_entity("request", SCHEMA, [_batch(1)], {}, key="patient_id")


def test_without_a_key_column_an_entity_is_checkpointed_whole(
    make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = make()
    monkeypatch.setattr(PackageWriter, "abort", lambda self: None)
    with pytest.raises(_Died):
        writer.write_entity("patient", SCHEMA, _die_after(25), {})
    monkeypatch.undo()
    resumed = make(resume=True)
    assert resumed.resumed_keys("patient") is None
    assert not list((resumed._partial / "parts").iterdir())  # redone from its first part
    with pytest.raises(UsageError, match="no key column"):
        resumed.write_entity("patient", SCHEMA, [_batch(1)], {}, key="nope")
