"""Prepared canonical batches -> FHIR R4 resources as plain dicts: the writer's hot path.

Building fhir.resources models per row would be several times slower (validating one model
costs more than building and encoding its dict), so the writer serialises these dicts with json
and `validate_file` checks the output against the models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from ariane.connectors import fhir_common as f
from ariane.connectors.fhir_batch import Prepared
from ariane.connectors.fhir_common import JSON

# --- small builders -------------------------------------------------------------------------


def _identifier(domain: str, value: str | None) -> JSON:
    # A blank key keeps its system; the value comes back from the EXT_BLANK extension.
    if value is None:
        return {"system": f.id_system(domain)}
    return {"system": f.id_system(domain), "value": value}


def _ref(rtype: str, rid: str, domain: str, value: str | None) -> JSON:
    # The id alone is a one-way digest: the identifier carries the key for read-back and for
    # targets that resolve references logically.
    return {"reference": f"{rtype}/{rid}", "identifier": _identifier(domain, value)}


def _absent(present: bool) -> JSON:
    # For a required element: "masked" when the manifest did not transfer the field.
    reason = "unknown" if present else "masked"
    return {"extension": [{"url": f.DATA_ABSENT, "valueCode": reason}]}


def _coding(system: str, code: str | None, raw: str | None) -> JSON | None:
    if code is not None:
        return {"system": system, "code": code}
    if raw is not None:
        return {"system": system, "extension": [{"url": f.EXT_CODE, "valueString": raw}]}
    return None


def _extensions(p: Prepared, i: int) -> list[JSON]:
    return list(p.blanks[i]) if p.blanks is not None else []


_LAB_CATEGORY: Final = [
    {"coding": [{"system": f.OBSERVATION_CATEGORY_SYSTEM, "code": "laboratory"}]}
]
_LAB_SERVICE: Final = [{"coding": [{"system": f.DIAGNOSTIC_SERVICE_SYSTEM, "code": "LAB"}]}]


# --- one generator per resource type --------------------------------------------------------


def patients(p: Prepared) -> Iterator[JSON]:
    c = p.cols
    rows = zip(
        p.rids, c["patient_id"], c["family_name"], c["birth_name"],
        c["given_name"], c["nir"], c["birth_date"], c["sex"], c["address"],
        c["postal_code"], c["city"], c["phone"], c["email"], strict=True,
    )  # fmt: skip
    for i, row in enumerate(rows):
        (rid, key, family, birth, given, nir, born, sex, line, cp, city, phone, mail) = row
        r: JSON = {"resourceType": "Patient", "id": rid}
        ext = _extensions(p, i)
        gender = None if sex is None else f.GENDER.get(sex)
        if sex is not None and gender is None:
            ext.append({"url": f.EXT_SEX, "valueString": sex})
        if ext:
            r["extension"] = ext
        ident = [_identifier("patient", key)]
        if nir is not None:
            ident.append({"use": "official", "system": f.NIR_SYSTEM, "value": nir})
        r["identifier"] = ident
        names: list[JSON] = []
        if family is not None or given is not None:
            usual: JSON = {"use": "usual"}
            if family is not None:
                usual["family"] = family
            if given is not None:
                usual["given"] = [given]  # one element: splitting given names is not lossless
            names.append(usual)
        if birth is not None:
            names.append({"use": "maiden", "family": birth})
        if names:
            r["name"] = names
        telecom = []
        if phone is not None:
            telecom.append({"system": "phone", "value": phone})
        if mail is not None:
            telecom.append({"system": "email", "value": mail})
        if telecom:
            r["telecom"] = telecom
        if gender is not None:
            r["gender"] = gender
        if born is not None:
            r["birthDate"] = born
        if line is not None or cp is not None or city is not None:
            address: JSON = {}
            if line is not None:
                address["line"] = [line]
            if city is not None:
                address["city"] = city
            if cp is not None:
                address["postalCode"] = cp
            r["address"] = [address]
        yield r


def practitioners(p: Prepared) -> Iterator[JSON]:
    c = p.cols
    rows = zip(
        p.rids, c["practitioner_id"], c["family_name"], c["given_name"],
        c["rpps"], c["specialty"], strict=True,
    )  # fmt: skip
    for i, (rid, key, family, given, rpps, specialty) in enumerate(rows):
        r: JSON = {"resourceType": "Practitioner", "id": rid}
        ext = _extensions(p, i)
        if ext:
            r["extension"] = ext
        ident = [_identifier("practitioner", key)]
        if rpps is not None:
            ident.append({"system": f.RPPS_SYSTEM, "value": rpps})
        r["identifier"] = ident
        if family is not None or given is not None:
            name: JSON = {}
            if family is not None:
                name["family"] = family
            if given is not None:
                name["given"] = [given]
            r["name"] = [name]
        if specialty is not None:
            r["qualification"] = [{"code": {"text": specialty}}]
        yield r


def service_requests(p: Prepared) -> Iterator[JSON]:
    c = p.cols
    rows = zip(
        p.rids, c["request_id"], p.ids["patient_id"], c["patient_id"],
        p.ids["prescriber_id"], c["prescriber_id"], strict=True,
    )  # fmt: skip
    has_patient = "patient_id" in p.present
    for i, (rid, key, pat_rid, pat, doc_rid, doc) in enumerate(rows):
        r: JSON = {"resourceType": "ServiceRequest", "id": rid}
        ext = _extensions(p, i)  # every blank of the request row, Specimen fields included
        if ext:
            r["extension"] = ext
        r["identifier"] = [_identifier("request", key)]
        r["status"] = "completed"
        r["intent"] = "order"
        r["code"] = {"text": "laboratory request"}
        # subject is 1..1 in R4: a missing patient is stated, not omitted.
        r["subject"] = (
            _absent(has_patient) if pat_rid is None else _ref("Patient", pat_rid, "patient", pat)
        )
        if doc_rid is not None:
            r["requester"] = _ref("Practitioner", doc_rid, "practitioner", doc)
        yield r


def specimens(p: Prepared) -> Iterator[JSON]:
    c = p.cols
    rows = zip(
        p.rids, c["request_id"], p.ids["patient_id"], c["patient_id"],
        c["collected_at"], c["received_at"], c["site"], strict=True,
    )  # fmt: skip
    for rid, key, pat_rid, pat, collected, received, site in rows:
        r: JSON = {"resourceType": "Specimen", "id": rid}
        if site is not None:
            # collection.bodySite is the body site; a collection *place* has no R4 element.
            r["extension"] = [{"url": f.EXT_SITE, "valueString": site}]
        r["identifier"] = [_identifier("request", key)]
        if pat_rid is not None:
            r["subject"] = _ref("Patient", pat_rid, "patient", pat)
        if received is not None:
            r["receivedTime"] = received
        r["request"] = [_ref("ServiceRequest", rid, "request", key)]
        if collected is not None:
            r["collection"] = {"collectedDateTime": collected}
        yield r


def diagnostic_reports(p: Prepared) -> Iterator[JSON]:
    # The grouping a FHIR consumer expects; read-back ignores it (ServiceRequest+Specimen hold
    # every request field).
    c = p.cols
    rows = zip(
        p.rids, c["request_id"], p.ids["patient_id"], c["patient_id"],
        c["collected_at"], strict=True,
    )  # fmt: skip
    for rid, key, pat_rid, pat, collected in rows:
        r: JSON = {"resourceType": "DiagnosticReport", "id": rid}
        r["identifier"] = [_identifier("request", key)]
        r["basedOn"] = [_ref("ServiceRequest", rid, "request", key)]
        r["status"] = "final"
        r["category"] = _LAB_SERVICE
        r["code"] = {"text": "laboratory report"}
        if pat_rid is not None:
            r["subject"] = _ref("Patient", pat_rid, "patient", pat)
        if collected is not None:
            r["effectiveDateTime"] = collected
        yield r


def observations(p: Prepared) -> Iterator[JSON]:
    c, raw = p.cols, p.raw_codes
    rows = zip(
        p.rids, c["result_id"], p.ids["request_id"], c["request_id"],
        c["loinc_code"], raw["loinc_code"], c["local_code"], raw["local_code"], c["label"],
        c["value_num"], c["value_text"], c["unit"], c["ref_low"], c["ref_high"], c["flag"],
        c["status"], c["validated_at"], p.ids["validator_id"], c["validator_id"],
        c["sensitivity"], raw["sensitivity"], strict=True,
    )  # fmt: skip
    code_present = not p.present.isdisjoint({"loinc_code", "local_code", "label"})
    for i, row in enumerate(rows):
        (rid, key, req_rid, req, loinc, loinc_raw, local, local_raw, label, num, text, unit,
         low, high, flag, status, validated, val_rid, val, sens, sens_raw) = row  # fmt: skip
        r: JSON = {"resourceType": "Observation", "id": rid}
        security = _coding(f.SENSITIVITY_SYSTEM, sens, sens_raw)
        if security is not None:
            r["meta"] = {"security": [security]}
        ext = _extensions(p, i)
        fhir_status = "unknown" if status is None else f.RESULT_STATUS.get(status)
        if fhir_status is None:
            fhir_status = "unknown"
            ext.append({"url": f.EXT_STATUS, "valueString": status})
        quantity = num is not None or unit is not None
        if quantity and text is not None:
            ext.append({"url": f.EXT_VALUE_TEXT, "valueString": text})
        if ext:
            r["extension"] = ext
        r["identifier"] = [_identifier("result", key)]
        if req_rid is not None:
            r["basedOn"] = [_ref("ServiceRequest", req_rid, "request", req)]
        r["status"] = fhir_status
        r["category"] = _LAB_CATEGORY
        code: JSON = {}
        codings = [
            x
            for x in (
                _coding(f.LOINC_SYSTEM, loinc, loinc_raw),
                _coding(f.LOCAL_CODE_SYSTEM, local, local_raw),
            )
            if x is not None
        ]
        if codings:
            code["coding"] = codings
        if label is not None:
            code["text"] = label
        r["code"] = code or _absent(code_present)  # code is 1..1
        if validated is not None:
            r["issued"] = validated
        if val_rid is not None:
            r["performer"] = [_ref("Practitioner", val_rid, "practitioner", val)]
        if quantity:
            q: JSON = {}
            if num is not None:
                q["value"] = num
            if unit is not None:
                q["unit"] = unit
            r["valueQuantity"] = q
        elif text is not None:
            r["valueString"] = text
        if flag is not None:
            if flag in f.FLAGS:
                r["interpretation"] = [
                    {"coding": [{"system": f.INTERPRETATION_SYSTEM, "code": flag}]}
                ]
            else:
                r["interpretation"] = [{"text": flag}]
        if low is not None or high is not None:
            bounds: JSON = {}
            if low is not None:
                bounds["low"] = {"value": low}
            if high is not None:
                bounds["high"] = {"value": high}
            r["referenceRange"] = [bounds]
        yield r


def communications(p: Prepared) -> Iterator[JSON]:
    c = p.cols
    rows = zip(
        p.rids, c["comment_id"], p.ids["request_id"], c["request_id"],
        p.ids["result_id"], c["result_id"], c["written_at"], c["text"], strict=True,
    )  # fmt: skip
    for i, (rid, key, req_rid, req, res_rid, res, written, text) in enumerate(rows):
        r: JSON = {"resourceType": "Communication", "id": rid}
        ext = _extensions(p, i)
        if ext:
            r["extension"] = ext
        r["identifier"] = [_identifier("comment", key)]
        r["status"] = "completed"
        about = []
        if req_rid is not None:
            about.append(_ref("ServiceRequest", req_rid, "request", req))
        if res_rid is not None:
            about.append(_ref("Observation", res_rid, "result", res))
        if about:
            r["about"] = about
        if written is not None:
            r["sent"] = written
        if text is not None:
            r["payload"] = [{"contentString": text}]
        yield r


BUILDERS: Final[dict[str, tuple[Callable[[Prepared], Iterator[JSON]], ...]]] = {
    "patient": (patients,),
    "practitioner": (practitioners,),
    "request": (service_requests, specimens, diagnostic_reports),
    "result": (observations,),
    "comment": (communications,),
}
