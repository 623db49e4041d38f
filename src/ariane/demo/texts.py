"""Free text as laboratories really type it: clinical information and comments.

The incident's extract leaked diagnoses written in exactly such columns, so the generator puts
pathologies and people's names there too. A few texts hold ';' and '"' to exercise escaping.
"""

from __future__ import annotations

from typing import Final

# fmt: off
# DOS_RENS_CLIN, beside "grossesse <n> SA" written only for women of child-bearing age.
CLINICAL: Final = (
    "suivi VIH", "chimiothérapie en cours", "bilan préopératoire", "diabète de type 2",
    "traitement par AVK", "fièvre inexpliquée depuis 3 jours", "asthénie, amaigrissement",
    "suivi hépatite B chronique", "insuffisance rénale chronique", "patient sous lithium",
    "AES : exposition au sang", "contrôle post-opératoire", "bilan d'hypertension",
    "dépistage IST", "à jeun depuis 12 h", "greffé rénal ; suivi ciclosporine",
)

NEUTRAL: Final = (
    "Prélèvement hémolysé",
    "Contrôle à 3 mois",
    "Patient non à jeun",
    "Échantillon reçu à température ambiante",
    "Tube coagulé ; prélèvement à refaire",
    "Quantité insuffisante ; analyse non réalisée",
    "Résultat vérifié sur un second prélèvement",
    "Prélèvement effectué à domicile par l'infirmière",
    "Mention \"urgent\" portée sur l'ordonnance",
    "Voir antériorités",
    "Lipémie importante, interférence possible",
    "Demande transmise au laboratoire spécialisé",
    "Prélevé à la clinique Jeanne d'Arc",
    "Ordonnance incomplète ; analyse ajoutée à la demande du médecin",
)

# Pathologies any patient may carry.
PATHOLOGY: Final = (
    "Séropositivité VIH connue",
    "Mutation BRCA1 familiale",
    "Mucoviscidose suivie",
    "Chimiothérapie en cours",
    "Hépatite C traitée en 2019",
    "Traitement par AVK, INR cible 2-3",
    "Suivi lithiémie ; trouble bipolaire",
    "Diabète de type 2 déséquilibré",
    "Insuffisance rénale chronique stade 3",
    "Antécédent de syphilis traitée",
    "Patient sous PrEP VIH",
    "Cancer colorectal opéré, surveillance ACE",
)

# Pathologies that only make sense for a woman.
PATHOLOGY_FEMALE: Final = (
    "Patiente enceinte, contrôle beta-hCG",
    "Trisomie 21 : dépistage demandé",
    "Grossesse de 24 SA ; diabète gestationnel ?",
    "IVG médicamenteuse, contrôle hCG à J15",
)

# Texts naming someone: (prefix for a woman, prefix for a man, who, suffix);
# who is "patient" (the request's patient, by family name) or "prescriber".
NAMING: Final = (
    ("Résultat communiqué par téléphone à Mme ", "Résultat communiqué par téléphone à M. ",
     "patient", ""),
    ("Appeler Dr ", "Appeler Dr ", "prescriber", ""),
    ("Résultats transmis au Dr ", "Résultats transmis au Dr ", "prescriber", " ; patient prévenu"),
    ("Mme ", "M. ", "patient", " rappellera pour un contrôle"),
    ("Dossier de Mme ", "Dossier de M. ", "patient", " : voir \"antériorités\""),
    ("Résultat critique signalé au Dr ", "Résultat critique signalé au Dr ", "prescriber",
     " à 18 h"),
)
# fmt: on
