r"""HPRIM Santé 2.x (H2.1, H2.2) laboratory files: `read_hprim` and `HprimWriter`.

Syntax (hprim_codec): records end with CR, LF or CRLF; H-1 declares the delimiters in HPRIM's
order `|~^\&` (field, component, repetition, escape, sub-component; HL7 v2 swaps component and
repetition) and they are read from each file's H record. Text is ISO-8859-1 unless H.8 names
UTF-8 or ISO-8859-15 (or the file starts with a UTF-8 byte-order mark). Escapes are HL7's with
HPRIM's characters: \F\ field, \S\ component, \R\ repetition, \E\ escape, \T\ sub-component,
\Xhh\ any byte (CR, LF and other controls are written so), \.br\ read as a line feed, \H\ and
\N\ dropped; unknown sequences are kept as written. An `A` record continues the previous record:
its text after `A|` is appended to that record *as raw text* (the H2.1 fixture splits
`Cliniq`/`ue HP` inside a component), so it is joined before splitting and unescaping.
The writer folds records longer than 220 characters (HPRIM's line limit, CR/LF excluded) into
`A|` lines, never inside an escape sequence and, when it can, not beside a space (some readers
trim lines).

Field numbers below count the record type as field 0, as HL7 v2 does and as Mediboard's HPRIM
2.1 definitions do (`P.5` = patient name); libHprim and ASTM E1394 count it as field 1 (their P.6).
The brief's P-8/P-9/P-11 for birth date, sex and address are one off: both fixtures put them at
P.7, P.8 and P.10.

Mapping::

  patient.patient_id      P.2 comp 1 (identifier given by the sender, i.e. the laboratory)
  patient.nir             P.4 comp 1 (ASTM "patient ID no. 3, e.g. social security number";
                          HPRIM 2.1 names it only "alternate patient ID": an interpretation)
  patient.family_name     P.5 comp 1
  patient.given_name      P.5 comp 2 (a third component, a second given name, is appended after
                          a space on read)
  patient.birth_name      P.6 (nom de jeune fille; ASTM calls it "mother's maiden name")
  patient.birth_date      P.7 YYYYMMDD (a time, if given, is dropped: the field is a date)
  patient.sex             P.8 (M, F, U)
  patient.address/city/postal_code  P.10 comp 1 / 3 / 5 (street~street 2~city~state~code~country)
  patient.phone           P.12 first repetition
  practitioner.*          no record of its own: OBR.16 (prescriber) and OBX.16 (validator), as
                          `id~family&given~L`, plus a repetition `rpps~~RPPS` when known
  request.request_id      OBR.3 comp 2 (the executing laboratory's request number); read falls
                          back to OBR.3 comp 1, then OBR.2 comp 2 and 1
  request.patient_id      the P record the OBR follows
  request.prescriber_id   OBR.16 comp 1
  request.collected_at    OBR.7 first repetition
  request.received_at     OBR.14
  request.site            OBR.20 (filler field 1: HPRIM has no collection-place field)
  result.result_id        OBX.4 (observation sub-ID; read falls back to `<request>/<OBX.1>`)
  result.request_id       the OBR the OBX follows
  result.local_code/label OBX.3 repetition with coding system L (or any system but LN)
  result.loinc_code       OBX.3 repetition with coding system LN
  result.value_num        OBX.5 when OBX.2 is NM
  result.value_text       OBX.5 otherwise, the whole field as text; beside a number, written as a
                          second repetition of an NM OBX.5 (an Ariane convention). An NM value
                          that is not a number ("<0.5") is read as text.
  result.unit             OBX.6
  result.ref_low/high     OBX.7 "low - high" ("low -", "- high" for one bound; read also accepts
                          "low-high", "<high", ">low"; other text is counted, not guessed)
  result.flag             OBX.8
  result.status           OBX.11
  result.validated_at     OBX.14
  result.validator_id     OBX.16 comp 1
  comment.text            C.3, after the OBR (request comment) or the OBX (result comment)
  comment.comment_id      C.5 (Ariane convention beyond C.4, the comment type, written G);
                          read falls back to `<result or request>/C<C.1>`
  comment.written_at      C.6 (Ariane convention)
  L                       L.3 number of P records, L.4 number of lines from H to L inclusive

What does not survive canonical -> HPRIM -> canonical, and why:

- patient.email, practitioner.specialty, result.sensitivity: HPRIM has no field for them. Their
  non-null values are counted in `HprimWriter.left_out`; a source profile re-derives sensitivity
  from the LOINC or local code on the way back.
- practitioners no request or result refers to: HPRIM has no practitioner record (counted).
- patient.portal_password: a credential, never written (a column holding any value is refused).
- empty strings: HPRIM has no empty-versus-absent distinction, so "" is read back as null. An
  empty *key* would lose its row and is refused.
- characters outside ISO-8859-1: refused with a TargetError naming the field and the count of
  values, never replaced.
- Results and comments must nest: a result without a written request, or a comment whose result
  or request is not written (or whose request is not its result's), is refused.
- A request whose patient is not in the patient table is written under a P holding only the id,
  which reads back as a patient row with only an id.

Where the spec was ambiguous or not at hand (the HPRIM Santé 2.2 text itself was not available;
field positions were checked against both fixtures, libHprim's expected parse and Mediboard's
HPRIM 2.1 definitions):

- the character set: H.8 ("caractéristiques de transmission") is where we look for it; nothing
  else in H names one, and ISO-8859-1 is the default;
- the 220-character line limit is the figure we were given, not checked against the text; it is
  `HprimWriter(line_limit=...)`;
- L.4 counts lines; whether A lines count is not said, so both readings are accepted;
- P.4 as the NIR, OBR.20 as the collection site, OBX.4 as the result id and C.5/C.6 are choices
  (see the table); OBR.32 ("VBIO"/"VAUTO" in the fixtures: a validation mode, not a person) and
  OBX.15 (the producing section, "BIOCH~80~…") are not mapped;
- OBR.3 comp 1 holds a sample id and comp 2 the laboratory's request number in both fixtures.

Read policy: a message (H … L) is loaded whole or not at all. A missing L, L counts that do not
match (L.4 may count the A lines or not: the spec does not say, both are accepted), a malformed
date, an OBR before any P, or a request, result or comment key seen in an earlier message rejects
the message; the Rejection names file, message (`message_index`: the H…L message's rank in
the file from 1; 0 for the file itself or records before its first H), record, field and line
(in `reason`), never a value. Records
other than H, P, OBR, OBX, C, A, L (e.g. AP, AC, REG, FAC, ACT, ERR) are counted by type in
`unknown_segments`, as are comments before any OBR (no canonical link: keyed `C (...)`),
reference ranges that are not numeric, and patients or practitioners repeated with differing
values (the first is kept). H.12 must name a 2.x version (or be empty).
"""

from __future__ import annotations

from typing import Final

from ariane.connectors.hprim_read import read_hprim
from ariane.connectors.hprim_write import NOT_CARRIED, HprimWriter
from ariane.model.entities import ORDER, entity

__all__ = ["CARRIED", "NOT_CARRIED", "HprimWriter", "read_hprim"]

# Canonical fields that survive a round trip through HPRIM, per entity (for reconciliation).
CARRIED: Final[dict[str, tuple[str, ...]]] = {
    name: tuple(
        f
        for f in entity(name).field_names
        if f != "portal_password" and f not in NOT_CARRIED.get(name, ())
    )
    for name in ORDER
}
