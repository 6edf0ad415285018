"""Words that decide what is a name and what must stay readable, read from ``config/anonymisation.yaml``.

Domain knowledge, not tuning: titles that introduce people, roles and verbs of
people, French first names (evidence, never enough alone), the frame of
inspection documents, table headers, eponym and drug cues, company forms and
address cues. ``$DATAVAL_ANONYMISATION`` points at another administration's
copy. Every module of the anonymiser reads its vocabulary from here.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import yaml

from dataval_pipeline.config import language

CONFIG_ENV = "DATAVAL_ANONYMISATION"
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "anonymisation.yaml"


def fold(word: str) -> str:
    """Case- and accent-insensitive key of a word."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().casefold()


def _words(value) -> list[str]:
    """A list of words from a YAML list or a space-separated block."""
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value]


def _load() -> dict:
    source = Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    return yaml.safe_load(source.read_text(encoding="utf-8"))


_RAW = _load()

FEMALE_TITLES = tuple(_RAW["titles"]["female"])
MALE_TITLES = tuple(_RAW["titles"]["male"])
TITLES = FEMALE_TITLES + MALE_TITLES + tuple(_RAW["titles"]["neutral"])
LOWERCASE_TITLES = tuple(_RAW["lowercase_titles"])
ROLES = frozenset(fold(w) for w in _words(_RAW["roles"]))
PERSON_VERBS = tuple(_RAW["person_verbs"])
PERSON_CUES = tuple(_RAW["person_cues"])
GREETINGS = tuple(_RAW["greetings"])
PEOPLE_LIST_HEADINGS = tuple(_RAW["people_list_headings"])
# Month names come from the reports' language (config/vocabulary.yaml), written with and without accents.
MONTHS = tuple(dict.fromkeys(form for name in language()["months"] for form in (name, fold(name))))
BIRTH_LABELS = tuple(_RAW["birth_labels"])
PERSON_COLUMN_LABELS = tuple(_RAW["columns"]["person"])
PERSON_COLUMNS = frozenset(fold(w) for w in PERSON_COLUMN_LABELS)
ROLE_COLUMNS = frozenset(fold(w) for w in _RAW["columns"]["role"])
BIRTH_COLUMNS = frozenset(fold(w) for w in _RAW["columns"]["birth"])
OTHER_COLUMNS = frozenset(fold(w) for w in _RAW["columns"]["other"])
FIRST_NAMES = frozenset(fold(w) for w in _words(_RAW["first_names"]))
AMBIGUOUS_FIRST_NAMES = frozenset(fold(w) for w in _RAW["ambiguous_first_names"])
EPONYM_CUES = tuple(_RAW["eponym_cues"])
DRUG_UNITS = tuple(_RAW["drug_units"])
DRUG_FORMS = tuple(_RAW["drug_forms"])
COMPANY_FORMS = tuple(_RAW["company_forms"])
ESTABLISHMENT_TYPES = tuple(_RAW["establishment_types"])
STREET_TYPES = tuple(_RAW["street_types"])
PERSON_ADDRESS_CUES = tuple(_RAW["person_address_cues"])
AGENCIES = tuple(_RAW["agencies"])

# Capitalised words of reports that are not names (NER sometimes tags them PER): the frame, the roles, the
# titles and the table headers.
NOT_NAMES = frozenset(
    {fold(w) for w in _words(_RAW["frame_words"])} | ROLES | {fold(t) for t in TITLES}
    | {fold(w) for header in PERSON_COLUMNS | ROLE_COLUMNS | BIRTH_COLUMNS | OTHER_COLUMNS for w in header.split()}
)


def alternation(words, *, flexible_space: bool = True) -> str:
    """A regex alternation of ``words``, longest first; spaces inside a phrase match any run of whitespace."""
    escaped = []
    for word in sorted(set(words), key=len, reverse=True):
        piece = re.escape(word)
        if flexible_space:
            piece = piece.replace(r"\ ", r"\s+")
        escaped.append(piece)
    return "(?:" + "|".join(escaped) + ")"
