"""Rules that read irregularity signals in one text unit, and the figures that go with them.

A signal is *stated* when one of its phrasings matches, or one pattern of every ``all_of`` group, inside
the unit; it is a *candidate* (for the LLM) when only a keyword matches and the unit also carries a cue of
the signal (one of its legal references or a figure of its kind; for a signal without figures, such as a
referral, the keyword is enough). A guard
(compliance, a hypothesis, an instruction to the manager) cancels both. Two cues are arithmetic and live
here rather than in the configuration: residents counted above the places stated in the same sentence, and
the FTE gap between a declared and an observed figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dataval_pipeline.signals.vocabulary import SignalDef, Vocabulary, fold

STATED, CANDIDATE, GUARDED = "stated", "candidate", "guarded"

_NUMBER = r"(\d{1,3}(?:[ .]\d{3})+|\d+)(?:,(\d+))?"
_AMOUNT = re.compile(_NUMBER + r"\s?(k€|m€|€|euros?\b|millions? d'euros|millions? €)")
_PER = re.compile(r"\s*(ttc|ht)?\s*(par|/)\s*(etp|jour|mois|place|resident|an|admission|nuit|lit)\b")
_TOTAL_BEFORE = re.compile(r"(soit|total(e|ement)?( de)?|au total,?|montant (total )?(de|d'environ)|cumul\w*( de)?|"
                           r"representant( environ)?|environ)\s*$")
_FTE = re.compile(r"(?<![\d,])(\d+(?:,\d+)?)\s?etp\b")
_CONTRAST = re.compile(r"\b(alors que|que|qu'|contre|quand|tandis que|pour|seul(e)?s?|mais)\b")
_FTE_GAP = re.compile(r"(ecart de|excede\w* de|superieure?s? de|inferieure?s? de|soit|difference de|manque de|"
                      r"surplus de)\s(\d+(?:,\d+)?)\s?etp\b")
_RESIDENTS_FOR_PLACES = re.compile(
    r"(\d+) (residents?|personnes?|lits? occupes)[^.]{0,80}?\bpour (?:(\d+) (?:places?|lits?)(?: d'hebergement)?"
    r"(?: permanent)? autorise|une capacite (?:autorisee )?de (\d+))")
_OCCUPANCY = re.compile(r"\btaux d'occupation\b[^.%]{0,40}?(\d{2,3})(?:,(\d+))? ?%")


@dataclass(frozen=True)
class Hit:
    signal: str
    status: str  # stated | candidate | guarded
    cue: str  # what matched: "phrasing", "all_of", "residents>places", "keyword", or the guard


def _to_float(integer: str, decimals: str | None) -> float:
    return float(re.sub(r"[ .]", "", integer) + ("." + decimals if decimals else ""))


def amounts(folded: str) -> list[tuple[float, bool, bool]]:
    """Euro amounts in a folded unit: (value, preceded by "soit"/"au total"…, a unit rate "… par jour")."""
    found = []
    for match in _AMOUNT.finditer(folded):
        value = _to_float(match.group(1), match.group(2))
        unit = match.group(3)
        if unit == "k€":
            value *= 1_000
        elif unit.startswith(("m€", "million")):
            value *= 1_000_000
        before = folded[max(0, match.start() - 30):match.start()]
        found.append((value, bool(_TOTAL_BEFORE.search(before)), bool(_PER.match(folded, match.end()))))
    return found


def main_amount(folded: str) -> float | None:
    """The irregularity's amount: the largest total ("soit 38 460 €"), else the largest amount that is not a
    unit rate ("45 200 € par ETP"), else the largest rate."""
    found = amounts(folded)
    for pick in (lambda a: a[1] and not a[2], lambda a: not a[2], lambda a: True):
        values = [a[0] for a in found if pick(a)]
        if values:
            return max(values)
    return None


def _fte_value(text: str) -> float:
    integer, _, decimals = text.partition(",")
    return _to_float(integer, decimals or None)


def fte_figure(folded: str, mode: str = "gap", anchor: re.Pattern | None = None) -> float | None:
    """``gap``: an FTE gap stated as such ("soit un écart de 5,35 ETP"), else the difference of the first
    two FTE figures (declared against observed), else the only one. ``count``: the first FTE figure (the
    people concerned: "5,2 ETP d'agents faisant fonction")."""
    matches = list(_FTE.finditer(folded))
    values = [_fte_value(m.group(1)) for m in matches]
    if mode == "count":
        anchors = [a.start() for a in anchor.finditer(folded)] if anchor else []
        if anchors and matches:
            nearest = min(matches, key=lambda m: min(abs(m.end() - a) for a in anchors))
            return _fte_value(nearest.group(1))
        return values[0] if values else None
    gap = _FTE_GAP.search(folded)
    if gap:
        return _fte_value(gap.group(2))
    # Two figures set against each other ("déclare 31,8 ETP alors que la paie n'en montre que 26,4 ETP").
    if len(values) >= 2 and values[0] != values[1] and _CONTRAST.search(folded, matches[0].end(), matches[1].start()):
        return round(abs(values[0] - values[1]), 2)
    return values[0] if values else None


def _compact(text: str) -> str:
    return re.sub(r"[\s.]", "", text)


def _has_legal_ref(definition: SignalDef, folded: str) -> bool:
    compact = _compact(folded)
    return any(_compact(ref.lower()) in compact for ref in definition.legal_refs)


def _has_figure(definition: SignalDef, folded: str) -> bool:
    return ("amount_eur" in definition.figures and bool(_AMOUNT.search(folded))) or \
        ("fte" in definition.figures and bool(_FTE.search(folded)))


def _guard(definition: SignalDef, vocabulary: Vocabulary, folded: str) -> str | None:
    guards = definition.guards + vocabulary.common_guards
    if definition.guard_hypotheses:
        guards += vocabulary.hypothesis_guards
    for guard in guards:
        if guard.search(folded):
            return guard.pattern
    return None


def _residents_over_places(folded: str) -> bool | None:
    """True when the sentence counts more residents than authorised places (or an occupancy rate above
    100 %), False when fewer or as many, None when it gives no such figures."""
    match = _RESIDENTS_FOR_PLACES.search(folded)
    if match:
        return int(match.group(1)) > int(match.group(3) or match.group(4))
    occupancy = _OCCUPANCY.search(folded)
    if occupancy:  # an occupancy rate above 100 % is more days than the authorised places allow
        return _to_float(occupancy.group(1), occupancy.group(2)) > 100
    return None


def folded_unit(text: str) -> str:
    """The unit as the patterns see it: folded, every run of spaces and line breaks one space."""
    return " ".join(fold(text).split())


def read_unit(text: str, vocabulary: Vocabulary) -> list[Hit]:
    """The signals one unit states, the candidates it raises and those its guards cancel."""
    folded = folded_unit(text)
    hits = []
    for definition in vocabulary.signals:
        cue = None
        if any(p.search(folded) for p in definition.phrasings):
            cue = "phrasing"
        elif definition.all_of and all(any(p.search(folded) for p in group) for group in definition.all_of):
            cue = "all_of"
        elif definition.id == "over_capacity" and _residents_over_places(folded):
            cue = "residents>places"
        status = STATED if cue else None
        if status is None and any(p.search(folded) for p in definition.keywords):
            # A finding's wording is no cue by itself: the embedded model says yes too easily.
            if not definition.figures or _has_legal_ref(definition, folded) or _has_figure(definition, folded):
                status, cue = CANDIDATE, "keyword"
        if status is None:
            continue
        if definition.id == "over_capacity" and _residents_over_places(folded) is False:
            hits.append(Hit(definition.id, GUARDED, "residents<=places"))
            continue
        guard = _guard(definition, vocabulary, folded)
        hits.append(Hit(definition.id, GUARDED, guard) if guard else Hit(definition.id, status, cue))
    return hits


# FTE figures: the gap for an over-declaration; for the other signals, the people concerned: the FTE figure
# nearest to the words that name them ("5,2 ETP d'agents faisant fonction").
FTE_MODES = {"fte_overdeclared": "gap"}
FTE_ANCHORS = {
    "unqualified_staff_counted": re.compile(r"faisant fonction|non (qualifie|diplome|titulaire)|sans (aucun )?diplome|"
                                            r"depourvu"),
    "phantom_staff": re.compile(r"ne correspond|fictif|n'apparai|absent|inconnu|ne figur"),
}


def figures(definition: SignalDef, text: str) -> dict[str, float | None]:
    folded = folded_unit(text)
    return {
        "amount_eur": main_amount(folded) if "amount_eur" in definition.figures else None,
        "fte": fte_figure(folded, FTE_MODES.get(definition.id, "count"), FTE_ANCHORS.get(definition.id)) if "fte" in definition.figures else None,
    }
