"""Detectors one by one: positives, and the near-misses that must not fire."""

from __future__ import annotations

import hashlib
import random

import pytest

from ariane.discover import hints
from ariane.discover.detectors import (
    contact,
    credential,
    dates,
    freetext,
    loinc,
    names,
    nir,
    professional,
    results,
)
from ariane.discover.detectors.text import luhn_ok
from ariane.discover.model import ColumnSample


def col(values, type_="VARCHAR", name="c1"):
    vals = tuple(values)
    return ColumnSample("t", name, type_, len(vals), vals, vals)


def kinds(finding):
    return None if finding is None else finding.kind


def test_nir_column_with_corsica_and_temporary_numbers():
    values = ["255081416802538", "2 84 05 2A 321 025 52", "186022A21532523", "884058832102523"] * 30
    f = nir.detect(col(values))
    assert f is not None and f.kind == "nir" and f.category == "identity.direct"
    assert f.evidence["corsica"] == 60 and f.evidence["temporary"] == 30


def test_fifteen_digit_numbers_with_wrong_keys_are_not_nirs():
    # Accession numbers shaped like NIRs (sex digit, date) whose last two digits are no key.
    values = [
        f"1{d:02d}0{m}1234567{k:02d}" for d in range(10, 40) for m in range(1, 10) for k in (0,)
    ]
    assert nir.detect(col(values)) is None


def test_keyless_nir_body_is_weak_and_phones_barcodes_are_not_nirs():
    assert nir.match("2840588321025").kind == "keyless"
    assert nir.match("0033612345678") is None  # an international phone number, 13 digits
    assert nir.detect(col(["0612345678", "0033478123456"] * 50)) is None


def test_nir_found_inside_text():
    assert nir.find_in_text("PID|||255081416802538^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8") == 1
    assert nir.find_in_text("dossier 255081416802539 (bad key)") == 0


def test_phone_and_email():
    phones = [
        "06 12 34 56 78",
        "+33 6 12 34 56 78",
        "0478123456",
        "0033612345678",
        "04.78.12.34.56",
    ]
    assert kinds(contact.phone(col(phones * 20))) == "phone"
    assert contact.phone(col(["10749604137", "D190510000002"] * 50)) is None  # RPPS, request ids
    emails = ["jean.dupont@exemple.fr", "hélène.lefèvre@courriel.example", "a_b+1@x.example"]
    assert kinds(contact.email(col(emails * 20))) == "email"
    assert contact.email(col(["jean.dupont at exemple", "@nope", "x@y"] * 20)) is None


def test_rpps_luhn_and_near_miss():
    assert luhn_ok("10732115695") and not luhn_ok("10732115696")
    good = ["10732115695", "10832810294", "10749604137", "10778370204"]
    assert kinds(professional.rpps(col(good * 25))) == "rpps"
    bad = [str(10732115690 + i) for i in range(100)]  # one in ten passes Luhn by chance
    assert professional.rpps(col(bad)) is None


def test_loinc_check_digit():
    assert loinc.check_digit("2345") == "7" and loinc.is_loinc("2345-7")
    assert not loinc.is_loinc("2345-8")
    f = loinc.detect(col(["2345-7", "7918-6", "56888-1", "2093-3"] * 10))
    assert f is not None and f.classes == {"hiv": 20}
    assert loinc.detect(col(["2345-8", "12-34", "2093-4"] * 10)) is None


@pytest.mark.parametrize(
    "values, detail",
    [
        (["$2b$12$" + "a" * 53, "$2y$10$" + "B./" * 17 + "xy"], "bcrypt"),
        ([hashlib.sha256(str(i).encode()).hexdigest() for i in range(40)], "hex-digest"),
        ([hashlib.md5(str(i).encode()).hexdigest() for i in range(40)], "hex-digest"),
    ],
)
def test_hashes_are_credentials(values, detail):
    f = credential.detect(col(values * 10))
    assert f is not None and f.category == "credential" and f.detail == detail


def test_clear_passwords_are_credentials_but_ids_and_uuids_are_not():
    pw = ["!QUGyexh", "9m8pUFZTgd", "azerty", "marie1965", "k#2Lp9zQ", "Tr0ub4dor&3", "123456"]
    rng = random.Random(3)
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@#$%&*?"
    pw += ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 12))) for _ in range(60)]
    assert kinds(credential.detect(col(pw))) == "credential"
    ids = [f"D19051000{i:04d}" for i in range(200)]
    assert credential.detect(col(ids)) is None
    uuids = ["0f8fad5bd9cb469fa16570867728950e", "7c9e6679742540de944be07fc1f90ae7"] * 30
    assert credential.detect(col(uuids)) is None


