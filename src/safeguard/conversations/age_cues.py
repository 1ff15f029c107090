"""Age cues: what participants say about their own age, in English, Spanish, German and
French.

``child_age_disclosure`` fires on first-person statements of a child's age, school year
or life ("i'm 12", "i'm in year 7", "my mum won't let me", "i'll be online after school
tomorrow"); statements about someone else ("my son is 12", "my daughter's in year 7",
"when i was 12") do not match, because every phrase speaks of the writer in the
present. ``adult_age_claim_by_child`` fires when a sender whose age band the platform
gives as a child's states an adult age ("i'm 25", "i'm over 18", "i'm an adult").
Neither feeds the risk model (it was not trained on them); in a conversation with an
adult they open or raise a review item (``service.py``).
"""

from __future__ import annotations

from safeguard.conversations.cues import CHILD_BANDS, CueType, any_of, fold

CHILD_AGE_DISCLOSURE = "child_age_disclosure"
ADULT_AGE_CLAIM_BY_CHILD = "adult_age_claim_by_child"

_I_AM = r"\b(?:i'?m|i am|im)"
_WE_ARE = r"\b(?:i'?m|i am|im|we'?re|we are)"
_NEARLY = r"(?:only |just |nearly |almost |turning |still |already |now )?"
_CHILD_AGE = (
    r"(?:1[0-7]|[5-9]|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen)"
)
_ADULT_AGE = r"(?:1[89]|[2-9][0-9])"
_SCHOOL_YEAR = r"(?:1[0-3]|[1-9])"
_GRADE = r"(?:1[0-2]|[1-9])(?:st|nd|rd|th)"
# What may follow a number that is not an age: "i'm 15 minutes away", "i'm 5 foot".
_NOT_AN_AGE = (
    r"(?!\s*(?:%|[.,:/'\"-]\d|(?:minutes?|mins?|hours?|hrs?|seconds?|secs?|days?|weeks?|"
    r"months?|years? (?:older|younger|ago|into|in|of|on|since)|miles?|km|kms|feet|foot|ft|"
    r"inch(?:es)?|cm|metres?|meters?|pounds?|lbs?|kg|kilos?|stone|points?|pts|times|"
    r"percent|quid|bucks|dollars|euros?|am|pm|o'?clock|out of|to \d)\b))"
)
# "tengo 12 anos de edad" is an age, "tengo 20 anos de experiencia" is not.
_NOT_SPANISH_AGE = r"(?! de (?!edad))"
# "ich bin 12 jahre alt" is an age, "ich bin 12 minuten entfernt" is not.
_NOT_A_GERMAN_AGE = r"(?!\s*(?:[.,:]\d|minuten|stunden|km|kilometer|meter|kilo|euro|uhr|mal)\b)"
# "j'ai 12 ans" is an age, "j'ai 12 ans d'experience" is not.
_NOT_A_FRENCH_AGE = r"(?! ?d')"
_MY_PARENT = r"\bmy (?:mum|mom|mam|mummy|mommy|ma|dad|daddy|parents|step ?(?:mum|mom|dad))"
_SCHOOL = r"(?:middle|primary|elementary|junior high|high|secondary) school"
_NOT_SOMEONE_ELSE = r"(?: (?!him\b|her\b|them\b|the kids?\b|my\b)[\w']+){0,3}"

