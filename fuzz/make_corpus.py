"""Regenerate the seed corpus under fuzz/corpus/<target>/ (synthetic data only).

    .venv/bin/python fuzz/make_corpus.py          # rewrite every seed this script owns

Seeds come from Ariane's own writers fed with a few made-up rows, from the built-in profiles, and
from short hand-written excerpts. `regress-*` seeds are inputs that once broke a property (see
REGRESSIONS); any other file whose name starts with `regress-` or `crash-` is kept as it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import tempfile
from importlib import resources
from pathlib import Path

import ariane_fuzz as af
import pyarrow as pa

from ariane.connectors.fhir_bundle import FhirBundleWriter
from ariane.connectors.fhir_ndjson import FhirNdjsonWriter
from ariane.connectors.hl7v2_write import Hl7v2Writer
from ariane.connectors.hprim_write import HprimWriter
from ariane.manifest.draft import draft_manifest
from ariane.manifest.load import manifest_yaml
from ariane.model.entities import ENTITIES, ORDER
from ariane.profiles.load import load_profile

CORPUS = Path(__file__).resolve().parent / "corpus"
NOW = dt.datetime(2025, 3, 4, 5, 6, 7)
AGE_KEY = "age1" + "q" * 58  # well-formed, nobody's key


def lab_tables() -> dict[str, pa.Table]:
    """Two made-up patients with requests, results and comments; every value is invented."""
    rows: dict[str, list[dict[str, object]]] = {
        "patient": [
            {"patient_id": "SYN001", "family_name": "EXEMPLE", "given_name": "Alix",
             "birth_name": "MODELE", "nir": "299999999999999", "birth_date": dt.date(1970, 5, 6),
             "sex": "F", "address": "1 rue Fictive", "postal_code": "00000", "city": "NULLEPART",
             "phone": "0000000000", "email": "alix@example.invalid"},
            {"patient_id": "SYN002", "family_name": "ESSAI", "given_name": "Bé",
             "sex": "M", "birth_date": dt.date(2001, 12, 31)},
        ],
        "practitioner": [
            {"practitioner_id": "DR01", "family_name": "DOCTEUR", "given_name": "Test",
             "rpps": "10000000000", "specialty": "biologie"},
        ],
        "request": [
            {"request_id": "Q100", "patient_id": "SYN001", "prescriber_id": "DR01",
             "collected_at": dt.datetime(2024, 1, 2, 8, 30), "received_at":
             dt.datetime(2024, 1, 2, 9, 0), "site": "SITE1"},
            {"request_id": "Q200", "patient_id": "SYN002",
             "collected_at": dt.datetime(2024, 2, 3, 10, 0)},
        ],
        "result": [
            {"result_id": "Q100-1", "request_id": "Q100", "loinc_code": "2345-7",
             "local_code": "GLU", "label": "Glucose", "value_num": 5.5, "unit": "mmol/L",
             "ref_low": 3.9, "ref_high": 6.1, "flag": "N", "status": "F",
             "validated_at": dt.datetime(2024, 1, 2, 12, 0), "validator_id": "DR01"},
            {"result_id": "Q100-2", "request_id": "Q100", "local_code": "CMT",
             "label": "Aspect", "value_text": "clair | ^ & ~ \\ é", "status": "P"},
            {"result_id": "Q200-1", "request_id": "Q200", "loinc_code": "718-7",
             "value_num": -0.25, "unit": "g/dL", "ref_high": 17.0, "flag": "L"},
        ],
        "comment": [
            {"comment_id": "Q100-C1", "request_id": "Q100", "text": "à jeun\nligne 2",
             "written_at": dt.datetime(2024, 1, 2, 8, 31)},
            {"comment_id": "Q100-1-C1", "request_id": "Q100", "result_id": "Q100-1",
             "text": "contrôlé"},
        ],
    }  # fmt: skip
    tables = {n: pa.Table.from_pylist(rows[n], schema=ENTITIES[n].schema()) for n in ORDER}
    # Writers refuse the credential column outright, even empty.
    tables["patient"] = tables["patient"].drop_columns(["portal_password"])
    return tables


def manifest_seeds() -> dict[str, bytes]:
    draft = draft_manifest(
        load_profile("labosoft-sil4"),
        manifest_id="FUZZ-1",
        author="alice.exemple",
        controller="Laboratoire Fictif",
        processor="Prestataire Fictif",
        processor_key="vendor-key",
        recipient="Nouveau SIL",
        recipient_key=AGE_KEY,
        agreement_reference="DPA-FUZZ",
        agreement_date=dt.date(2025, 1, 1),
        delete_by=dt.date(2026, 1, 1),
        collected_since=dt.date(2020, 1, 1),
    )
    full = manifest_yaml(draft)
    return {
        "draft.yaml": full.encode(),
        "draft-crlf.yaml": full.replace("\n", "\r\n").encode(),
        "anchors.yaml": (
            "format: ariane.manifest/1\nid: A-1\ntitle: &t T\npurpose: *t\nauthor: *t\n"
            "controller: &p {name: X}\nprocessor: {<<: *p, signing_key: k}\n"
            f"recipient: {{name: R, key: {AGE_KEY}}}\n"
            "agreement: {reference: D, date: 2025-01-01}\n"
            "source: {profile: canonical, profile_digest: " + "0" * 64 + "}\n"
            "delete_by: 2026-01-01\nentities: {patient: {fields: [patient_id, sex]}}\n"
        ).encode(),
        "tags.yaml": b"a: !!int 12\nb: !!float 1e3\nc: !!timestamp 2001-12-14t21:59:43.10-05:00\n"
        b"d: !!binary aGVsbG8=\ne: !!set {x, y}\nf: !!omap [{k: v}]\n",
        "json.yaml": b'{"format": "ariane.manifest/1", "id": "J", "entities": {}}',
        "multi.yaml": b"---\na: 1\n---\nb: 2\n",
        "bom.yaml": b"\xef\xbb\xbfformat: ariane.manifest/1\n",
    }


def profile_seeds() -> dict[str, bytes]:
    builtin = resources.files("ariane.profiles").joinpath("builtin")
    seeds = {
        f"{name}.yaml": builtin.joinpath(f"{name}.yaml").read_bytes()
        for name in ("canonical", "labosoft-sil4")
    }
    seeds["small.yaml"] = (
        b"format: ariane.profile/1\nname: small\nentities:\n  patient:\n    table: PAT\n"
        b"    alias: p\n    joins: [{table: ADR, alias: a, condition: a.PAT = p.ID}]\n"
        b"    fields: {patient_id: p.ID, sex: \"CASE p.S WHEN 1 THEN 'M' END\"}\n"
        b"local_codes: {HIV1: health.sensitive.hiv}\n"
    )
    return seeds


FILTERS = {
    "request": [
        "collected_at >= DATE '2023-01-01' AND site IN ('LYO1', 'LYO2')",
        "received_at BETWEEN TIMESTAMP '2023-01-01 00:00:00' AND TIMESTAMP '2024-01-01 12:30:00'",
        "NOT (site = 'X' OR site IS NULL)",
        "prescriber_id <> patient_id",
        "site IN (SELECT 1)",
    ],
    "result": [
        "value_num > -1.5e3 AND ref_low <= 4",
        "loinc_code LIKE '2345-%' OR label ILIKE '%gluc%'",
        "(((status = 'F')))",
        "lower(label) = 'x'",
    ],
    "patient": ["birth_date < DATE '1950-01-01'", "sex = 'F'; DROP TABLE patient", "sex = 1"],
    "comment": ["written_at >= TIMESTAMP '2024-01-02T03:04:05'", "text IS NOT NULL"],
    "practitioner": ["rpps = 'x' AND specialty != \"rpps\"", "practitioner.rpps = 'y'"],
}


def filter_seeds() -> dict[str, bytes]:
    seeds = {}
    for entity, texts in FILTERS.items():
        byte = bytes([af.ENTITY_NAMES.index(entity)])
        for n, text in enumerate(texts):
            seeds[f"{entity}-{n}.txt"] = byte + text.encode()
    return seeds


def package_seeds() -> dict[str, bytes]:
    lab = af.package_lab()
    seeds: dict[str, bytes] = {"none.bin": af.encode_edits([])}
    for n, kind in enumerate(af.EDIT_KINDS):
        for target in range(len(lab.files)):
            edit = af.Edit(kind, target, offset=17 * (n + 1), payload=b"\x01x")
            seeds[f"{kind}-{target}.bin"] = af.encode_edits([edit])
    seeds["sig-newline.bin"] = af.encode_edits(
        [af.Edit("truncate", lab.files.index(af.SIGNATURE_FILE), offset=88)]
    )
    seeds["signed-index.json"] = bytes([af.MODES.index("signed-index")]) + lab.template()
    seeds["signed-part.parquet"] = bytes([af.MODES.index("signed-part")]) + lab.part_plain
    manifest = lab.pristine[af.MANIFEST_FILE]
    seeds["signed-manifest.json"] = bytes([af.MODES.index("signed-manifest")]) + manifest
    return seeds


HL7_HAND = {
    "adt-a01.hl7": "MSH|^~\\&|APP|FAC|||20240102030405+0100||ADT^A01^ADT_A01|C1|P|2.5\r"
    "EVN|A01|20240102\r"
    "PID|1||SYN9^^^^PI~299999999999999^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS||"
    "EXEMPLE^Alix^^^^^L~MODELE^^^^^^M||19700506|F|||1 rue Fictive^^NULLEPART^^00000||"
    "0000000000^PRN^PH~^NET^Internet^a@example.invalid\r"
    "PV1|1|O\r",
    "mllp-batch.hl7": "\x0bFHS|^~\\&\rBHS|^~\\&\r"
    "MSH|^~\\&|A|B|||20240101||ORU^R01|M1|P|2.3|||||||8859/1\r"
    "PID|||P7\rOBR|1|R7||X^Y|||20240101\rOBX|1|SN|1^A^L||<^0.5|u|0-1|H|||F\r"
    "NTE|1||line one~line two\rZNT|N1|20240101\r"
    "BTS|1\rFTS|1\r\x1c\r",
    "oml-escapes.hl7": "MSH|^~\\&|A|B|||202401011230-0500||OML^O21^OML_O21|M2|P|2.8||||||"
    "UNICODE UTF-8\n"
    "PID|||P8||N\\T\\M^G\\E\\\\X41\\\n"
    "ORC|NW|R8||||||||||DR1^DOC^T^^^^^^1.2.250.1.71.4.2.1&ISO^^^^RPPS|||||||||SITE\n"
    "OBR|1|R8|F8|718-7^Hb^LN~HB^Hb^L|||20240101\n"
    "SPM|1|||BLD||||||||||||20240101|20240102\n"
    "OBX|1|CE|CODE^Coded^L||POS^Positive^L||||||C|||20240102||DR1^DOC\n"
    'OBX|2|NM|GLU^Glucose^L||""|||||||F\n',
}


def hl7v2_seeds(tmp: Path) -> dict[str, bytes]:
    out = tmp / "hl7"
    Hl7v2Writer(out, message_time=NOW, messages_per_file=1).write(lab_tables())
    seeds = {f"writer-{p.name}": p.read_bytes() for p in sorted(out.iterdir())}
    seeds.update({k: v.encode("latin-1") for k, v in HL7_HAND.items()})
    return seeds


HPRIM_HAND = {
    "continuation.hpr": "H|~^\\&|FICHIER.HPR|ROUTE|LABO FICTIF|ADRESSE^CP^VILLE||ORU|"
    "ISO 8859-1|||H2.2|20240101120000\r\n"
    "P|1|SYN3^^^|||EXEMPLE^Alix^Marie|MODELE|19700506|F|||1 rue^^VILLE^^00000\r\n"
    "OBR|1||Q300|GLU^Glucose^L||20240101|20240101083000|||||||20240101090000||DR1^DOC^^RPPS\r\n"
    "OBX|1|NM|GLU^Glucose^L|Q300-1|5,5~lu|mmol/l|3,9 - 6,1|N|||F|||20240101120000||DR1\r\n"
    "C|1||texte libre \\X0A\\ suite|||20240101\r\n"
    "A|ligne de continuation\r\n"
    "OBX|2|ST|HB^Hb|||g/dl|<17|H\r\n"
    "L|1||1|9\r\n",
    "two-messages.hpr": "H|~^\\&|||||||||H2.1\rP|1|A1\rL|1||1\r"
    "H|~^\\&|||||||UTF-8||H2.4\rP|1|A2|||Ä\rOBR|1||R2\rL|1||x\r",
}


def hprim_seeds(tmp: Path) -> dict[str, bytes]:
    out = tmp / "hprim"
    HprimWriter(out, "EMETTEUR", "RECEPTEUR", NOW, requests_per_file=1).write(lab_tables())
    seeds = {f"writer-{p.name}": p.read_bytes() for p in sorted(out.iterdir())}
    seeds.update({k: v.encode("latin-1") for k, v in HPRIM_HAND.items()})
    return seeds


FHIR_HAND = {
    "transaction.json": (
        '{"resourceType":"Bundle","type":"transaction","entry":['
        '{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"p1",'
        '"name":[{"use":"official","family":"EXEMPLE","given":["A","B"]}],"gender":"other",'
        '"birthDate":"1970"}},'
        '{"request":{"method":"DELETE","url":"Patient/2"}},'
        '{"resource":{"resourceType":"DiagnosticReport","id":"d1","subject":{"reference":'
        '"urn:uuid:1"},"effectivePeriod":{"start":"2024-01-01T08:00:00+01:00"},'
        '"result":[{"reference":"#o1"}],"conclusion":"ok","contained":[{"resourceType":'
        '"Observation","id":"o1","code":{"text":"Glucose"},"valueQuantity":{"value":5.5,'
        '"comparator":"<","unit":"mmol/L"}}]}},'
        '{"resource":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Specimen",'
        '"request":[{"reference":"DiagnosticReport/d1"}],"collection":{"collectedDateTime":'
        '"2024-01-01"}}}]}}]}'
    ),
    "lines.ndjson": (
        '{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":'
        '"http://loinc.org","code":"718-7"}]},"valueInteger":7,"basedOn":[{"reference":'
        '"ServiceRequest/s2"}],"interpretation":[{"text":"H"}],"note":[{"text":"n"}]}\n'
        '{"resourceType":"ServiceRequest","id":"s2","subject":{"reference":"Patient/p2"},'
        '"identifier":[{"system":"urn:ariane:id:request","value":"Q9"}]}\n'
        "not json\n"
        '{"resourceType":"Practitioner","id":"dr","qualification":[{"code":{"text":"bio"}}]}\n'
    ),
}


def fhir_seeds(tmp: Path) -> dict[str, bytes]:
    tables = lab_tables()
    bundle = FhirBundleWriter(tmp / "bundle").write(tables)
    seeds = {"writer-Bundle.json": bundle.read_bytes()}
    writer = FhirNdjsonWriter(tmp / "ndjson")
    for name in ORDER:
        writer.write(name, tables[name].to_batches())
    writer.close()
    for p in sorted((tmp / "ndjson").iterdir()):
        if p.stat().st_size:
            seeds[f"writer-{p.name}"] = p.read_bytes()
    seeds.update({k: v.encode() for k, v in FHIR_HAND.items()})
    return seeds


def regressions() -> dict[str, dict[str, bytes]]:
    """Inputs that once crashed, hung or broke a property, by target (fixed since)."""
    lab = af.package_lab()
    # The sender signed a part whose Parquet footer names a column in bytes that are not UTF-8:
    # pyarrow raised UnicodeDecodeError, which the opener did not translate.
    part = bytearray(lab.part_plain)
    del part[0:3]
    part[4342 % (len(part) + 1) : 4342 % (len(part) + 1) + 1] = b"\x80"
    hprim_head = b"H|~^\\&|||||||||H2.1\rP|1|A1\r"
    msh = b"MSH|^~\\&|A|B|||20240101||ORU^R01|M1|P|2.3\r"
    obs = b'{"resourceType":"Observation","id":"o","status":"final",'
    return {
        "manifest": {
            "regress-bad-date.yaml": b"delete_by: 2020-13-45\n",
            "regress-timestamp-tag.yaml": b"c: !!timestamp 2001]-12-14t21:59:43.10-05:00\n",
            "regress-bool-tag.yaml": b"a: !!bool maybe\n",
            # Not here: 1000 nested brackets (RecursionError). PyYAML needs ~1 s natively, 10 s
            # instrumented, to reach its recursion limit: tests/fuzz/test_fuzz_loaders.py has it.
        },
        "profile": {
            "regress-bad-date.yaml": b"format: ariane.profile/1\nname: x\nwhen: 2020-02-30\n",
            "regress-int-tag.yaml": b"format: ariane.profile/1\nname: !!int x\n",
        },
        "filter": {
            "regress-parens.txt": bytes([af.ENTITY_NAMES.index("patient")])
            + b"(" * 1990 + b"sex = 'F'" + b")" * 1990,
            "regress-nots.txt": bytes([af.ENTITY_NAMES.index("patient")]) + b"NOT " * 900
            + b"sex = 'F'",
            "regress-nul.txt": bytes([af.ENTITY_NAMES.index("request")])
            + b"site IN ('\x00?O1', 'LYO2')",
            "regress-week-date.txt": bytes([af.ENTITY_NAMES.index("patient")])
            + b"birth_date = DATE '2024-W01-1'",
            "regress-offset.txt": bytes([af.ENTITY_NAMES.index("request")])
            + b"collected_at >= TIMESTAMP '2024-01-01 00:00:00+05:00'",
        },
        "package": {
            "regress-signed-part-not-utf8.parquet": bytes([af.MODES.index("signed-part")])
            + bytes(part),
        },
        "hl7v2": {
            "regress-bts-digits.hl7": b"BHS|^~\\&\r" + msh + b"BTS|" + b"1" * 5000 + b"\r",
            "regress-formatting-count.hl7": msh + b"PID|||P1||N\\.sp99999999\\^G\r",
        },
        "hprim": {
            "regress-count-superscript.hpr": hprim_head + "L|1||\u00b2\r".encode("latin-1"),
            "regress-count-digits.hpr": hprim_head + b"L|1||" + b"1" * 5000 + b"\r",
        },
        "fhir": {
            "regress-deep.json": b'{"resourceType":"Patient","x":' + b"[" * 3000 + b"]" * 3000
            + b"}",
            "regress-lone-surrogate.json": b'{"resourceType":"Patient","id":"p","name":'
            b'[{"family":"\\ud800"}]}',
            "regress-huge-integer.json": obs + b'"valueQuantity":{"value":1' + b"0" * 400
            + b"}}",
            "regress-time-overflow.json": obs + b'"issued":"0001-01-01T00:00:00+14:00"}',
        },
    }  # fmt: skip


def write(target: str, seeds: dict[str, bytes]) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if not old.name.startswith(("crash-", "regress-")):
            old.unlink()
    seeds = {**seeds, **regressions()[target]}
    for name, data in seeds.items():
        (folder / name).write_bytes(data)
    print(f"{target}: {len(seeds)} seeds", file=sys.stderr)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write("manifest", manifest_seeds())
        write("profile", profile_seeds())
        write("filter", filter_seeds())
        write("package", package_seeds())
        write("hl7v2", hl7v2_seeds(tmp))
        write("hprim", hprim_seeds(tmp))
        write("fhir", fhir_seeds(tmp))
    digest = hashlib.sha256()
    for p in sorted(CORPUS.rglob("*")):
        if p.is_file():
            digest.update(p.read_bytes())
    print(f"corpus digest {digest.hexdigest()[:16]}", file=sys.stderr)


if __name__ == "__main__":
    main()
