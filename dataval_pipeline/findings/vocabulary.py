"""The reader's vocabulary (``config/vocabulary.yaml``), loaded once and compiled into patterns.

Words stay in configuration so another administration adapts them; this module only turns them into
accent- and case-insensitive patterns that tolerate a line break between words.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import yaml

from dataval_pipeline.config import vocabulary_path

_ACCENTS = {
    "a": "aàâä", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uùûü", "c": "cç", "y": "yÿ",
}


def fold(text: str) -> str:
    """Lower case without accents (for comparing words, never for offsets)."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("œ", "oe").replace("’", "'")


def phrase_pattern(phrase: str) -> str:
    """A regex source for ``phrase``: any accent, any case, any whitespace (a line break) between words."""
    out = []
    for char in fold(phrase):
        if char in _ACCENTS:
            variants = _ACCENTS[char]
            out.append("[" + variants + variants.upper() + "]")
        elif char.isalpha():
            out.append("[" + char + char.upper() + "]")
        elif char == " ":
            out.append(r"\s+")
        elif char == "'":
            out.append("['’]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def alternation(phrases: list[str]) -> str:
    """One group matching any of ``phrases``, the longest first (so "non levée" wins over "levée")."""
    ordered = sorted({p for p in phrases if p}, key=len, reverse=True)
    return "(?:" + "|".join(phrase_pattern(p) for p in ordered) + ")"


@dataclass(frozen=True)
class Vocabulary:
    raw: dict

    # findings
    @property
    def finding_labels(self) -> dict[str, list[str]]:
        return self.raw["findings"]["labels"]

    @property
    def finding_abbreviations(self) -> dict[str, list[str]]:
        return self.raw["findings"]["abbreviations"]

    @property
    def declarable(self) -> list[str]:
        return self.raw["findings"]["declarable"]

    @property
    def undeclared_defaults(self) -> dict[str, str]:
        return self.raw["findings"].get("undeclared_defaults") or {}

    @property
    def declaration_kind_words(self) -> dict[str, list[str]]:
        return self.raw["findings"]["declaration_kind_words"]

    @property
    def declaration_verbs(self) -> list[str]:
        return self.raw["findings"].get("declaration_verbs") or []

    @property
    def prose_verbs(self) -> list[str]:
        return self.raw["findings"]["prose_verbs"]

    @property
    def grades(self) -> dict[str, list[str]]:
        return self.raw["findings"]["grades"]

    @property
    def remark_major_grade(self) -> str:
        return self.raw["findings"]["remark_major_grade"]

    # measures
    @property
    def measure_kinds(self) -> dict[str, list[str]]:
        return self.raw["measures"]["kinds"]

    @property
    def measure_abbreviations(self) -> dict[str, list[str]]:
        return self.raw["measures"]["abbreviations"]

    @property
    def generic_measure_labels(self) -> list[str]:
        return self.raw["measures"]["generic_labels"]

    @property
    def deadline_keywords(self) -> list[str]:
        return self.raw["measures"]["deadline_keywords"]

    @property
    def immediate(self) -> list[str]:
        return self.raw["measures"]["immediate"]

    @property
    def no_deadline(self) -> list[str]:
        return self.raw["measures"]["no_deadline"]

    @property
    def units(self) -> dict[str, int]:
        return {fold(k): int(v) for k, v in self.raw["measures"]["units"].items()}

    @property
    def number_words(self) -> dict[str, int]:
        return {fold(k): int(v) for k, v in self.raw["language"]["number_words"].items()}

    @property
    def months(self) -> dict[str, int]:
        """Folded month name -> month number (``phrase_pattern`` of a folded name matches every accent)."""
        return {fold(str(k)): int(v) for k, v in self.raw["language"]["months"].items()}

    @property
    def status_words(self) -> list[str]:
        return self.raw["measures"]["status_words"]

    # follow-up, sections, legal references
    @property
    def follow_up_title_words(self) -> list[str]:
        return self.raw["follow_up"]["title_words"]

    @property
    def earlier_section_words(self) -> list[str]:
        return self.raw["follow_up"]["earlier_section_words"]

    @property
    def annex_words(self) -> list[str]:
        return self.raw["sections"]["annex_words"]

    @property
    def summary_words(self) -> list[str]:
        return self.raw["sections"]["summary_words"]

    @property
    def table_header_words(self) -> list[str]:
        return self.raw["sections"]["table_header_words"]

    @property
    def classifier_header_words(self) -> list[str]:
        return self.raw["sections"]["classifier_header_words"]

    @property
    def codes(self) -> dict[str, list[str]]:
        return self.raw["legal"]["codes"]

    @property
    def legal_texts(self) -> list[str]:
        return self.raw["legal"]["texts"]

    @property
    def same_code(self) -> list[str]:
        return self.raw["legal"]["same_code"]

    def grade_of(self, word: str, kind: str) -> str | None:
        """The canonical grade a word means for a finding of ``kind`` ("majeure" for a major remark)."""
        folded = fold(word)
        for grade, words in self.grades.items():
            if folded in {fold(w) for w in words}:
                if kind == "remark" and grade == "majeur":
                    return self.remark_major_grade
                return grade
        return None


@functools.cache
def load_vocabulary(path: str | None = None) -> Vocabulary:
    """``$DATAVAL_VOCABULARY`` if set, else the packaged ``config/vocabulary.yaml``."""
    return Vocabulary(yaml.safe_load(vocabulary_path(path).read_text(encoding="utf-8")))
