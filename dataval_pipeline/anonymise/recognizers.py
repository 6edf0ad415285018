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
PARTICLE = r"(?:de|du|des|d'|d’|le|la|van|von|ben|el)"
NAME = rf"{NAME_WORD}(?:[ \t]*[\n\f]?[ \t]*(?:{PARTICLE}[ \t]+)?{NAME_WORD}){{0,3}}"
INITIAL = rf"[{UPPER}]\.(?:[ \t]?[{UPPER}]\.)?"
TITLE = r"(?:M\.|MM\.|Mmes?|Mlle|Madame|Monsieur|Mademoiselle|Messieurs|Mesdames|Dr\.?|Docteur|Pr\.?|Professeur|Me|Maître)"
DATE = (rf"(?:\d{{1,2}}(?:er)?[ \t\n]+(?:{'|'.join(lexicon.MONTHS)})[ \t\n]+\d{{4}}"
        rf"|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}})")


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
        super().__init__(supported_entities=[entity], supported_language=LANGUAGE, name=name)

    def load(self) -> None:  # nothing to load
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001 - Presidio's signature
        results = []
        for match in self.regex.finditer(text):
            start, end = match.span("value")
            results.append(RecognizerResult(self.supported_entities[0], start, end, 0.85))
        return results


def birth_date_recognizer() -> ContextSpanRecognizer:
    """Dates of birth only ("née le …", "date de naissance : …"): inspection and report dates stay readable."""
    return ContextSpanRecognizer(
        "DATE_NAISSANCE", "FrBirthDateRecognizer",
        rf"(?:(?<![\w])n[ée]e?s?(?:\(e\))?[ \t\n]+(?:le[ \t\n]+)?|date[ \t\n]+de[ \t\n]+naissance[ \t\n]*:?[ \t\n]*)"
        rf"(?P<value>{DATE})",
    )


STREET = rf"(?:{'|'.join(re.escape(t) for t in lexicon.STREET_TYPES)})"
ADDRESS = (rf"\d{{1,4}}(?:[ \t]?(?:bis|ter|[A-D]))?,?[ \t\n]+{STREET}[ \t\n]+[^,;:()]{{2,60}}?"
           rf"(?:,|[ \t])[ \t\n]*(?:\d{{5}}|\d{{2}}[ ]\d{{3}})[ \t\n]+[{UPPER}][\w'’-]*(?:[ \t-]+[{UPPER}][\w'’-]*)*(?:[ \t]+(?:CEDEX|Cedex)(?:[ \t]+\d+)?)?")


def address_recognizer() -> ContextSpanRecognizer:
    """Street addresses (number, street type, name, postal code, city); who they belong to is decided later."""
    return ContextSpanRecognizer("ADRESSE", "FrAddressRecognizer", rf"(?P<value>(?<![\w]){ADDRESS})")


def titled_person_recognizer() -> ContextSpanRecognizer:
    """A title followed by a name or an initial: Mme Karine VASSEUR, Dr Jean-Luc Diallo, Mme B."""
    return ContextSpanRecognizer(
        "PERSONNE", "FrTitledPersonRecognizer",
        rf"(?<![\w.]){TITLE}[ \t]*[\n\f]?[ \t]*(?P<value>{NAME}|{INITIAL})", flags=0,
    )


def first_name_person_recognizer() -> ContextSpanRecognizer:
    """An untitled known first name followed by a capitalised surname: Lucien Picard, Karine VASSEUR."""
    first = "|".join(
        sorted({re.escape(n[:1].upper() + n[1:]) for n in lexicon.FIRST_NAMES}
               | {re.escape("-".join(p.capitalize() for p in n.split("-"))) for n in lexicon.FIRST_NAMES},
               key=len, reverse=True)
    )
    return ContextSpanRecognizer(
        "PERSONNE", "FrFirstNamePersonRecognizer",
        rf"(?<![\w])(?P<value>(?:{first})[ \t]*[\n\f]?[ \t]*(?:{PARTICLE}[ \t]+)?{NAME_WORD}(?:[ \t]+{NAME_WORD})?)(?![\w])",
        flags=0,
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
        NirRecognizer(), labelled_nir_recognizer(), RppsRecognizer(), labelled_rpps_recognizer(), IbanRecognizer(), PhoneRecognizer(), email_recognizer(),
        birth_date_recognizer(), address_recognizer(), titled_person_recognizer(), first_name_person_recognizer(),
    ]
