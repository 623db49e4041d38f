"""atheris harness: the package opener (verify, open, read) on a sealed package, altered.

    python fuzz/fuzz_package.py -max_total_time=20 -timeout=10 fuzz/corpus/package

The property lives in ariane_fuzz.check_package: Ariane's own errors are fine, anything else is a
crash that libFuzzer saves (see fuzz/README.md).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["ariane", "ariane_fuzz"]):
    import ariane_fuzz


def test_one_input(data: bytes) -> None:
    ariane_fuzz.check_package(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    ariane_fuzz.package_lab()  # built before the clock starts: keys, sealing, one copy
    atheris.Fuzz()


if __name__ == "__main__":
    main()
