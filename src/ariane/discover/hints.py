"""What a column's name suggests. A hint breaks ties and names an empty column; it never
overrides what the values show, except for credentials, which are flagged on the name alone."""

from __future__ import annotations

import re

from ariane.discover.detectors.text import fold

# kind -> name tokens (accent-folded, lower-case), French and English.
_TOKENS: dict[str, frozenset[str]] = {
    "credential": frozenset(
        {
            "mdp",
            "pwd",
            "passwd",
            "password",
            "passwords",
            "pass",
            "motdepasse",
            "secret",
            "hash",
            "hashed",
            "pin",
            "token",
            "apikey",
            "credential",
            "credentials",
            "salt",
        }
    ),
    "nir": frozenset({"nir", "nss", "insee", "secu", "ssn", "ins", "numsecu", "matricule"}),
    "email": frozenset({"mail", "email", "courriel", "mel"}),
    "phone": frozenset({"tel", "telephone", "phone", "mobile", "portable", "gsm", "fax", "cell"}),
    "birth_date": frozenset({"dnais", "dob", "birth", "birthdate", "naissance", "ddn", "datenais"}),
    "sex": frozenset({"sexe", "sex", "gender", "genre"}),
    "postal_code": frozenset({"cp", "zip", "zipcode", "postal", "postcode", "codepostal"}),
    "city": frozenset({"ville", "city", "town", "commune", "localite"}),
    "address": frozenset({"adr", "adr1", "adr2", "adresse", "address", "street", "rue", "voie"}),
    "person_name": frozenset(
        {
            "nom",
            "prenom",
            "name",
            "surname",
            "firstname",
            "lastname",
            "forename",
            "given",
            "family",
            "maiden",
            "naiss",
            "patronyme",
        }
    ),
    "rpps": frozenset({"rpps", "adeli", "finess"}),
    "loinc": frozenset({"loinc"}),
    "free_text": frozenset(
        {
            "comment",
            "comments",
            "commentaire",
            "texte",
            "text",
            "note",
            "notes",
            "remarque",
            "obs",
            "observation",
            "rens",
            "clin",
            "renseignement",
            "memo",
            "libre",
        }
    ),
    "specialty": frozenset({"spec", "specialite", "specialty", "speciality"}),
    "unit": frozenset({"unite", "unit", "units", "uom"}),
    "flag": frozenset({"flag", "abnormal", "anormal", "interpretation"}),
    "status": frozenset({"statut", "status", "etat"}),
}
_PRIORITY = tuple(_TOKENS)  # when two kinds match, the earlier wins (credential first)


def tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)  # camelCase -> camel Case
    return [t for t in re.split(r"[^a-z0-9]+", fold(spaced)) if t]


def hint(name: str) -> str:
    toks = tokens(name)
    joined = "".join(toks)
    for kind in _PRIORITY:
        vocab = _TOKENS[kind]
        if any(t in vocab for t in toks):
            return kind
        if kind == "credential" and ("motdepasse" in joined or "password" in joined):
            return kind
    return ""
