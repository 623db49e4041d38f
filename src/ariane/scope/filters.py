"""Row filters of the manifest: parsed into an AST, checked against a whitelist, never pasted.

A filter is a small boolean expression over one entity's canonical fields, for example
`collected_at >= DATE '2023-01-01' AND site IN ('LYO1', 'LYO2')`. It is parsed with sqlglot; every
node must be of a whitelisted kind, every column a canonical field of that entity, every literal of
the field's type. The checked tree is then rendered by sqlglot itself, so a literal can never turn
into SQL text of its own (quotes are escaped by the renderer, not by us).
"""

from __future__ import annotations

import datetime as dt
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ariane.errors import ScopeError
from ariane.model.entities import DATE, FLOAT, STRING, TIMESTAMP, Entity

_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_BOOLEAN = (exp.And, exp.Or, exp.Not, exp.Paren)
_TEMPORAL_TYPES = (
    exp.DataType.Type.DATE,
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPNTZ,
)
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP_TEXT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
)
MAX_LENGTH = 4000
MAX_NODES = 500


class Filter:
    """A checked filter over one entity. `sql(alias)` renders it for DuckDB."""

    def __init__(self, entity: Entity, tree: exp.Expr, text: str) -> None:
        self.entity = entity
        self.tree = tree
        self.text = text

    @property
    def columns(self) -> set[str]:
        return {c.name for c in self.tree.find_all(exp.Column)}

    def sql(self, alias: str | None = None) -> str:
        tree = self.tree.copy()
        if alias is not None:
            for col in list(tree.find_all(exp.Column)):
                col.replace(exp.column(col.name, table=alias, quoted=True))
        else:
            for col in list(tree.find_all(exp.Column)):
                col.replace(exp.column(col.name, quoted=True))
        return tree.sql(dialect="duckdb")


def parse_filter(entity: Entity, text: str) -> Filter:
    where = f"filter of {entity.name}"
    if not text.strip():
        raise ScopeError(f"{where} is empty; omit it to select every row")
    if len(text) > MAX_LENGTH:
        raise ScopeError(f"{where} is longer than {MAX_LENGTH} characters")
    if "\x00" in text:
        # DuckDB reads a query as a C string: a NUL inside a literal would cut the query short.
        raise ScopeError(f"{where} contains a NUL character")
    try:
        statements = sqlglot.parse(text, dialect="duckdb")
    except (ParseError, TokenError):
        raise ScopeError(f"{where} is not a valid expression") from None
    except RecursionError:  # sqlglot's parser recurses once per nesting level
        raise ScopeError(f"{where} is nested too deeply") from None
    if len(statements) != 1 or statements[0] is None:
        raise ScopeError(f"{where} must be a single expression")
    tree = statements[0]
    if sum(1 for _ in tree.walk()) > MAX_NODES:
        raise ScopeError(f"{where} has more than {MAX_NODES} parts")
    _check_boolean(entity, tree, where)
    return Filter(entity, tree, text)


def _check_boolean(entity: Entity, node: exp.Expr, where: str) -> None:
    if isinstance(node, (exp.And, exp.Or)):
        _check_boolean(entity, node.left, where)
        _check_boolean(entity, node.right, where)
    elif isinstance(node, (exp.Not, exp.Paren)):
        _check_boolean(entity, node.this, where)
    elif isinstance(node, _COMPARISONS):
        _check_comparison(entity, node, where)
    elif isinstance(node, exp.In):
        _check_in(entity, node, where)
    elif isinstance(node, exp.Between):
        col = _column(entity, node.this, where)
        _check_literal(entity, col, node.args["low"], where)
        _check_literal(entity, col, node.args["high"], where)
    elif isinstance(node, exp.Is):
        _column(entity, node.this, where)
        if not isinstance(node.expression, exp.Null):
            raise ScopeError(f"{where}: IS may only be followed by NULL")
    elif isinstance(node, (exp.Like, exp.ILike)):
        col = _column(entity, node.this, where)
        if entity.field(col).type != STRING:
            raise ScopeError(f"{where}: LIKE applies to text fields only, not {col}")
        _check_literal(entity, col, node.expression, where)
    else:
        raise ScopeError(f"{where}: {_kind(node)} is not allowed in a filter")


