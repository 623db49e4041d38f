"""atheris harness: the HPRIM Santé reader (ariane.connectors.hprim_read.read_hprim).

    python fuzz/fuzz_hprim.py -max_total_time=20 -timeout=10 fuzz/corpus/hprim

The property lives in ariane_fuzz.check_hprim: Ariane's own errors are fine, anything else is a
crash that libFuzzer saves (see fuzz/README.md).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["ariane", "ariane_fuzz"]):
    import ariane_fuzz


def test_one_input(data: bytes) -> None:
    ariane_fuzz.check_hprim(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
