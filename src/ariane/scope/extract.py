"""Extraction: stream the scope out of the source, check it again, transform it, hand it on.

Each entity is read in one pass over the source: every row comes with the reason it is kept or
left out (values only on kept rows), so the same pass counts the partition
`transferred + left out(reason) = source rows` and yields the rows to transfer.

Per batch, before anything is transformed, the rows are checked again against the manifest with
the same conditions that selected them (filters, excluded categories, membership of the scope):
a row that should not be there is a SurplusError, never a warning. After transformation the
batch must have exactly the manifest's columns, and every pseudonymised value must have a
pseudonym (a link to an identifier outside the scope is surplus too).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ariane.connectors import duck
from ariane.errors import SurplusError
from ariane.model.entities import ENTITIES
from ariane.reconcile.digest import FieldDigests
from ariane.scope.plan import CATEGORY, REASON, TRANSFERRED
from ariane.scope.prefetch import prefetch
from ariane.scope.session import ScopeSession
from ariane.transform.generalise import generalise

CHECK_BATCH = "_check_batch"
DEFAULT_BATCH_ROWS = 100_000


@dataclass
class EntityStream:
    """The transformed batches of one entity; digests and counts fill in as they are consumed."""

    entity: str
    schema: pa.Schema
    batches: Generator[pa.RecordBatch, None, None]
    digests: FieldDigests
    tally: dict[tuple[str, str | None], int]  # (reason, category) -> source rows

    def partition(self) -> list[tuple[str, str | None, int]]:
        return [(r, c, n) for (r, c), n in sorted(self.tally.items(), key=str)]

    def close(self) -> None:
        """Stop reading: the read-ahead and digest threads end before this returns.

        Call it before the session closes when the batches were not read to the end (an
        error downstream): a thread still querying a closing connection would hang.
        """
        self.batches.close()


def stream_entity(
    session: ScopeSession,
    entity: str,
    maps: dict[str, str],
    digest_con: duckdb.DuckDBPyConnection,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    exact: Mapping[str, str] | None = None,
) -> EntityStream:
    """`exact`: the mapping tables that hold exactly a column of the scope (`exact_maps`)."""
    plan = session.plan
    ep = plan.entities[entity]
    canonical = ENTITIES[entity]
    schema = canonical.schema(list(ep.fields))
    digests = FieldDigests(digest_con, canonical.key, ep.fields)
    rules = {
        f.partition(".")[2]: rule
        for f, rule in plan.manifest.transforms.generalise.items()
        if f.partition(".")[0] == entity
    }
    check_sql = plan.check_sql(entity, CHECK_BATCH)
    tally: dict[tuple[str, str | None], int] = {}

    def checked() -> Iterator[pa.RecordBatch]:
        # `stream` reads on a cursor of its own: the per-batch checks query the session's
        # connection, and a new query on a connection cuts short the result it was streaming.
        for batch in session.stream(
            plan.stream_sql(entity, maps, exact), f"extracting {entity}", batch_rows
        ):
            batch = _count_and_keep(batch, tally)
            if batch.num_rows == 0:
                continue
            if check_sql is not None:
                _check(session, check_sql, batch, entity, ep.conditions)
            yield _transform(batch, schema, maps, rules, entity)

    def batches() -> Generator[pa.RecordBatch, None, None]:
        # Reading, checking and transforming run on one thread, digests on another, while the
        # caller encodes and seals: DuckDB, Arrow and age release the GIL. One digest worker
        # keeps the accumulator single-threaded; queues bound what waits in memory.
        ahead = prefetch(checked, depth=2)
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="digest") as pool:
                pending: Future[None] | None = None
                for out in ahead:
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(digests.update, out)
                    yield out
                if pending is not None:
                    pending.result()
        finally:
            ahead.close()  # joins the read-ahead thread, whatever ended the loop

    return EntityStream(entity, schema, batches(), digests, tally)


def _count_and_keep(
    batch: pa.RecordBatch, tally: dict[tuple[str, str | None], int]
) -> pa.RecordBatch:
    """Add the batch's rows to the partition; return the rows to transfer, without the tags."""
    tags = pa.table({"r": batch.column(REASON), "c": batch.column(CATEGORY)})
    for row in (
        tags.group_by(["r", "c"], use_threads=False).aggregate([([], "count_all")]).to_pylist()
    ):
        key = (str(row["r"]), row["c"])
        tally[key] = tally.get(key, 0) + int(row["count_all"])
    kept = batch.filter(pc.equal(batch.column(REASON), TRANSFERRED))
    return kept.drop_columns([REASON, CATEGORY])


def _check(
    session: ScopeSession, sql: str, batch: pa.RecordBatch, entity: str, conditions: object
) -> None:
    session.con.register(CHECK_BATCH, batch)
    try:
        row = session.query(sql, f"checking {entity}").fetchone()
    finally:
        session.con.unregister(CHECK_BATCH)
    assert row is not None
    reasons = [c.reason for c in conditions if c.in_stream]  # type: ignore[attr-defined]
    for reason, n in zip(reasons, row, strict=True):
        if n:
            raise SurplusError(
                f"{n} extracted {entity} row(s) should have been left out ({reason}); "
                "nothing was written"
            )


def _transform(
    batch: pa.RecordBatch,
    schema: pa.Schema,
    maps: dict[str, str],
    rules: Mapping[str, str],
    entity: str,
) -> pa.RecordBatch:
    columns = []
    for f in schema:
        values = batch.column(f.name)
        if f.name in maps:
            pseudo = batch.column("__p_" + f.name)
            missing = pc.sum(pc.and_(pc.is_valid(values), pc.is_null(pseudo))).as_py() or 0
            if missing:
                raise SurplusError(
                    f"{missing} value(s) of {entity}.{f.name} point outside the scope "
                    "and have no pseudonym"
                )
            values = pseudo
        if f.name in rules:
            values = generalise(values, rules[f.name])
        columns.append(values.cast(f.type))
    out = pa.RecordBatch.from_arrays(columns, schema=schema)
    if out.schema.names != list(schema.names):
        raise SurplusError(f"extracted {entity} columns differ from the manifest")
    return out


def new_digest_connection() -> duckdb.DuckDBPyConnection:
    # Digests are the costliest step after reading: let them use every core.
    return duck.connect("512MB")
