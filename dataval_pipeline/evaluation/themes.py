"""Scores of the themes stage against gold labels (the format of ``../shared/corpus/dev/gold.jsonl``). Pure.

- main theme per finding: each gold finding is matched to a found one as the findings' scores match them
  (same kind and number, else the wording), and counts as right when the found finding's first theme is the
  gold's first;
  an unmatched gold finding counts as wrong (the reader missed it);
- the confusion of main themes: (gold, found) over matched findings, the diagonal included, so each gold
  theme's row adds up to its matched findings;
- report themes micro-F1 (found report themes vs the gold's union of its findings' themes);
- primary theme accuracy; quotes dropped by the grounding guard.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dataval_pipeline.evaluation.findings import match_findings as findings_match


NO_THEME = "none"  # a matched finding the stage gave no theme


def _get(item, name, default=None):
    return item.get(name, default) if isinstance(item, Mapping) else getattr(item, name, default)


def match_findings(found: list, gold: list[Mapping]) -> list[tuple[int, int | None]]:
    """(gold index, found index or None) for every gold finding, paired as the findings' own scores pair
    them (:func:`dataval_pipeline.evaluation.findings.match_findings`), so theme accuracy and finding
    recall count the same matches."""
    by_gold = {g: f for f, g in findings_match(found, list(gold))}
    return [(g, by_gold.get(g)) for g in range(len(gold))]


@dataclass
class ThemeScores:
    findings_right: int = 0
    findings_gold: int = 0
    findings_matched: int = 0
    confusion: Counter = field(default_factory=Counter)  # (gold main theme, found main theme or None), diagonal too
    true_pos: int = 0
    predicted: int = 0
    expected: int = 0
    primary_right: int = 0
    reports: int = 0
    dropped_quotes: int = 0

    @property
    def finding_accuracy(self) -> float | None:
        return self.findings_right / self.findings_gold if self.findings_gold else None

    @property
    def report_f1(self) -> float | None:
        total = self.predicted + self.expected
        return 2 * self.true_pos / total if total else None

    @property
    def primary_accuracy(self) -> float | None:
        return self.primary_right / self.reports if self.reports else None

    def as_dict(self) -> dict:
        return {"finding_main_theme_accuracy": self.finding_accuracy, "findings_right": self.findings_right,
                "findings_gold": self.findings_gold, "findings_matched": self.findings_matched,
                "report_theme_micro_f1": self.report_f1, "primary_theme_accuracy": self.primary_accuracy,
                "reports": self.reports, "dropped_quotes": self.dropped_quotes,
                "confusion": [{"gold": g, "found": f, "findings": n} for (g, f), n in self.confusion.most_common()]}


def score_themes(results: Mapping[str, Mapping], gold: Iterable[Mapping]) -> ThemeScores:
    """``results[report_id]`` holds ``findings`` (Finding objects, with their themes) and
    ``classification`` (themes, primary_theme, dropped_quotes); gold records as in gold.jsonl. A gold
    report with no result counts as wholly missed."""
    scores = ThemeScores()
    for record in gold:
        if record.get("expected_status", "ok") != "ok":
            continue
        result = results.get(record["report_id"]) or {}
        found = list(result.get("findings") or [])
        for g, f in match_findings(found, record.get("findings") or []):
            want = record["findings"][g]["themes"][0]
            got_themes = list(found[f].themes) if f is not None else []
            got = got_themes[0] if got_themes else None
            scores.findings_gold += 1
            scores.findings_matched += f is not None
            scores.findings_right += got == want
            if f is not None:
                scores.confusion[(want, got)] += 1
        classification = result.get("classification") or {}
        got_themes, want_themes = set(_get(classification, "themes") or ()), set(record.get("themes") or ())
        scores.true_pos += len(got_themes & want_themes)
        scores.predicted += len(got_themes)
        scores.expected += len(want_themes)
        scores.reports += 1
        scores.primary_right += _get(classification, "primary_theme") == record.get("primary_theme")
        scores.dropped_quotes += int(_get(classification, "dropped_quotes", 0) or 0)
    return scores


def confusion_table(scores: ThemeScores, limit: int = 15) -> list[tuple[str, str, int]]:
    """The most frequent main-theme mistakes (off the diagonal): (gold, found, findings)."""
    mistakes = Counter({pair: n for pair, n in scores.confusion.items() if pair[0] != pair[1]})
    return [(g, f or NO_THEME, n) for (g, f), n in mistakes.most_common(limit)]
