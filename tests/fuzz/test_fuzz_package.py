"""The package opener under random tampering: refused before any row, with Ariane's own errors.

A pristine package is sealed once per process (fuzz/ariane_fuzz.py, PackageLab); each example
alters a copy. The "signed" cases play a sender that signs whatever it is given, to reach the
checks behind the signature (index fields, manifest file, Parquet bytes).
"""

from __future__ import annotations

from pathlib import Path

import ariane_fuzz as af
import ariane_strategies as strat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ariane.errors import IntegrityError
from ariane.package.reader import open_package, verify_package

LIMIT_S = strat.LIMIT_S
FAST = strat.fast(120)

edits = st.builds(
    af.Edit,
    kind=st.sampled_from(af.EDIT_KINDS),
    target=st.integers(0, 255),
    offset=st.integers(0, 65535),
    payload=st.binary(max_size=16),
)


def _altered(kind: str, name: str) -> Path:
    lab = af.package_lab()
    work = af._fresh_copy()
    af._apply(work, af.Edit(kind, lab.files.index(name)))
    return work


def test_pristine_package_reads_whole() -> None:
    af.check_tampered([])


@pytest.mark.parametrize("name", ["index.json", "parts/patient-00001.parquet.age"])
def test_regression_directory_instead_of_a_file(name: str) -> None:
    # os.fdopen raised IsADirectoryError before the regular-file check was reached.
    work = _altered("directory", name)
    with pytest.raises(IntegrityError, match="not a regular file"):
        verify_package(work)


@pytest.mark.parametrize("name", ["index.json", "manifest.json", "parts/result-00000.parquet.age"])
def test_regression_fifo_instead_of_a_file_does_not_block(name: str) -> None:
    # Opening a named pipe without O_NONBLOCK waits for a writer that never comes.
    work = _altered("fifo", name)
    lab = af.package_lab()
    with af.time_limit(5), pytest.raises(IntegrityError, match="not a regular file"):
        open_package(work, lab.recipient, lab.sender.public)


@FAST
@given(st.lists(edits, min_size=1, max_size=3))
def test_tampered_package_never_yields_a_row(changes: list[af.Edit]) -> None:
    with af.time_limit(LIMIT_S):
        af.check_tampered(changes)


@FAST
@given(strat.mutated("package"))
def test_package_bytes(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_package(data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(af.MODES[1:]), st.lists(strat.byte_edit, max_size=3))
def test_signed_by_a_careless_sender(mode: str, changes: list[tuple[str, int, int, bytes]]) -> None:
    lab = af.package_lab()
    body = {
        "signed-index": lab.template(),
        "signed-part": lab.part_plain,
        "signed-manifest": lab.pristine[af.MANIFEST_FILE],
    }[mode]
    with af.time_limit(LIMIT_S):
        af.check_signed(mode, strat.mutate(body, changes))
