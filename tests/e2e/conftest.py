from __future__ import annotations

import pathlib

import pytest

from ariane.demo.generator import generate
from flows import TODAY, make_keys


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("lab") / "lis.db"
    generate(path, 1500, seed=7, today=TODAY)
    return path


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return make_keys(tmp_path_factory.mktemp("keys") / "ws")
