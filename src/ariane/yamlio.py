"""Reading YAML/JSON documents from outside into typed models, with errors that name the problem."""

from __future__ import annotations

import pathlib
from typing import Any, TypeVar

import pydantic
import yaml

from ariane.errors import InputError, UsageError

M = TypeVar("M", bound=pydantic.BaseModel)


def read_text(path: pathlib.Path, what: str) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{what} not found: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {path} is not UTF-8 text") from None
    except OSError as e:
        raise UsageError(f"{what} {path} cannot be read: {e.strerror}") from None


def parse_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        pos = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise InputError(f"{where}: not valid YAML{pos}") from None
    except (ValueError, LookupError, AttributeError, TypeError):
        # PyYAML's constructors let these through for explicitly tagged or date-like scalars
        # that name no value (`2020-13-45`, `!!int x`, `!!bool x`, `!!timestamp x`); their
        # message quotes the scalar, so drop it.
        raise InputError(f"{where}: not valid YAML (a value cannot be read)") from None
    except RecursionError:
        raise InputError(f"{where}: not valid YAML (nested too deeply)") from None


def validate(model: type[M], data: Any, where: str) -> M:
    """Validate into `model`; the error lists each bad location and why, never the input value."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as e:
        problems = []
        for err in e.errors(include_input=False, include_url=False):
            loc = ".".join(str(p) for p in err["loc"]) or "(document)"
            problems.append(f"{loc}: {err['msg']}")
        raise InputError(f"{where} is invalid: " + "; ".join(problems)) from None


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def write_atomic(path: pathlib.Path, data: bytes, mode: int = 0o600) -> None:
    """Write to a temporary name in the same directory, fsync, then rename (DESIGN §8)."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
