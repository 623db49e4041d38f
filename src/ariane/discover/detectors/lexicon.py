"""Dictionaries of the laboratory's vocabulary, French and English, written accent-folded.

Health terms are grouped by sensitivity class (`health.sensitive.<class>`), plus `health` for
terms that are health data without a special class. The other lists describe how results look
(analytes, units, abnormal flags, result statuses, qualitative values) and practitioners'
specialties. They were written from general clinical vocabulary and HL7 v2 tables 0078 (flags)
and 0085 (result status), not from any generated data.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

# fmt: off
HEALTH_TERMS: Final[dict[str, tuple[str, ...]]] = {
    "hiv": (
        "vih", "hiv", "sida", "aids", "seropositif", "seropositive", "seropositivite",
        "seropositivity", "prep", "antiretroviral", "antiretroviraux", "tritherapie", "cd4",
        "charge virale vih", "hiv viral load", "western blot",
    ),
    "sti": (
        "ist", "mst", "sti", "std", "syphilis", "tpha", "vdrl", "gonocoque", "gonorrhee",
        "gonorrhoea", "gonorrhea", "chlamydia", "chlamydiae", "papillomavirus", "hpv",
        "trichomonas", "herpes genital", "genital herpes", "sexuellement transmissible",
        "sexually transmitted", "aes", "exposition au sang",
    ),
    "hepatitis": (
        "hepatite", "hepatites", "hepatitis", "vhb", "vhc", "hbv", "hcv", "ag hbs", "aghbs",
        "antigene hbs", "hbs antigen",
    ),
    "genetic": (
        "brca", "brca1", "brca2", "mucoviscidose", "cystic fibrosis", "cftr", "caryotype",
        "karyotype", "genetique", "genetic", "genetics", "mutation", "mutations", "drepanocytose",
        "sickle cell", "huntington", "x fragile", "fragile x", "hemochromatose",
        "haemochromatosis", "hemochromatosis", "sequencage", "sequencing", "exome", "lynch",
        "thalassemie", "thalassemia", "myopathie", "genotypage", "genotyping",
    ),
    "prenatal": (
        "grossesse", "grossesses", "enceinte", "pregnant", "pregnancy", "trisomie", "trisomy",
        "down syndrome", "amniocentese", "amniocentesis", "prenatal", "antenatal", "ivg",
        "avortement", "abortion", "gestationnel", "gestationnelle", "gestational",
        "fausse couche", "miscarriage", "dpni", "nipt", "beta hcg", "beta-hcg", "bhcg",
        "semaines d'amenorrhee", "amenorrhee",
    ),
    "oncology": (
        "cancer", "cancers", "tumeur", "tumeurs", "tumour", "tumor", "carcinome", "carcinoma",
        "chimiotherapie", "chemotherapy", "chimio", "radiotherapie", "radiotherapy",
        "metastase", "metastases", "metastasis", "lymphome", "lymphoma", "leucemie",
        "leukemia", "leukaemia", "myelome", "myeloma", "melanome", "melanoma", "sarcome",
        "sarcoma", "neoplasie", "neoplasm", "oncologie", "oncology", "cancereux",
    ),
    "toxicology": (
        "cannabis", "thc", "cocaine", "opiaces", "opiates", "opioids", "heroine", "heroin",
        "amphetamine", "amphetamines", "methadone", "buprenorphine", "subutex", "toxicologie",
        "toxicology", "stupefiant", "stupefiants", "alcoolemie", "drug screen", "benzodiazepine",
        "benzodiazepines", "ecstasy", "mdma", "toxicomanie", "addiction",
    ),
    "health": (
        "diabete", "diabetes", "diabetique", "insuffisance renale", "renal failure",
        "kidney failure", "hypertension", "asthenie", "fievre", "fever", "avk", "anticoagulant",
        "greffe", "greffee", "transplant", "transplantation", "bipolaire", "bipolar",
        "depression", "schizophrenie", "schizophrenia", "epilepsie", "epilepsy", "asthme",
        "asthma", "infection", "anemie", "anaemia", "anemia", "insuffisance cardiaque",
        "heart failure", "avc", "stroke", "alzheimer", "parkinson", "sclerose en plaques",
        "multiple sclerosis", "tuberculose", "tuberculosis", "covid", "cirrhose", "cirrhosis",
        "maladie", "disease", "syndrome", "chirurgie", "surgery", "post-operatoire",
        "postoperative", "preoperatoire", "preoperative", "amaigrissement", "weight loss",
        "lithium", "ciclosporine", "ciclosporin", "cyclosporine", "traitement", "treatment",
        "antecedent", "antecedents", "history of", "dialyse", "dialysis", "insuline",
        "insulin", "obesite", "obesity", "allergie", "allergy", "pathologie", "diagnostic",
        "diagnosis", "symptome", "symptom", "douleur", "pain", "inr",
    ),
}

ANALYTES: Final = (
    "glycemie", "glucose", "hemoglobine", "hemoglobin", "hba1c", "glyquee", "creatinine",
    "uree", "urea", "cholesterol", "triglycerides", "hdl", "ldl", "asat", "alat", "alt", "ast",
    "ggt", "gamma", "phosphatases", "phosphatase", "bilirubine", "bilirubin", "crp",
    "proteine", "protein", "reactive", "sodium", "potassium", "chlore", "chloride", "calcium",
    "magnesium", "phosphore", "phosphate", "ferritine", "ferritin", "fer", "iron",
    "transferrine", "transferrin", "tsh", "t3", "t4", "vitamine", "vitamin", "b12", "folates",
    "psa", "leucocytes", "leukocytes", "wbc", "hematies", "erythrocytes", "rbc", "plaquettes",
    "platelets", "hematocrite", "hematocrit", "vgm", "mcv", "tcmh", "ccmh", "neutrophiles",
    "neutrophils", "lymphocytes", "monocytes", "eosinophiles", "basophiles", "inr",
    "prothrombine", "prothrombin", "tca", "fibrinogene", "fibrinogen", "dimeres", "troponine",
    "troponin", "bnp", "albumine", "albumin", "proteines", "acide", "urique", "uric", "lipase",
    "amylase", "ldh", "cpk", "lithium", "lithiemie", "digoxine", "vancomycine", "ciclosporine",
    "tacrolimus", "hcg", "serologie", "serology", "antigene", "antigen", "anticorps",
    "antibody", "antibodies", "igg", "igm", "ige", "agglutinines", "groupe", "sanguin", "blood",
    "rhesus", "ecbu", "urine", "urinaire", "culture", "hemoculture", "caryotype", "karyotype",
    "charge", "virale", "viral", "pcr", "depistage", "screening", "dosage", "numeration",
    "formule", "bilan", "sedimentation", "acth", "cortisol", "prolactine", "prolactin", "fsh",
    "lh", "oestradiol", "estradiol", "progesterone", "testosterone", "amh", "insuline",
    "insulin", "microalbuminurie", "dfg", "egfr", "clairance", "clearance", "aminotransferase",
    "transaminases", "ionogramme", "panel", "test", "assay", "level", "serum", "plasma",
    "sang", "total", "libre", "free", "rapide", "rapid", "ac", "ag", "anti", "dna", "adn",
    "arn", "rna", "ebv", "cmv", "toxoplasmose", "rubeole", "rubella", "count", "vs", "esr",
)

UNITS: Final = frozenset({
    "g/l", "mg/l", "ug/l", "ng/ml", "ng/l", "pg/ml", "mmol/l", "umol/l", "nmol/l", "pmol/l",
    "mui/l", "ui/l", "u/l", "iu/l", "miu/l", "ui/ml", "mui/ml", "u/ml", "iu/ml", "mg/dl",
    "g/dl", "%", "10^9/l", "10*9/l", "10^12/l", "10*12/l", "giga/l", "tera/l", "t/l",
    "/mm3", "fl", "pg", "mm/h", "s", "sec", "seconds", "ratio", "meq/l", "mosm/kg", "copies/ml",
    "log", "log copies/ml", "ml/min", "ml/min/1.73m2", "ml/min/1,73m2", "mg/24h", "g/24h",
    "mmol/24h", "/ul", "10^3/ul", "10^6/ul", "x10^9/l", "x10^12/l", "g/g", "mg/g", "mg/mmol",
    "index", "titre", "ug/dl", "kui/l", "ku/l", "ua/ml", "ai", "s/co", "coi",
})

FLAGS: Final = frozenset({
    "l", "h", "ll", "hh", "n", "a", "aa", "<", ">", "+", "++", "-", "lo", "hi", "low", "high",
    "normal", "abnormal", "bas", "haut", "anormal", "*", "**",
})
FLAG_MARKERS: Final = frozenset({"l", "h", "ll", "hh", "a", "aa", "lo", "hi", "low", "high",
                                 "bas", "haut", "<", ">", "abnormal", "anormal"})

STATUSES: Final = frozenset({
    "c", "d", "f", "i", "o", "p", "r", "s", "x", "u", "w", "v", "final", "preliminary",
    "corrected", "amended", "cancelled", "canceled", "valide", "validated", "provisoire",
    "partiel", "en cours", "termine",
})
STATUS_MARKERS: Final = frozenset({"f", "p", "c", "final", "preliminary", "corrected", "valide",
                                   "validated", "provisoire", "v"})

QUALITATIVE: Final = frozenset({
    "negatif", "positif", "negative", "positive", "detecte", "non detecte", "detected",
    "not detected", "indetectable", "undetectable", "douteux", "equivoque", "equivocal",
    "indetermine", "indeterminate", "reactif", "non reactif", "reactive", "non reactive",
    "nonreactive", "present", "presente", "absent", "absente", "normal", "normale", "anormal",
    "anormale", "abnormal", "immunise", "non immunise", "immune", "non immune", "sensible",
    "resistant", "intermediaire", "positif faible", "negatif faible", "a+", "a-", "b+", "b-",
    "ab+", "ab-", "o+", "o-", "a positif", "a negatif", "b positif", "b negatif",
    "ab positif", "ab negatif", "o positif", "o negatif", "46,xx", "46,xy", "47,xx,+21",
    "47,xy,+21", "sterile", "contamine", "mutation detectee", "absence de mutation",
    "non muté", "mute", "heterozygote", "homozygote", "heterozygous", "homozygous",
})

SPECIALTIES: Final = (
    "medecine generale", "general practice", "general practitioner", "family medicine",
    "cardiologie", "cardiology", "gynecologie", "gynecology", "obstetrique", "obstetrics",
    "pediatrie", "pediatrics", "paediatrics", "endocrinologie", "endocrinology",
    "diabetologie", "oncologie", "oncology", "maladies infectieuses", "infectious diseases",
    "nephrologie", "nephrology", "gastro-enterologie", "gastroenterologie",
    "gastroenterology", "hepato", "psychiatrie", "psychiatry", "sage-femme", "midwife",
    "biologie medicale", "biologiste", "medical biology", "clinical pathology", "pathology",
    "dermatologie", "dermatology", "neurologie", "neurology", "pneumologie", "pulmonology",
    "rhumatologie", "rheumatology", "urologie", "urology", "ophtalmologie", "ophthalmology",
    "orl", "radiologie", "radiology", "anesthesie", "anesthesiology", "chirurgie", "surgery",
    "infirmier", "infirmiere", "nurse", "pharmacien", "pharmacist", "medecine interne",
    "internal medicine", "geriatrie", "geriatrics", "hematologie", "hematology",
    "immunologie", "immunology", "allergologie", "allergology", "medecin", "physician",
)

STREET_TYPES: Final = (
    "rue", "avenue", "av", "bd", "boulevard", "chemin", "allee", "impasse", "place", "route",
    "quai", "cours", "square", "passage", "lotissement", "residence", "hameau", "lieu-dit",
    "lieudit", "voie", "montee", "sentier", "cite", "faubourg", "esplanade", "parvis",
    "promenade", "rond-point", "street", "st", "road", "rd", "lane", "ln", "drive", "dr",
    "ave", "way", "court", "ct", "close", "crescent", "terrace", "pl", "sq", "blvd", "bis",
    "ter",
)
# fmt: on


@cache
def health_patterns() -> dict[str, re.Pattern[str]]:
    """One regex per class over accent-folded text, whole words only."""
    out: dict[str, re.Pattern[str]] = {}
    for cls, terms in HEALTH_TERMS.items():
        alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
        out[cls] = re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")
    # "24 SA": weeks of amenorrhoea, the way French prescriptions date a pregnancy.
    weeks = re.compile(r"(?<![a-z0-9])\d{1,2}\s?sa(?![a-z0-9])")
    out["prenatal"] = re.compile(out["prenatal"].pattern + "|" + weeks.pattern)
    return out


@cache
def analyte_words() -> frozenset[str]:
    return frozenset(ANALYTES)


@cache
def specialty_pattern() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in sorted(SPECIALTIES, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})")


@cache
def street_pattern() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in sorted(STREET_TYPES, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})\.?(?![a-z0-9])")
