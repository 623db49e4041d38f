"""HPRIM Santé 2.x files -> canonical tables. See `ariane.connectors.hprim` for the mapping.

A message (H … L) is loaded whole or not at all: any malformed record, a missing L record or an L
record whose counts do not match rejects the message, reported with its file, position, record
and field, never a value.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ariane.connectors import hprim_codec as hc
from ariane.connectors.hprim_codec import Codec, Malformed, Record, get
from ariane.connectors.messages import CanonicalBatch, Rejection, merge_rows, to_canonical
from ariane.errors import SourceError
from ariane.model.entities import ORDER

Row = dict[str, Any]

SUFFIXES: Final = frozenset({".hpr", ".hpm", ".hprim"})
_VERSION_PREFIX: Final = "H2"
CONFLICT: Final = "{kind} (differing duplicate of an earlier {entity}, first kept)"
PATIENT_COMMENT: Final = "C (comment on a patient or message, no canonical link)"
UNPARSED_RANGE: Final = "OBX.7 (reference range not numeric)"


def read_hprim(paths: Iterable[Path | str]) -> CanonicalBatch:
    """Read HPRIM files (or folders of *.hpr, *.hpm, *.hprim files) into canonical tables."""
    acc = _Accumulator()
    for path in _expand(paths):
        _read_file(path, acc)
    return acc.batch()


def _expand(paths: Iterable[Path | str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                sorted(c for c in p.iterdir() if c.is_file() and c.suffix.lower() in SUFFIXES)
            )
        elif p.is_file():
            out.append(p)
        else:
            raise SourceError(f"HPRIM input not found: {p.name}")
    return out


# --- accumulation across messages -----------------------------------------------------------


@dataclass
class _Message:
    """Rows of one message, committed only when the whole message is sound."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {e: [] for e in ORDER})
    unknown: dict[str, int] = field(default_factory=dict)
    p_count: int = 0

    def count(self, key: str) -> None:
        self.unknown[key] = self.unknown.get(key, 0) + 1


_KEYS: Final = {
    "patient": "patient_id",
    "practitioner": "practitioner_id",
    "request": "request_id",
    "result": "result_id",
    "comment": "comment_id",
}
_MERGED: Final = {"patient": "P", "practitioner": "OBR.16/OBX.16"}  # repeated across messages


class _Accumulator:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Row]] = {e: {} for e in ORDER}
        self.rejections: list[Rejection] = []
        self.unknown: dict[str, int] = {}

    def commit(self, msg: _Message, file: str, index: int) -> None:
        # Requests, results and comments are facts of one message: a key seen before means
        # two messages disagree about the same dossier, and the later one is rejected whole.
        for entity, kind, where in (
            ("request", "OBR", "OBR.3"), ("result", "OBX", "OBX.4"), ("comment", "C", "C.5"),
        ):  # fmt: skip
            seen: set[str] = set()
            for row in msg.rows[entity]:
                key = row[_KEYS[entity]]
                if key in self.rows[entity] or key in seen:
                    self.reject(file, index, kind, where, f"{entity} key read twice")
                    return
                seen.add(key)
        for entity in ORDER:
            table = self.rows[entity]
            key_name = _KEYS[entity]
            for row in msg.rows[entity]:
                key = row[key_name]
                old = table.get(key)
                if old is None:
                    table[key] = row
                elif entity in _MERGED and not merge_rows(old, row):
                    kind = _MERGED[entity]
                    self._count(CONFLICT.format(kind=kind, entity=entity))
        for key, n in msg.unknown.items():
            self._count(key, n)

    def reject(
        self, file: str, index: int, segment: str | None, fld: str | None, reason: str
    ) -> None:
        self.rejections.append(Rejection(file, index, segment, fld, reason))

    def _count(self, key: str, n: int = 1) -> None:
        self.unknown[key] = self.unknown.get(key, 0) + n

    def batch(self) -> CanonicalBatch:
        tables = {e: to_canonical(e, list(self.rows[e].values())) for e in ORDER}
        return CanonicalBatch(tables, self.rejections, self.unknown)


