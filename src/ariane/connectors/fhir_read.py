"""FHIR R4 input -> canonical tables: JSON resources, Bundles (any type, nested) and NDJSON.

Resources written by Ariane (`fhir_ndjson`, `fhir_bundle`) come back exactly: keys from the
`urn:ariane:id:<domain>` identifiers, blanks, raw codes, sex and status from the writer's
extensions. Other FHIR (the official examples) carries none of these, so:

- a resource's key is its Ariane identifier, else its `id`, else its Bundle fullUrl; a reference
  resolves to the key of the resource it points to when that resource was read (`Type/id`,
  absolute URL, `urn:uuid:` fullUrl, `#contained`, or a logical identifier), else to the id in
  the reference (the key that resource would have had);
- a request (dossier) is a ServiceRequest; a DiagnosticReport maps to the request it is
  `basedOn`, or is the request itself when it has none (the official lab Bundles have no
  ServiceRequest); Specimens linked either way (Specimen.request, ServiceRequest.specimen,
  DiagnosticReport.specimen) give its collection and reception times, the first one winning;
- a result is an Observation, linked to its request by `basedOn`, else by the DiagnosticReport
  listing it in `result`, else by its Specimen's request;
- comments are Communications (what Ariane writes), plus every `note` of a ServiceRequest,
  Specimen or Observation and a DiagnosticReport's `conclusion` (keys `<owner key>/note/<n>` and
  `<report key>/conclusion`).

Mapping beyond `fhir_ndjson`'s table (which the writer side follows)::

  patient names            name[use=usual] with a family, else [use=official], else the first
                           name that is not maiden/old/nickname/anonymous/temp; given joined by
                           a space; birth_name = name[use=maiden].family
  patient.sex              gender female F, male M, unknown U, other O (HL7 v2 table 0001)
  patient.address          address[use=home] else the first; lines joined by ", "
  practitioner.specialty   qualification[0].code: text, else the first coding's display or code
  request.collected_at     Specimen collectedDateTime / collectedPeriod.start, else the
                           DiagnosticReport's effectiveDateTime / effectivePeriod.start
  result.local_code        coding[system=urn:ariane:local-code], else the first coding whose
                           system is not LOINC, SNOMED CT or UCUM
  result.label             code.text, else the first coding's display
  result values            valueQuantity (unit, else code; a comparator makes the value text,
                           e.g. "<0.5"), valueInteger -> value_num; valueString, valueBoolean,
                           valueCodeableConcept (text, display or code), valueDateTime, valueTime
                           -> value_text; other value[x] and `component` are counted, not mapped
  result.status            registered I, preliminary P, final F, amended/corrected C,
                           cancelled X, entered-in-error W (HL7 v2 table 0085), unknown null
  result.flag              interpretation[0]: its first coding's code, else its text
  result.sensitivity       only from Ariane's meta.security tag: source profiles derive it

Times: an offset is converted to UTC and dropped (the canonical model is naive UTC, as written);
a date alone is midnight; partial dates (year, year-month) have no canonical value: null,
counted in `unknown_segments` as `<Type>.<element> (partial date)`.

Never dropped silently: resource types other than the seven mapped, contained resources that
are not a request's Specimen, Specimens linked to no request, unmapped values and Bundle entries
without a resource are counted in `unknown_segments`. A resource whose elements do not have the
JSON types FHIR gives them (or, with `validate=True`, that the R4B model refuses) is rejected
alone, with its file, `message_index` (the NDJSON line, else 1), Bundle entry (in `reason`),
resourceType and element; never a value. The same
patient or practitioner read twice with differing values keeps the first (counted); an
Observation or Communication read twice with differing values rejects the second.

All resources of one call are held in memory, since references cross files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from ariane.connectors import fhir_common as f
from ariane.connectors import fhir_decode as dec
from ariane.connectors.fhir_bundle import Item, load
from ariane.connectors.fhir_common import JSON
from ariane.connectors.fhir_ndjson import validate_resource
from ariane.connectors.messages import CanonicalBatch, Rejection, merge_rows, to_canonical
from ariane.errors import TargetError
from ariane.model.entities import ORDER

Row = dict[str, Any]

DOMAINS: Final = {
    "Patient": "patient",
    "Practitioner": "practitioner",
    "ServiceRequest": "request",
    "Specimen": "request",
    "DiagnosticReport": "request",
    "Observation": "result",
    "Communication": "comment",
}
GENDER: Final = {"female": "F", "male": "M", "unknown": "U", "other": "O"}
STATUS: Final = {
    "registered": "I", "preliminary": "P", "final": "F", "amended": "C", "corrected": "C",
    "cancelled": "X", "entered-in-error": "W",
}  # fmt: skip
NOT_LOCAL: Final = frozenset(
    {f.LOINC_SYSTEM, "http://snomed.info/sct", "http://unitsofmeasure.org"}
)
NOT_NAMES: Final = frozenset({"maiden", "old", "nickname", "anonymous", "temp"})
NO_REQUEST: Final = "Specimen (linked to no request)"
_FRACTION: Final = re.compile(r"(\.\d{6})\d+")


class _Bad(Exception):
    """An element without the JSON type FHIR gives it; carries the element name, no value."""

    def __init__(self, element: str) -> None:
        super().__init__(element)
        self.element = element


def read_fhir(paths: Iterable[Path | str], *, validate: bool = False) -> CanonicalBatch:
    """Read FHIR JSON files, Bundles and NDJSON (files or folders of them) into canonical tables."""
    loaded = load(paths)
    reader = _Reader(loaded.items, validate)
    reader.rejections[:0] = loaded.rejections
    for k, n in loaded.unknown.items():
        reader.count(k, n)
    return reader.run()


# --- JSON shape helpers ----------------------------------------------------------------------


def _s(x: Any, element: str) -> str | None:
    if x is None or isinstance(x, str):
        return x
    raise _Bad(element)


def _l(r: JSON, key: str) -> list[Any]:
    x = r.get(key)
    if x is None:
        return []
    if not isinstance(x, list) or not all(isinstance(v, dict) for v in x):
        raise _Bad(key)
    return x


def _o(r: JSON, key: str) -> JSON:
    x = r.get(key)
    if x is None:
        return {}
    if not isinstance(x, dict):
        raise _Bad(key)
    return x


def _num(x: Any, element: str) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise _Bad(element)
    return float(x)


def _ext(r: JSON, url: str) -> str | None:
    for e in _l(r, "extension"):
        if e.get("url") == url:
            return _s(e.get("valueString"), "extension.valueString")
    return None


class _Partial(Exception):
    """A year or year-month: a FHIR date with no canonical value."""


def _datetime(text: Any, element: str) -> dt.datetime | None:
    s = _s(text, element)
    if s is None:
        return None
    if len(s) in (4, 7):
        raise _Partial(element)
    try:
        if len(s) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(s), dt.time())
        value = dt.datetime.fromisoformat(_FRACTION.sub(r"\1", s.replace("Z", "+00:00")))
    except ValueError:
        raise _Bad(element) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _date(text: Any, element: str) -> dt.date | None:
    s = _s(text, element)
    if s is None:
        return None
    if len(s) in (4, 7):
        raise _Partial(element)
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise _Bad(element) from None


def _code(coding: JSON) -> str | None:
    code = _s(coding.get("code"), "coding.code")
    return code if code is not None else _ext(coding, f.EXT_CODE)


# --- the reader ------------------------------------------------------------------------------


class _Reader:
    def __init__(self, items: list[Item], validate: bool) -> None:
        self.items = items
        self.validate = validate
        self.rejections: list[Rejection] = []
        self.unknown: dict[str, int] = {}
        self.by_type_id: dict[tuple[str, str], Item] = {}
        self.by_url: dict[str, Item] = {}
        self.by_ident: dict[tuple[str, str], Item] = {}
        self.keys: dict[int, str | None] = {}
        self.rows: dict[str, dict[str, Row]] = {e: {} for e in ORDER}
        self.requests_sr: dict[str, Row] = {}
        self.requests_spec: dict[str, Row] = {}
        self.requests_dr: dict[str, Row] = {}
        self.request_blanks: dict[str, dict[str, str]] = {}
        self.spec_links: dict[int, list[str]] = {}
        self.extra_specimens: list[Item] = []
        self.obs_links: dict[int, str] = {}
        self.report_request: dict[int, str] = {}
        self.spec_request: dict[int, list[str]] = {}

    def count(self, key: str, n: int = 1) -> None:
        self.unknown[key] = self.unknown.get(key, 0) + n

    def run(self) -> CanonicalBatch:
        for item in self.items:
            r = item.resource
            rid = r.get("id")
            rtype = r["resourceType"]
            if isinstance(rid, str):
                self.by_type_id.setdefault((rtype, rid), item)
            if item.full_url:
                self.by_url.setdefault(item.full_url, item)
            idents = r.get("identifier")
            for ident in idents if isinstance(idents, list) else []:
                if isinstance(ident, dict):
                    sys_, val = ident.get("system"), ident.get("value")
                    if isinstance(sys_, str) and isinstance(val, str):
                        self.by_ident.setdefault((sys_, val), item)
        order = ("Patient", "Practitioner", "ServiceRequest", "DiagnosticReport", "Specimen",
                 "Observation", "Communication")  # fmt: skip
        by_type: dict[str, list[Item]] = {t: [] for t in order}
        for item in self.items:
            rtype = item.resource["resourceType"]
            if rtype in by_type:
                by_type[rtype].append(item)
            else:
                self.count(rtype)
        handlers = {
            "Patient": self._patient, "Practitioner": self._practitioner,
            "ServiceRequest": self._service_request, "DiagnosticReport": self._report,
            "Specimen": self._specimen, "Observation": self._observation,
            "Communication": self._communication,
        }  # fmt: skip
        for rtype in order:
            todo = by_type[rtype] + (self.extra_specimens if rtype == "Specimen" else [])
            for item in todo:
                self._one(item, handlers[rtype])
        self._assemble_requests()
        used = {id(x.resource) for x in self.extra_specimens}
        for item in self.items:
            for c in _contained(item.resource):
                if id(c) not in used:
                    self.count(f"contained {c.get('resourceType')}")
        tables = {e: to_canonical(e, list(self.rows[e].values())) for e in ORDER}
        return CanonicalBatch(tables, self.rejections, self.unknown)

    def _one(self, item: Item, handler: Any) -> None:
        rtype = item.resource["resourceType"]
        where = f"{item.where}: " if item.where else ""
        try:
            if self.validate and not item.where.startswith("contained"):
                validate_resource(item.resource, where=rtype)
            handler(item)
        except _Bad as exc:
            self._reject(item, exc.element, f"{where}{exc.element} has the wrong JSON type")
        except TargetError as exc:
            self._reject(item, None, f"{where}{exc.message}")
        except (dec.Malformed, KeyError, TypeError, AttributeError, ValueError, OverflowError):
            # OverflowError: a 400-digit JSON integer as a float, a year-1 time shifted to UTC.
            self._reject(item, None, f"{where}not shaped as FHIR R4 {rtype}")

    def _reject(self, item: Item, element: str | None, reason: str) -> None:
        rtype = item.resource.get("resourceType")
        self.rejections.append(
            Rejection(
                item.file, item.index, rtype if isinstance(rtype, str) else None, element, reason
            )
        )

    def _time(self, item: Item, x: Any, element: str, date: bool = False) -> Any:
        try:
            return _date(x, element) if date else _datetime(x, element)
        except _Partial:
            self.count(f"{item.resource['resourceType']}.{element} (partial date)")
            return None

    # --- keys and references -----------------------------------------------------------------

    def key(self, item: Item) -> str | None:
        memo = id(item.resource)
        if memo not in self.keys:
            self.keys[memo] = self._derive_key(item)
        return self.keys[memo]

    def _derive_key(self, item: Item) -> str | None:
        r = item.resource
        domain = DOMAINS.get(r["resourceType"])
        if domain is not None:
            system = f.id_system(domain)
            for ident in _l(r, "identifier"):
                if ident.get("system") == system:
                    value = _s(ident.get("value"), "identifier.value")
                    if value is None:  # a blank key: its value is in the blank extension
                        value = dec.blanks(r).get(f"{domain}_id")
                    if value is not None:
                        return value
        rid = r.get("id")
        if isinstance(rid, str) and rid:
            return rid
        return item.full_url

    def _need_key(self, item: Item) -> str:
        key = self.key(item)
        if key is None:
            raise _Bad("id")
        return key

    def target(self, literal: str, container: Item) -> Item | None:
        if literal.startswith("#"):
            for c in _l(container.resource, "contained"):
                if c.get("id") == literal[1:] and isinstance(c.get("resourceType"), str):
                    return Item(container.file, container.index, "contained", c, None)
            return None
        found = self.by_url.get(literal)
        if found is not None:
            return found
        parts = literal.split("/_history/")[0].rstrip("/").split("/")
        if len(parts) >= 2:
            return self.by_type_id.get((parts[-2], parts[-1]))
        return None

    def ref(self, ref: Any, types: tuple[str, ...], domain: str, container: Item) -> str | None:
        """The key a Reference points to, if it points to one of `types`."""
        if not isinstance(ref, dict):
            raise _Bad("reference")
        ident = ref.get("identifier")
        if isinstance(ident, dict) and ident.get("system") == f.id_system(domain):
            value = _s(ident.get("value"), "reference.identifier.value")
            if value is not None:
                return value  # else a blank key: the resource pointed to knows it
        literal = _s(ref.get("reference"), "reference.reference")
        if literal is not None:
            target = self.target(literal, container)
            if target is not None:
                # A contained resource has no key of its own; only Specimens are read from it.
                ok = target.resource["resourceType"] in types and target.where != "contained"
                return self.key(target) if ok else None
            if literal.startswith("urn:"):
                return literal if ref.get("type") in (None, *types) else None
            parts = literal.split("/_history/")[0].rstrip("/").split("/")
            return parts[-1] if len(parts) >= 2 and parts[-2] in types else None
        if isinstance(ident, dict):
            s, v = ident.get("system"), ident.get("value")
            found = self.by_ident.get((s, v)) if isinstance(s, str) and isinstance(v, str) else None
            if found is not None and found.resource["resourceType"] in types:
                return self.key(found)
        return None

    def _refs(
        self, r: JSON, key: str, types: tuple[str, ...], domain: str, item: Item
    ) -> list[str]:
        out = []
        for ref in _l(r, key):
            k = self.ref(ref, types, domain, item)
            if k is not None:
                out.append(k)
        return out

    def _first_ref(
        self, r: JSON, key: str, types: tuple[str, ...], domain: str, item: Item
    ) -> str | None:
        refs = self._refs(r, key, types, domain, item)
        return refs[0] if refs else None

    def _one_ref(self, r: JSON, key: str, types: tuple[str, ...], domain: str, item: Item) -> Any:
        x = r.get(key)
        return None if x is None else self.ref(x, types, domain, item)

    # --- entities ----------------------------------------------------------------------------

    def _put(self, entity: str, item: Item, key: str, row: Row, merge: bool) -> None:
        table = self.rows[entity]
        old = table.get(key)
        if old is None:
            table[key] = row
        elif merge:
            if not merge_rows(old, row):
                self.count(f"{item.resource['resourceType']} (differing duplicate, first kept)")
        elif old != row:
            where = f"{item.where}: " if item.where else ""
            rtype = item.resource["resourceType"]
            self._reject(item, None, f"{where}same key as an earlier {rtype}, different content")

    def _patient(self, item: Item) -> None:
        r = item.resource
        usual, maiden = _names(_l(r, "name"))
        addresses = _l(r, "address")
        home = [a for a in addresses if a.get("use") == "home"]
        address = (home or addresses or [{}])[0]
        lines = [_s(x, "address.line") for x in address.get("line") or []]
        telecom: dict[str, str | None] = {}
        for t in _l(r, "telecom"):
            system = _s(t.get("system"), "telecom.system")
            if system in ("phone", "email") and system not in telecom:
                telecom[system] = _s(t.get("value"), "telecom.value")
        gender = _s(r.get("gender"), "gender")
        nir = _identifier(r, f.NIR_SYSTEM)
        row: Row = {
            "patient_id": self._need_key(item),
            "family_name": _s(usual.get("family"), "name.family"),
            "given_name": _given(usual),
            "birth_name": _s(maiden.get("family"), "name.family"),
            "nir": nir,
            "birth_date": self._time(item, r.get("birthDate"), "birthDate", date=True),
            "sex": GENDER.get(gender) if gender is not None else _ext(r, f.EXT_SEX),
            "address": ", ".join(x for x in lines if x is not None) if lines else None,
            "postal_code": _s(address.get("postalCode"), "address.postalCode"),
            "city": _s(address.get("city"), "address.city"),
            "phone": telecom.get("phone"),
            "email": telecom.get("email"),
        }
        row.update(dec.blanks(r))
        self._put("patient", item, row["patient_id"], row, merge=True)

    def _practitioner(self, item: Item) -> None:
        r = item.resource
        names = _l(r, "name")
        preferred = [n for n in names if n.get("use") in ("official", "usual")]
        name = (preferred or names or [{}])[0]
        specialty = None
        qualifications = _l(r, "qualification")
        if qualifications:
            code = _o(qualifications[0], "code")
            specialty = _s(code.get("text"), "qualification.code.text")
            codings = _l(code, "coding")
            if specialty is None and codings:
                specialty = _s(codings[0].get("display"), "coding.display") or _code(codings[0])
        rpps = _identifier(r, f.RPPS_SYSTEM)
        row: Row = {
            "practitioner_id": self._need_key(item),
            "family_name": _s(name.get("family"), "name.family"),
            "given_name": _given(name),
            "rpps": rpps,
            "specialty": specialty,
        }
        row.update(dec.blanks(r))
        self._put("practitioner", item, row["practitioner_id"], row, merge=True)

    def _service_request(self, item: Item) -> None:
        r = item.resource
        key = self._need_key(item)
        row: Row = {
            "request_id": key,
            "patient_id": self._one_ref(r, "subject", ("Patient",), "patient", item),
            "prescriber_id": self._one_ref(r, "requester", ("Practitioner",), "practitioner", item),
        }
        blanks = dec.blanks(r)
        specimens = self._specimen_targets(r, item)
        notes = self._notes(item, key, key, None)
        old = self.requests_sr.get(key)
        if old is not None and not merge_rows(old, row):
            self.count("ServiceRequest (differing duplicate, first kept)")
        self.requests_sr.setdefault(key, row)
        self.request_blanks.setdefault(key, blanks)
        self._link_specimens(specimens, key)
        self._add_notes(notes)

    def _specimen_targets(self, r: JSON, item: Item) -> list[Item]:
        out = []
        for ref in _l(r, "specimen"):
            literal = _s(ref.get("reference"), "specimen.reference")
            target = self.target(literal, item) if literal else None
            if target is not None and target.resource["resourceType"] == "Specimen":
                out.append(target)
        return out

    def _link_specimens(self, specimens: list[Item], key: str) -> None:
        for target in specimens:
            if target.where == "contained":
                self.extra_specimens.append(target)
            self.spec_links.setdefault(id(target.resource), []).append(key)

    def _report(self, item: Item) -> None:
        r = item.resource
        own = self._need_key(item)
        based = self._first_ref(r, "basedOn", ("ServiceRequest",), "request", item)
        key = based if based is not None else own
        info: Row = {
            "patient_id": self._one_ref(r, "subject", ("Patient",), "patient", item),
            "collected_at": self._time(item, r.get("effectiveDateTime"), "effectiveDateTime"),
        }
        if info["collected_at"] is None:
            start = _o(r, "effectivePeriod").get("start")
            info["collected_at"] = self._time(item, start, "effectivePeriod.start")
        results = []
        for ref in _l(r, "result"):
            literal = _s(ref.get("reference"), "result.reference")
            target = self.target(literal, item) if literal else None
            if target is not None:
                results.append(target)
        specimens = self._specimen_targets(r, item)
        conclusion = _s(r.get("conclusion"), "conclusion")
        if _l(r, "presentedForm"):
            self.count("DiagnosticReport.presentedForm")
        # Everything read: now record.
        old = self.requests_dr.setdefault(key, info)
        if old is not info:
            merge_rows(old, info)
        self.report_request[id(r)] = key
        for target in results:
            self.obs_links.setdefault(id(target.resource), key)
        self._link_specimens(specimens, key)
        if conclusion is not None:
            row = {"comment_id": f"{own}/conclusion", "request_id": key, "text": conclusion}
            self._put("comment", item, row["comment_id"], row, merge=False)

    def _specimen(self, item: Item) -> None:
        r = item.resource
        keys = list(self.spec_links.get(id(r), []))
        keys += self._refs(r, "request", ("ServiceRequest",), "request", item)
        collection = _o(r, "collection")
        collected = self._time(item, collection.get("collectedDateTime"), "collectedDateTime")
        if collected is None:
            start = _o(collection, "collectedPeriod").get("start")
            collected = self._time(item, start, "collection.collectedPeriod.start")
        info: Row = {
            "patient_id": self._one_ref(r, "subject", ("Patient",), "patient", item),
            "collected_at": collected,
            "received_at": self._time(item, r.get("receivedTime"), "receivedTime"),
            "site": _ext(r, f.EXT_SITE),
        }
        if not keys:
            self.count(NO_REQUEST)
            return
        notes: list[tuple[Item, Row]] = []
        for key in dict.fromkeys(keys):
            notes += self._notes(item, f"Specimen/{self._need_key(item)}", key, None)
            old = self.requests_spec.setdefault(key, dict(info))
            merge_rows(old, info)
        self.spec_request[id(r)] = list(dict.fromkeys(keys))
        self._add_notes(notes)

    def _observation(self, item: Item) -> None:
        r = item.resource
        key = self._need_key(item)
        request = self._first_ref(r, "basedOn", ("ServiceRequest",), "request", item)
        if request is None:
            request = self.obs_links.get(id(r))
        if request is None:
            literal = _s(_o(r, "specimen").get("reference"), "specimen.reference")
            target = self.target(literal, item) if literal else None
            linked = self.spec_request.get(id(target.resource)) if target else None
            if linked and len(linked) == 1:
                request = linked[0]
        code = _o(r, "code")
        codings = _l(code, "coding")
        loinc = local = other = None
        for coding in codings:
            system = coding.get("system")
            if system == f.LOINC_SYSTEM and loinc is None:
                loinc = _code(coding)
            elif system == f.LOCAL_CODE_SYSTEM and local is None:
                local = _code(coding)
            elif system not in NOT_LOCAL and other is None:
                other = _code(coding)
        label = _s(code.get("text"), "code.text")
        if label is None and codings:
            label = _s(codings[0].get("display"), "code.coding.display")
        num, text, unit = self._value(item)
        ranges = _l(r, "referenceRange")
        bounds = ranges[0] if ranges else {}
        status = _ext(r, f.EXT_STATUS)
        if status is None:
            status = STATUS.get(_s(r.get("status"), "status") or "")
        row: Row = {
            "result_id": key,
            "request_id": request,
            "loinc_code": loinc,
            "local_code": local if local is not None else other,
            "label": label,
            "value_num": num,
            "value_text": text,
            "unit": unit,
            "ref_low": _num(_o(bounds, "low").get("value"), "referenceRange.low.value"),
            "ref_high": _num(_o(bounds, "high").get("value"), "referenceRange.high.value"),
            "flag": _flag(_l(r, "interpretation")),
            "status": status,
            "validated_at": self._time(item, r.get("issued"), "issued"),
            "validator_id": self._first_ref(
                r, "performer", ("Practitioner",), "practitioner", item
            ),
            "sensitivity": _security(_o(r, "meta")),
        }
        row.update(dec.blanks(r))
        notes = self._notes(item, key, request, key)
        if _l(r, "component"):
            self.count("Observation.component")
        self._put("result", item, key, row, merge=False)
        self._add_notes(notes)

    def _value(self, item: Item) -> tuple[float | None, str | None, str | None]:
        r = item.resource
        text = _ext(r, f.EXT_VALUE_TEXT)
        if "valueQuantity" in r:
            q = _o(r, "valueQuantity")
            value = _num(q.get("value"), "valueQuantity.value")
            unit = _s(q.get("unit"), "valueQuantity.unit") or _s(
                q.get("code"), "valueQuantity.code"
            )
            comparator = _s(q.get("comparator"), "valueQuantity.comparator")
            if comparator is not None and value is not None:
                return None, f"{comparator}{q['value']}", unit
            return value, text, unit
        if "valueInteger" in r:
            return _num(r["valueInteger"], "valueInteger"), text, None
        for key in ("valueString", "valueDateTime", "valueTime"):
            if key in r:
                return None, _s(r[key], key), None
        if "valueBoolean" in r:
            if not isinstance(r["valueBoolean"], bool):
                raise _Bad("valueBoolean")
            return None, "true" if r["valueBoolean"] else "false", None
        if "valueCodeableConcept" in r:
            concept = _o(r, "valueCodeableConcept")
            shown = _s(concept.get("text"), "valueCodeableConcept.text")
            codings = _l(concept, "coding")
            if shown is None and codings:
                shown = _s(codings[0].get("display"), "coding.display") or _code(codings[0])
            return None, shown, None
        for key in r:
            if key.startswith("value"):
                self.count(f"Observation.{key}")
        return None, text, None

    def _communication(self, item: Item) -> None:
        r = item.resource
        key = self._need_key(item)
        request = result = None
        for field in ("about", "basedOn", "partOf"):
            for ref in _l(r, field):
                request = request or self.ref(ref, ("ServiceRequest",), "request", item)
                result = result or self.ref(ref, ("Observation",), "result", item)
                literal = ref.get("reference")
                target = self.target(literal, item) if isinstance(literal, str) else None
                if request is None and target is not None:
                    request = self.report_request.get(id(target.resource))
        texts = []
        for payload in _l(r, "payload"):
            content = _s(payload.get("contentString"), "payload.contentString")
            if content is None:
                self.count("Communication.payload (attachment or reference)")
            else:
                texts.append(content)
        row: Row = {
            "comment_id": key,
            "request_id": request,
            "result_id": result,
            "written_at": self._time(item, r.get("sent"), "sent"),
            "text": "\n".join(texts) if texts else None,
        }
        row.update(dec.blanks(r))
        self._put("comment", item, key, row, merge=False)

    def _notes(
        self, item: Item, owner: str, request: str | None, result: str | None
    ) -> list[tuple[Item, Row]]:
        out = []
        for n, note in enumerate(_l(item.resource, "note"), 1):
            out.append((item, {
                "comment_id": f"{owner}/note/{n}",
                "request_id": request,
                "result_id": result,
                "written_at": self._time(item, note.get("time"), "note.time"),
                "text": _s(note.get("text"), "note.text"),
            }))  # fmt: skip
        return out

    def _add_notes(self, notes: list[tuple[Item, Row]]) -> None:
        for item, row in notes:
            self._put("comment", item, row["comment_id"], row, merge=False)

    def _assemble_requests(self) -> None:
        keys = dict.fromkeys([*self.requests_sr, *self.requests_dr, *self.requests_spec])
        for key in keys:
            row: Row = {"request_id": key}
            row.update(self.requests_sr.get(key, {}))
            for source in (self.requests_spec.get(key, {}), self.requests_dr.get(key, {})):
                for k, v in source.items():
                    if row.get(k) is None:
                        row[k] = v
            row.update(self.request_blanks.get(key, {}))
            self.rows["request"][key] = row


# --- small decoders ----------------------------------------------------------------------------


def _contained(r: JSON) -> list[JSON]:
    x = r.get("contained")
    return [c for c in x if isinstance(c, dict)] if isinstance(x, list) else []


def _names(names: list[JSON]) -> tuple[JSON, JSON]:
    maiden = next((n for n in names if n.get("use") == "maiden"), {})
    usable = [n for n in names if n.get("use") not in NOT_NAMES]
    for pick in (
        [n for n in usable if n.get("use") == "usual" and n.get("family") is not None],
        [n for n in usable if n.get("use") == "official"],
        [n for n in usable if n.get("use") == "usual"],
        usable,
    ):
        if pick:
            return pick[0], maiden
    return {}, maiden


def _given(name: JSON) -> str | None:
    given = name.get("given")
    if given is None:
        return None
    if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
        raise _Bad("name.given")
    return " ".join(given) if given else None


def _flag(interpretation: list[JSON]) -> str | None:
    if not interpretation:
        return None
    codings = _l(interpretation[0], "coding")
    for coding in codings:
        code = _code(coding)
        if code is not None:
            return code
    return _s(interpretation[0].get("text"), "interpretation.text")


def _identifier(r: JSON, system: str) -> str | None:
    """The value of the resource's first identifier in `system`."""
    for ident in _l(r, "identifier"):
        if ident.get("system") == system:
            return _s(ident.get("value"), "identifier.value")
    return None


def _security(meta: JSON) -> str | None:
    for coding in _l(meta, "security"):
        if coding.get("system") == f.SENSITIVITY_SYSTEM:
            return _code(coding)
    return None
