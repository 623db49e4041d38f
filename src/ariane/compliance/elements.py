"""What GDPR Art. 28(2)–(4) requires a processing agreement to say, as French and English patterns.

Each element has:
- `present`: rules that a sentence satisfies when it states the element (a rule is a set of
  patterns that must all occur in the same sentence, so word order may vary);
- `labels`: for the description of the processing, the field names under which an annex or a
  table gives the value ("Duration of the processing: …", "Durée du traitement :");
- `narrowing`: wording that restricts the element against the GDPR even where it is stated
  (audits "satisfied by" reports); the element is then *weak*;
- `weaker`: a substitute that falls short of the GDPR wording (inform the controller when the
  processor is "unable to comply", not when an instruction infringes the law); it makes the element
  *weak* only when nothing better is present.
The patterns aim at the wording of the GDPR, of the Commission's standard clauses (Decision
2021/915 and 2021/914) and of the CNIL's French model clauses; unusual drafting can escape them,
which is why the report shows, for every element, the sentence it relied on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_I = re.IGNORECASE


@dataclass(frozen=True)
class Rule:
    parts: tuple[re.Pattern[str], ...]

    def search(self, sentence: str) -> re.Match[str] | None:
        """The first part's match when every part occurs in `sentence`."""
        first = None
        for part in self.parts:
            m = part.search(sentence)
            if m is None:
                return None
            first = first or m
        return first


def rule(*parts: str) -> Rule:
    return Rule(tuple(re.compile(p, _I) for p in parts))


@dataclass(frozen=True)
class Element:
    id: str
    title: str
    gdpr: str
    present: tuple[Rule, ...]
    labels: tuple[re.Pattern[str], ...] = ()
    keyword: re.Pattern[str] | None = None  # names the element in "…specified in Annex II"
    narrowing: tuple[Rule, ...] = ()
    weaker: tuple[Rule, ...] = ()
    weak_reason: str = ""

    @property
    def descriptive(self) -> bool:
        return bool(self.labels)


def _labels(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, _I) for p in patterns)


# Words shared by several rules.
_SUBPROC = (
    r"(?:sub-?\s?processors?|sub-?contract\w*|another\s+processor|other\s+processors?"
    r"|sous-traitants?\s+ultérieurs?|autres?\s+sous-traitants?|sous-traitance\s+ultérieure"
    r"|recruter\s+un\s+(?:autre\s+)?sous-traitant|(?:faire\s+appel|recourir)\s+à\s+un\s+"
    r"(?:autre\s+)?sous-traitant)"
)
_AUTHORISATION = (
    r"(?:prior\s+(?:specific\s+or\s+general\s+|specific\s+|general\s+)?written\s+"
    r"(?:authori[sz]ation|consent)|(?:specific|general)\s+(?:prior\s+)?(?:written\s+)?"
    r"authori[sz]ation|consents?\s+to\s+this\s+engagement"
    r"|autorisation\s+(?:écrite\s+)?(?:préalable|spécifique|générale)"
    r"|accord\s+(?:écrit\s+)?préalable|consentement\s+(?:écrit\s+)?préalable)"
)
_SAME_OBLIGATIONS = (
    r"(?:same\s+(?:data\s+protection\s+)?obligations|in\s+substance,?\s+the\s+same"
    r"|at\s+least\s+the\s+(?:same\s+)?level\s+of\s+(?:data\s+)?protection"
    r"|same\s+level\s+of\s+protection|mêmes\s+obligations|obligations\s+(?:identiques|équivalentes)"
    r"|même\s+niveau\s+de\s+protection)"
)
_FULLY_LIABLE = (
    r"(?:remains?\s+fully\s+(?:responsible|liable)|(?:demeure|reste)\s+pleinement\s+responsable)"
)
_ASSIST = r"\b(?:assist\w*|cooperat\w*|aide\w*|aider|assiste\w*|assistance|coopèr\w*)"
_CHANGES_OBJECT = (
    rule(
        r"\b(?:inform|notify|notice)\w*",
        r"(?:intended\s+changes?|new\s+sub-?\s?processors?|addition\s+or\s+replacement)",
        r"\bobject",
    ),
    rule(
        r"\binform\w*",
        r"(?:changements?|ajout|remplacement)",
        r"(?:objection|s['’]opposer|objecter|opposition)",
    ),
)
AUTHORISATION_RULES = (rule(_SUBPROC, _AUTHORISATION), *_CHANGES_OBJECT)
FLOW_DOWN_RULES = (rule(_SUBPROC, _SAME_OBLIGATIONS), rule(_SUBPROC, _FULLY_LIABLE))

