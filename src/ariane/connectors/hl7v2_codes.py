"""Identifiers and codes shared by the HL7 v2 reader and writer (French conventions, IHE PAM-FR)."""

from __future__ import annotations

from typing import Final

# INS / NIR (ANS): the assigning authority of PID-3. 4.8 NIR, 4.9 NIA, 4.10 and 4.11 their test
# ranges. The reader recognises any of them; the writer uses the NIR one.
NIR_OID: Final = "1.2.250.1.213.1.4.8"
NIR_OIDS: Final = frozenset(
    {NIR_OID, "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
)
NIR_NAMESPACE: Final = "ASIP-SANTE-INS-NIR"
NIR_TYPE: Final = "NH"  # HL7 0203 national health plan id; PAM-FR 2.11 also uses "INS"
NIR_TYPES: Final = frozenset({"INS", "INS-NIR"})  # types that mark an INS even without OID

# RPPS / ADELI: the national professional identifier (same OID as the FHIR writer's system).
RPPS_OID: Final = "1.2.250.1.71.4.2.1"
RPPS_NAMESPACE: Final = "ASIP-SANTE-PS"
RPPS_TYPE: Final = "RPPS"
RPPS_TYPES: Final = frozenset({"RPPS", "ADELI"})

PATIENT_ID_TYPE: Final = "PI"  # HL7 0203 patient internal identifier

USUAL_NAME: Final = "L"  # HL7 0200 legal name (PAM-FR would say D for "nom d'usage")
BIRTH_NAME: Final = "M"  # HL7 0200 maiden name; B (birth name) is read too
PHONE_USE: Final = "PRN"
EMAIL_USE: Final = "NET"

LOINC: Final = "LN"
LOCAL: Final = "L"
CODED_TYPES: Final = frozenset({"CE", "CWE", "CNE", "CF"})
UNMAPPED_TYPES: Final = frozenset({"ED", "RP"})  # encapsulated data, pointers: not lab values

# Z-segments for canonical fields that ORU^R01 v2.5.1 has no element for. Receivers ignore
# Z-segments they do not know (v2.5.1 2.10.2).
ZNT: Final = "ZNT"  # after an NTE: ZNT-1 comment_id, ZNT-2 written_at
ZOB: Final = "ZOB"  # after an OBX with both values: ZOB-1 value_text (OBX-5 holds value_num)
ZPR: Final = "ZPR"  # after ORC: ZPR-1 practitioner_id, ZPR-2 specialty

# OBR-4 is required; the canonical request has no order code.
ORDER_CODE: Final = ("REQ", "Laboratory request", LOCAL)
