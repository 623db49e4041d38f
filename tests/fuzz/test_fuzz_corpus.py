"""Every committed fuzz seed passes its target's property: the regressions stay fixed.

fuzz/corpus/<target>/ holds the seeds the atheris harnesses start from, among them `regress-*`
inputs that once crashed or hung a parser (see fuzz/README.md).
"""

from __future__ import annotations

from pathlib import Path

import ariane_fuzz as af
import pytest

FUZZ = Path(af.__file__).resolve().parent
SEEDS = sorted((target, path) for target in af.TARGETS for path in (af.CORPUS / target).iterdir())


def test_every_target_has_seeds_and_a_harness() -> None:
    for target in af.TARGETS:
        assert (FUZZ / f"fuzz_{target}.py").is_file()
        assert (FUZZ / "dict" / f"{target}.dict").is_file()
        assert af.seeds(target), target
        assert af.dictionary(target), target


@pytest.mark.parametrize(("target", "path"), SEEDS, ids=[f"{t}/{p.name}" for t, p in SEEDS])
def test_seed(target: str, path: Path) -> None:
    with af.time_limit(10):
        af.TARGETS[target](path.read_bytes())
