"""One decoded HL7 v2 message -> canonical rows (the mapping is documented in `hl7v2_read`).

Segments are grouped into orders first, by the structure the message type implies: ORC before
its OBR (ORU, ORM, OML), or after it (OUL^R22/R23/R24); SPM after its order, or before the orders
it holds (OUL^R22/R23, OML^O33/O35). An NTE belongs to the last OBR/ORC/SPM (request comment) or
OBX (result comment) before it; the Z-segments of `hl7v2_write` attach to the NTE or OBX they
follow. Rows are then built order by order; any MessageError rejects the whole message.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Final, TypeVar

from ariane.connectors import hl7v2_codes as codes
from ariane.connectors.hl7v2_escape import Delimiters
from ariane.connectors.hl7v2_parse import Message, Segment
from ariane.model.entities import ORDER

__all__ = ["MessageRows", "XcnCache", "map_message"]

Row = dict[str, object]
XcnCache = dict[tuple[str, Delimiters, str], Row]
_T = TypeVar("_T")

_NUM: Final = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_NUMBER: Final = re.compile(_NUM)
_RANGE: Final = re.compile(rf"\s*({_NUM})\s*(?:-|to)\s*({_NUM})\s*")
_ABOVE: Final = re.compile(rf"\s*>=?\s*({_NUM})\s*")
_BELOW: Final = re.compile(rf"\s*<=?\s*({_NUM})\s*")
_CODE: Final = re.compile(r"[A-Z0-9]{2,3}")
_KNOWN_TYPES: Final = frozenset({"ORU", "OUL", "ORM", "OML", "ADT"})
_NO_ONE: Final[Row] = {}  # an XCN without any identifier


def map_message(msg: Message, xcn: XcnCache) -> MessageRows:
    """The rows of one message; raises MessageError. `xcn` caches parsed XCN across messages."""
    return _Mapper(msg, xcn).run()


@dataclass
class _Obs:
    obx: Segment
    zob: Segment | None = None
    notes: list[list[Segment | None]] = field(default_factory=list)  # [NTE, ZNT or None]


@dataclass
class _Order:
    patient_id: str | None
    orc: Segment | None = None
    obr: Segment | None = None
    spm: Segment | None = None
    results: list[_Obs] = field(default_factory=list)
    notes: list[list[Segment | None]] = field(default_factory=list)


@dataclass
class MessageRows:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {n: [] for n in ORDER})
    notes: Counter[str] = field(default_factory=Counter)


class _Mapper:
    """One message -> canonical rows; raises MessageError (the message is then rejected)."""

    def __init__(self, msg: Message, xcn: XcnCache) -> None:
        self.msg = msg
        self.out = MessageRows()
        self.practitioners: dict[str, Row] = {}
        self.xcn = xcn
        # OUL_R22/R23/R24 put ORC after its OBR; OUL_R22/R23 and OML_O33/O35 put SPM before.
        self.orc_after_obr = msg.code == "OUL" and msg.trigger in ("R22", "R23", "R24")
        self.spm_first = (msg.code, msg.trigger) in (
            ("OUL", "R22"),
            ("OUL", "R23"),
            ("OML", "O33"),
            ("OML", "O35"),
        )

    def note(self, key: str) -> None:
        self.out.notes[key] += 1

    def run(self) -> MessageRows:
        msg = self.msg
        if not msg.version.startswith("2."):
            self.note("MSH-12: version outside 2.x, read as 2.x")
        if msg.code not in _KNOWN_TYPES:
            code = msg.code if _CODE.fullmatch(msg.code) else "other"
            self.note(f"MSH-9: {code} read with the generic mapping")
        orders = self._group()
        used: set[tuple[str, str]] = set()
        for order in orders:
            self._order(order, used)
        self.out.rows["practitioner"].extend(self.practitioners.values())
        return self.out

    def _group(self) -> list[_Order]:
        orders: list[_Order] = []
        patient: str | None = None
        order: _Order | None = None
        obs: _Obs | None = None
        ctx: str | None = None  # what an NTE attaches to: "order", "result", "patient", None
        spm: Segment | None = None
        prev = "MSH"
        for seg in self.msg.segments[1:]:
            sid = seg.id
            if sid == "PID":
                patient = self._patient(seg)
                order, obs, ctx, spm = None, None, "patient", None
            elif sid == "ORC":
                if self.orc_after_obr and order and order.obr and not order.orc:
                    order.orc = seg
                else:
                    order = _Order(patient, orc=seg, spm=spm if self.spm_first else None)
                    orders.append(order)
                obs, ctx = None, "order"
            elif sid == "OBR":
                if order and order.orc and not order.obr and not self.orc_after_obr:
                    order.obr = seg
                else:
                    order = _Order(patient, obr=seg, spm=spm if self.spm_first else None)
                    orders.append(order)
                obs, ctx = None, "order"
            elif sid == "SPM":
                if self.spm_first:
                    spm, order, obs, ctx = seg, None, None, None
                elif order is not None and order.spm is None:
                    order.spm, obs, ctx = seg, None, "order"
                else:
                    self.note("SPM: outside an order or a second one")
            elif sid == "OBX":
                if order is None:
                    self.note("OBX: outside an order")
                    obs, ctx = None, None
                else:
                    obs = _Obs(seg)
                    order.results.append(obs)
                    ctx = "result"
            elif sid == "NTE":
                if ctx == "result" and obs is not None:
                    obs.notes.append([seg, None])
                elif ctx == "order" and order is not None:
                    order.notes.append([seg, None])
                else:
                    self.note("NTE: patient note" if ctx == "patient" else "NTE: outside an order")
                    sid = "NTE-unmapped"
            elif sid == codes.ZNT and prev == "NTE":
                target = obs.notes if ctx == "result" and obs else order.notes if order else []
                target[-1][1] = seg
            elif sid == codes.ZOB and prev == "OBX" and obs is not None:
                obs.zob = seg
            elif sid == codes.ZPR:
                self._specialty(seg)
            else:
                self.note(sid)
            prev = sid
        return orders

    # --- patient and practitioners ---------------------------------------------------------

    def _patient(self, pid: Segment) -> str | None:
        ids = [
            (pid.part(r, 3, 1), pid.part(r, 3, 4, 1), pid.part(r, 3, 4, 2), pid.part(r, 3, 5))
            for r in pid.reps(3)
        ]
        nir = next((i for i in ids if _is_nir(i[1], i[2], i[3]) and i[0] is not None), None)
        others = [i for i in ids if i is not nir and i[0] is not None]
        chosen = next((i for t in ("PI", "MR") for i in others if i[3] == t), None)
        chosen = chosen if chosen is not None else (others[0] if others else None)
        patient_id = _first(chosen[0] if chosen else None, pid.get(2))
        if patient_id is None:
            self.note("PID-3: patient without identifier")
            return None
        names = {pid.part(r, 5, 7) or "": r for r in reversed(pid.reps(5))}
        usual = names.get(codes.USUAL_NAME, names.get("D", names.get("")))
        birth = names.get(codes.BIRTH_NAME, names.get("B"))
        address = pid.reps(11)[:1]
        street = pid.part(address[0], 11, 1, 1) if address else None
        line2 = pid.part(address[0], 11, 2) if address else None
        phone, email = self._telecom(pid)
        self.out.rows["patient"].append(
            {
                "patient_id": patient_id,
                "family_name": pid.part(usual, 5, 1, 1) if usual is not None else None,
                "given_name": pid.part(usual, 5, 2) if usual is not None else None,
                "birth_name": pid.part(birth, 5, 1, 1) if birth is not None else None,
                "nir": nir[0] if nir else None,
                "birth_date": pid.date(7),
                "sex": pid.get(8),
                "address": street if line2 is None else f"{street or ''}\n{line2}",
                "city": pid.part(address[0], 11, 3) if address else None,
                "postal_code": pid.part(address[0], 11, 5) if address else None,
                "phone": phone,
                "email": email,
            }
        )
        return patient_id

    def _telecom(self, pid: Segment) -> tuple[str | None, str | None]:
        phones: list[tuple[str | None, str]] = []
        email = None
        for rep in pid.reps(13):
            use, equipment = pid.part(rep, 13, 2), pid.part(rep, 13, 3)
            if use == codes.EMAIL_USE or equipment in ("Internet", "X.400"):
                email = email if email is not None else pid.part(rep, 13, 4)
                continue
            number = _first(pid.part(rep, 13, 12), pid.part(rep, 13, 1))
            if number is None:
                pieces = [pid.part(rep, 13, c) for c in (5, 6, 7)]
                number = "".join(p for p in pieces if p) or None
            if number is not None:
                phones.append((use, number))
        phone = next((n for u, n in phones if u == codes.PHONE_USE), None)
        return phone if phone is not None else (phones[0][1] if phones else None), email

    def _practitioner(self, seg: Segment, n: int) -> str | None:
        raw = seg.raw(n)
        if not raw:
            return None
        # Cached by raw text for the whole read: a lab names the same few people everywhere.
        key = (raw, self.msg.delimiters, self.msg.charset)
        parsed = self.xcn.get(key)
        if parsed is None:
            parsed = self.xcn[key] = self._xcn(seg, n)
        if parsed is _NO_ONE:
            self.note(f"{seg.id}-{n}: practitioner without identifier")
            return None
        pid = parsed["practitioner_id"]
        assert isinstance(pid, str)
        row = self.practitioners.setdefault(pid, {"practitioner_id": pid})
        row.update((k, v) for k, v in parsed.items() if v is not None)
        return pid

    def _xcn(self, seg: Segment, n: int) -> Row:
        entries = []
        for rep in seg.reps(n):
            pid, family, given, *_, kind = seg.parts(rep, n, 13)
            ns, oid = seg.part(rep, n, 9, 1), seg.part(rep, n, 9, 2)
            rpps = oid == codes.RPPS_OID or kind in codes.RPPS_TYPES or ns == codes.RPPS_NAMESPACE
            entries.append((pid, rpps, family, given))
        local = next((e for e in entries if e[0] is not None and not e[1]), None)
        national = next((e for e in entries if e[0] is not None and e[1]), None)
        chosen = local or national
        if chosen is None:
            return _NO_ONE
        named = [e for e in (local, national, *entries) if e is not None]
        return {
            "practitioner_id": chosen[0],
            "family_name": next((e[2] for e in named if e[2] is not None), None),
            "given_name": next((e[3] for e in named if e[3] is not None), None),
            "rpps": national[0] if national else None,
        }

    def _specialty(self, zpr: Segment) -> None:
        pid = zpr.get(1)
        if pid is None:
            self.note("ZPR-1: practitioner without identifier")
            return
        row = self.practitioners.setdefault(pid, {"practitioner_id": pid})
        row["specialty"] = zpr.get(2)

    # --- request, results, comments -----------------------------------------------------------

    def _order(self, order: _Order, used: set[tuple[str, str]]) -> None:
        orc, obr, spm = order.orc, order.obr, order.spm
        request_id = next(
            (
                s.get(n)
                for n in (2, 3)
                for s in (obr, orc)
                if s is not None and s.get(n) is not None
            ),
            None,
        )
        if request_id is None:
            seg = obr or orc
            assert seg is not None
            raise seg.error(2, "no placer or filler order number")
        prescriber = self._practitioner(orc, 12) if orc is not None else None
        if obr is not None:
            other = self._practitioner(obr, 16)
            prescriber = prescriber if prescriber is not None else other
            if other is not None and other != prescriber:
                self.note("OBR-16: differs from ORC-12, not the prescriber")
        collected = obr.time(7) if obr is not None else None
        received = obr.time(14) if obr is not None else None
        if spm is not None:
            collected = collected if collected is not None else spm.time(17)
            received = received if received is not None else spm.time(18)
        site = _first(orc.get(21), orc.get(21, 10)) if orc is not None else None
        self.out.rows["request"].append(
            {
                "request_id": request_id,
                "patient_id": order.patient_id,
                "prescriber_id": prescriber,
                "collected_at": collected,
                "received_at": received,
                "site": site,
            }
        )
        self._comments(order.notes, request_id, None, used)
        for position, obs in enumerate(order.results, 1):
            result_id = self._result(obs, request_id, position, used)
            self._comments(obs.notes, request_id, result_id, used)

    def _result(self, obs: _Obs, request_id: str, position: int, used: set[tuple[str, str]]) -> str:
        obx = obs.obx
        reps = obx.reps(3)
        code = reps[0] if reps else ""
        c1, t2, s3, c4, t5, s6, _, _, t9 = obx.parts(code, 3, 9)
        result_id = obx.get(21)
        if result_id is not None:
            if ("result", result_id) in used:
                raise obx.error(21, "the same observation instance identifier twice")
        else:
            sub = obx.get(4)
            base = (
                f"{request_id}-obx{obx.get(1) or position}"
                if c1 is None
                else (f"{request_id}-{c1}" + (f"-{sub}" if sub else ""))
            )
            result_id = _unique(base, "result", used)
        used.add(("result", result_id))
        value_num, value_text = self._value(obx)
        if obs.zob is not None:
            value_text = obs.zob.get(1)
        low, high = self._range(obx)
        validated = obx.time(19)
        self.out.rows["result"].append(
            {
                "result_id": result_id,
                "request_id": request_id,
                "loinc_code": c1 if s3 == codes.LOINC else c4 if s6 == codes.LOINC else None,
                "local_code": c1 if s3 != codes.LOINC else c4 if s6 != codes.LOINC else None,
                "label": _first(t2, t5, t9),
                "value_num": value_num,
                "value_text": value_text,
                "unit": _first(obx.get(6), obx.get(6, 2)),
                "ref_low": low,
                "ref_high": high,
                "flag": obx.get(8),
                "status": obx.get(11),
                "validated_at": _first(validated, obx.time(14)),
                "validator_id": self._practitioner(obx, 16),
            }
        )
        return result_id

    def _value(self, obx: Segment) -> tuple[float | None, str | None]:
        kind = obx.get(2) or ""
        reps = obx.reps(5)
        if not reps:
            return None, None
        if kind in codes.UNMAPPED_TYPES:
            self.note(f"OBX-5: {kind} value not mapped")
            return None, None
        if len(reps) > 1:
            self.note("OBX-5: repeated value kept as text joined by ~")
            return None, "~".join(obx.text(r, 5) or "" for r in reps)
        rep = reps[0]
        if kind == "NM":
            text = obx.text(rep, 5)
            if not text:
                return None, None
            if _NUMBER.fullmatch(text.strip()):
                return float(text), None
            self.note("OBX-5: NM value not a number, kept as text")
            return None, text
        if kind == "SN":
            comparator, num1, sep, num2 = (obx.part(rep, 5, c) for c in range(1, 5))
            if (
                comparator in (None, "=")
                and sep is None
                and num2 is None
                and num1 is not None
                and _NUMBER.fullmatch(num1.strip())
            ):
                return float(num1), None
            return None, "".join(p for p in (comparator, num1, sep, num2) if p is not None)
        if kind in codes.CODED_TYPES:
            for c in (2, 9, 1, 5, 4):
                text = obx.part(rep, 5, c)
                if text is not None:
                    return None, text
            return None, None
        return None, obx.text(rep, 5)

    def _range(self, obx: Segment) -> tuple[float | None, float | None]:
        text = obx.get(7)
        if text is None:
            return None, None
        if match := _RANGE.fullmatch(text):
            return float(match.group(1)), float(match.group(2))
        if match := _ABOVE.fullmatch(text):
            return float(match.group(1)), None
        if match := _BELOW.fullmatch(text):
            return None, float(match.group(1))
        self.note("OBX-7: reference range not parsed")
        return None, None

    def _comments(
        self,
        notes: list[list[Segment | None]],
        request_id: str,
        result_id: str | None,
        used: set[tuple[str, str]],
    ) -> None:
        for position, (nte, znt) in enumerate(notes, 1):
            assert nte is not None
            comment_id = znt.get(1) if znt is not None else None
            if comment_id is not None:
                if ("comment", comment_id) in used:
                    assert znt is not None
                    raise znt.error(1, "the same comment id twice")
            else:
                base = f"{request_id if result_id is None else result_id}-nte{position}"
                comment_id = _unique(base, "comment", used)
            used.add(("comment", comment_id))
            reps = nte.reps(3)
            self.out.rows["comment"].append(
                {
                    "comment_id": comment_id,
                    "request_id": request_id,
                    "result_id": result_id,
                    "written_at": znt.time(2) if znt is not None else nte.time(6),
                    "text": "\n".join(nte.text(r, 3) or "" for r in reps) if reps else None,
                }
            )


def _first(*values: _T | None) -> _T | None:
    return next((v for v in values if v is not None), None)


def _is_nir(namespace: str | None, oid: str | None, kind: str | None) -> bool:
    return oid in codes.NIR_OIDS or namespace == codes.NIR_NAMESPACE or kind in codes.NIR_TYPES


def _unique(base: str, domain: str, used: set[tuple[str, str]]) -> str:
    candidate, n = base, 1
    while (domain, candidate) in used:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
