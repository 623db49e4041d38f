"""Content digests: reproducible outside Ariane, order-free, and sensitive to every change."""

from __future__ import annotations

import datetime as dt
import hashlib

import pyarrow as pa
import pytest

from ariane.connectors import duck
from ariane.reconcile.digest import ALGORITHM, FieldDigests


@pytest.fixture
def con():
    c = duck.connect("256MB")
    yield c
    c.close()


def table(**overrides: list[object]) -> pa.Table:
    cols: dict[str, list[object]] = {
        "result_id": ["R1", "R2", "R3"],
        "value_num": [1.5, None, 7.0],
        "unit": ["mmol/L", "g/L", None],
        "validated": [dt.date(2024, 1, 2), dt.date(2024, 3, 4), None],
    }
    cols.update(overrides)
    return pa.table(cols)


def digests(con, t: pa.Table, fields=None, batch_rows: int = 100) -> FieldDigests:
    d = FieldDigests(con, "result_id", fields or t.column_names)
    for b in t.to_batches(batch_rows):
        d.update(b)
    return d


def test_row_digest_is_plain_md5_of_the_canonical_text(con):
    # An auditor can recompute it with any MD5: canonical text, 0x1F separators, NULL = 0x00.
    t = table()
    expected = 0
    for row in t.to_pylist():
        texts = [row["result_id"]] + [
            "\x00" if row[f] is None else str(row[f]) for f in t.column_names
        ]
        md5 = hashlib.md5("\x1f".join(texts).encode()).digest()
        expected += int.from_bytes(md5[8:], "little")  # DuckDB md5_number_lower
    d = digests(con, t)
    assert d.rows == 3
    assert d.row_digest() == f"{expected % (1 << 64):016x}"
    assert d.stats()["digest_algorithm"] == ALGORITHM


def test_order_and_batching_do_not_matter(con):
    t = table()
    a = digests(con, t)
    b = digests(con, t.take([2, 0, 1]), batch_rows=1)
    assert (a.row_digest(), a.result()) == (b.row_digest(), b.result())


@pytest.mark.parametrize(
    "change, field",
    [
        ({"unit": ["mmol/L", "g/L", "mg/L"]}, "unit"),  # NULL became a value
        ({"value_num": [1.5, None, 7.000001]}, "value_num"),
        ({"validated": [dt.date(2024, 1, 2), dt.date(2024, 3, 5), None]}, "validated"),
        ({"unit": ["g/L", "mmol/L", None]}, "unit"),  # values swapped between rows
        ({"result_id": ["R1", "R2", "R4"]}, "result_id"),  # a row replaced by another
    ],
)
def test_any_change_moves_the_row_digest_and_names_the_field(con, change, field):
    a, b = digests(con, table()), digests(con, table(**change))
    assert a.row_digest() != b.row_digest()
    differing = {f for f in a.result() if a.result()[f] != b.result()[f]}
    assert field in differing
    if field != "result_id":  # the key enters every field digest
        assert differing == {field}


def test_a_missing_or_duplicated_row_is_seen(con):
    t = table()
    full = digests(con, t)
    assert digests(con, t.slice(0, 2)).row_digest() != full.row_digest()
    assert digests(con, pa.concat_tables([t, t.slice(0, 1)])).row_digest() != full.row_digest()


def test_null_and_empty_text_differ(con):
    a = digests(con, table(unit=["mmol/L", "g/L", None]))
    b = digests(con, table(unit=["mmol/L", "g/L", ""]))
    assert a.row_digest() != b.row_digest() and a.result()["unit"] != b.result()["unit"]


def test_large_batches_are_scanned_in_parallel_and_agree(con):
    n = 100_000
    t = pa.table({"result_id": [f"R{i}" for i in range(n)], "v": list(range(n))})
    whole = digests(con, t, batch_rows=n)
    small = digests(con, t, batch_rows=777)
    assert whole.rows == small.rows == n
    assert (whole.row_digest(), whole.result()) == (small.row_digest(), small.result())