ELEMENTS: tuple[Element, ...] = (
    Element(
        "subject-matter",
        "subject-matter of the processing",
        "Art. 28(3)",
        (
            rule(
                r"subject[- ]matter\s+of\s+(?:the\s+)?(?:data\s+)?processing\s+(?:is|are|shall\s+be"
                r"|will\s+be|consists?|covers?|comprises?|concerns?|relates?)\b"
            ),
            rule(r"\bobject(?:ive)?\s+of\s+(?:the\s+)?data\s+processing\s+(?:is|shall\s+be)\b"),
            rule(r"objet\s+(?:du|des)\s+traitements?\s+(?:est|consiste|porte|concerne)\b"),
            rule(r"\btraitement\s+a\s+pour\s+objet\b"),
        ),
        labels=_labels(
            r"subject[- ]matter(?:\s+of\s+(?:the\s+)?(?:data\s+)?processing)?",
            r"objet\s+(?:du|des)\s+traitements?(?:\s+de\s+données)?|objet\s+de\s+la\s+sous-traitance",
        ),
        keyword=re.compile(r"subject[- ]matter|\bobjet\b", _I),
    ),
    Element(
        "duration",
        "duration of the processing",
        "Art. 28(3)",
        (
            rule(
                r"duration\s+of\s+(?:the\s+)?(?:data\s+)?processing\s+(?:is|shall|will|runs?|lasts?"
                r"|ends?|corresponds?|extends?|begins?|starts?)\b"
            ),
            rule(
                r"\bprocessing\s+(?:shall\s+|will\s+)?(?:lasts?|runs?|ends?)\s+(?:from|until|on)\b"
            ),
            rule(
                r"durée\s+(?:du|des)\s+traitements?\s+(?:est|court|s['’]étend|correspond|prend\s+fin"
                r"|commence|sera|couvre|va)\b"
            ),
            rule(
                r"\btraitement\s+(?:prend\s+fin|s['’]achève|se\s+termine|court)\s+(?:le|au|du|jusqu)"
            ),
        ),
        labels=_labels(
            r"duration\s+of\s+(?:the\s+)?(?:data\s+)?processing",
            r"durée\s+(?:du|des)\s+traitements?|durée\s+de\s+la\s+sous-traitance",
        ),
        keyword=re.compile(r"\bduration\b|\bdurée\b", _I),
    ),
    Element(
        "nature",
        "nature of the processing",
        "Art. 28(3)",
        (
            rule(
                r"nature\s+(?:and\s+purposes?\s+)?of\s+(?:the\s+)?(?:data\s+)?processing\s+(?:is|are"
                r"|shall\s+be|will\s+be|consists?|includes?|comprises?)\b"
            ),
            rule(
                r"will\s+be\s+subject\s+to\s+the\s+following\s+(?:basic\s+)?processing\s+activities"
            ),
            rule(r"\bprocessing\s+operations?\s+(?:consist|are|include|comprise)\b"),
            rule(r"nature\s+(?:du|des)\s+traitements?\s+(?:est|consiste|comprend|couvre)\b"),
            rule(r"opérations\s+de\s+traitement\s+(?:sont|consistent|comprennent)\b"),
        ),
        labels=_labels(
            r"nature(?:\s+and\s+purposes?)?\s+of\s+(?:the\s+)?(?:data\s+)?processing(?:\s+operations)?"
            r"|processing\s+operations",
            r"nature\s+(?:du|des)\s+traitements?|nature\s+des\s+opérations(?:\s+de\s+traitement)?"
            r"|opérations\s+de\s+traitement",
        ),
        keyword=re.compile(r"\bnature\b", _I),
    ),
    Element(
        "purpose",
        "purpose of the processing",
        "Art. 28(3)",
        (
            rule(
                r"purposes?(?:\(s\))?\s+of\s+(?:the\s+)?(?:data\s+)?processing\s+(?:is|are|shall\s+be"
                r"|will\s+be|consists?)\b"
            ),
            rule(r"finalités?\s+(?:du|des)\s+traitements?\s+(?:est|sont|consiste)\b"),
            rule(r"\b(?:a|ont)\s+pour\s+(?:seule\s+|unique\s+)?finalités?\b"),
        ),
        labels=_labels(
            r"purposes?(?:\(s\))?\s+(?:of\s+(?:the\s+)?(?:data\s+)?(?:processing|transfer)"
            r"(?:\s+and\s+further\s+processing)?|for\s+which\s+(?:the\s+)?personal\s+data\s+"
            r"(?:is|are)\s+processed(?:\s+on\s+behalf\s+of\s+the\s+controller)?)",
            r"finalités?(?:\(s\))?\s+(?:du|des)\s+traitements?",
        ),
        keyword=re.compile(r"\bpurposes?\b|\bfinalités?\b", _I),
    ),
    Element(
        "personal-data",
        "types of personal data",
        "Art. 28(3)",
        (
            rule(
                r"(?:types?|categories)\s+of\s+personal\s+data\s+(?:processed\s+|transferred\s+"
                r"|concerned\s+)?(?:by\s+\w+\s+)?(?:when\s+[^.;:]{0,60}?\s+)?(?:includes?|are|is"
                r"|comprises?|consists?)\b"
            ),
            rule(
                r"(?:types?|catégories)\s+de\s+données(?:\s+à\s+caractère\s+personnel|\s+personnelles)?"
                r"\s+(?:traitées\s+|concernées\s+|transférées\s+)?(?:sont|comprennent|incluent)\b"
            ),
        ),
        labels=_labels(
            r"(?:categories|types?)\s+of\s+(?:personal\s+)?data(?:\s+(?:processed|transferred|concerned))?",
            r"(?:catégories|types?)\s+de\s+données(?:\s+à\s+caractère\s+personnel|\s+personnelles)?"
            r"(?:\s+(?:traitées|concernées|transférées))?",
        ),
        keyword=re.compile(r"categories\s+of\s+personal\s+data|catégories\s+de\s+données", _I),
    ),
    Element(
        "data-subjects",
        "categories of data subjects",
        "Art. 28(3)",
        (
            rule(
                r"categories\s+of\s+data\s+subjects\s+(?:concerned\s+)?(?:are|include|comprise)\b"
            ),
            rule(r"^\W*data\s+subjects\s+(?:include|comprise)\b"),
            rule(r"catégories\s+de\s+personnes\s+concernées\s+(?:sont|comprennent|incluent)\b"),
            rule(r"^\W*les\s+personnes\s+concernées\s+sont\b"),
        ),
        labels=_labels(
            r"(?:categories\s+of\s+)?data\s+subjects(?:\s+whose\s+personal\s+data\s+(?:is|are)\s+"
            r"(?:processed|transferred))?",
            r"(?:catégories\s+de\s+)?personnes\s+concernées",
        ),
        keyword=re.compile(r"data\s+subjects|personnes\s+concernées", _I),
    ),
    Element(
        "controller-rights",
        "obligations and rights of the controller",
        "Art. 28(3)",
        (
            rule(
                r"(?:obligations\s+and\s+rights|rights\s+and\s+obligations)\s+of\s+(?:the\s+|a\s+)?"
                r"(?:controller|data\s+exporter)"
            ),
            rule(
                r"(?:obligations\s+and\s+rights|rights\s+and\s+obligations)\s+of\s+the\s+\w+",
                r"(?:processing|personal\s+data|controller)",
            ),
            rule(
                r"\bthe\s+controller\s+(?:shall\s+be\s+entitled|has\s+the\s+right|may\s+(?:instruct"
                r"|choose|object|terminate|audit))"
            ),
            rule(
                r"(?:droits\s+et\s+(?:les\s+)?obligations|obligations\s+et\s+(?:les\s+)?droits)\s+du\s+"
                r"responsable\s+(?:du|de)\s+traitement"
            ),
            rule(
                r"\bresponsable\s+(?:du|de)\s+traitement\s+(?:s['’]engage|a\s+le\s+droit|peut"
                r"|est\s+en\s+droit|dispose\s+du\s+droit)"
            ),
        ),
    ),
    Element(
        "28.3.a",
        "processes only on documented instructions",
        "Art. 28(3)(a)",
        (
            rule(r"\b(?:process\w*|act|acts)\b", r"documented\s+instructions?"),
            rule(r"\btrait\w*", r"instructions?\s+(?:documentées?|écrites?)"),
        ),
        weaker=(
            rule(
                r"\b(?:process\w*|act|acts)\b",
                r"\b(?:only|solely|exclusively)\b",
                r"\binstructions?\b",
            ),
            rule(
                r"\btrait\w*", r"\b(?:uniquement|exclusivement|seulement)\b", r"\binstructions?\b"
            ),
        ),
        weak_reason="instructions not required to be documented",
    ),
    Element(
        "28.3.b",
        "persons authorised are bound to confidentiality",
        "Art. 28(3)(b)",
        (
            rule(
                r"\b(?:persons?|personnel|staff|employees|individuals)\b",
                r"(?:committed\s+themselves\s+to\s+confidentiality|obligation\s+of\s+confidentiality"
                r"|confidentiality\s+obligations?|(?:bound|obligated|obliged)\s+(?:by|to)\s+"
                r"(?:\w+\s+){0,3}confidentiality|maintain\s+the\s+confidentiality)",
                r"(?:personal\s+data|process)",
            ),
            rule(
                r"\b(?:personnes?|personnel|salariés|préposés|collaborateurs|employés)\b",
                r"(?:confidentialité|secret\s+professionnel)",
                r"(?:données|trait)",
            ),
        ),
    ),
    Element(
        "28.3.c",
        "security measures of Art. 32",
        "Art. 28(3)(c)",
        (
            rule(
                r"\b(?:implement|take|maintain|apply)\w*\b",
                r"technical\s+and\s+organi[sz]ational\s+(?:security\s+)?measures",
            ),
            rule(r"measures\s+required\s+(?:pursuant\s+to|by|under)\s+Article\s+32"),
            rule(r"mesures\s+techniques\s+et\s+organisationnelles"),
            rule(r"article\s+32\s+du\s+(?:RGPD|règlement)"),
        ),
    ),
    Element(
        "28.3.d",
        "conditions for engaging another processor",
        "Art. 28(3)(d)",
        (
            rule(r"respect\w*\s+the\s+conditions\b[^.;]{0,80}\banother\s+processor"),
            rule(r"respecte\w*\s+les\s+conditions\b[^.;]{0,80}\bsous-traitant"),
            *AUTHORISATION_RULES,
            *FLOW_DOWN_RULES,
        ),
    ),
    Element(
        "28.3.e",
        "assistance with data subjects' requests",
        "Art. 28(3)(e)",
        (
            rule(
                _ASSIST,
                r"(?:data\s+subjects?['’]?\s*s?\s+(?:rights|requests?)|requests?\s+(?:for|to)\s+"
                r"exercis\w+|exercis\w+\s+(?:of\s+)?(?:their|the\s+data\s+subject['’]?s?)\s+rights"
                r"|rights\s+laid\s+down\s+in\s+Chapter\s+III|data\s+subject\s+requests?"
                r"|droits?\s+des\s+personnes\s+concernées|demandes?\s+d['’]exercice"
                r"|exercice\s+(?:de\s+)?(?:leurs\s+)?droits)",
            ),
        ),
    ),
    Element(
        "28.3.f",
        "assistance with Art. 32 to 36",
        "Art. 28(3)(f)",
        (
            rule(
                _ASSIST,
                r"(?:Articles?\s+32\s+(?:to|à)\s+36|Articles?\s+3[2-6]\b|data\s+protection\s+impact"
                r"\s+assessment|prior\s+consultation|consult\s+the\s+(?:competent\s+)?supervisory"
                r"\s+authorit|analyse\s+d['’]impact|\bAIPD\b|consultation\s+préalable"
                r"|notification\s+des?\s+violations?|violations?\s+de\s+données)",
            ),
        ),
    ),
    Element(
        "28.3.g",
        "deletion or return at the end",
        "Art. 28(3)(g)",
        (
            rule(
                r"\b(?:delete|deletes|deleting|deletion|erase|erasure|destroy\w*|return\w*)\b",
                r"(?:personal\s+data|customer\s+data|all\s+(?:the\s+)?data|every\s+copy)",
                r"(?:end\s+of\s+the\s+provision|after\s+the\s+end|termination|expir\w+|at\s+the\s+"
                r"choice|upon\s+(?:\w+['’]s\s+)?(?:reasonable\s+)?request|no\s+longer\s+needed"
                r"|deletion\s+date|no\s+later\s+than|on\s+or\s+before)",
            ),
            rule(
                r"(?:supprim\w*|suppression|détrui\w*|destruction|restitu\w*|renvo\w*|effac\w*)",
                r"\bdonnées\b",
                r"(?:\bterme\b|fin\s+(?:de|du|des)|résiliation|expiration|au\s+choix|au\s+plus\s+tard"
                r"|à\s+l['’]issue)",
            ),
        ),
    ),
    Element(
        "28.3.h",
        "information and audits, including inspections",
        "Art. 28(3)(h)",
        (
            rule(
                r"(?:make\s+available|provide)",
                r"all\s+(?:the\s+)?information\s+necessary\s+to\s+demonstrate\s+compliance",
            ),
            rule(r"\b(?:allow(?:s|ing)?\s+for|permit\w*|submit\w*|contribut\w*)\b", r"\baudits?\b"),
            rule(
                r"\baudits?\b",
                r"(?:conducted|carried\s+out)\s+by\s+(?:the\s+)?(?:controller"
                r"|customer|data\s+exporter|another\s+auditor|an\s+(?:independent\s+)?auditor)",
            ),
            rule(
                r"(?:met\s+à\s+(?:la\s+)?disposition|fournit|communique)",
                r"informations\s+nécessaires\s+pour\s+démontrer",
            ),
            rule(
                r"\baudits?\b",
                r"(?:permet|réalis\w*|contribue|mener|conduire|diligent\w*"
                r"|effectu\w*|autorise|accepte|soumet)",
            ),
        ),
        narrowing=(
            rule(
                r"\b(?:audits?|information)\b",
                r"(?:satisfied|fulfilled|met|discharged|replaced)\s+(?:solely\s+|exclusively\s+"
                r"|only\s+)?by\b[^.;]{0,80}(?:reports?|certifications?|certificates?|SOC|ISO"
                r"|questionnaires?)",
            ),
            rule(
                r"\baudits?\b",
                r"(?:limited|restricted)\s+to\b[^.;]{0,60}(?:reports?"
                r"|certifications?|certificates?|questionnaires?|documentation)",
            ),
            rule(
                r"\baudits?\b",
                r"(?:limitée?s?|se\s+limite\w*|satisfaite?s?|remplacée?s?)\b"
                r"[^.;]{0,80}(?:rapports?|certifications?|certificats?|questionnaires?)",
            ),
        ),
        weak_reason="audits replaced or limited by reports or certifications",
    ),
    Element(
        "infringement-alert",
        "immediate alert if an instruction infringes the law",
        "Art. 28(3) last para.",
        (
            rule(
                r"\b(?:inform|notify|alert)\w*",
                r"\binstructions?\b",
                r"(?:infring\w*|violat\w*|contrary\s+to|contravene\w*)",
            ),
            rule(
                r"\b(?:inform\w*|alert\w*|avert\w*|signal\w*|préven\w*)",
                r"\binstructions?\b",
                r"(?:\bviol\w*|enfrein\w*|contrevien\w*|contraire|non\s+conforme|illicite)",
            ),
        ),
        weaker=(
            rule(
                r"\b(?:inform|notify)\w*",
                r"(?:unable\s+to\s+(?:comply|follow)|cannot\s+(?:provide"
                r"\s+such\s+)?compl\w*|inability\s+to\s+comply)",
            ),
            rule(
                r"\binform\w*",
                r"(?:dans\s+l['’]impossibilité\s+de\s+(?:se\s+conformer|respecter"
                r"|suivre)|ne\s+(?:peut|pourrait)\s+(?:pas\s+)?(?:se\s+conformer|respecter))",
            ),
        ),
        weak_reason="notice only when unable to comply, not when an instruction infringes the law",
    ),
    Element(
        "28.2-authorisation",
        "sub-processors only with written authorisation",
        "Art. 28(2)",
        AUTHORISATION_RULES,
    ),
    Element(
        "28.4-flow-down",
        "same obligations imposed on sub-processors",
        "Art. 28(4)",
        FLOW_DOWN_RULES,
    ),
)

BY_ID = {e.id: e for e in ELEMENTS}

# "…specified in Annex II": a description handed over to an annex of this document.
DEFERRAL = re.compile(
    r"(?:specified|set\s+out|set\s+forth|described|listed|defined|detailed|précisée?s?|décrite?s?"
    r"|définie?s?|listée?s?|détaillée?s?|figurant|figurent|indiquée?s?)\s+(?:in|dans|à|en)\s+"
    r"(?:l['’]\s*)?(?P<target>(?i:annex|appendix|schedule|annexe|appendice)\s*\w+(?:\.\w+)?)",
    _I,
)
# "…also specify subject matter, nature and duration": a template's instruction to fill a field.
INSTRUCTION = re.compile(
    r"^(?:for\s+[^,:]{0,60},\s*)?(?:also\s+)?(?:specify|describe|indicate|préciser|indiquer"
    r"|décrire)\b(?P<rest>[^:]*?):?$",
    _I,
)
