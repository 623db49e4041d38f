"""atheris harness: the profile loader (ariane.profiles.load.load_profile on a file, ariane.yamlio).

    python fuzz/fuzz_profile.py -max_total_time=20 -timeout=10 fuzz/corpus/profile

The property lives in ariane_fuzz.check_profile: Ariane's own errors are fine, anything else is a
crash that libFuzzer saves (see fuzz/README.md).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["ariane", "ariane_fuzz", "yaml"]):
    import ariane_fuzz


def test_one_input(data: bytes) -> None:
    ariane_fuzz.check_profile(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
