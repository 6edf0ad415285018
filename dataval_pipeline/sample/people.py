"""Synthetic people and their identifiers, each mention recorded as a gold personal-data surface."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

from dataval_pipeline.identifiers import iban_check_digits, luhn_check_digit, nir_key
from dataval_pipeline.sample import vocabulary as vocab


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@dataclass
class Person:
    first: str
    last: str
    female: bool

    @property
    def title(self) -> str:
        return "Mme" if self.female else "M."

    @property
    def long_title(self) -> str:
        return "Madame" if self.female else "Monsieur"


@dataclass
class Gold:
    """What a report must lose (personal data) and keep (establishment facts)."""

    pii: list[tuple[str, str]] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)

    def add(self, kind: str, surface: str) -> str:
        if (kind, surface) not in self.pii:
            self.pii.append((kind, surface))
        return surface

    def kept(self, surface: str) -> str:
        if surface not in self.keep:
            self.keep.append(surface)
        return surface


def new_person(rng: random.Random, female: bool | None = None) -> Person:
    female = rng.random() < 0.6 if female is None else female
    first = rng.choice(vocab.FIRST_NAMES_F if female else vocab.FIRST_NAMES_M)
    return Person(first=first, last=rng.choice(vocab.SURNAMES), female=female)


def mention(gold: Gold, person: Person, style: str) -> str:
    """Write a person the way reports do, and record the name surface (without title) as gold."""
    last_caps = person.last.upper()
    if style == "title_first_caps":  # Mme Karine VASSEUR
        return f"{person.title} {gold.add('PERSONNE', f'{person.first} {last_caps}')}"
    if style == "title_full":  # Madame Karine Vasseur
        return f"{person.long_title} {gold.add('PERSONNE', f'{person.first} {person.last}')}"
    if style == "title_last":  # Mme Vasseur
        return f"{person.title} {gold.add('PERSONNE', person.last)}"
    if style == "caps_last":  # VASSEUR
        return gold.add("PERSONNE", last_caps)
    if style == "full":  # Karine Vasseur
        return gold.add("PERSONNE", f"{person.first} {person.last}")
    if style == "doctor":  # Dr Sophie Martin
        return f"Dr {gold.add('PERSONNE', f'{person.first} {person.last}')}"
    if style == "doctor_long":  # Docteur MARTIN
        return f"Docteur {gold.add('PERSONNE', last_caps)}"
    if style == "initial":  # Mme T.
        return gold.add("PERSONNE", f"{person.title} {person.last[0]}.")
    raise ValueError(style)


def phone(rng: random.Random, gold: Gold, mobile: bool = True) -> str:
    first = rng.choice(["6", "7"]) if mobile else rng.choice(["1", "2", "3", "4", "5", "9"])
    digits = [first] + [f"{rng.randint(0, 99):02d}" for _ in range(4)]
    pairs = ["0" + digits[0]] + digits[1:]
    fmt = rng.choice(["space", "dot", "intl", "compact", "dash"])
    if fmt == "space":
        surface = " ".join(pairs)
    elif fmt == "dot":
        surface = ".".join(pairs)
    elif fmt == "intl":
        surface = "+33 " + digits[0] + " " + " ".join(digits[1:])
    elif fmt == "dash":
        surface = "-".join(pairs)
    else:
        surface = "".join(pairs)
    return gold.add("TELEPHONE", surface)


def email(rng: random.Random, gold: Gold, person: Person, domain: str | None = None) -> str:
    local = ascii_fold(f"{person.first}.{person.last}").lower().replace(" ", "")
    domain = domain or rng.choice(["gmail.com", "orange.fr", "free.fr", "laposte.net", "yahoo.fr"])
    return gold.add("EMAIL", f"{local}@{domain}")


def nir(rng: random.Random, gold: Gold, person: Person, birth_year: int, birth_month: int, dept: str) -> str:
    sex = "2" if person.female else "1"
    body = f"{sex}{birth_year % 100:02d}{birth_month:02d}{dept}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    key = nir_key(body)
    compact = f"{body}{key:02d}"
    if rng.random() < 0.5:
        surface = " ".join([compact[0], compact[1:3], compact[3:5], compact[5:7], compact[7:10], compact[10:13], compact[13:]])
    else:
        surface = compact
    return gold.add("NIR", surface)


def rpps(rng: random.Random, gold: Gold) -> str:
    partial = "10" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return gold.add("RPPS", partial + luhn_check_digit(partial))


def iban(rng: random.Random, gold: Gold) -> str:
    bban = "".join(str(rng.randint(0, 9)) for _ in range(23))
    compact = "FR" + iban_check_digits("FR", bban) + bban
    surface = " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))
    return gold.add("IBAN", surface)


def birth_date(rng: random.Random, gold: Gold, year: int, month: int) -> str:
    day = rng.randint(1, 28)
    if rng.random() < 0.5:
        surface = f"{day} {vocab.MONTHS[month - 1]} {year}"
    else:
        surface = f"{day:02d}/{month:02d}/{year}"
    return gold.add("DATE_NAISSANCE", surface)


def home_address(rng: random.Random, gold: Gold, city: str, postal: str) -> str:
    surface = f"{rng.randint(1, 120)} {rng.choice(vocab.STREET_TYPES)} {rng.choice(vocab.STREET_NAMES)}, {postal} {city}"
    return gold.add("ADRESSE", surface)
