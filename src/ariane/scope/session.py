"""A scope session: the source attached read-only, the canonical views, the in-scope requests.

Both the dry run and the extraction open one, so they evaluate the very same SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import duckdb
import pyarrow as pa

from ariane.connectors import duck, source
from ariane.connectors.spill import SpillArea
from ariane.errors import SourceError
from ariane.manifest.schema import Manifest
from ariane.manifest.validate import verify_manifest
from ariane.model import categories, loinc
from ariane.model.entities import ENTITIES
from ariane.profiles.compile import LOCAL_TABLE, LOINC_TABLE, compile_view, view_name
from ariane.profiles.schema import Profile
from ariane.scope.plan import SCOPE_REQUEST, Plan, build_plan

T = TypeVar("T")


class ScopeSession:
    def __init__(
        self,
        src: source.SourceRef,
        profile: Profile,
        manifest: Manifest,
        memory_limit: str | None = None,
        spill_root: Path | None = None,
    ) -> None:
        """`spill_root`: where the engine may spill, encrypted (none: memory only)."""
        filters = verify_manifest(manifest, profile)
        self.plan: Plan = build_plan(manifest, filters)
        self.profile = profile
        self.manifest = manifest
        self.source = src
        self._spill = SpillArea(spill_root) if spill_root is not None else None
        try:
            self.con = duck.connect(memory_limit, spill=self._spill)
        except BaseException:
            self._close_spill()
            raise
        try:
            # For message folders: what the reader rejected, by reason and position.
            self.source_report = source.attach(self.con, src)
            self.catalog = source.catalog(self.con)
            self._load_code_tables()
            for name in ENTITIES:
                if name in profile.entities:
                    sql = compile_view(profile, ENTITIES[name], self.catalog)
                else:
                    sql = _empty_view(name)
                self.con.execute(f"CREATE VIEW {view_name(name)} AS {sql}")
            self._execute(self.plan.scope_request_sql, "selecting the requests in scope")
        except BaseException:
            self.close()
            raise

    def _load_code_tables(self) -> None:
        table = loinc.sensitivity_table()
        self.con.register(
            "_loinc_arrow",
            pa.table({"code": list(table), "category": list(table.values())}),
        )
        self.con.execute(f"CREATE TABLE {LOINC_TABLE} AS SELECT * FROM _loinc_arrow")
        self.con.unregister("_loinc_arrow")
        local = self.profile.local_codes
        self.con.register(
            "_local_arrow",
            pa.table(
                {
                    "code": pa.array(list(local), pa.string()),
                    "category": pa.array(
                        [categories.sensitive(c) for c in local.values()], pa.string()
                    ),
                }
            ),
        )
        self.con.execute(f"CREATE TABLE {LOCAL_TABLE} AS SELECT * FROM _local_arrow")
        self.con.unregister("_local_arrow")

    def _execute(self, sql: str, doing: str) -> duckdb.DuckDBPyConnection:
        return _guarded(lambda: self.con.execute(sql), doing)

    def query(self, sql: str, doing: str) -> duckdb.DuckDBPyConnection:
        return self._execute(sql, doing)

    def stream(self, sql: str, doing: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        """The result of `sql` in batches, on a cursor of its own: the session's connection stays
        free for other statements meanwhile (a new query on it would cut this one short)."""
        cursor = self.con.cursor()
        try:
            reader = _guarded(lambda: cursor.execute(sql).to_arrow_reader(batch_rows), doing)
            while True:
                batch = _guarded(lambda: next(reader, None), doing)
                if batch is None:
                    return
                yield batch
        finally:
            cursor.close()

    def scope_size(self) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {SCOPE_REQUEST}").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._close_spill()

    def _close_spill(self) -> None:
        if self._spill is not None:
            self._spill.close()

    def __enter__(self) -> ScopeSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _empty_view(name: str) -> str:
    from ariane.model.entities import TYPE_NAMES
    from ariane.profiles.compile import SQL_TYPES

    cols = ", ".join(
        f"CAST(NULL AS {SQL_TYPES[TYPE_NAMES[f.type]]}) AS {duck.quote_ident(f.name)}"
        for f in ENTITIES[name].fields
    )
    return f"SELECT {cols} WHERE FALSE"


def _guarded(call: Callable[[], T], doing: str) -> T:
    """Run a DuckDB call; its errors become SourceErrors that carry no value of the source."""
    try:
        return call()
    except duckdb.OutOfMemoryException:
        raise duck.out_of_memory(doing) from None
    except duckdb.ConversionException:
        # DuckDB's message quotes the offending value: never pass it on.
        raise SourceError(
            f"a source value could not be converted to its canonical type while {doing}; "
            "check the profile's expressions"
        ) from None
    except duckdb.Error as e:
        raise SourceError(f"the source query failed while {doing} ({type(e).__name__})") from None
