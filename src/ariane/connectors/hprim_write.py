"""Canonical tables -> HPRIM Santé 2.2 ORU files. See `ariane.connectors.hprim` for the mapping.

Everything that can be refused is checked on whole columns before the first file is written, so
a refused call writes nothing. Each file is written under a temporary name, fsynced and linked to
its final name (never overwriting), with owner-only permissions: it holds personal data in clear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from ariane.connectors import hprim_codec as hc
from ariane.connectors.hprim_codec import Codec
from ariane.connectors.messages import cast_column, make_output_dir, store_new_file
from ariane.errors import TargetError
from ariane.model.entities import DATE, FLOAT, ORDER, STRING, TIMESTAMP, Entity, entity

CREDENTIAL_FIELD: Final = "portal_password"
# Canonical fields with no HPRIM place: their non-null values are counted in `left_out`.
NOT_CARRIED: Final[dict[str, tuple[str, ...]]] = {
    "patient": ("email",),
    "practitioner": ("specialty",),
    "result": ("sensitivity",),
}
UNREFERENCED: Final = "practitioner: not referenced by any request or result"
_LATIN1: Final = r"[^\x{00}-\x{ff}]"
# ISO-8859-15 replaces eight ISO-8859-1 signs with Œ œ Š š Ž ž Ÿ €, which French names need
# ("Œillet"): a file falls back to it, declared in H.8, only when a value needs one of them.
_LATIN9_ONLY: Final = "ŒœŠšŽžŸ€"
_LATIN1_ONLY: Final = r"[¤¦¨´¸¼½¾]"
_US_RANGE: Final = (-62_135_596_800_000_000, 253_402_300_799_999_999)  # years 0001-9999
_DAY_RANGE: Final = (-719_162, 2_932_896)

Cols = dict[str, list[Any]]
Esc = Callable[[str], str]


class HprimWriter:
    """Writes canonical tables as HPRIM Santé 2.2 ORU files, `requests_per_file` requests each.

    `left_out` counts, by reason, what HPRIM cannot carry and was therefore not written:
    practitioners no request or result refers to, and values of fields with no HPRIM place.
    """

    def __init__(
        self,
        out_dir: Path,
        sender: str,
        receiver: str,
        now: dt.datetime,
        *,
        requests_per_file: int = 1000,
        newline: str = "\r\n",
        line_limit: int = hc.LINE_LIMIT,
    ) -> None:
        if requests_per_file < 1:
            raise TargetError("requests_per_file must be at least 1")
        if line_limit < 20:  # room for the longest escape sequence after "A|"
            raise TargetError("line_limit must be at least 20")
        if newline not in ("\r\n", "\r"):
            raise TargetError("HPRIM records end with CR or CRLF")
        self._dir = Path(out_dir)
        self._codec = Codec(hc.DEFAULT)
        for what, text in (("sender", sender), ("receiver", receiver)):
            if any(ord(ch) > 0xFF for ch in text):
                raise TargetError(f"HPRIM {what} has characters outside ISO-8859-1")
        self._sender = self._codec.escape(sender)
        self._receiver = self._codec.escape(receiver)
        self._now = now
        self._per_file = requests_per_file
        self._limit = line_limit
        self._newline = newline
        self._files = 0
        self._charset = "latin-1"
        self.left_out: dict[str, int] = {}
        make_output_dir(self._dir, "HPRIM")

    def write(self, tables: Mapping[str, pa.Table]) -> int:
        """Write every row; returns the number of files written (none for no request or patient)."""
        unknown = sorted(set(tables) - set(ORDER))
        if unknown:
            raise TargetError(f"entities not in the canonical model: {unknown}")
        charset = ["latin-1", ""]
        cols = {name: _prepare(entity(name), tables.get(name), charset) for name in ORDER}
        if charset[0] == "iso-8859-15" and charset[1]:
            raise TargetError("values need both ISO-8859-15 letters and ISO-8859-1 signs")
        self._charset = charset[0]
        plan = _Plan(cols)
        left = dict(plan.left_out)
        for name, fields in NOT_CARRIED.items():
            for f in fields:
                n = sum(v is not None for v in cols[name][f])
                if n:
                    left[f"{name}.{f}: no HPRIM field"] = n
        files = [
            self._render(plan, chunk, i) for i, chunk in enumerate(plan.chunks(self._per_file))
        ]
        for name, data in files:
            self._store(name, data)  # each stored whole, renamed, its directory synced
        for k, n in left.items():
            self.left_out[k] = self.left_out.get(k, 0) + n
        return len(files)

    # --- rendering -------------------------------------------------------------------------

    def _render(
        self, plan: _Plan, chunk: list[tuple[str | None, list[int]]], i: int
    ) -> tuple[str, bytes]:
        name = f"{self._now:%Y%m%d%H%M%S}-{self._files + i + 1:05d}.hpr"
        e = self._codec.escape
        records = [
            f"H|~^\\&|{e(name)}||{self._sender}||ORU||{self._declared()}|{self._receiver}||P|"
            f"H2.2~C|"
            f"{self._now:%Y%m%d%H%M%S}"
        ]
        for seq, (pid, requests) in enumerate(chunk, 1):
            records.append(plan.patient_record(seq, pid, e))
            for n, r in enumerate(requests, 1):
                records.extend(plan.request_records(n, r, e))
        lines: list[str] = []
        for rec in records:
            lines.extend(hc.fold(rec, hc.DEFAULT, self._limit))
        lines.append(f"L|1||{len(chunk)}|{len(lines) + 1}")
        text = self._newline.join(lines) + self._newline
        return name, text.encode(self._charset)  # every value was checked to fit it

    def _declared(self) -> str:
        """H.8: the character set, stated only when it is not HPRIM's default ISO-8859-1."""
        return "8859/15" if self._charset == "iso-8859-15" else ""

    def _store(self, name: str, data: bytes) -> None:
        store_new_file(self._dir / name, data, f"HPRIM file {name}")
        self._files += 1


