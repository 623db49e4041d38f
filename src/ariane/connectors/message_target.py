"""Message formats as load targets: HL7 v2 ORU^R01 and HPRIM Santé files in a folder.

A message groups a request with its patient, practitioners, results and comments, so the
entities of a package are gathered first and written together when the load closes. Memory
therefore grows with the package (unlike the SQL and FHIR NDJSON targets, which stream); this
is a documented limit of message targets. Reading back uses Ariane's own readers, so
reconciliation compares what a receiving system would parse from the files.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa

from ariane.connectors.message_source import FORMATS, message_files
from ariane.connectors.messages import publish_staged
from ariane.errors import TargetError
from ariane.model.entities import ENTITIES


def _hprim_uncarried() -> dict[str, frozenset[str]]:
    from ariane.connectors.hprim import CARRIED

    return {
        name: frozenset(set(e.field_names) - set(CARRIED.get(name, ())))
        for name, e in ENTITIES.items()
    }


# Canonical fields a format does not carry: reported by reconciliation, not compared.
UNCARRIED: dict[str, Callable[[], dict[str, frozenset[str]]]] = {
    "hl7v2": lambda: {
        "result": frozenset({"sensitivity"}),
        "patient": frozenset({"portal_password"}),
    },
    "hprim": _hprim_uncarried,
}


class MessageTarget:
    def __init__(
        self, fmt: str, folder: pathlib.Path, writer: Callable[[pathlib.Path], Any]
    ) -> None:
        self.fmt = fmt
        self.folder = folder
        self._writer = writer
        self._batches: dict[str, list[pa.RecordBatch]] = {}
        self.uncarried = UNCARRIED[fmt]()

    def describe(self) -> str:
        return f"{self.fmt}:{self.folder}"

    def prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def load(self, entity: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        collected = self._batches.setdefault(entity, [])
        n = 0
        for batch in batches:
            collected.append(batch)
            n += batch.num_rows
        return n

    # Nothing is written before close(): the load must not record entities as done before.
    deferred_writes = True

    def close(self) -> None:
        if not self._batches:
            return
        # Writers take the columns the package carries; absent fields are simply not written.
        tables = {e: pa.Table.from_batches(b) for e, b in self._batches.items() if b}
        # Files are written into a staging folder, then renamed into place: a load killed
        # while writing leaves no partial file among the messages, and a retry starts afresh.
        staging = self.folder / ".ariane.partial"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(mode=0o700)
        writer = self._writer(staging)
        try:
            writer.write(tables)
        finally:
            close = getattr(writer, "close", None)
            if close is not None:
                close()
        names = sorted(p.name for p in staging.iterdir())
        publish_staged(staging, self.folder, names, "messages")
        self._batches = {}

    def read_back(self, entity: str, columns: Sequence[str]) -> pa.Table:
        module, func, _ = FORMATS[self.fmt]
        import importlib

        reader = getattr(importlib.import_module(module), func)
        batch = reader(message_files(self.fmt, self.folder))
        if batch.rejections:
            raise TargetError(
                f"{len(batch.rejections)} message(s) written to {self.folder} do not read back"
            )
        table: pa.Table = batch.tables[entity]
        return table.select(list(columns))


def hl7v2_target(folder: pathlib.Path, now: dt.datetime) -> MessageTarget:
    from ariane.connectors.hl7v2_write import Hl7v2Writer

    return MessageTarget("hl7v2", folder, lambda d: Hl7v2Writer(d, message_time=now))


def hprim_target(folder: pathlib.Path, now: dt.datetime) -> MessageTarget:
    from ariane.connectors.hprim_write import HprimWriter

    return MessageTarget("hprim", folder, lambda d: HprimWriter(d, "ARIANE", "RECIPIENT", now))