def _check_comparison(entity: Entity, node: exp.Binary, where: str) -> None:
    left, right = node.left, node.right
    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
        a, b = _column(entity, left, where), _column(entity, right, where)
        if entity.field(a).type != entity.field(b).type:
            raise ScopeError(f"{where}: {a} and {b} are of different types")
        return
    if isinstance(right, exp.Column):
        left, right = right, left
    col = _column(entity, left, where)
    _check_literal(entity, col, right, where)


def _check_in(entity: Entity, node: exp.In, where: str) -> None:
    if node.args.get("query") is not None or node.args.get("unnest") is not None:
        raise ScopeError(f"{where}: IN takes a list of values, not a query")
    col = _column(entity, node.this, where)
    values = node.expressions
    if not values:
        raise ScopeError(f"{where}: IN needs at least one value")
    for v in values:
        _check_literal(entity, col, v, where)


def _column(entity: Entity, node: exp.Expr, where: str) -> str:
    if not isinstance(node, exp.Column):
        raise ScopeError(f"{where}: expected a field name, found {_kind(node)}")
    if node.table and node.table != entity.name:
        raise ScopeError(f"{where}: field {node.table}.{node.name} belongs to another entity")
    if not entity.has(node.name):
        raise ScopeError(
            f"{where}: unknown field {node.name!r} (not in the canonical {entity.name})"
        )
    return str(node.name)


def _check_literal(entity: Entity, col: str, node: exp.Expr, where: str) -> None:
    ftype = entity.field(col).type
    if isinstance(node, exp.Null):
        raise ScopeError(f"{where}: compare {col} with NULL using IS NULL")
    if ftype == STRING:
        if isinstance(node, exp.Literal) and node.is_string:
            return
        raise ScopeError(f"{where}: {col} is text; compare it with a quoted string")
    if ftype == FLOAT:
        inner = node.this if isinstance(node, exp.Neg) else node
        if isinstance(inner, exp.Literal) and not inner.is_string:
            return
        raise ScopeError(f"{where}: {col} is a number; compare it with a number")
    if ftype in (DATE, TIMESTAMP):
        kind = "DATE" if ftype == DATE else "TIMESTAMP"
        if (
            isinstance(node, exp.Cast)
            and isinstance(node.this, exp.Literal)
            and node.this.is_string
            and node.to.this in _TEMPORAL_TYPES
        ):
            _check_temporal(str(node.this.this), node.to.this == exp.DataType.Type.DATE, where, col)
            return
        raise ScopeError(
            f"{where}: {col} is a {kind.lower()}; compare it with DATE 'YYYY-MM-DD' "
            "or TIMESTAMP 'YYYY-MM-DD HH:MM:SS'"
        )
    raise ScopeError(f"{where}: {col} cannot be filtered")


def _check_temporal(text: str, is_date: bool, where: str, col: str) -> None:
    # Python's fromisoformat takes forms DuckDB refuses at extraction ('20240101', '2024-W01-1')
    # or reads otherwise (it drops a TIMESTAMP's offset, truncates a DATE's time): only the
    # forms both read alike pass.
    try:
        if not (_DATE_TEXT if is_date else _TIMESTAMP_TEXT).fullmatch(text):
            raise ValueError
        dt.datetime.fromisoformat(text)
    except ValueError:
        raise ScopeError(f"{where}: the date compared with {col} is not an ISO date") from None


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Column):
        return f"field {node.name!r}"
    if isinstance(node, (exp.Select, exp.Subquery, exp.Union)):
        return "a query"
    if isinstance(node, exp.Func):
        return f"function {node.sql_name()}"
    return f"a {type(node).__name__} expression"
