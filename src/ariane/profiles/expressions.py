"""Column expressions of a profile: parsed, whitelisted, resolved against the live source.

Profiles come from people, so an expression is not trusted text: it is parsed with sqlglot, may use
only the node kinds below (no query, no star, no arbitrary function), and every column must exist
in one of the entity's tables. Resolved columns are re-rendered with the source's exact names.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ariane.errors import ScopeError

_ALLOWED: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Cast,
    exp.TryCast,
    exp.DataType,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Nullif,
    exp.Trim,
    exp.Upper,
    exp.Lower,
    exp.Substring,
    exp.Concat,
    exp.DPipe,
    exp.StrToTime,
    exp.StrToDate,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Neg,
    exp.EQ,
    exp.NEQ,
    exp.LT,
    exp.LTE,
    exp.GT,
    exp.GTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.In,
    exp.Is,
    exp.Like,
    exp.Length,
    exp.Replace,
)


@dataclass(frozen=True)
class Table:
    """A source table as the live source names it, with its columns (lower-case -> actual)."""

    name: str
    columns: dict[str, str]


Catalog = dict[str, Table]  # lower-case table name -> table


def resolve_table(catalog: Catalog, name: str, where: str) -> Table:
    table = catalog.get(name.lower())
    if table is None:
        raise ScopeError(f"{where}: table {name!r} does not exist in the source")
    return table


def compile_expression(
    text: str, tables: dict[str, Table], base_alias: str, where: str
) -> exp.Expr:
    """Parse `text`, check it, and return a tree whose columns are `alias."ActualName"`."""
    try:
        statements = sqlglot.parse(text, dialect="duckdb")
    except (ParseError, TokenError):
        raise ScopeError(f"{where}: not a valid expression") from None
    if len(statements) != 1 or statements[0] is None:
        raise ScopeError(f"{where}: must be a single expression")
    tree = statements[0]
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            raise ScopeError(
                f"{where}: {type(node).__name__} is not allowed in a profile expression"
            )
        if isinstance(node, exp.In) and node.args.get("query") is not None:
            raise ScopeError(f"{where}: IN takes a list of values, not a query")
    for col in list(tree.find_all(exp.Column)):
        alias, actual = _resolve_column(col, tables, base_alias, where)
        col.replace(exp.column(actual, table=alias, quoted=True))
    return tree


def _resolve_column(
    col: exp.Column, tables: dict[str, Table], base_alias: str, where: str
) -> tuple[str, str]:
    name = str(col.name)
    if col.table:
        table = tables.get(col.table)
        if table is None:
            raise ScopeError(f"{where}: unknown table alias {col.table!r}")
        actual = table.columns.get(name.lower())
        if actual is None:
            raise ScopeError(f"{where}: column {name!r} does not exist in table {table.name!r}")
        return col.table, actual
    matches = [(a, t.columns[name.lower()]) for a, t in tables.items() if name.lower() in t.columns]
    if not matches:
        base = tables[base_alias].name
        raise ScopeError(f"{where}: column {name!r} does not exist in table {base!r} or its joins")
    if len(matches) > 1:
        raise ScopeError(f"{where}: column {name!r} is ambiguous; prefix it with a table alias")
    return matches[0]
