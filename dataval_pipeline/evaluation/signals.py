"""How well the signals read from the text match the gold labels (pure functions, no I/O).

- Per document: the set of signals ``fraud_signals`` found against the ``planted`` list of its gold
  record (the signals the text states), as precision and recall; micro totals over documents. Only ids
  the gold vocabulary can hold count (``scored_ids``): a signal the gold format has no name for (e.g.
  ``sanction`` in the dev corpus) is reported apart, never as a false positive.
- The ranking without reference data: does every document with a stated irregularity rank above every
  document without one (``separation``)?
- Precision at k on generated corpora: ``dataval_pipeline.fraud.evaluate``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dataval_pipeline.metadata import markdown_table

# Signal ids the dev corpus's gold format names (its README); the rest of the vocabulary is not scored there.
GOLD_SIGNAL_IDS = ("care_budget_misuse", "supplier_rebates_kept", "fte_overdeclared", "phantom_staff",
                   "unqualified_staff_counted", "over_capacity", "head_office_fees_excess", "resident_overcharging",
                   "prosecutor_referral")


@dataclass(frozen=True)
class DocumentScore:
    report_id: str
    planted: frozenset[str]
    found: frozenset[str]
    unscored: frozenset[str]  # found, but outside the scored ids

    @property
    def true_positives(self) -> frozenset[str]:
        return self.planted & self.found

    @property
    def false_positives(self) -> frozenset[str]:
        return self.found - self.planted

    @property
    def missed(self) -> frozenset[str]:
        return self.planted - self.found

    @property
    def precision(self) -> float | None:
        return len(self.true_positives) / len(self.found) if self.found else None

    @property
    def recall(self) -> float | None:
        return len(self.true_positives) / len(self.planted) if self.planted else None


@dataclass(frozen=True)
class SignalEvaluation:
    documents: tuple[DocumentScore, ...]

    @property
    def true_positives(self) -> int:
        return sum(len(d.true_positives) for d in self.documents)

    @property
    def precision(self) -> float | None:
        found = sum(len(d.found) for d in self.documents)
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        planted = sum(len(d.planted) for d in self.documents)
        return self.true_positives / planted if planted else None

    @property
    def exact_documents(self) -> int:
        """Documents whose found set equals the planted set (a document with neither counts)."""
        return sum(d.found == d.planted for d in self.documents)


def score_signals(found: Mapping[str, Iterable[str]], planted: Mapping[str, Iterable[str]],
                  scored_ids: Iterable[str] = GOLD_SIGNAL_IDS) -> SignalEvaluation:
    """``found`` and ``planted``: report_id -> signal ids; documents are those of ``planted``."""
    scored = frozenset(scored_ids)
    documents = []
    for report_id in sorted(planted):
        got = frozenset(found.get(report_id, ()))
        documents.append(DocumentScore(report_id, frozenset(planted[report_id]) & scored, got & scored, got - scored))
    return SignalEvaluation(tuple(documents))


@dataclass(frozen=True)
class Separation:
    """Ranks (1 = top) of the documents with and without a stated irregularity."""

    with_signal: tuple[int, ...]
    without_signal: tuple[int, ...]

    @property
    def separated(self) -> bool | None:
        if not self.with_signal or not self.without_signal:
            return None
        return max(self.with_signal) < min(self.without_signal)

    @property
    def misordered_pairs(self) -> int:
        return sum(1 for a in self.with_signal for b in self.without_signal if a > b)


def separation(ranks: Mapping[str, int], planted: Mapping[str, Iterable[str]]) -> Separation:
    """``ranks``: key (report or establishment) -> rank; ``planted``: key -> planted signals."""
    with_signal = tuple(sorted(ranks[k] for k, v in planted.items() if k in ranks and list(v)))
    without = tuple(sorted(ranks[k] for k, v in planted.items() if k in ranks and not list(v)))
    return Separation(with_signal, without)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def markdown(evaluation: SignalEvaluation, names: Mapping[str, str] | None = None) -> str:
    names = names or {}
    rows = [(names.get(d.report_id, d.report_id), ", ".join(sorted(d.planted)) or "—",
             ", ".join(sorted(d.false_positives)) or "—", ", ".join(sorted(d.missed)) or "—",
             _fmt(d.precision), _fmt(d.recall)) for d in evaluation.documents]
    header = (f"Signals: precision **{_fmt(evaluation.precision)}**, recall **{_fmt(evaluation.recall)}** "
              f"({evaluation.true_positives} found of {sum(len(d.planted) for d in evaluation.documents)} planted; "
              f"{evaluation.exact_documents}/{len(evaluation.documents)} documents exact)\n\n")
    return header + markdown_table(["document", "planted", "false signals", "missed", "precision", "recall"], rows)


def signal_metrics(signals: list[dict], gold: Mapping[str, dict], texts: Iterable[str]) -> list:
    """``fraud_signals`` rows scored as ``evaluation`` metrics (precision, recall, exact documents) over the
    labelled reports that reached the reader; a report missing from ``texts`` is left out, not scored."""
    from dataval_pipeline.evaluation.score import Metric

    reached = set(texts)
    planted = {rid: record.get("planted") or [] for rid, record in gold.items()
               if rid in reached and "planted" in record}
    found: dict[str, set[str]] = {}
    for row in signals:
        found.setdefault(row["report_id"], set()).add(row["signal"])
    evaluation = score_signals(found, planted)
    found_total = sum(len(d.found) for d in evaluation.documents)
    planted_total = sum(len(d.planted) for d in evaluation.documents)
    return [
        Metric("fraud_signals", "signal_precision", evaluation.true_positives, found_total),
        Metric("fraud_signals", "signal_recall", evaluation.true_positives, planted_total),
        Metric("fraud_signals", "documents_exact", evaluation.exact_documents, len(evaluation.documents)),
    ]