# --- files and messages --------------------------------------------------------------------


def _read_file(path: Path, acc: _Accumulator) -> None:
    name = path.name
    try:
        data = path.read_bytes()
    except OSError:
        raise SourceError(f"cannot read HPRIM file {name}") from None
    charset = "latin-1"
    if data.startswith(codecs.BOM_UTF8):
        data, charset = data[len(codecs.BOM_UTF8) :], "utf-8"
    first = _first_header(data.decode("latin-1"))
    if first is None:
        acc.reject(name, 0, None, None, "no H record: not an HPRIM file")
        return
    try:
        delimiters = hc.Delimiters.parse(first)
    except Malformed as exc:
        acc.reject(name, 1, "H", exc.field, f"{exc.reason}: file not read")
        return
    if charset == "latin-1":
        charset = hc.charset_of(first.split(delimiters.field))
    try:
        text = data.decode(charset)
    except UnicodeDecodeError:
        acc.reject(name, 0, None, None, f"not valid {charset} text: file not read")
        return
    _read_messages(name, text, delimiters, charset, acc)


def _first_header(text: str) -> str | None:
    """The first H record, its A continuation lines joined (H.8 may be on one of them)."""
    lines = hc.LINE_END.split(text)
    for n, line in enumerate(lines):
        if line.startswith("H") and len(line) >= 6:
            prefix = "A" + line[1]
            parts = [line]
            for more in lines[n + 1 :]:
                if not more.startswith(prefix):
                    break
                parts.append(more[2:])
            return "".join(parts)
    return None


def _read_messages(
    name: str, text: str, delimiters: hc.Delimiters, charset: str, acc: _Accumulator
) -> None:
    index = 0
    current: list[Record] | None = None
    for rec in hc.records(text, delimiters.field):
        if rec.kind == "H":
            if current is not None:
                acc.reject(name, index, "L", None, "missing L record before the next H: "
                           "message not loaded")  # fmt: skip
            index += 1
            current = [rec]
        elif current is None:
            acc.reject(name, index, rec.kind or None, None,
                       f"line {rec.line}: record outside an H…L message")  # fmt: skip
        else:
            current.append(rec)
            if rec.kind == "L":
                _message(name, index, current, charset, acc)
                current = None
    if current is not None:
        acc.reject(name, index, "L", None, "missing L record (truncated message): not loaded")


def _message(name: str, index: int, records: list[Record], charset: str, acc: _Accumulator) -> None:
    rec = records[0]
    try:
        codec = Codec(hc.Delimiters.parse(rec.text), charset)
        msg = _Parser(codec).parse(records)
        _check_counts(codec, records, msg)
    except _At as exc:
        acc.reject(name, index, exc.record.kind, exc.field, f"line {exc.record.line}: {exc.reason}")
        return
    except Malformed as exc:
        acc.reject(name, index, "H", exc.field, f"line {rec.line}: {exc.reason}")
        return
    acc.commit(msg, name, index)


class _At(Exception):
    """A Malformed located at a record."""

    def __init__(self, record: Record, fld: str | None, reason: str) -> None:
        super().__init__(reason)
        self.record, self.field, self.reason = record, fld, reason