_ENGLISH_CHILD = (
    rf"{_I_AM} {_NEARLY}{_CHILD_AGE}\b{_NOT_AN_AGE}",
    rf"{_WE_ARE} {_NEARLY}in (?:year|yr|grade) ?{_SCHOOL_YEAR}\b",
    rf"{_WE_ARE} {_NEARLY}in (?:the )?{_GRADE} grade\b",
    rf"{_WE_ARE} (?:a |an )?(?:year ?{_SCHOOL_YEAR}|{_GRADE} grader)s?\b",
    rf"{_WE_ARE} {_NEARLY}(?:in|at) {_SCHOOL}\b",
    rf"\bi (?:go to|attend) {_SCHOOL}\b",
    r"\b1[0-7] ?/ ?[mf]\b",
    rf"{_MY_PARENT} (?:won'?t|wont|will not|doesn'?t|does not|don'?t|do not|never) "
    r"(?:let|allow) me\b",
    rf"{_MY_PARENT} (?:says|said) i (?:can'?t|cant|cannot|have to|must|need to|should)\b",
    rf"{_MY_PARENT} (?:would|will|is going to|'s going to|is gonna) (?:kill|ground) me\b",
    r"\bi(?: have|'ve got| need| got) to ask my (?:mum|mom|dad|parents)\b",
    r"\bi'?m grounded\b",
    rf"\b(?:i|i'?ll|i will|i can|we can|we'?ll){_NOT_SOMEONE_ELSE} (?:after|before) school\b",
    r"\bi(?: have|'ve got|'ve| got) school (?:tomorrow|today|in the morning)\b",
    r"\bwhen i (?:get|come) (?:home|back) from school\b",
)
_SPANISH_CHILD = (
    rf"\btengo (?:solo |casi )?(?:1[0-7]|[5-9]|once|doce|trece|catorce|quince|dieciseis|"
    rf"diecisiete) anos\b{_NOT_SPANISH_AGE}",
    r"\bestoy en (?:[1-6]|primero|segundo|tercero|cuarto|quinto|sexto) de "
    r"(?:primaria|(?:la )?eso)\b",
    r"\bmis? (?:mama|madre|papa|padre|padres) no me deja",
    r"\b(?:despues del (?:cole|colegio|instituto) (?:manana|hoy)|manana despues del "
    r"(?:cole|colegio|instituto))\b",
)
_GERMAN_CHILD = (
    r"\bich bin (?:erst |fast |gerade )?(?:1[0-7]|[5-9]|elf|zwolf|dreizehn|vierzehn|"
    rf"funfzehn|sechzehn|siebzehn)(?: jahre(?: alt)?)?\b{_NOT_A_GERMAN_AGE}",
    r"\bich (?:bin in der|gehe in die) (?:1[0-3]|[5-9])\.? ?klasse\b",
    r"\bich (?:bin in der|gehe in die) (?:funfte|sechste|siebte|achte|neunte|zehnte)n? klasse\b",
    r"\b(?:meine (?:mama|mutter|eltern)|mein (?:papa|vater)) (?:erlaubt|erlauben|lasst|lassen)"
    r" (?:es |das )?mir (?:das )?nicht\b",
    r"\b(?:morgen nach der schule|nach der schule morgen)\b",
)
_FRENCH_CHILD = (
    r"\bj'?ai (?:que |seulement |presque )?(?:1[0-7]|[5-9]|onze|douze|treize|quatorze|quinze|"
    rf"seize|dix-sept|dix sept) ans\b{_NOT_A_FRENCH_AGE}",
    r"\bje suis (?:en|au) (?:6e|5e|4e|3e|6eme|5eme|4eme|3eme|sixieme|cinquieme|quatrieme|"
    r"troisieme|cm1|cm2|college)\b",
    r"\b(?:ma (?:mere|maman)|mon (?:pere|papa)|mes parents) (?:ne )?me laissen?t? pas\b",
    r"\b(?:demain apres l'ecole|apres l'ecole demain|demain apres les cours)\b",
)
_ENGLISH_ADULT = (
    rf"{_I_AM} (?:already |over |nearly |now )?{_ADULT_AGE}\b{_NOT_AN_AGE}",
    rf"{_I_AM} (?:an adult|a grown ?-?up|(?:in my )?(?:twenties|thirties|forties|[2-5]0s))\b",
)
_OTHER_ADULT = (
    rf"\btengo {_ADULT_AGE} anos\b{_NOT_SPANISH_AGE}",
    r"\bsoy (?:mayor de edad|(?:un |una )?adult[oa])\b",
    rf"\bich bin {_ADULT_AGE}(?: jahre(?: alt)?)?\b{_NOT_A_GERMAN_AGE}",
    r"\bich bin (?:schon )?(?:volljahrig|erwachsen)\b",
    rf"\bj'?ai {_ADULT_AGE} ans\b{_NOT_A_FRENCH_AGE}",
    r"\bje suis (?:majeure?|(?:un |une )?adulte)\b",
)

AGE_CUE_TYPES: tuple[CueType, ...] = (
    CueType(
        CHILD_AGE_DISCLOSURE,
        "says they are a child: their age, school year, or a parent's rules",
        any_of(*_ENGLISH_CHILD, *_SPANISH_CHILD, *_GERMAN_CHILD, *_FRENCH_CHILD),
    ),
    CueType(
        ADULT_AGE_CLAIM_BY_CHILD,
        "states an adult age although the platform's age band for them is a child's",
        any_of(*_ENGLISH_ADULT, *_OTHER_ADULT),
    ),
)
AGE_CUE_NAMES = frozenset(cue.name for cue in AGE_CUE_TYPES)
_CHILD, _ADULT = AGE_CUE_TYPES


def detect_age(text: str, age_band: str | None) -> list[str]:
    """The age cues of a message given its sender's age band (None: unknown)."""
    folded = fold(text)
    found = [CHILD_AGE_DISCLOSURE] if _CHILD.pattern.search(folded) else []
    if age_band in CHILD_BANDS and _ADULT.pattern.search(folded):
        found.append(ADULT_AGE_CLAIM_BY_CHILD)
    return found
