"""Fixtures of the web console tests: a small laboratory, keys, a workspace with one account per
role, the test clock, and test clients (helpers in web_support.py)."""

from __future__ import annotations

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
for path in (HERE, HERE.parent):  # web_support, and the suite's flows
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from web_support import Browser, Clock  # noqa: E402

from ariane.demo.generator import generate  # noqa: E402
from ariane.engine.workspace import Workspace  # noqa: E402
from flows import TODAY, at, make_keys, new_workspace  # noqa: E402


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("weblab") / "lis.db"
    generate(path, 400, seed=11, today=TODAY)
    return path


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return make_keys(tmp_path_factory.mktemp("webkeys") / "ws")


@pytest.fixture
def ws(tmp_path: pathlib.Path, keys: pathlib.Path) -> Workspace:
    return new_workspace(tmp_path / "ws", keys)


@pytest.fixture
def clock() -> Clock:
    return Clock(at(10))


@pytest.fixture
def browser(ws: Workspace, clock: Clock):
    def make(**options: object) -> Browser:
        return Browser(ws, clock, **options)  # type: ignore[arg-type]

    return make