def _count(text: str) -> int | None:
    """An L record count, None unless plain ASCII digits: str.isdigit() also accepts "²", which
    int() refuses, and int() refuses more than 4300 digits."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _check_counts(codec: Codec, records: list[Record], msg: _Message) -> None:
    last = records[-1]
    f = codec.fields(last.text)
    patients, lines = get(f, 3), get(f, 4)
    if patients:
        declared = _count(patients)
        if declared is None:
            raise _At(last, "L.3", "P record count is not a number")
        if declared != msg.p_count:
            raise _At(last, "L.3", f"L counts {declared} P records, message has "
                      f"{msg.p_count}: not loaded")  # fmt: skip
    if lines:
        declared = _count(lines)
        if declared is None:
            raise _At(last, "L.4", "line count is not a number")
        physical = sum(r.physical for r in records)
        # The spec does not say whether A continuation lines count: accept either reading.
        if declared not in (physical, len(records)):
            raise _At(last, "L.4", f"L counts {declared} lines, message has {physical} "
                      f"({len(records)} records): not loaded")  # fmt: skip


# --- records -> rows -----------------------------------------------------------------------


class _Parser:
    def __init__(self, codec: Codec) -> None:
        self.c = codec
        self.msg = _Message()
        self.patient_id: str | None = None
        self.request_id: str | None = None
        self.result_id: str | None = None
        self.seen_patient = False
        self.results_in_request = 0
        self.comments_here = 0

    def parse(self, records: list[Record]) -> _Message:
        self._header(records[0])
        for rec in records[1:-1]:
            try:
                handler = self._handlers.get(rec.kind)
                if handler is None:
                    self.msg.count(rec.kind or "(empty record type)")
                else:
                    handler(self, rec, self.c.fields(rec.text))
            except Malformed as exc:
                raise _At(rec, exc.field, exc.reason) from None
        return self.msg

    def _header(self, rec: Record) -> None:
        f = self.c.fields(rec.text)
        version = self.c.component(get(f, 12), 0)
        if version is not None and not version.upper().startswith(_VERSION_PREFIX):
            raise _At(rec, "H.12", "not an HPRIM Santé 2.x version")

    def _p(self, rec: Record, f: list[str]) -> None:
        c = self.c
        self.msg.p_count += 1
        self.seen_patient = True
        self.request_id = self.result_id = None
        pid = c.component(get(f, 2), 0)
        self.patient_id = pid
        if pid is None:
            return  # a P without a number only groups requests whose patient is not known
        given = c.component(get(f, 5), 1)
        middle = c.component(get(f, 5), 2)
        if middle is not None:
            given = middle if given is None else f"{given} {middle}"
        born = get(f, 7)
        address = get(f, 10)
        self.msg.rows["patient"].append({
            "patient_id": pid,
            "nir": c.component(get(f, 4), 0),
            "family_name": c.component(get(f, 5), 0),
            "given_name": given,
            "birth_name": c.text(get(f, 6)),
            "birth_date": hc.parse_date(born, "P.7") if born else None,
            "sex": c.text(get(f, 8)),
            "address": c.component(address, 0),
            "city": c.component(address, 2),
            "postal_code": c.component(address, 4),
            "phone": c.component(get(f, 12), 0),
        })  # fmt: skip

    def _obr(self, rec: Record, f: list[str]) -> None:
        c = self.c
        if not self.seen_patient:
            raise Malformed("OBR", "OBR before any P record")
        ids = get(f, 3)
        rid = c.component(ids, 1) or c.component(ids, 0)
        rid = rid or c.component(get(f, 2), 1) or c.component(get(f, 2), 0)
        if rid is None:
            raise Malformed("OBR.3", "no request number in OBR.3 or OBR.2")
        self.request_id, self.result_id = rid, None
        self.results_in_request = self.comments_here = 0
        self.msg.rows["request"].append({
            "request_id": rid,
            "patient_id": self.patient_id,
            "prescriber_id": self._practitioner(get(f, 16), "OBR.16"),
            "collected_at": self._time(c.component(get(f, 7), 0), "OBR.7"),
            "received_at": self._time(c.component(get(f, 14), 0), "OBR.14"),
            "site": c.text(get(f, 20)),
        })  # fmt: skip

    def _obx(self, rec: Record, f: list[str]) -> None:
        c = self.c
        if self.request_id is None:
            raise Malformed("OBX", "OBX outside a request (no OBR before it)")
        self.results_in_request += 1
        self.comments_here = 0
        seq = c.text(get(f, 1)) or str(self.results_in_request)
        rid = c.text(get(f, 4)) or f"{self.request_id}/{seq}"
        self.result_id = rid
        row: Row = {"result_id": rid, "request_id": self.request_id}
        self._code(get(f, 3), row)
        self._value(c.component(get(f, 2), 0), get(f, 5), row)
        row["unit"] = c.text(get(f, 6))
        text = c.text(get(f, 7))
        if text is not None and text.strip():
            bounds = hc.parse_range(text)
            if bounds is None:
                self.msg.count(UNPARSED_RANGE)
            else:
                row["ref_low"], row["ref_high"] = bounds
        row["flag"] = c.text(get(f, 8))
        row["status"] = c.text(get(f, 11))
        row["validated_at"] = self._time(c.component(get(f, 14), 0), "OBX.14")
        row["validator_id"] = self._practitioner(get(f, 16), "OBX.16")
        self.msg.rows["result"].append(row)

    def _code(self, field_text: str, row: Row) -> None:
        c = self.c
        for rep in c.repeats(field_text):
            comps = c.components(rep)
            code = c.unescape(comps[0]) or None
            label = c.unescape(comps[1]) if len(comps) > 1 and comps[1] else None
            system = c.unescape(comps[2]).upper() if len(comps) > 2 else ""
            key = "loinc_code" if system == "LN" else "local_code"
            if row.get(key) is None and code is not None:
                row[key] = code
            if row.get("label") is None:
                row["label"] = label

    def _value(self, vtype: str | None, field_text: str, row: Row) -> None:
        c = self.c
        if (vtype or "").upper() != "NM":
            row["value_text"] = c.text(field_text)
            return
        reps = c.repeats(field_text)
        number = hc.parse_number(c.unescape(reps[0]))
        if number is None:  # "<0.5" typed NM: the text is kept, nothing is guessed
            row["value_text"] = c.text(field_text)
            return
        row["value_num"] = number
        if len(reps) > 1:  # Ariane writes value_text beside a number as a second repetition
            row["value_text"] = c.text(self.c.d.repeat.join(reps[1:]))

    def _c(self, rec: Record, f: list[str]) -> None:
        c = self.c
        if self.request_id is None:
            self.msg.count(PATIENT_COMMENT)
            return
        self.comments_here += 1
        owner = self.result_id if self.result_id is not None else self.request_id
        seq = c.text(get(f, 1)) or str(self.comments_here)
        cid = c.text(get(f, 5)) or f"{owner}/C{seq}"
        written = get(f, 6)
        self.msg.rows["comment"].append({
            "comment_id": cid,
            "request_id": self.request_id,
            "result_id": self.result_id,
            "written_at": hc.parse_timestamp(written, "C.6") if written else None,
            "text": c.text(get(f, 3)),
        })  # fmt: skip

    def _practitioner(self, field_text: str, where: str) -> str | None:
        c = self.c
        reps = c.repeats(field_text)
        comps = c.components(reps[0])
        pid = c.unescape(comps[0]) or None
        if pid is None:
            return None
        row: Row = {"practitioner_id": pid}
        if len(comps) > 1 and comps[1]:
            subs = c.subs(comps[1])
            row["family_name"] = c.unescape(subs[0]) or None
            if len(subs) > 1:
                row["given_name"] = c.unescape(subs[1]) or None
        for rep in reps:
            parts = c.components(rep)
            if len(parts) > 2 and c.unescape(parts[2]).upper() == "RPPS" and parts[0]:
                row["rpps"] = c.unescape(parts[0])
                break
        self.msg.rows["practitioner"].append(row)
        return pid

    def _time(self, text: str | None, where: str) -> Any:
        return hc.parse_timestamp(text, where) if text else None

    _handlers: Final = {"P": _p, "OBR": _obr, "OBX": _obx, "C": _c}