# --- column checks ---------------------------------------------------------------------------


def _prepare(ent: Entity, table: pa.Table | None, charset: list[str]) -> Cols:
    """Checked, formatted Python columns for every canonical field (absent ones all None)."""
    if table is None:
        table = ent.schema().empty_table()
    names = table.column_names
    # A credential column is refused as soon as it holds a value; an all-null one (as the
    # readers return) carries nothing.
    if CREDENTIAL_FIELD in names and table.column(CREDENTIAL_FIELD).null_count != table.num_rows:
        raise TargetError(f"credential field {CREDENTIAL_FIELD} is never written")
    unknown = sorted(set(names) - set(ent.field_names))
    if unknown or len(set(names)) != len(names):
        raise TargetError(f"{ent.name}: columns must be distinct canonical fields: {unknown}")
    n = table.num_rows
    if n and ent.key not in names:
        raise TargetError(f"{ent.name}: key column {ent.key} is missing")
    cols: Cols = {}
    for name in ent.field_names:
        if name == CREDENTIAL_FIELD:
            continue
        if name not in names:
            cols[name] = [None] * n
            continue
        fld = ent.field(name)
        arr = cast_column(ent.name, name, table.column(name).combine_chunks(), fld.type)
        where = f"{ent.name}.{name}"
        if fld.type == STRING:
            outside = pc.match_substring_regex(arr, _LATIN1)
            if pc.any(outside).as_py():
                values = pc.filter(arr, outside).to_pylist()
                bad = sum(
                    1 for v in values if any(ch > "\xff" and ch not in _LATIN9_ONLY for ch in v)
                )
                if bad:
                    raise TargetError(
                        f"{where}: {bad} values have characters outside "
                        "ISO-8859-1 and ISO-8859-15, which HPRIM cannot carry"
                    )
                charset[0] = "iso-8859-15"
            if pc.any(pc.match_substring_regex(arr, _LATIN1_ONLY)).as_py():
                charset[1] = "iso-8859-1"  # a sign ISO-8859-15 dropped
            if name == ent.key:
                empty = arr.null_count + (pc.sum(pc.equal(arr, "")).as_py() or 0)
                if empty:
                    raise TargetError(f"{where}: {empty} rows with a null or empty key, which "
                                      "HPRIM cannot carry")  # fmt: skip
            cols[name] = arr.to_pylist()
        elif fld.type == FLOAT:
            bad = pc.sum(pc.invert(pc.is_finite(arr))).as_py() or 0
            if bad:
                raise TargetError(f"{where}: {bad} values are NaN or infinite")
            cols[name] = [None if v is None else hc.format_number(v) for v in arr.to_pylist()]
        elif fld.type == DATE:
            _check_range(where, arr, pa.int32(), _DAY_RANGE)
            cols[name] = pc.strftime(arr, format="%Y%m%d").to_pylist()
        elif fld.type == TIMESTAMP:
            _check_range(where, arr, pa.int64(), _US_RANGE)
            text = pc.strftime(arr, format="%Y%m%d%H%M%S")  # %S carries the microseconds
            text = pc.replace_substring_regex(text, pattern=r"\.000000$", replacement="")
            text = pc.replace_substring_regex(text, pattern=r"^(\d{12})00$", replacement=r"\1")
            cols[name] = text.to_pylist()
        else:  # pragma: no cover - the canonical model has only the four types above
            raise TargetError(f"{where}: unsupported type")
    return cols


