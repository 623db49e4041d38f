"""Profiles: loading, the canonical model check, and expressions checked against a live source."""

from __future__ import annotations

import sqlite3

import pytest

from ariane.connectors import duck, source
from ariane.errors import InputError, ScopeError, UsageError
from ariane.model.entities import ENTITIES
from ariane.profiles.compile import check_profile, compile_view
from ariane.profiles.load import builtin_names, load_profile, profile_digest

BASE = """
format: ariane.profile/1
name: tiny
entities:
  patient:
    table: people
    alias: p
    fields:
      patient_id: CAST(p.id AS VARCHAR)
      sex: {sex}
"""


@pytest.fixture
def catalog(tmp_path):
    db = tmp_path / "s.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE people (id INTEGER, gender TEXT, secret TEXT)")
    con.execute("INSERT INTO people VALUES (1, 'f', 'pw')")
    con.commit()
    con.close()
    d = duck.connect()
    source.attach(d, source.parse_source(str(db)))
    return source.catalog(d)


def profile(tmp_path, sex="p.gender", extra=""):
    path = tmp_path / "p.yaml"
    path.write_text(BASE.format(sex=sex) + extra)
    return load_profile(str(path))


def test_builtin_profile_loads_with_stable_digest():
    assert "labosoft-sil4" in builtin_names()
    a, b = load_profile("labosoft-sil4"), load_profile("labosoft-sil4")
    assert profile_digest(a) == profile_digest(b)
    assert set(a.entities) == set(ENTITIES)


def test_valid_profile_compiles(tmp_path, catalog):
    p = profile(tmp_path, sex="UPPER(p.gender)")
    check_profile(p, catalog)
    sql = compile_view(p, ENTITIES["patient"], catalog)
    assert '"p"."gender"' in sql and "secret" not in sql


@pytest.mark.parametrize(
    ("sex", "needle"),
    [
        ("p.nope", "column 'nope' does not exist in table 'people'"),
        ("q.gender", "unknown table alias 'q'"),
        ("(SELECT secret FROM people)", "not allowed"),
        ("read_csv('/etc/passwd')", "not allowed"),
        ("p.gender; DROP TABLE people", "single expression"),
        ("*", "not allowed"),
    ],
)
def test_bad_expressions_are_named(tmp_path, catalog, sex, needle):
    p = profile(tmp_path, sex=f'"{sex}"' if ";" in sex or sex == "*" else sex)
    with pytest.raises(ScopeError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        check_profile(p, catalog)


def test_unknown_table_is_named(tmp_path, catalog):
    p = profile(tmp_path)
    text = (tmp_path / "p.yaml").read_text().replace("table: people", "table: persons")
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(ScopeError, match="table 'persons' does not exist"):
        check_profile(load_profile(str(tmp_path / "p.yaml")), catalog)
    del p


def test_model_violations(tmp_path):
    with pytest.raises(ScopeError, match="no canonical field 'shoe_size'"):
        profile(tmp_path, extra="      shoe_size: p.gender\n")
    with pytest.raises(ScopeError, match="derived"):
        (tmp_path / "r.yaml").write_text(
            "format: ariane.profile/1\nname: r\nentities:\n  result:\n    table: t\n"
            "    alias: t\n    fields:\n      result_id: t.id\n      sensitivity: t.s\n"
        )
        load_profile(str(tmp_path / "r.yaml"))
    with pytest.raises(InputError, match="unknown sensitivity class"):
        profile(tmp_path, extra="local_codes:\n  X1: astrology\n")
    with pytest.raises(UsageError, match="neither a file nor a built-in"):
        load_profile("no-such-profile")
