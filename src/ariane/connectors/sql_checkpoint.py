"""Per-part checkpoints of a load, kept in the target database itself.

Each part of an entity is committed in its own transaction together with a row of
`ariane_load_progress` saying so: the record and the rows are committed together or not at all,
so after a crash at any moment (even during a COMMIT whose outcome the client never learnt) the
table tells exactly which parts are in. A resumed load skips them. The rows of an entity are
removed from the progress table in the transaction that completes the entity, and the table is
dropped when nothing is left in it. It holds run ids, entity names and counts, never a value.

Row `part = -1` marks the start of a checkpointed load of an entity into an empty table and
carries the name of the primary-key constraint set aside for the load (PostgreSQL), if any.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ariane.connectors import duck

TABLE = "ariane_load_progress"
START = -1


@dataclass(frozen=True)
class Started:
    parts: int  # parts committed so far
    rows: int  # rows they hold
    deferred_key: str | None  # primary-key constraint to rebuild at the end


class Checkpoints:
    def __init__(self, con: duckdb.DuckDBPyConnection, schema_prefix: str) -> None:
        """`schema_prefix`: the attached target's catalog and schema, quoted, e.g. `t."public"`."""
        self._con = con
        self._table = f"{schema_prefix}.{duck.quote_ident(TABLE)}"

    def ensure(self) -> None:
        self._con.execute(
            f"CREATE TABLE IF NOT EXISTS {self._table} (run VARCHAR NOT NULL, "
            "entity VARCHAR NOT NULL, part INTEGER NOT NULL, rows BIGINT NOT NULL, note VARCHAR)"
        )

    def started(self, run: str, entity: str) -> Started | None:
        try:
            rows = self._con.execute(
                f"SELECT part, rows, note FROM {self._table} WHERE run = ? AND entity = ? "
                "ORDER BY part",
                [run, entity],
            ).fetchall()
        except duckdb.CatalogException:
            return None  # no checkpoint table: nothing was started
        if not rows or rows[0][0] != START:
            return None
        parts = [int(r[0]) for r in rows[1:]]
        if parts != list(range(len(parts))):
            raise ValueError("the load checkpoints are not a run of consecutive parts")
        return Started(len(parts), sum(int(r[1]) for r in rows[1:]), rows[0][2])

    def keys_set_aside(self) -> set[str]:
        """Entities whose primary key an unfinished load has set aside (it rebuilds it)."""
        try:
            rows = self._con.execute(
                f"SELECT DISTINCT entity FROM {self._table} WHERE part = ? AND note IS NOT NULL",
                [START],
            ).fetchall()
        except duckdb.CatalogException:
            return set()
        return {str(r[0]) for r in rows}

    def record(self, run: str, entity: str, part: int, rows: int, note: str | None = None) -> None:
        self._con.execute(
            f"INSERT INTO {self._table} VALUES (?, ?, ?, ?, ?)", [run, entity, part, rows, note]
        )

    def clear(self, run: str, entity: str) -> None:
        """Forget the entity's checkpoints (inside the transaction that completes it)."""
        self._con.execute(f"DELETE FROM {self._table} WHERE run = ? AND entity = ?", [run, entity])

    def drop_if_empty(self) -> None:
        row = self._con.execute(f"SELECT count(*) FROM {self._table}").fetchone()
        if row == (0,):
            self._con.execute(f"DROP TABLE {self._table}")
