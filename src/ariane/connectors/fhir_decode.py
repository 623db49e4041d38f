"""FHIR R4 resources written by `fhir_encode` -> canonical values (read-back for reconciliation).

Each decoder returns the canonical fields it holds; dates and timestamps stay ISO strings here
and are converted per column with Arrow. Anything not shaped as the writer shapes it raises
`Malformed`, which the caller turns into a TargetError naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from ariane.connectors import fhir_common as f
from ariane.connectors.fhir_common import JSON


class Malformed(Exception):
    """A resource the reader cannot decode; carries no value."""


def _str(x: Any) -> str | None:
    if x is None or isinstance(x, str):
        return x
    raise Malformed


def _num(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise Malformed
    return float(x)


def _list(r: JSON, key: str) -> list[Any]:
    x = r.get(key)
    if x is None:
        return []
    if not isinstance(x, list):
        raise Malformed
    return x


def _obj(r: JSON, key: str) -> JSON:
    x = r.get(key)
    if x is None:
        return {}
    if not isinstance(x, dict):
        raise Malformed
    return x


def _ext(r: JSON, url: str) -> str | None:
    for e in _list(r, "extension"):
        if e.get("url") == url:
            return _str(e.get("valueString"))
    return None


def _identifier(identifiers: list[Any], system: str) -> tuple[bool, str | None]:
    for ident in identifiers:
        if ident.get("system") == system:
            return True, _str(ident.get("value"))
    return False, None


def _key(r: JSON, domain: str) -> str | None:
    found, value = _identifier(_list(r, "identifier"), f.id_system(domain))
    if not found:
        raise Malformed
    return value


def _ref(refs: list[Any], domain: str) -> str | None:
    system = f.id_system(domain)
    for ref in refs:
        ident = ref.get("identifier")
        if isinstance(ident, dict) and ident.get("system") == system:
            return _str(ident.get("value"))
    return None


def _code(codings: list[Any], system: str) -> str | None:
    for coding in codings:
        if coding.get("system") == system:
            code = _str(coding.get("code"))
            return code if code is not None else _ext(coding, f.EXT_CODE)
    return None


def blanks(r: JSON) -> dict[str, str]:
    """Fields whose canonical value is an empty or whitespace-only string (not FHIR strings)."""
    out: dict[str, str] = {}
    for e in _list(r, "extension"):
        if e.get("url") == f.EXT_BLANK:
            text = _str(e.get("valueString"))
            if text is None:
                raise Malformed
            name, sep, encoded = text.partition("=")
            value = json.loads(encoded) if sep else None
            if not isinstance(value, str):
                raise Malformed
            out[name] = value
    return out


def patient(r: JSON) -> JSON:
    ident = _list(r, "identifier")
    usual: JSON = {}
    maiden: JSON = {}
    for name in _list(r, "name"):
        if name.get("use") == "usual":
            usual = name
        elif name.get("use") == "maiden":
            maiden = name
    telecom = {t.get("system"): _str(t.get("value")) for t in _list(r, "telecom")}
    addresses = _list(r, "address")
    address: JSON = addresses[0] if addresses else {}
    gender = _str(r.get("gender"))
    return {
        "patient_id": _key(r, "patient"),
        "family_name": _str(usual.get("family")),
        "birth_name": _str(maiden.get("family")),
        "given_name": _first(_list(usual, "given")),
        "nir": _identifier(ident, f.NIR_SYSTEM)[1],
        "birth_date": _str(r.get("birthDate")),
        "sex": f.SEX[gender] if gender is not None else _ext(r, f.EXT_SEX),
        "address": _first(_list(address, "line")),
        "postal_code": _str(address.get("postalCode")),
        "city": _str(address.get("city")),
        "phone": telecom.get("phone"),
        "email": telecom.get("email"),
    }


def _first(values: list[Any]) -> str | None:
    return _str(values[0]) if values else None


def practitioner(r: JSON) -> JSON:
    names = _list(r, "name")
    name: JSON = names[0] if names else {}
    qualifications = _list(r, "qualification")
    specialty = _str(qualifications[0]["code"]["text"]) if qualifications else None
    return {
        "practitioner_id": _key(r, "practitioner"),
        "family_name": _str(name.get("family")),
        "given_name": _first(_list(name, "given")),
        "rpps": _identifier(_list(r, "identifier"), f.RPPS_SYSTEM)[1],
        "specialty": specialty,
    }


def service_request(r: JSON) -> JSON:
    return {
        "request_id": _key(r, "request"),
        "patient_id": _ref([_obj(r, "subject")], "patient"),
        "prescriber_id": _ref([_obj(r, "requester")], "practitioner"),
    }


def specimen(r: JSON) -> JSON:
    return {
        "collected_at": _str(_obj(r, "collection").get("collectedDateTime")),
        "received_at": _str(r.get("receivedTime")),
        "site": _ext(r, f.EXT_SITE),
    }


def observation(r: JSON) -> JSON:
    code = _obj(r, "code")
    codings = _list(code, "coding")
    quantity = _obj(r, "valueQuantity")
    ranges = _list(r, "referenceRange")
    bounds: JSON = ranges[0] if ranges else {}
    interpretation = _list(r, "interpretation")
    flag = None
    if interpretation:
        flag = _code(_list(interpretation[0], "coding"), f.INTERPRETATION_SYSTEM)
        flag = flag if flag is not None else _str(interpretation[0].get("text"))
    status = _ext(r, f.EXT_STATUS)
    if status is None:
        status = f.CANONICAL_STATUS.get(r["status"])
    value_text = _str(r.get("valueString"))
    return {
        "result_id": _key(r, "result"),
        "request_id": _ref(_list(r, "basedOn"), "request"),
        "loinc_code": _code(codings, f.LOINC_SYSTEM),
        "local_code": _code(codings, f.LOCAL_CODE_SYSTEM),
        "label": _str(code.get("text")),
        "value_num": _num(quantity.get("value")),
        "value_text": value_text if value_text is not None else _ext(r, f.EXT_VALUE_TEXT),
        "unit": _str(quantity.get("unit")),
        "ref_low": _num(_obj(bounds, "low").get("value")),
        "ref_high": _num(_obj(bounds, "high").get("value")),
        "flag": flag,
        "status": status,
        "validated_at": _str(r.get("issued")),
        "validator_id": _ref(_list(r, "performer"), "practitioner"),
        "sensitivity": _code(_list(_obj(r, "meta"), "security"), f.SENSITIVITY_SYSTEM),
    }


def communication(r: JSON) -> JSON:
    about = _list(r, "about")
    payload = _list(r, "payload")
    return {
        "comment_id": _key(r, "comment"),
        "request_id": _ref(about, "request"),
        "result_id": _ref(about, "result"),
        "written_at": _str(r.get("sent")),
        "text": _str(payload[0]["contentString"]) if payload else None,
    }


# file name -> decoder; DiagnosticReport duplicates request fields and is not read back.
DECODERS: Final[dict[str, Callable[[JSON], JSON]]] = {
    "Patient.ndjson": patient,
    "Practitioner.ndjson": practitioner,
    "ServiceRequest.ndjson": service_request,
    "Specimen.ndjson": specimen,
    "Observation.ndjson": observation,
    "Communication.ndjson": communication,
}

# request fields that live on the Specimen rather than on the ServiceRequest.
SPECIMEN_FIELDS: Final = frozenset({"collected_at", "received_at", "site"})
