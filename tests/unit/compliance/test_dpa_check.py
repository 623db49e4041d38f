"""`dpa check` on published agreements (../shared/fixtures/dpa) and on our deficient examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ariane.compliance.check import check_file, check_text, require_elements
from ariane.compliance.elements import ELEMENTS
from ariane.compliance.model import quote, redact
from ariane.errors import PolicyError

DATA = Path(__file__).resolve().parents[2] / "data" / "dpa"
ALL = {e.id for e in ELEMENTS}
DESCRIPTION = {"subject-matter", "duration", "nature", "purpose", "personal-data", "data-subjects"}
OBLIGATIONS = {f"28.3.{p}" for p in "abcdefgh"}


def statuses(report):
    return {e.id: e.status for e in report.elements}


def with_status(report, status):
    return {e.id for e in report.elements if e.status == status}


def findings(report, kind):
    return {
        f.subject: sorted({loc.line for loc in f.locations})
        for f in report.findings
        if f.kind == kind
    }


@pytest.fixture(scope="module")
def scc(fixtures_dir):
    return check_file(fixtures_dir / "dpa" / "scc_2021_915.txt")


@pytest.fixture(scope="module")
def github(fixtures_dir):
    return check_file(fixtures_dir / "dpa" / "github_data_protection_agreement_2023.md")


# --- the standard clauses of Decision 2021/915: a template ----------------------------------
def test_scc_template_has_the_obligations_but_leaves_the_description_open(scc):
    assert with_status(scc, "present") >= OBLIGATIONS | {"infringement-alert", "28.4-flow-down"}
    assert with_status(scc, "unspecified") == DESCRIPTION | {"28.2-authorisation"}
    assert with_status(scc, "missing") == set()
    assert with_status(scc, "weak") == set()
    require_elements(scc)  # nothing missing: exit 0 …
    with pytest.raises(PolicyError) as err:
        require_elements(scc, strict=True)  # … but not complete
    assert "28.2-authorisation (unspecified)" in err.value.message


def test_scc_each_open_description_points_at_its_blank_annex_field(scc):
    # Annex II: the label line of each field left "…", and the instruction to specify the rest.
    blank_field = {
        "data-subjects": 224,
        "personal-data": 226,
        "nature": 230,
        "purpose": 232,
        "duration": 234,
        "subject-matter": 237,
    }
    for element_id, line in blank_field.items():
        lines = {loc.line for loc in scc.element(element_id).evidence}
        assert line in lines, element_id
    # Clause 6 and 7.3 hand the description to Annex II, which is blank.
    assert 78 in {loc.line for loc in scc.element("duration").evidence}
    assert any("Annex II" in loc.note for loc in scc.element("personal-data").evidence)


def test_scc_option_not_chosen_and_each_placeholder_listed(scc):
    sub = scc.element("28.2-authorisation")
    assert {104, 106} <= {loc.line for loc in sub.evidence}  # OPTION 1 and OPTION 2 both left
    ph = {(p.line, p.note, p.quote) for p in scc.placeholders}
    assert (104, "placeholder", "[SPECIFY TIME PERIOD]") in ph
    assert (106, "placeholder", "[SPECIFY TIME PERIOD]") in ph
    assert {(104, "option"), (106, "option"), (137, "option"), (13, "option")} <= {
        (line, kind) for line, kind, _ in ph
    }
    blanks = {line for line, kind, _ in ph if kind == "blank"}
    assert {204, 205, 206, 207, 214, 225, 227, 229, 231, 233, 235, 274, 277} <= blanks
    # The obligations themselves are cited where they are, with their clause.
    a = scc.element("28.3.a").evidence[0]
    assert a.line == 68 and "7.1. Instructions" in a.heading
    assert scc.element("infringement-alert").evidence[0].line == 70


def test_scc_has_no_other_defect(scc):
    assert scc.findings == ()


# --- GitHub's 2023 agreement: complete, with defects -----------------------------------------
def test_github_agreement_has_no_element_missing(github):
    assert with_status(github, "missing") == set()
    assert with_status(github, "unspecified") == set()
    assert with_status(github, "present") == ALL - {"28.3.h"}
    require_elements(github)


def test_github_audits_satisfied_by_reports_is_weak(github):
    h = github.element("28.3.h")
    assert h.status == "weak"
    # "… will be satisfied by these compliance reports"
    assert [loc.line for loc in h.issues] == [196]
    assert {987, 448} <= {loc.line for loc in h.evidence}


def test_github_infringement_alert_is_the_attachment_3_sentence(github):
    alert = github.element("infringement-alert")
    assert alert.status == "present" and [loc.line for loc in alert.evidence] == [989]


def test_github_dangling_and_outdated_references(github):
    # "Security Practices and Policies" is cited four times; the DPA's section is "Data Security".
    assert findings(github, "dangling-reference") == {
        "“Security Practices and Policies” section": [669, 706, 912, 933]
    }
    assert findings(github, "broken-link") == {}
    outdated = findings(github, "outdated-reference")
    assert outdated["Decision 2010/87/EU"] == [81, 754]
    assert 758 in outdated["Directive 95/46/EC"]
    assert "Privacy Shield" not in outdated
    # "Implementing Decision (EU) 2021/91" for the 2021 clauses: a mistyped 2021/914.
    assert findings(github, "unknown-decision") == {"Decision 2021/91": [80]}
    assert findings(github, "contradictory-deadline") == {}


def test_github_template_alternatives_left_in_clause_13(github):
    assert [(p.line, p.note) for p in github.placeholders] == [
        (512, "alternative"),
        (513, "alternative"),
        (514, "alternative"),
    ]


def test_reports_carry_no_signatory_details(github):
    # Annex I.A of the GitHub agreement names a person with an e-mail address (line 619).
    text = json.dumps(github.to_json(), ensure_ascii=False)
    assert "@" not in text and "Wiet" not in text
    quotes = [loc.quote for e in github.elements for loc in (*e.evidence, *e.issues)]
    assert quotes and max(len(q) for q in quotes) <= 80


# --- our deficient examples ------------------------------------------------------------------
def test_terms_of_sale_have_no_processing_clause_at_all():
    report = check_file(DATA / "terms_of_sale_en.txt")
    assert report.language == "en"
    assert with_status(report, "missing") == ALL
    with pytest.raises(PolicyError) as err:
        require_elements(report)
    assert err.value.exit_code == 5 and "28.3.a (missing)" in err.value.message
    assert findings(report, "outdated-reference") == {"Privacy Shield": [33]}
    assert findings(report, "dangling-reference") == {"Article 14": [36]}


def test_french_maintenance_contract_lacks_exactly_a_g_h():
    report = check_file(DATA / "contrat_maintenance_fr.txt")
    assert report.language == "fr"
    assert with_status(report, "missing") == {"28.3.a", "28.3.g", "28.3.h"}
    assert with_status(report, "present") == ALL - {"28.3.a", "28.3.g", "28.3.h"}
    with pytest.raises(PolicyError) as err:
        require_elements(report)
    assert "28.3.a (missing), 28.3.g (missing), 28.3.h (missing)" in err.value.message
    assert findings(report, "contradictory-deadline") == {
        "breach notification (maximum)": [43, 63]  # 24 hours in 5.7, 72 hours in Annexe 2
    }
    assert findings(report, "dangling-reference") == {"Annexe 3": [15], "Article 12": [51]}
    assert findings(report, "outdated-reference") == {"Decision 2010/87/EU": [45]}


def test_french_template_left_open_and_narrowed():
    report = check_file(DATA / "modele_dpa_fr.txt")
    assert statuses(report) == {
        **dict.fromkeys(DESCRIPTION, "unspecified"),
        "controller-rights": "present",
        **dict.fromkeys(OBLIGATIONS - {"28.3.h"}, "present"),
        "28.3.h": "weak",  # audits limited to certification reports
        "infringement-alert": "weak",  # only "dans l'impossibilité de se conformer"
        "28.2-authorisation": "unspecified",  # OPTION 1 / OPTION 2 both left
        "28.4-flow-down": "present",
    }
    assert {p.quote for p in report.placeholders} >= {"[à compléter]", "[préciser le délai]"}


# --- wording, in isolation --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "element_id", "status"),
    [
        (
            "The processor shall inform the controller if it is unable to comply with the "
            "instructions.",
            "infringement-alert",
            "weak",
        ),
        (
            "The processor shall immediately inform the controller if an instruction infringes "
            "the GDPR.",
            "infringement-alert",
            "present",
        ),
        (
            "The processor makes available all information necessary to demonstrate compliance. "
            "Audit rights are limited to the provision of its SOC 2 reports.",
            "28.3.h",
            "weak",
        ),
        (
            "The processor processes the personal data only on instructions from the customer.",
            "28.3.a",
            "weak",
        ),
        ("Duration of the processing: to be defined by the controller", "duration", "unspecified"),
        (
            "Duration of the processing: twelve months from the signature of the order.",
            "duration",
            "present",
        ),
        ("Catégories de personnes concernées : [●]", "data-subjects", "unspecified"),
        ("The duration of the processing is set out in Annex 1.", "duration", "unspecified"),
    ],
)
def test_wording(text, element_id, status):
    assert check_text(text).element(element_id).status == status


def test_reference_to_a_missing_point_of_an_existing_clause():
    text = (
        "Clause 9\nBreach\n(a) One.\n(b) Two.\n\nClause 10\nAs set out in Clause 9(b) and 9(f).\n"
    )
    assert findings(check_text(text), "dangling-reference") == {"Clause 9(f)": [7]}


def test_redaction_of_signatories_in_quotes():
    masked = redact("Contact: Jane Doe, DPO, jane.doe@lab.example, +33 1 23 45 67 89")
    assert "Jane" not in masked and "@" not in masked and "45 67" not in masked
    assert "Dupont" not in redact("La société X, représentée par M. Jean Dupont, gérant")
    assert redact("Name: …") == "Name: …"  # a blank template field stays readable


@pytest.mark.parametrize("at", [0, 10, 60, 150, 199])
def test_quotes_are_at_most_80_characters(at):
    sentence = " ".join(f"word{i}" for i in range(40))  # 229 characters
    q = quote(sentence, at)
    assert len(q) <= 80 and q.strip("…") in sentence


def test_contradictory_deadlines_compare_one_duty_in_one_direction():
    text = (
        "Article 1 - Breaches\n"
        "The processor notifies the controller of a personal data breach within 48 hours.\n\n"
        "Article 2 - Security\n"
        "Any personal data breach is reported to the controller within seventy-two (72) hours.\n"
        "Sub-processor changes are notified at least 30 days in advance.\n"
        "Personal data are deleted within 30 days of the end of the contract.\n"
        "Data subject requests are forwarded within 2 business days.\n"
    )
    assert findings(check_text(text), "contradictory-deadline") == {
        "breach notification (maximum)": [2, 5]
    }


def test_a_field_that_only_points_to_an_annex_is_not_a_value():
    text = "Duration of the processing\nThe duration is specified in Annex 1.\n\nAnnex 1\n…\n"
    assert check_text(text).element("duration").status == "unspecified"
