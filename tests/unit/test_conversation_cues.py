"""Cues in four languages and the age cues: what fires, and what must not.

Every phrase is neutral, everyday language.
"""

from __future__ import annotations

import pytest

from safeguard.conversations.age_cues import (
    ADULT_AGE_CLAIM_BY_CHILD,
    CHILD_AGE_DISCLOSURE,
    detect_age,
)
from safeguard.conversations.cue_languages import OTHER_LANGUAGES
from safeguard.conversations.cues import CUE_LANGUAGES, CUE_TYPES, detect, fold

CHILD_SAYS = [
    "i'm 12",
    "im 13 years old",
    "I\u2019m 14 lol",  # a phone's curly apostrophe
    "i am eleven",
    "i'm in year 7",
    "im in 7th grade",
    "i'm in middle school",
    "my mum won't let me",
    "my mom says i have to be home by six",
    "i can talk after school tomorrow",
    "i've got school tomorrow",
    "tengo 12 años",
    "estoy en primero de la ESO",
    "mi mamá no me deja salir",
    "ich bin 12",
    "Ich bin 13 Jahre alt",
    "ich gehe in die 7. Klasse",
    "meine Mama erlaubt mir das nicht",
    "j'ai 12 ans",
    "je suis en 5e",
    "je suis au collège",
    "ma mère ne me laisse pas sortir",
]
ABOUT_SOMEONE_ELSE = [
    "my 12 year old",
    "my son is 12",
    "my daughter's in year 7",
    "when I was 12",
    "i'll pick him up after school",
    "my son has football after school tomorrow",
    "i'm 15 minutes away",
    "i'm 12 years older than my sister",
    "i'm 5 foot 4",
    "i'm 6'2",
    "i'm 100% sure",
    "how was school",
    "mi hijo tiene 12 años",
    "tengo 20 años de experiencia",
    "mein Sohn ist 12",
    "als ich 12 war",
    "mon fils a 12 ans",
    "quand j'avais 12 ans",
    "j'ai 12 ans d'expérience",
]
ADULT_SAYS = [
    "i'm 25",
    "i'm an adult",
    "i'm over 18",
    "tengo 25 años",
    "soy mayor de edad",
    "ich bin 25",
    "ich bin volljährig",
    "j'ai 25 ans",
    "je suis majeure",
]

# One neutral phrase per language and cue: every category is covered in every language.
PHRASES = {
    "es": {
        "age_probing": "¿Cuántos años tienes?",
        "secrecy": "no se lo digas a nadie, es la fiesta sorpresa",
        "isolation": "¿dónde están tus padres?",
        "platform_move": "pásame tu número",
        "image_request": "mándame una foto de los deberes",
        "gifts_money": "te regalo algo por tu cumpleaños",
        "meeting": "nos vemos en el parque",
        "sexualised_language": "dale un beso a la abuela",
    },
    "de": {
        "age_probing": "wie alt bist du?",
        "secrecy": "sag es niemandem, es ist eine Überraschung",
        "isolation": "bist du allein zu Hause?",
        "platform_move": "gib mir deine Nummer",
        "image_request": "schick mir ein Foto von den Hausaufgaben",
        "gifts_money": "ich kaufe dir ein Eis",
        "meeting": "treffen wir uns im Park?",
        "sexualised_language": "gib Oma einen Kuss",
    },
    "fr": {
        "age_probing": "quel âge as-tu ?",
        "secrecy": "ne dis rien à personne, c'est une surprise",
        "isolation": "où sont tes parents ?",
        "platform_move": "donne-moi ton numéro",
        "image_request": "envoie-moi une photo de tes devoirs",
        "gifts_money": "je vais t'acheter un gâteau",
        "meeting": "on se retrouve au parc",
        "sexualised_language": "fais un bisou à mamie",
    },
}


@pytest.mark.parametrize("text", CHILD_SAYS)
def test_a_child_saying_their_age_school_year_or_parents_rules_is_a_cue(text: str) -> None:
    assert detect_age(text, None) == [CHILD_AGE_DISCLOSURE]
    assert detect(text) == []  # not a feature of the model


@pytest.mark.parametrize("text", ABOUT_SOMEONE_ELSE)
def test_adults_talking_about_children_and_numbers_that_are_no_age_are_not(text: str) -> None:
    assert detect_age(text, "18+") == []


@pytest.mark.parametrize("text", ADULT_SAYS)
def test_an_adult_age_is_a_cue_only_from_a_sender_banded_as_a_child(text: str) -> None:
    for band in ("under-13", "13-15", "16-17"):
        assert detect_age(text, band) == [ADULT_AGE_CLAIM_BY_CHILD]
    assert detect_age(text, "18+") == [] and detect_age(text, None) == []


@pytest.mark.parametrize(
    ("language", "cue"), [(lang, cue.name) for lang in PHRASES for cue in CUE_TYPES]
)
def test_every_cue_has_phrases_in_spanish_german_and_french(language: str, cue: str) -> None:
    assert cue in OTHER_LANGUAGES[language]
    assert cue in detect(PHRASES[language][cue])


def test_the_languages_are_named_and_text_is_folded_for_the_patterns() -> None:
    assert CUE_LANGUAGES == ("en", "es", "de", "fr")
    assert fold("¿Qué TAL? Straße, i\u2019m") == "¿que tal? strasse, i'm"
    assert detect("dont tell mum about the party") == ["secrecy"]
    assert detect("don\u2019t tell mum about the party") == ["secrecy"]
    assert detect("el partido empieza a las siete, trae las botas") == []
    assert detect("das Spiel beginnt um sieben, bring deine Schuhe mit") == []
    assert detect("le match commence à sept heures, apporte tes chaussures") == []
