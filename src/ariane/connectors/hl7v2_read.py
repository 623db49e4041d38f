"""Source reader: HL7 v2 files (2.3 to 2.8: ORU, OUL, ORM, OML, ADT...) -> canonical tables.

Mapping (the writer, `hl7v2_write`, uses the same positions)::

  patient.patient_id      PID-3 CX.1 of the repetition typed PI, else MR, else the first one
                          that is not the INS; else PID-2
  patient.nir             PID-3 CX.1 of the repetition whose CX.4 is the INS authority
                          (OID 1.2.250.1.213.1.4.8/.9/.10/.11 or namespace ASIP-SANTE-INS-NIR) or
                          whose type is INS / INS-NIR
  patient.family_name     PID-5 XPN.1.1 of the name typed L (else D, else untyped)
  patient.given_name      PID-5 XPN.2 of that name (XPN.3, middle names, is not read)
  patient.birth_name      PID-5 XPN.1.1 of the name typed M (or B)
  patient.birth_date      PID-7 (its calendar date)
  patient.sex             PID-8, as sent
  patient.address         PID-11 XAD.1.1, with XAD.2 on a second line when present
  patient.city / postal_code  PID-11 XAD.3 / XAD.5
  patient.phone           PID-13 XTN.12, else XTN.1, else XTN.5-7, of the PRN (else first)
                          non-e-mail repetition
  patient.email           PID-13 XTN.4 of the repetition with use NET or equipment Internet/X.400
  practitioner.*          XCN of ORC-12, OBR-16 and OBX-16: XCN.1 of the first repetition that
                          is not the RPPS is practitioner_id, XCN.2.1 family, XCN.3 given; the
                          repetition whose XCN.9 is RPPS (OID 1.2.250.1.71.4.2.1 / ASIP-SANTE-PS)
                          or XCN.13 RPPS/ADELI gives rpps; specialty from ZPR-2
  request.request_id      OBR-2, else ORC-2 (placer), else OBR-3, ORC-3 (filler); EI.1
  request.patient_id      the PID of the message (or of its patient group)
  request.prescriber_id   ORC-12, else OBR-16
  request.collected_at    OBR-7, else SPM-17.1
  request.received_at     OBR-14, else SPM-18
  request.site            ORC-21 XON.1 (ordering facility), else XON.10
  result.result_id        OBX-21 EI.1, else derived (below)
  result.request_id       the OBR/ORC group the OBX is in
  result.loinc_code       OBX-3 triplet whose coding system is LN (CE.1-3 or CE.4-6)
  result.local_code       OBX-3 code of the other triplet (any system but LN)
  result.label            OBX-3 CE.2, else CE.5, else CWE.9
  result.value_num        OBX-5 when OBX-2 is NM (or SN with no comparator nor range)
  result.value_text       OBX-5 otherwise (coded: its text, else its code); ZOB-1 when both
  result.unit             OBX-6 CE.1 (else CE.2)
  result.ref_low/ref_high OBX-7 "low-high", "low to high", ">low", "<high"
  result.flag             OBX-8 (first), result.status OBX-11
  result.validated_at     OBX-19 (date/time of the analysis), else OBX-14
  result.validator_id     OBX-16 (responsible observer)
  result.sensitivity      left null: the engine derives it from the codes
  comment.*               NTE after an OBR (or ORC, SPM): request comment; after an OBX: result
                          comment. text: NTE-3 repetitions joined by line feeds. comment_id ZNT-1,
                          else derived; written_at ZNT-2, else NTE-6 (v2.6+)
  patient.portal_password never (a credential)

Derived identifiers, for messages that do not carry them. A result is identified in HL7 v2 by
its order and its observation code (OBX-3, with the sub-id OBX-4): `<request_id>-<OBX-3.1>` or
`<request_id>-<OBX-3.1>-<OBX-4>`. The OBX set id is a position that senders renumber in every
message, so an update of one analyte would overwrite another; it is used only when OBX-3 has no
code (`<request_id>-obx<set id or position>`). A comment is `<parent id>-nte<position>`. A
duplicate within one message gets `-2`, `-3`... in order; a duplicate OBX-21 or ZNT-1 rejects it.

Times (`hl7v2_time`): an offset is converted to UTC; a time without one takes MSH-7's offset,
else is taken as UTC; a lower precision (YYYY, YYYYMM...) stands for the start of its period.
Framing, batches and character sets: `hl7v2_parse`. Escapes: `hl7v2_escape`.

Several messages about one key (an ORU update, ADT A08, a patient in many messages) merge into
one row: a later message's non-null values replace earlier ones (HL7's "empty means unchanged").

Reported, never dropped silently: segments that map to nothing (PV1, SFT, PRT...) are counted by
segment id in `unknown_segments`, and mapped segments in a place that maps to nothing by a
"SEG-n: why" key (an OBX outside an order, an ED/RP value, an unparsed reference range, a
provider without identifier...). A message that cannot be read whole is rejected with its
position (1-based index in its file, line, segment, field) and none of its rows are kept;
`message_index` 0 is about the file or batch (a BTS/FTS count, a missing trailer).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ariane.connectors.hl7v2_map import Row, XcnCache, map_message
from ariane.connectors.hl7v2_parse import Framer, Message, MessageError
from ariane.connectors.messages import CanonicalBatch, Rejection, to_canonical
from ariane.errors import InputError
from ariane.model.entities import ENTITIES, ORDER

__all__ = ["read_hl7v2"]


def read_hl7v2(paths: Iterable[Path]) -> CanonicalBatch:
    """Every message of every file, mapped; unreadable files raise InputError."""
    merged = {name: _Keyed(ENTITIES[name].key) for name in ORDER}
    rejections: list[Rejection] = []
    unknown: Counter[str] = Counter()
    xcn: XcnCache = {}
    for path in paths:
        name = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError:
            raise InputError(f"cannot read the HL7 v2 file {name}") from None
        framer = Framer(data)
        for problem in framer.problems:
            rejections.append(Rejection(name, 0, problem.segment, problem.field, problem.reason))
        for raw in framer.messages:
            try:
                rows = map_message(Message(raw), xcn)
            except MessageError as exc:
                rejections.append(Rejection(name, raw.index, exc.segment, exc.field, exc.reason))
                continue
            for entity, entity_rows in rows.rows.items():
                for row in entity_rows:
                    merged[entity].add(row)
            unknown.update(rows.notes)
    tables = {name: to_canonical(name, list(merged[name].rows.values())) for name in ORDER}
    return CanonicalBatch(tables, rejections, dict(sorted(unknown.items())))


class _Keyed:
    """Rows by key, in first-seen order; a later row's non-null values win."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.rows: dict[object, Row] = {}

    def add(self, row: Row) -> None:
        old = self.rows.get(row[self.key])
        if old is None:
            self.rows[row[self.key]] = dict(row)
        else:
            old.update((k, v) for k, v in row.items() if v is not None)
