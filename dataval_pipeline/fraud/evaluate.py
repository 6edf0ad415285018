"""How well the score finds the irregularities planted in a sample corpus (``gold.jsonl``).

Precision at k, with k the number of planted establishments: the share of the
k highest scores that are planted. The rank of each planted establishment, and
whether its top reason names the irregularity planted, show what a bare
precision hides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dataval_pipeline.metadata import markdown_table

from dataval_pipeline.signals.vocabulary import load_vocabulary

# Features that name each kind of planted irregularity (sample.generator.PLANTED_KINDS): reference
# features, and for every signal of the vocabulary the count of reports stating it.
_REFERENCE_FEATURES: dict[str, frozenset[str]] = {
    "fte_overdeclared": frozenset({"care_fte_gap", "fte_declaration_check"}),
    "care_budget_misuse": frozenset({"care_surplus_rate", "public_surplus_min_rate", "care_budget_findings"}),
    "over_capacity": frozenset({"places_over_capacity", "declared_occupancy_rate"}),
    "head_office_fees_excess": frozenset({"head_office_fees_per_place"}),
    "resident_overcharging": frozenset({"daily_price_vs_department_median"}),
}
PLANTED_FEATURES: dict[str, frozenset[str]] = {
    kind: _REFERENCE_FEATURES.get(kind, frozenset()) | {f"{kind}_reports"} for kind in load_vocabulary().ids
}


@dataclass(frozen=True)
class PlantedRank:
    finess: str
    planted: tuple[str, ...]
    rank: int | None  # None: the establishment has no row (it should always have one)
    top_feature: str | None
    top_reason: str | None

    @property
    def explained(self) -> bool:
        """The top reason names one of the planted irregularities."""
        return any(self.top_feature in PLANTED_FEATURES.get(kind, ()) for kind in self.planted)


@dataclass(frozen=True)
class Evaluation:
    k: int
    hits: int
    ranks: tuple[PlantedRank, ...]

    @property
    def precision_at_k(self) -> float | None:
        return self.hits / self.k if self.k else None


def planted_from_gold(path: Path) -> dict[str, tuple[str, ...]]:
    """FINESS -> planted irregularities, from the gold records of a sample corpus."""
    planted: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        finess = (record.get("facts") or {}).get("finess")
        if finess and record.get("planted"):
            planted[finess] = tuple(sorted(set(planted.get(finess, ())) | set(record["planted"])))
    return planted


def evaluate(scored: pl.DataFrame, planted: dict[str, tuple[str, ...]]) -> Evaluation:
    """``scored`` as returned by ``score.score`` (risk_rank 1 = highest score)."""
    k = len(planted)
    top = set(scored.filter(pl.col("risk_rank") <= k)["finess"].to_list())
    rows = {r["finess"]: r for r in scored.select("finess", "risk_rank", "top_features", "top_reasons").iter_rows(named=True)}
    ranks = []
    for finess, kinds in sorted(planted.items()):
        row = rows.get(finess)
        features, reasons = (row["top_features"], row["top_reasons"]) if row else ([], [])
        ranks.append(PlantedRank(finess, kinds, row["risk_rank"] if row else None,
                                 features[0] if features else None, reasons[0] if reasons else None))
    return Evaluation(k, len(top & set(planted)), tuple(sorted(ranks, key=lambda r: (r.rank is None, r.rank or 0))))


def markdown(evaluation: Evaluation) -> str:
    if not evaluation.k:
        return "No planted irregularity in the gold labels."
    header = f"Precision@{evaluation.k}: **{evaluation.precision_at_k:.2f}** ({evaluation.hits}/{evaluation.k})\n\n"
    return header + markdown_table(
        ["FINESS", "planted", "rank", "top reason", "names the planted feature"],
        [(r.finess, ", ".join(r.planted), r.rank if r.rank is not None else "missing", r.top_reason or "—",
          "yes" if r.explained else "no") for r in evaluation.ranks],
    )