def _check_range(where: str, arr: pa.Array, as_int: pa.DataType, bounds: tuple[int, int]) -> None:
    ints = arr.view(as_int)
    bad = pc.sum(pc.or_(pc.less(ints, bounds[0]), pc.greater(ints, bounds[1]))).as_py() or 0
    if bad:
        raise TargetError(f"{where}: {bad} values outside years 0001-9999")


# --- placement -------------------------------------------------------------------------------


class _Plan:
    """Where every row goes: patients group requests, requests nest results, comments follow."""

    def __init__(self, cols: dict[str, Cols]) -> None:
        self.cols = cols
        self.patients = _index(cols["patient"]["patient_id"], "patient")
        self.practitioners = _index(cols["practitioner"]["practitioner_id"], "practitioner")
        requests = cols["request"]["request_id"]
        self.request_index = _index(requests, "request")
        results = cols["result"]
        self.result_index = _index(results["result_id"], "result")
        _index(cols["comment"]["comment_id"], "comment")
        self.results: dict[int, list[int]] = {}
        orphans = 0
        for i, req in enumerate(results["request_id"]):
            r = self.request_index.get(req) if req is not None else None
            if r is None:
                orphans += 1
            else:
                self.results.setdefault(r, []).append(i)
        if orphans:
            raise TargetError(f"result: {orphans} rows whose request is not written "
                              "(HPRIM nests a result in its request)")  # fmt: skip
        self.request_comments: dict[int, list[int]] = {}
        self.result_comments: dict[int, list[int]] = {}
        self._place_comments(cols["comment"], results["request_id"])
        referenced = {
            *(v for v in cols["request"]["prescriber_id"] if v is not None),
            *(v for v in results["validator_id"] if v is not None),
        }
        unreferenced = sum(1 for p in self.practitioners if p not in referenced)
        self.left_out = {UNREFERENCED: unreferenced} if unreferenced else {}

    def _place_comments(self, c: Cols, result_requests: list[Any]) -> None:
        bad = 0
        for i, (req, res) in enumerate(zip(c["request_id"], c["result_id"], strict=True)):
            if res is not None:
                j = self.result_index.get(res)
                if j is None or req is None or result_requests[j] != req:
                    bad += 1
                else:
                    self.result_comments.setdefault(j, []).append(i)
            elif req is not None and req in self.request_index:
                self.request_comments.setdefault(self.request_index[req], []).append(i)
            else:
                bad += 1
        if bad:
            raise TargetError(f"comment: {bad} rows cannot be placed (HPRIM writes a comment "
                              "after its request, or after its result in that result's "
                              "request)")  # fmt: skip

    def chunks(self, per_file: int) -> list[list[tuple[str | None, list[int]]]]:
        """Files as lists of (patient id, request positions); a patient may span files."""
        by_patient: dict[str | None, list[int]] = {}
        for i, pid in enumerate(self.cols["request"]["patient_id"]):
            by_patient.setdefault(pid, []).append(i)
        groups: list[tuple[str | None, list[int]]] = []
        lonely: list[tuple[str | None, list[int]]] = []
        for pid in self.patients:
            requests = by_patient.pop(pid, None)
            if requests is None:
                lonely.append((pid, []))
            else:
                groups.append((pid, requests))
        groups.extend(by_patient.items())  # patients not in the patient table: a P with the id
        files: list[list[tuple[str | None, list[int]]]] = []
        current: list[tuple[str | None, list[int]]] = []
        room = per_file
        for pid, requests in groups:
            while requests:
                take, requests = requests[:room], requests[room:]
                current.append((pid, take))
                room -= len(take)
                if room == 0:
                    files.append(current)
                    current, room = [], per_file
        current.extend(lonely)
        if current:
            files.append(current)
        return files

    # --- records -----------------------------------------------------------------------------

    def patient_record(self, seq: int, pid: str | None, e: Esc) -> str:
        i = self.patients.get(pid) if pid is not None else None
        if i is None:
            return _record(["P", str(seq), _x(e, pid)])
        p = self.cols["patient"]
        name = _join("~", [_x(e, p["family_name"][i]), _x(e, p["given_name"][i])])
        address = _join("~", [_x(e, p["address"][i]), "", _x(e, p["city"][i]), "",
                              _x(e, p["postal_code"][i])])  # fmt: skip
        return _record([
            "P", str(seq), _x(e, pid), "", _x(e, p["nir"][i]), name, _x(e, p["birth_name"][i]),
            p["birth_date"][i] or "", _x(e, p["sex"][i]), "", address, "", _x(e, p["phone"][i]),
        ])  # fmt: skip

    def request_records(self, seq: int, r: int, e: Esc) -> list[str]:
        q = self.cols["request"]
        out = [_record([
            "OBR", str(seq), "", "~" + e(q["request_id"][r]), "", "", "",
            q["collected_at"][r] or "", "", "", "", "", "", "", q["received_at"][r] or "", "",
            self._practitioner(q["prescriber_id"][r], e), "", "", "", _x(e, q["site"][r]),
        ])]  # fmt: skip
        out.extend(
            self._comment(c, n, e) for n, c in enumerate(self.request_comments.get(r, []), 1)
        )
        for seq, i in enumerate(self.results.get(r, []), 1):
            out.append(self._result(seq, i, e))
            comments = self.result_comments.get(i, [])
            out.extend(self._comment(c, n, e) for n, c in enumerate(comments, 1))
        return out

    def _result(self, seq: int, i: int, e: Esc) -> str:
        x = self.cols["result"]
        num, text = x["value_num"][i], x["value_text"][i]
        if num is not None:
            vtype = "NM"
            value = num if not text else f"{num}^{e(text)}"
        else:
            vtype = "TX" if text and ("\n" in text or "\r" in text or len(text) > 200) else "ST"
            value = _x(e, text)
        return _record([
            "OBX", str(seq), vtype, _code(x["local_code"][i], x["label"][i], x["loinc_code"][i], e),
            e(x["result_id"][i]), value, _x(e, x["unit"][i]),
            hc.format_range(_float(x["ref_low"][i]), _float(x["ref_high"][i])),
            _x(e, x["flag"][i]), "", "", _x(e, x["status"][i]), "", "",
            x["validated_at"][i] or "", "", self._practitioner(x["validator_id"][i], e),
        ])  # fmt: skip

    def _comment(self, i: int, seq: int, e: Esc) -> str:
        c = self.cols["comment"]
        return _record([
            "C", str(seq), "L", _x(e, c["text"][i]), "G", e(c["comment_id"][i]),
            c["written_at"][i] or "",
        ])  # fmt: skip

    def _practitioner(self, pid: str | None, e: Esc) -> str:
        if pid is None:
            return ""
        i = self.practitioners.get(pid)
        if i is None:
            return e(pid)
        p = self.cols["practitioner"]
        family, given = p["family_name"][i], p["given_name"][i]
        name = "" if family is None and given is None else _join("&", [_x(e, family), _x(e, given)])
        text = _join("~", [e(pid), name, "L" if name else ""])
        rpps = p["rpps"][i]
        if rpps:
            text += f"^{e(rpps)}~~RPPS"
        return text


def _index(keys: list[Any], name: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in index:
            raise TargetError(f"{name}: duplicate keys")
        index[k] = i
    return index


def _code(local: str | None, label: str | None, loinc: str | None, e: Esc) -> str:
    reps = []
    if local is not None or (label is not None and loinc is None):
        reps.append(_join("~", [_x(e, local), _x(e, label), "L"]))
        label = None
    if loinc is not None:
        reps.append(_join("~", [e(loinc), _x(e, label), "LN"]))
    return "^".join(reps)


def _x(e: Esc, value: str | None) -> str:
    return "" if value is None else e(value)


def _float(text: str | None) -> float | None:
    return None if text is None else float(text)


def _join(sep: str, parts: list[str]) -> str:
    return sep.join(parts).rstrip(sep)  # escaped values hold no raw delimiter


def _record(fields: list[str]) -> str:
    return _join("|", fields)
