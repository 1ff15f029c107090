"""The grooming cues' phrases in Spanish, German and French, by cue name.

The same categories as the English phrases of ``cues.py``, written for folded text
(lowercase, no accents: ``cues.fold``), so ``¿Cuántos años tienes?`` reads as
``¿cuantos anos tienes?``. App names (WhatsApp, Snapchat, ...) are the same in every
language and stay with the English phrases. The phrases are deliberately specific:
the risk model was trained on English text only, and a phrase that also matched
ordinary English would change what it sees.
"""

from __future__ import annotations

SPANISH: dict[str, tuple[str, ...]] = {
    "age_probing": (
        r"\bcuantos anos tienes\b",
        r"\bque edad tienes\b",
        r"\ben que (?:curso|grado) (?:estas|vas)\b",
    ),
    "secrecy": (
        r"\bno (?:se lo |le )?(?:digas|cuentes) (?:nada )?a nadie\b",
        r"\bnuestro (?:pequeno )?secreto\b",
        r"\bes un secreto\b",
        r"\bentre tu y yo\b",
        r"\b(?:borra|elimina) (?:los |el |este |estos |nuestros? )?"
        r"(?:mensajes?|chats?|conversacion)\b",
    ),
    "isolation": (
        r"\bestas sol[oa](?: en casa)?\b",
        r"\bdonde estan tus padres\b",
        r"\btus padres (?:estan|no estan) en casa\b",
        r"\bcuando (?:vuelven|llegan) tus padres\b",
    ),
    "platform_move": (
        r"\b(?:agregame|anademe|escribeme|hablame) (?:en|por)\b",
        r"\b(?:dame|pasame) tu (?:numero|telefono|movil)\b",
        r"\bcual es tu (?:numero|telefono)\b",
    ),
    "image_request": (
        r"\b(?:mandame|enviame|pasame) (?:una |unas |otra |mas )?"
        r"(?:foto|fotos|video|videos|selfie)\b",
    ),
    "gifts_money": (
        r"\bte (?:compro|comprare|regalo|regalare)\b",
        r"\bdinero\b",
        r"\btarjetas? regalo\b",
    ),
    "meeting": (
        r"\b(?:quedamos|vernos) en persona\b",
        r"\bnos vemos en\b",
        r"\bdonde vives\b",
        r"\bcual es tu direccion\b",
        r"\bte (?:recojo|voy a recoger)\b",
    ),
    "sexualised_language": (
        r"\bsexo\b",
        r"\bdesnud[oa]s?\b",
        r"\bropa interior\b",
        r"\bbes(?:ar|arte|o|os)\b",
    ),
}

GERMAN: dict[str, tuple[str, ...]] = {
    "age_probing": (
        r"\bwie alt bist du\b",
        r"\bin welche(?:r)? klasse (?:gehst|bist) du\b",
    ),
    "secrecy": (
        r"\bsag(?: es| das)? niemandem\b",
        r"\b(?:unser|ein) geheimnis\b",
        r"\bunter uns\b",
        r"\blosch(?:e)? (?:die|den|das|diese|unseren?) (?:nachrichten?|chats?|verlauf)\b",
    ),
    "isolation": (
        r"\bbist du allein(?: zu hause)?\b",
        r"\bwo sind deine eltern\b",
        r"\bsind deine eltern (?:zu hause|da|weg)\b",
        r"\bwann kommen deine eltern\b",
    ),
    "platform_move": (
        r"\b(?:schreib|adde) mich (?:auf|bei|in)\b",
        r"\bgib mir deine (?:nummer|handynummer)\b",
        r"\bwas ist deine (?:nummer|handynummer)\b",
    ),
    "image_request": (
        r"\b(?:schick|schicke|sende) mir (?:ein |eine |mehr |noch ein )?"
        r"(?:foto|fotos|bild|bilder|video|selfie)\b",
    ),
    "gifts_money": (
        r"\bich kauf(?:e)? dir\b",
        r"\bgeschenk fur dich\b",
        r"\bgeld\b",
        r"\bgutschein\b",
    ),
    "meeting": (
        r"\b(?:treffen wir uns|wollen wir uns treffen)\b",
        r"\bwo wohnst du\b",
        r"\bwas ist deine adresse\b",
        r"\bich hole? dich ab\b",
    ),
    "sexualised_language": (
        r"\bnackt\b",
        r"\bunterwasche\b",
        r"\bkuss(?:en)?\b",
    ),
}

FRENCH: dict[str, tuple[str, ...]] = {
    "age_probing": (
        r"\bquel age (?:as-tu|as tu|tu as|t'as)\b",
        r"\b(?:tu as|t'as) quel age\b",
        r"\ben quelle classe\b",
    ),
    "secrecy": (
        r"\bne (?:le |lui )?dis (?:rien )?a personne\b",
        r"\bnotre (?:petit )?secret\b",
        r"\bentre nous\b",
        r"\b(?:efface|supprime) (?:les|nos|ces|la|le|cette) "
        r"(?:messages?|conversation|discussion)\b",
    ),
    "isolation": (
        r"\b(?:tu es|es-tu|t'es) seule? (?:a la maison|chez toi)\b",
        r"\bou sont tes parents\b",
        r"\btes parents sont (?:la|a la maison|partis)\b",
        r"\bquand (?:rentrent|reviennent) tes parents\b",
    ),
    "platform_move": (
        r"\b(?:ajoute|ecris)-?moi sur\b",
        r"\b(?:donne|envoie)-?moi ton (?:numero|tel|telephone)\b",
        r"\bc'est quoi ton (?:numero|tel)\b",
    ),
    "image_request": (
        r"\b(?:envoie|envoies|montre)(?:-| )moi (?:une |des |ta |tes )?"
        r"(?:photo|photos|video|videos|selfie)\b",
    ),
    "gifts_money": (
        r"\bje (?:t'achete|te paie|vais t'acheter)\b",
        r"\bcadeau pour toi\b",
        r"\bargent\b",
        r"\bcartes? cadeaux?\b",
    ),
    "meeting": (
        r"\bon se (?:voit|retrouve)\b",
        r"\b(?:se|te) rencontrer\b",
        r"\bou (?:est-ce que )?tu habites\b",
        r"\btu habites ou\b",
        r"\bc'est quoi ton adresse\b",
        r"\bje (?:viens|passe) te chercher\b",
    ),
    "sexualised_language": (
        r"\bsexe\b",
        r"\btoute? nue?s?\b",
        r"\bsous-vetements\b",
        r"\b(?:embrasser|bisous?)\b",
    ),
}

OTHER_LANGUAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "es": SPANISH,
    "de": GERMAN,
    "fr": FRENCH,
}
"""Each language's phrases by cue name (ISO 639-1 codes)."""
