"""French recognizers for Presidio (language ``fr``).

Pattern recognizers validate what has a check digit (NIR key, RPPS Luhn, IBAN
mod-97) so that other long numbers stay readable, and context recognizers take
only the part that is personal (the date after "né le", the address after
"domicilié").
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from dataval_pipeline.anonymise import lexicon
from dataval_pipeline.identifiers import iban_is_valid, is_luhn_valid, is_valid_nir

LANGUAGE = "fr"
UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
LOWER = "a-zàâäçéèêëîïôöùûüÿæœ"
# A name word: Capitalised or ALL CAPS, possibly hyphenated or with an apostrophe (Jean-Pierre, DUMONT-LEROY, D'Almeida).
NAME_WORD = rf"[{UPPER}](?:[{LOWER}]+|[{UPPER}]+)?(?:['’-][{UPPER}](?:[{LOWER}]+|[{UPPER}]+))*"
CAPS_WORD = rf"[{UPPER}]{{2,}}(?:['’-][{UPPER}]+)*"
CAPITALISED = rf"[{UPPER}][{LOWER}]+(?:-[{UPPER}][{LOWER}]+)*"
LOWER_WORD = rf"[{LOWER}][{LOWER}'’-]+"
# Particles before a surname, one to three of them: "de", "de la", "van den", "d'" (glued or not).
PARTICLE = r"(?:(?:(?:de|du|des|le|la|les|van|von|den|der|ben|bin|el|da|dos|di|del|della)[ \t]+|d['’][ \t]*|n['’]|o['’]){1,3})"
CAPS_PARTICLE = r"(?:LE|LA|DE|DU|DES|D'|D’|VAN|VON|BEN|EL|DA|DOS|DI|DEL|N'|N’|O'|O’|MAC|MC)"
NAME = rf"{NAME_WORD}(?:[ \t]*[\n\f]?[ \t]*{PARTICLE}?{NAME_WORD}){{0,3}}"
# An all-caps surname, particles included: LE GUEN, N'DIAYE, DA SILVA, VAN DEN BROEK.
CAPS_SURNAME = rf"(?:{CAPS_PARTICLE}[ \t]?)?{CAPS_WORD}(?:[ \t]+{CAPS_WORD})?"
INITIAL = rf"[{UPPER}]\.(?:[ \t]?-?[{UPPER}]\.)?"
TITLE = lexicon.alternation(lexicon.TITLES, flexible_space=False)
LOWERCASE_TITLE = lexicon.alternation(lexicon.LOWERCASE_TITLES, flexible_space=False)
DATE = (rf"(?:\d{{1,2}}(?:er)?[ \t\n]+{lexicon.alternation(lexicon.MONTHS)}[ \t\n]+\d{{4}}"
        rf"|\d{{1,2}}[ \t]?[/.-][ \t]?\d{{1,2}}[ \t]?[/.-][ \t]?\d{{2,4}})")
# "née à Saint-Malo le …": the place of birth between the cue and the date.
PLACE = rf"[{UPPER}][\w'’-]*(?:[ \t-]+(?:sur|sous|en|le|la|les|de|du|d'|[{UPPER}][\w'’-]*)){{0,4}}"
# "né en 1930", "née en mars 1931": a month and a year, or a year alone.
BIRTH_YEAR = rf"(?:(?:{lexicon.alternation(lexicon.MONTHS)})[ \t\n]+)?(?:18|19|20)\d{{2}}"


class NirRecognizer(PatternRecognizer):
    """Social security number: 15 characters, 2A/2B for Corsica, key = 97 - (13 digits mod 97)."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="NIR", supported_language=LANGUAGE, name="FrNirRecognizer",
            patterns=[Pattern("nir", r"\b[12][ .\n]?\d{2}[ .\n]?\d{2}[ .\n]?(?:\d{2}|2[AB])[ .\n]?\d{3}[ .\n]?\d{3}[ .\n]?\d{2}\b", 0.5)],
            context=["nir", "sécurité sociale", "numéro de sécurité", "insee", "immatriculation"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_nir(pattern_text)


class RppsRecognizer(PatternRecognizer):
    """Health professional id: 11 digits starting with 10, Luhn check digit."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="RPPS", supported_language=LANGUAGE, name="FrRppsRecognizer",
            patterns=[Pattern("rpps", r"\b10\d{9}\b", 0.5)], context=["rpps", "professionnel de santé"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        return is_luhn_valid(pattern_text)


class IbanRecognizer(PatternRecognizer):
    """IBAN (any country, French layout first), mod-97 validated, with or without spaces."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="IBAN", supported_language=LANGUAGE, name="FrIbanRecognizer",
            patterns=[Pattern("iban", r"\b[A-Z]{2}\d{2}(?:[ \n]?[A-Z0-9]{4}){3,7}(?:[ \n]?[A-Z0-9]{1,4})?\b", 0.5)],
            context=["iban", "compte", "rib", "virement", "prélèvement"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        return iban_is_valid(pattern_text)


class PhoneRecognizer(PatternRecognizer):
    """French phone numbers: 06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6 12 34 56 78, 0033…"""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="TELEPHONE", supported_language=LANGUAGE, name="FrPhoneRecognizer",
            patterns=[
                Pattern("fr_national", r"(?<![\d\w])0[1-9](?:[ .\n-]?\d{2}){4}(?!\d)", 0.7),
                Pattern("fr_international", r"(?<![\d\w])(?:\+|00)33[ .\n-]?\(?0?\)?[ \n]?[1-9](?:[ .\n-]?\d{2}){4}(?!\d)", 0.8),
            ],
            context=["tél", "tel", "téléphone", "portable", "joignable", "mobile", "fax"],
        )


class ContextSpanRecognizer(EntityRecognizer):
    """A regex whose named group ``value`` is the entity, the rest being the context that makes it one."""

    def __init__(self, entity: str, name: str, regex: str, score: float = 0.85, flags: int = re.IGNORECASE) -> None:
        self.regex = re.compile(regex, flags)
        self.score = score  # Presidio drops a result contained in one of equal or higher score: titles win
        super().__init__(supported_entities=[entity], supported_language=LANGUAGE, name=name)

    def load(self) -> None:  # nothing to load
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001 - Presidio's signature
        results = []
        for match in self.regex.finditer(text):
            start, end = match.span("value")
            results.append(RecognizerResult(self.supported_entities[0], start, end, self.score))
        return results


def birth_date_recognizer() -> ContextSpanRecognizer:
    """Dates of birth only ("née le …", "DDN : …", "date de naissance : …", "né en 1930"): inspection and
    report dates stay readable. The cue may be separated from the date by a colon, a bracket or a line break."""
    return ContextSpanRecognizer(
        "DATE_NAISSANCE", "FrBirthDateRecognizer",
        rf"(?:(?<![\w])n[ée]e?s?(?:\(e\))?(?:[ \t\n]+(?:à|au|en)[ \t\n]+{PLACE})?[ \t]*[\n]?[ \t]*(?:le[ \t\n]+|:[ \t\n]*)?"
        rf"|(?<![\w]){lexicon.alternation(lexicon.BIRTH_LABELS)}[ \t\n]*(?:\([^)\n]{{0,20}}\))?[ \t]*:?[ \t\n]*)"
        rf"(?P<value>{DATE})",
    )


def birth_year_recognizer() -> ContextSpanRecognizer:
    """"né en 1930", "née en mars 1931", "née\nen 1929": the year (and month) after the cue."""
    return ContextSpanRecognizer(
        "DATE_NAISSANCE", "FrBirthYearRecognizer",
        rf"(?<![\w])n[ée]e?s?(?:\(e\))?[ \t\n]+en[ \t\n]+(?P<value>{BIRTH_YEAR})(?!\d)",
    )


STREET = rf"(?:{'|'.join(re.escape(t) for t in lexicon.STREET_TYPES)})"
ADDRESS = (rf"\d{{1,4}}(?:[ \t]?(?:bis|ter|[A-D]))?,?[ \t\n]+{STREET}[ \t\n]+[^,;:()]{{2,60}}?"
           rf"(?:,|[ \t])[ \t\n]*(?:\d{{5}}|\d{{2}}[ ]\d{{3}})[ \t\n]+[{UPPER}][\w'’-]*(?:[ \t-]+[{UPPER}][\w'’-]*)*(?:[ \t]+(?:CEDEX|Cedex)(?:[ \t]+\d+)?)?")


def address_recognizer() -> ContextSpanRecognizer:
    """Street addresses (number, street type, name, postal code, city); who they belong to is decided later."""
    return ContextSpanRecognizer("ADRESSE", "FrAddressRecognizer", rf"(?P<value>(?<![\w]){ADDRESS})")


def person_address_recognizer() -> ContextSpanRecognizer:
    """A home address after "demeurant", "domicilié(e)"… even without postal code, across a line break."""
    cues = lexicon.alternation(lexicon.PERSON_ADDRESS_CUES)
    return ContextSpanRecognizer(
        "ADRESSE", "FrPersonAddressRecognizer",
        rf"(?<![\w]){cues}[ \t\n]*(?:au|à|:)?[ \t\n]*"
        rf"(?P<value>\d{{1,4}}(?:[ \t]?(?:bis|ter|[A-D]))?,?[ \t\n]+{STREET}[ \t\n]+[^,;:()\n.]{{2,50}}"
        rf"(?:\n[^,;:()\n.]{{1,30}}(?=[,.;)]))?)",
    )


def titled_person_recognizer() -> ContextSpanRecognizer:
    """A title followed by a name or an initial: Mme Karine VASSEUR, Dr Jean-Luc Diallo, Mme T."""
    return ContextSpanRecognizer(
        "PERSONNE", "FrTitledPersonRecognizer",
        rf"(?<![\w.]){TITLE}[ \t]*[\n\f]?[ \t]*(?P<value>{NAME}|{INITIAL})", flags=0, score=1.0,
    )


def lowercase_titled_person_recognizer() -> ContextSpanRecognizer:
    """A title in lower case before a lower-case name, as in quoted e-mails: "mme leroy", "le dr caron".
    "m." after a figure is a length, not a title."""
    return ContextSpanRecognizer(
        "PERSONNE", "FrLowercaseTitledPersonRecognizer",
        rf"(?<![\w.])(?<!\d[ \t])(?<!\d){LOWERCASE_TITLE}[ \t]+(?P<value>{LOWER_WORD}(?:[ \t]+{LOWER_WORD})?)",
        flags=0, score=1.0,
    )


def _first_names_regex(case: str) -> str:
    names = set()
    for name in lexicon.FIRST_NAMES:
        parts = name.split("-")
        if case == "capitalised":
            names.add("-".join(p[:1].upper() + p[1:] for p in parts))
        elif case == "upper":
            names.add(name.upper())
        else:
            names.add(name)
    return "(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"


def first_name_person_recognizer() -> ContextSpanRecognizer:
    """A known first name followed by a surname: Lucien Picard, Karine VASSEUR, Anne de La Tour, LUC FAURE."""
    capitalised, upper = _first_names_regex("capitalised"), _first_names_regex("upper")
    return ContextSpanRecognizer(
        "PERSONNE", "FrFirstNamePersonRecognizer",
        rf"(?<![\w'’-])(?P<value>(?:(?:{capitalised})(?:[ \t]*[\n\f]?[ \t]*{PARTICLE}?{NAME_WORD}"
        rf"(?:[ \t]+{NAME_WORD})?)|(?:{upper})[ \t]+{CAPS_SURNAME}))(?![\w'’-])",
        flags=0, score=0.9,
    )


def lone_first_name_recognizer() -> ContextSpanRecognizer:
    """A known first name alone ("Mamadou (ASH) était seul", "Odette a chuté"): kept with a person's
    context only; once the document ties it to a person, linking finds it anyway."""
    return ContextSpanRecognizer(
        "PERSONNE", "FrLoneFirstNameRecognizer",
        rf"(?<![\w'’-])(?P<value>{_first_names_regex('capitalised')})(?![\w'’-])", flags=0, score=0.8,
    )


def surname_first_person_recognizer() -> ContextSpanRecognizer:
    """"NOM Prénom" and "NOM, Prénom" (lists, tables, signatures): an all-caps surname then a capitalised
    word; whether that word is a first name is decided with the other evidence."""
    return ContextSpanRecognizer(
        "PERSONNE", "FrSurnameFirstPersonRecognizer",
        rf"(?<![\w'’-])(?P<value>{CAPS_SURNAME}(?:[ \t]*,)?[ \t]+{CAPITALISED})(?![\w'’-])",
        flags=0, score=0.9,
    )


def given_caps_person_recognizer() -> ContextSpanRecognizer:
    """"Prénom NOM" with a first name the lexicon does not know (Maëva TOURNADRE): kept with NER or a
    person's context (a role, a signature line) only."""
    return ContextSpanRecognizer(
        "PERSONNE", "FrGivenCapsPersonRecognizer",
        rf"(?<![\w'’-])(?P<value>{CAPITALISED}[ \t]+{CAPS_SURNAME})(?![\w'’-])", flags=0, score=0.9,
    )


def all_caps_person_recognizer() -> ContextSpanRecognizer:
    """"PRÉNOM NOM" or "NOM PRÉNOM" all in capitals (signatures, headings of letters): kept with a known
    first name, NER or a person's context only (headings in capitals are not people)."""
    return ContextSpanRecognizer(
        "PERSONNE", "FrAllCapsPersonRecognizer",
        rf"(?<![\w'’-])(?P<value>{CAPS_WORD}[ \t]+{CAPS_SURNAME})(?![\w'’-])", flags=0, score=0.9,
    )


def labelled_person_recognizer() -> ContextSpanRecognizer:
    """A form field: "Nom : DUPRÉ   Prénom : Aline", "Signataire : x y" (labels are the people's column
    headers of the configuration): the value up to the end of the field, whatever its case."""
    labels = lexicon.alternation(lexicon.PERSON_COLUMN_LABELS)
    return ContextSpanRecognizer(
        "PERSONNE", "FrLabelledPersonRecognizer",
        rf"(?:^|(?<=[\n\t|;])|(?<=  ))[ \t]*{labels}[ \t]*:[ \t]*(?P<value>[^\n\t|;:,()]{{2,60}}?)"
        rf"(?=[ \t]*(?:$|\n|\t|\||;|,|\(| {{2,}}|[ \t]+{labels}[ \t]*:))",
        flags=re.IGNORECASE | re.MULTILINE, score=1.0,
    )


def lowercase_person_recognizer() -> ContextSpanRecognizer:
    """Lower-case names of letters and quoted e-mails: a known first name and the word after it
    ("henri vidal"), or a name after a greeting or a closing ("bonjour sophie,", "cordialement, x y")."""
    lower_first = _first_names_regex("lower")
    return ContextSpanRecognizer(
        "PERSONNE", "FrLowercasePersonRecognizer",
        rf"(?:(?<![\w'’-])(?P<value>(?:{lower_first})(?:[ \t]+{LOWER_WORD})?)(?![\w'’-]))",
        flags=0, score=0.9,
    )


def greeting_person_recognizer() -> ContextSpanRecognizer:
    """A name after a greeting or a closing: "bonjour sophie,", "Cordialement, Alain Durand"."""
    greetings = lexicon.alternation(lexicon.GREETINGS)
    word = rf"(?:{LOWER_WORD}|{NAME_WORD})"
    return ContextSpanRecognizer(
        "PERSONNE", "FrGreetingPersonRecognizer",
        rf"(?<![\w]){greetings}[ \t]*,?[ \t\n]+(?P<value>{word}(?:[ \t]*\n?[ \t]*{word})?)(?=[ \t]*(?:[,.;!–—»)-]|\n|$))", score=0.9,
    )


def labelled_nir_recognizer() -> ContextSpanRecognizer:
    """A NIR introduced as such is removed even with a wrong key (a typo is still someone's number)."""
    return ContextSpanRecognizer(
        "NIR", "FrLabelledNirRecognizer",
        r"(?:NIR|n°[ \t]*de[ \t]+sécurité[ \t]+sociale|numéro[ \t]+de[ \t]+sécurité[ \t]+sociale)[ \t]*:?[ \t\n]*"
        r"(?P<value>[12](?:[ .\n]?[0-9AB]){12}[ .\n]?\d{2})(?!\d)",
    )


def labelled_rpps_recognizer() -> ContextSpanRecognizer:
    """An 11-digit number introduced as an RPPS is removed even if its check digit is wrong."""
    return ContextSpanRecognizer("RPPS", "FrLabelledRppsRecognizer", r"RPPS[ \t]*(?:n°)?[ \t]*:?[ \t\n]*(?P<value>\d{11})(?!\d)")


def email_recognizer() -> EmailRecognizer:
    return EmailRecognizer(supported_language=LANGUAGE, supported_entity="EMAIL")


def french_recognizers() -> list[EntityRecognizer]:
    return [
        NirRecognizer(), labelled_nir_recognizer(), RppsRecognizer(), labelled_rpps_recognizer(), IbanRecognizer(),
        PhoneRecognizer(), email_recognizer(),
        birth_date_recognizer(), birth_year_recognizer(), address_recognizer(), person_address_recognizer(),
        titled_person_recognizer(), lowercase_titled_person_recognizer(), first_name_person_recognizer(),
        lone_first_name_recognizer(), surname_first_person_recognizer(), given_caps_person_recognizer(),
        all_caps_person_recognizer(), labelled_person_recognizer(), lowercase_person_recognizer(),
        greeting_person_recognizer(),
    ]
