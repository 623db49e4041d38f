"""The analysis catalogue of the fictitious "Labosoft SIL 4", with how to draw each result.

Common analyses carry their real LOINC code and French units. Sensitive ones are taken from the
model's LOINC sensitivity table, so that the generator and the classifier cannot drift apart,
plus four local codes with no LOINC code at all: only a profile's local-code mapping can tell
that they are sensitive, which is exactly the trap the incident's extract fell into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ariane.model.loinc import sensitivity_table

# Local code -> sensitivity class, for analyses that have no LOINC code.
LOCAL_SENSITIVE_CODES: Final[dict[str, str]] = {
    "CARYO": "genetic",
    "MUCO": "genetic",
    "TRISO21": "prenatal",
    "CHARGVIR": "hiv",
}

_NEG = (("Négatif", "N", 0.97), ("Positif", "A", 0.03))
_PCR = (("Non détecté", "N", 0.96), ("Détecté", "A", 0.04))


@dataclass(frozen=True)
class Analysis:
    """One catalogue entry. Numeric values are log-normal: `median` times `gsd` ** N(0, 1)."""

    code: str
    label: str
    loinc: str | None
    unit: str | None
    low: float | None
    high: float | None
    weight: float  # relative frequency among ordered analyses
    median: float = 0.0
    gsd: float = 1.0
    decimals: int = 0
    texts: tuple[tuple[str, str | None, float], ...] = ()  # (value, flag, probability)
    sex: str | None = None  # '1' or '2' when only one sex is tested
    delay_days: float = 0.0  # typical extra time before validation (genetics takes weeks)

    @property
    def kind(self) -> str:
        return "T" if self.texts else "N"

    @property
    def sensitive_class(self) -> str | None:
        if self.loinc is None:
            return LOCAL_SENSITIVE_CODES.get(self.code)
        category = sensitivity_table().get(self.loinc)
        return None if category is None else category.rsplit(".", 1)[1]


def _n(
    code: str,
    label: str,
    loinc: str | None,
    unit: str | None,
    low: float | None,
    high: float | None,
    weight: float,
    median: float,
    gsd: float,
    decimals: int,
    sex: str | None = None,
    delay_days: float = 0.0,
) -> Analysis:
    return Analysis(
        code,
        label,
        loinc,
        unit,
        low,
        high,
        weight,
        median,
        gsd,
        decimals,
        sex=sex,
        delay_days=delay_days,
    )


def _t(
    code: str,
    label: str,
    loinc: str | None,
    weight: float,
    texts: tuple[tuple[str, str | None, float], ...],
    sex: str | None = None,
    delay_days: float = 0.0,
) -> Analysis:
    return Analysis(
        code, label, loinc, None, None, None, weight, texts=texts, sex=sex, delay_days=delay_days
    )


# fmt: off
_ABO = (
    ("O Rh+", None, 0.36), ("O Rh-", None, 0.06), ("A Rh+", None, 0.38), ("A Rh-", None, 0.07),
    ("B Rh+", None, 0.08), ("B Rh-", None, 0.01), ("AB Rh+", None, 0.03), ("AB Rh-", None, 0.01),
)

COMMON: Final = (
    _n("GLY", "Glycémie à jeun", "2345-7", "mmol/L", 4.1, 5.9, 6, 5.2, 1.18, 2),
    _n("CREA", "Créatinine", "2160-0", "µmol/L", 45, 104, 7, 76, 1.3, 0),
    _n("UREE", "Urée", None, "mmol/L", 2.5, 7.5, 3, 5.2, 1.35, 1),
    _n("NA", "Sodium", "2951-2", "mmol/L", 136, 145, 6, 140, 1.018, 0),
    _n("K", "Potassium", "2823-3", "mmol/L", 3.5, 5.1, 6, 4.2, 1.1, 1),
    _n("CA", "Calcium", "2000-8", "mmol/L", 2.15, 2.55, 2, 2.36, 1.05, 2),
    _n("HB", "Hémoglobine", "718-7", "g/dL", 12.0, 17.0, 7, 13.9, 1.12, 1),
    _n("GB", "Leucocytes", "6690-2", "G/L", 4.0, 10.0, 7, 6.8, 1.3, 2),
    _n("PLQ", "Plaquettes", "777-3", "G/L", 150, 400, 7, 250, 1.3, 0),
    _n("GR", "Hématies", "789-8", "T/L", 4.2, 5.7, 5, 4.75, 1.1, 2),
    _n("VGM", "Volume globulaire moyen", "787-2", "fL", 80, 100, 5, 90, 1.06, 0),
    _n("TP", "Taux de prothrombine", None, "%", 70, None, 2, 92, 1.12, 0),
    _n("ALAT", "Alanine aminotransférase (ALAT)", "1742-6", "UI/L", 7, 40, 4, 22, 1.6, 0),
    _n("ASAT", "Aspartate aminotransférase (ASAT)", "1920-8", "UI/L", 10, 40, 4, 24, 1.5, 0),
    _n("GGT", "Gamma-glutamyltransférase", "2324-2", "UI/L", 8, 61, 3, 28, 1.8, 0),
    _n("BILI", "Bilirubine totale", "14631-6", "µmol/L", 3, 21, 2, 9, 1.6, 0),
    _n("CHOL", "Cholestérol total", "2093-3", "g/L", 1.2, 2.0, 4, 1.95, 1.2, 2),
    _n("HDL", "Cholestérol HDL", "2085-9", "g/L", 0.4, 0.9, 3, 0.56, 1.25, 2),
    _n("LDL", "Cholestérol LDL calculé", "13457-7", "g/L", 0.5, 1.6, 3, 1.2, 1.3, 2),
    _n("TG", "Triglycérides", "2571-8", "g/L", 0.35, 1.5, 3, 1.1, 1.5, 2),
    _n("TSH", "TSH ultrasensible", "3016-3", "mUI/L", 0.27, 4.2, 4, 1.8, 1.8, 2),
    _n("CRP", "Protéine C réactive", "1988-5", "mg/L", None, 5, 5, 3, 3.0, 1),
    _n("FERR", "Ferritine", "2276-4", "µg/L", 30, 400, 3, 110, 2.0, 0),
    _n("HBA1C", "Hémoglobine glyquée (HbA1c)", "4548-4", "%", 4.0, 6.0, 3, 5.8, 1.15, 1),
    _n("VITD", "25-OH vitamine D3", "1989-3", "ng/mL", 30, 100, 2, 26, 1.6, 1),
    _n("DFG", "DFG estimé (CKD-EPI)", None, "mL/min/1,73 m²", 90, None, 4, 88, 1.25, 0),
    _t("GRP", "Groupe sanguin ABO-RhD", "883-9", 1.5, _ABO),
    _t("RAI", "Recherche d'agglutinines irrégulières", "890-4", 1.2, _NEG),
    _t("ECBU", "Examen cytobactériologique des urines", None, 2.5, (
        ("Stérile", "N", 0.6), ("Leucocyturie sans bactériurie", "A", 0.1),
        ("Escherichia coli > 10^5 UFC/mL", "A", 0.2),
        ("Flore polymorphe ; contamination probable", None, 0.1),
    )),
)

SENSITIVE: Final = (
    # hiv
    _t("VIH", "Sérologie VIH 1+2 (Ac + Ag p24)", "56888-1", 1.2, (
        ("Négatif", "N", 0.975), ("Positif", "A", 0.015), ("Douteux", "A", 0.01))),
    _n("CVVIH", "ARN VIH-1 (charge virale)", "20447-9", "copies/mL", None, None, 0.35,
       60, 25, 0),
    _t("WBVIH", "Western blot VIH-1", "5221-7", 0.06, (
        ("Négatif", "N", 0.6), ("Positif", "A", 0.3), ("Indéterminé", "A", 0.1))),
    _t("CHARGVIR", "Charge virale VIH (technique locale)", None, 0.25, (
        ("Non détecté", "N", 0.62), ("< 20 copies/mL", "N", 0.2), ("Détecté < 200 copies/mL",
                                                                   "A", 0.1),
        ("Détecté > 1 000 copies/mL", "A", 0.08))),
    # hepatitis
    _t("AGHBS", "Antigène HBs", "5196-1", 0.7, _NEG),
    _t("ACHBC", "Anticorps anti-HBc", "16933-4", 0.35, (
        ("Négatif", "N", 0.92), ("Positif", "A", 0.08))),
    _t("VHC", "Anticorps anti-VHC", "13955-0", 0.7, _NEG),
    _t("ARNVHC", "ARN VHC (PCR)", "11259-9", 0.12, (
        ("Non détecté", "N", 0.7), ("Détecté", "A", 0.3))),
    # sti
    _t("TPHA", "Anticorps anti-Treponema pallidum", "24110-9", 0.45, _NEG),
    _t("RPR", "Syphilis RPR", "20507-0", 0.18, _NEG),
    _t("CHLAM", "Chlamydia trachomatis (PCR)", "21613-5", 0.45, _PCR),
    _t("GONO", "Neisseria gonorrhoeae (PCR)", "24111-7", 0.25, _PCR),
    _t("HPV16", "Papillomavirus HPV 16 (PCR)", "77399-4", 0.15, (
        ("Non détecté", "N", 0.9), ("Détecté", "A", 0.1)), sex="2"),
    # genetic
    _t("BRCA", "Recherche de mutations BRCA1/BRCA2", "59041-4", 0.06, (
        ("Absence de variant pathogène", "N", 0.88),
        ("Variant pathogène BRCA1 détecté", "A", 0.07),
        ("Variant pathogène BRCA2 détecté", "A", 0.05)), delay_days=30),
    _t("CFTR", "Mutations du gène CFTR", "21654-9", 0.05, (
        ("Absence de mutation", "N", 0.9), ("F508del hétérozygote", "A", 0.08),
        ("F508del homozygote", "A", 0.02)), delay_days=20),
    _t("KARYO", "Caryotype sanguin", "33893-9", 0.04, (
        ("46,XX", "N", 0.97), ("47,XX,+21", "A", 0.03)), delay_days=21),
    _t("TPMT", "Génotypage TPMT", "80738-8", 0.05, (
        ("*1/*1", "N", 0.9), ("*1/*3A", "A", 0.1)), delay_days=14),
    _t("CARYO", "Caryotype constitutionnel", None, 0.05, (
        ("46,XX", "N", 0.96), ("47,XX,+21", "A", 0.02), ("45,X", "A", 0.02)), delay_days=21),
    _t("MUCO", "Dépistage mucoviscidose (CFTR, 30 mutations)", None, 0.05, (
        ("Absence des mutations recherchées", "N", 0.95),
        ("Mutation F508del détectée", "A", 0.05)), delay_days=15),
    # prenatal
    _n("BHCG", "beta-hCG plasmatique", "21198-7", "UI/L", None, 5, 0.5, 25, 40, 0, sex="2"),
    _t("HCGU", "Test de grossesse urinaire", "2106-3", 0.15, (
        ("Négatif", "N", 0.7), ("Positif", "A", 0.3)), sex="2"),
    _t("TRISO21", "Dépistage trisomie 21 (marqueurs sériques maternels)", None, 0.12, (
        ("Risque faible (< 1/1000)", "N", 0.9),
        ("Risque intermédiaire (1/1000 à 1/51)", "A", 0.08),
        ("Risque élevé (≥ 1/50)", "A", 0.02)), sex="2", delay_days=4),
    # oncology
    _n("PSA", "PSA total", "2857-1", "ng/mL", None, 4, 0.6, 1.2, 2.5, 2, sex="1"),
    _n("AFP", "Alpha-foetoprotéine", "1834-1", "µg/L", None, 7, 0.12, 3, 2.0, 1),
    _n("ACE", "Antigène carcino-embryonnaire", "2039-6", "µg/L", None, 5, 0.18, 2, 2.0, 1),
    _n("CA125", "CA 125", "10334-1", "U/mL", None, 35, 0.12, 15, 2.2, 0, sex="2"),
    _n("CA199", "CA 19-9", "24108-3", "U/mL", None, 37, 0.1, 12, 2.5, 0),
    # toxicology
    _n("INR", "INR (cible AVK 2-3)", "34714-6", None, 2.0, 3.0, 0.9, 2.4, 1.3, 1),
    _n("DIGO", "Digoxinémie", "10535-3", "µg/L", 0.5, 0.9, 0.06, 0.8, 1.5, 2),
    _n("LITH", "Lithiémie", "14334-7", "mmol/L", 0.5, 0.8, 0.1, 0.7, 1.4, 2),
    _n("PHENY", "Phénytoïne", "3968-5", "mg/L", 10, 20, 0.04, 12, 1.5, 1),
)

CATALOGUE: Final = COMMON + SENSITIVE

# fmt: on

# Karyotypes are sex-specific: a man's normal karyotype reads 46,XY.
MALE_TEXT: Final[dict[str, str]] = {
    "46,XX": "46,XY",
    "47,XX,+21": "47,XY,+21",
    "45,X": "47,XXY",
}