def test_names_sex_and_dates():
    family = ["MARTIN", "BERNARD", "DUBOIS", "LEFÈVRE", "N'DIAYE", "DUPONT-MOREAU"] * 20
    f = names.person_name(col(family))
    assert f is not None and f.detail == "family name"
    assert (
        names.person_name(col(["Glycémie à jeun", "Cholestérol total", "Ferritine"] * 20)) is None
    )
    assert names.person_name(col(["LYO1", "VIL1", "AJA1"] * 20)) is None
    assert kinds(names.sex(col(["1", "2", "2", "1", "2"] * 20))) == "sex"
    assert names.sex(col(["F"] * 95 + ["P"] * 3 + ["C"] * 2)) is None  # a result status
    births = [f"19{y:02d}0{m}1{d}" for y in range(30, 99, 3) for m in range(1, 9) for d in range(5)]
    assert kinds(dates.date_column(col(births))) == "birth_date"
    events = [
        f"2024-0{m}-1{d} 0{h}:12:00" for m in range(1, 9) for d in range(9) for h in range(1, 9)
    ]
    assert kinds(dates.date_column(col(events))) == "event_date"
    assert dates.date_column(col(["19651332", "abc"] * 20)) is None


def test_postal_codes_and_addresses():
    codes = ["69001", "69003", "20000", "01000", "97400", "69100"] * 20
    assert kinds(contact.postal_code(col(codes))) == "postal_code"
    assert contact.postal_code(col([str(10000 + i) for i in range(200)])) is None  # a counter
    addresses = ["12 rue de la République", "3 bis avenue Jean Jaurès", "221B Baker Street"] * 20
    assert kinds(contact.address(col(addresses))) == "address"


def test_result_shapes():
    assert kinds(results.unit(col(["g/L", "mmol/L", "UI/L", "%", "µmol/L"] * 10))) == "unit"
    assert kinds(results.flag(col(["N", "N", "L", "H", "A"] * 10))) == "flag"
    assert kinds(results.status(col(["F"] * 40 + ["P", "C"] * 5))) == "status"
    assert kinds(results.qualitative(col(["Négatif", "Positif", "Détecté"] * 10))) == "result_text"
    assert kinds(results.measurement(col(["4.7", "94.0", "2.38", "12"] * 10))) == "measurement"
    assert results.measurement(col([str(i) for i in range(100)])) is None  # integers: ids


@pytest.mark.parametrize(
    "text, cls",
    [
        ("Séropositivité VIH connue", "hiv"),
        ("Known HIV seropositivity", "hiv"),
        ("Grossesse 24 SA ; diabète gestationnel ?", "prenatal"),
        ("Pregnant, 12 weeks", "prenatal"),
        ("Mutation BRCA1 familiale", "genetic"),
        ("Mucoviscidose suivie", "genetic"),
        ("Trisomie 21 : dépistage demandé", "prenatal"),
        ("Chimiothérapie en cours", "oncology"),
        ("Cancer colorectal opéré", "oncology"),
        ("Hépatite C traitée", "hepatitis"),
        ("Antécédent de syphilis traitée", "sti"),
        ("Patient on methadone", "toxicology"),
    ],
)
def test_health_terms_french_and_english(text, cls):
    assert cls in freetext.health_classes(text)


def test_free_text_counts_terms_and_identifiers_without_values():
    texts = [
        "Résultat communiqué par téléphone à Mme Dupont",
        "Séropositivité VIH connue",
        "Appeler Dr MARTIN au 06 12 34 56 78",
        "Prélèvement hémolysé",
        "Contrôle à 3 mois",
    ] + [f"Voir antériorités du {i} mars" for i in range(10)]
    f = freetext.detect(col(texts * 4))
    assert f is not None and f.category == "free_text"
    assert f.evidence["with_health_terms"] == 4 and f.evidence["with_titled_name"] == 8
    assert f.evidence["with_phone"] == 4 and f.classes["hiv"] == 4
    assert all(isinstance(v, int) for v in f.evidence.values())
    neutral = [f"Prefers to be called at {h} pm, ask for the daughter" for h in range(12)] * 3
    g = freetext.detect(col(neutral))
    assert g is not None and g.evidence["with_health_terms"] == 0
    assert freetext.detect(col(["jean.dupont@exemple.fr", "a.b@c.example"] * 20)) is None


def test_name_hints_in_french_and_english():
    assert hints.hint("PAT_WEB_MDP") == "credential"
    assert hints.hint("portalPasswordHash") == "credential"
    assert hints.hint("PAT_NIR") == "nir" and hints.hint("ssn_fr") == "nir"
    assert hints.hint("PAT_DNAIS") == "birth_date" and hints.hint("date_of_birth") == "birth_date"
    assert hints.hint("c7") == ""
