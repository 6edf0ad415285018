"""Score of each establishment from what inspectors wrote and from its features, and the three reasons an
inspector reads.

Two parts, so that the watchlist reads well with 6 establishments as with 7,500:

- ``signal_score``: the irregularities the reports state (``fraud_signals``) weigh by themselves, by the
  weight table of ``config/signals.yaml``: the sum of the weights of the distinct signals, plus a share of
  the weight for each further report stating the same signal, plus a bonus when the declarations confirm
  an FTE over-declaration the inspectors stated. Their reasons quote the finding and its figures.
- ``peer_score``: the robust peer z-scores below, bounded below the smallest weight
  (``bound * (1 - exp(-norm / bound))``, monotonic in the norm), so peers order establishments among
  themselves and never outweigh an irregularity stated by inspectors.

``anomaly_score`` is their sum. Each feature is compared with the establishment's peers (same legal status and
capacity band) by a robust z-score: distance to the peer median in units of
the peer MAD (x 1.4826, the normal-consistent scale). Medians and MAD ignore a
few extreme peers, where mean and standard deviation would let one fraudulent
establishment hide another. Too few peers fall back to the legal status, then
to all establishments. Only the risky direction counts, capped so that one
typing error cannot outweigh everything; the score is the Euclidean norm of
these contributions, so one strong signal ranks high and many faint ones add
up slowly. With fewer than ``min_peers`` establishments holding a value even overall, a feature gives no
z-score at all (with 4 establishments, z-scores are noise).

Every ranked establishment gets at least one reason sentence, also when nothing stands out.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from dataval_pipeline.fraud.features import FEATURES, SIGNAL_IDS, Feature
from dataval_pipeline.signals.vocabulary import load_vocabulary

MAD_TO_SIGMA = 1.4826
MIN_PEERS = int(load_vocabulary().score["min_peers"])  # below this many values, a median and MAD are not trusted
Z_CAP = 10.0
TOP_REASONS = 3
MIN_REASON_Z = 1.0  # closer to the peer median than one spread is not a reason
PEER_LEVELS = (("legal_status", "capacity_band"), ("legal_status",), ())


def _peer_stats(feature: str) -> list[pl.Expr]:
    """Median and scale of ``feature`` at the narrowest peer level with enough values."""
    x = pl.col(feature)
    medians, scales, counts = [], [], []
    for keys in PEER_LEVELS:
        known = pl.all_horizontal([pl.col(k).is_not_null() for k in keys]) if keys else pl.lit(True)
        if keys:
            median = x.median().over(keys)
            mad = (x - median).abs().median().over(keys)
            count = pl.when(known).then(x.count().over(keys)).otherwise(0)
        else:
            median = x.median()
            mad = (x - median).abs().median()
            count = x.count()
        medians.append(median)
        scales.append(mad * MAD_TO_SIGMA)
        counts.append(count)
    chosen_median = (pl.when(counts[0] >= MIN_PEERS).then(medians[0]).when(counts[1] >= MIN_PEERS).then(medians[1])
                     .when(counts[2] >= MIN_PEERS).then(medians[2]))
    chosen_scale = (pl.when(counts[0] >= MIN_PEERS).then(scales[0]).when(counts[1] >= MIN_PEERS).then(scales[1])
                    .when(counts[2] >= MIN_PEERS).then(scales[2]))
    return [chosen_median.alias(f"_median_{feature}"), chosen_scale.alias(f"_scale_{feature}")]


def _beyond_threshold(feature: Feature) -> pl.Expr:
    if feature.threshold is None:
        return pl.lit(True)
    return feature.direction * (pl.col(feature.name) - feature.threshold) > 0


def _french_number(expr: pl.Expr, decimals: int) -> pl.Expr:
    if decimals == 0:
        return expr.round(0).cast(pl.Int64).cast(pl.String)
    return expr.round(decimals).cast(pl.String).str.replace(".", ",", literal=True).str.replace(r",0+$", "")


def _reason(feature: Feature) -> pl.Expr:
    """The feature's French sentence, with its value and the peer median."""
    shown = {
        "value": _french_number(pl.col(feature.name) * feature.factor, feature.decimals),
        "peer": _french_number(pl.col(f"_median_{feature.name}") * feature.factor, feature.decimals),
    }
    parts: list[pl.Expr] = []
    template = feature.reason
    while "{" in template:
        before, rest = template.split("{", 1)
        key, template = rest.split("}", 1)
        parts += [pl.lit(before), shown[key].fill_null("?")]
    parts.append(pl.lit(template))
    return pl.concat_str(parts).alias(f"_reason_{feature.name}")


def score(features: pl.DataFrame) -> pl.DataFrame:
    """``features`` plus ``signal_score``, ``peer_score``, ``anomaly_score`` (their sum), ``risk_rank``
    (1 = highest), ``peer_group``, ``scored_features`` and the ``top_features`` / ``top_reasons`` lists
    (strongest first; at least one each)."""
    names = [f.name for f in FEATURES]
    if "_signal_evidence" not in features.columns:
        features = features.with_columns(pl.lit(None, dtype=pl.List(pl.Struct(SIGNAL_EVIDENCE))).alias("_signal_evidence"))
    for column, dtype in (("fte_declaration_check", pl.String), ("reports", pl.Int64), ("declaration_years", pl.Int64),
                          ("care_fte_gap", pl.Float64)):
        if column not in features.columns:
            features = features.with_columns(pl.lit(None, dtype=dtype).alias(column))
    frame = features.with_columns(
        [stat for f in FEATURES for stat in _peer_stats(f.name)]
    ).with_columns(
        # Directional z: positive when the value lies on the risky side of the peer median.
        [(f.direction * (pl.col(f.name) - pl.col(f"_median_{f.name}"))
          / pl.max_horizontal(pl.col(f"_scale_{f.name}"), pl.lit(f.scale_floor))).alias(f"_z_{f.name}")
         for f in FEATURES]
    ).with_columns(
        [pl.when(_beyond_threshold(f)).then(pl.col(f"_z_{f.name}")).otherwise(0.0).alias(f"_z_{f.name}")
         for f in FEATURES]
    ).with_columns(
        [pl.col(f"_z_{n}").clip(0.0, Z_CAP).fill_null(0.0).alias(f"_c_{n}") for n in names]
        + [_reason(f) for f in FEATURES]
    )
    settings = load_vocabulary().score
    bound = float(settings["peer_bound"])
    norm = pl.sum_horizontal([pl.col(f"_c_{n}") ** 2 for n in names]).sqrt()
    frame = frame.with_columns(
        peer_score=bound * (1 - (-norm / bound).exp()),
        signal_score=pl.struct("_signal_evidence", "fte_declaration_check").map_elements(
            lambda r: signal_score(r["_signal_evidence"], r["fte_declaration_check"]), return_dtype=pl.Float64),
        scored_features=pl.sum_horizontal([pl.col(n).is_not_null().cast(pl.Int64) for n in names]),
        peer_group=pl.concat_str([pl.col("legal_status").fill_null("unknown status"),
                                  pl.col("capacity_band").fill_null("unknown capacity")], separator=" × "),
    ).with_columns(anomaly_score=pl.col("signal_score") + pl.col("peer_score"))
    frame = frame.sort(["anomaly_score", "finess"], descending=[True, False]).with_columns(
        risk_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    )
    peer_reasons = _top_reasons(frame, names)
    frame = frame.join(peer_reasons, on="finess", how="left").with_columns(
        pl.col("top_features").fill_null([]), pl.col("top_reasons").fill_null([]))
    establishments = frame.height
    combined = [_combined_reasons(row, establishments) for row in frame.select(
        "_signal_evidence", "fte_declaration_check", "care_fte_gap", "reports", "declaration_years",
        "top_features", "top_reasons").iter_rows(named=True)]
    frame = frame.with_columns(
        top_features=pl.Series([c[0] for c in combined], dtype=pl.List(pl.String)),
        top_reasons=pl.Series([c[1] for c in combined], dtype=pl.List(pl.String)),
    )
    return (frame.select([c for c in frame.columns if not c.startswith("_") and c not in ("top_features", "top_reasons")]
                         + ["top_features", "top_reasons"]).sort("risk_rank"))


SIGNAL_EVIDENCE = {"signal": pl.String, "reports": pl.Int64, "amount_eur": pl.Float64, "fte": pl.Float64,
                   "quote": pl.String, "finding_id": pl.String, "inspection_date": pl.Date}
QUOTE_CHARS = 180


def signal_score(evidence: list[dict] | None, fte_check: str | None) -> float:
    """Weights of the distinct signals stated, a share again per further report, the confirmation bonus."""
    vocabulary = load_vocabulary()
    weights, settings = vocabulary.weights, vocabulary.score
    total = 0.0
    for item in evidence or ():
        weight = weights.get(item["signal"], 0.0)
        total += weight * (1 + settings["repeat_factor"] * max(0, (item["reports"] or 1) - 1))
    if fte_check == "confirmed":
        total += settings["confirmed_bonus"]
    return total


def french_amount(value: float) -> str:
    return f"{round(value):,}".replace(",", " ") + " €"


def french_decimal(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _quote(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS - 1].rstrip() + "…"


def signal_reason(item: dict) -> str:
    """« <label> — E1, rapport du 16/04/2024 : « quote » (312 540 € ; 5,35 ETP) », and how many reports."""
    definition = load_vocabulary().get(item["signal"])
    where = [item["finding_id"]] if item.get("finding_id") else []
    if isinstance(item.get("inspection_date"), dt.date):
        where.append(f"rapport du {item['inspection_date'].strftime('%d/%m/%Y')}")
    figures = [french_amount(item["amount_eur"])] if item.get("amount_eur") is not None else []
    if item.get("fte") is not None:
        figures.append(f"{french_decimal(item['fte'])} ETP")
    reason = f"{definition.label}{' — ' + ', '.join(where) if where else ''} : « {_quote(item['quote'])} »"
    if figures:
        reason += f" ({' ; '.join(figures)})"
    if (item.get("reports") or 1) > 1:
        reason += f", relevé dans {item['reports']} rapports"
    return reason


def _combined_reasons(row: dict, establishments: int) -> tuple[list[str], list[str]]:
    """Stated signals first (heaviest first), the FTE check of the declarations, then the peer reasons;
    at most TOP_REASONS, at least one."""
    vocabulary = load_vocabulary()
    weights = vocabulary.weights
    evidence = sorted(row["_signal_evidence"] or (), key=lambda i: (
        -weights.get(i["signal"], 0) * (1 + vocabulary.score["repeat_factor"] * ((i["reports"] or 1) - 1)),
        -(i["amount_eur"] or 0), i["signal"]))
    features = [f"{i['signal']}_reports" for i in evidence]
    reasons = [signal_reason(i) for i in evidence]
    gap = row["care_fte_gap"]
    check = row["fte_declaration_check"]
    if check == "confirmed":
        features.insert(min(1, len(features)), "fte_declaration_check")
        reasons.insert(min(1, len(reasons)), f"les déclarations confirment l'écart d'ETP relevé : {french_decimal(gap)} "
                                             "ETP soignants déclarés de plus que constaté en inspection")
    elif check == "contradicted":
        features.append("fte_declaration_check")
        reasons.append(f"les déclarations ne montrent pas l'écart d'ETP relevé par l'inspection (déclaré moins "
                       f"constaté : {french_decimal(gap)} ETP) : à vérifier sur pièces")
    features += list(row["top_features"])
    reasons += list(row["top_reasons"])
    if not reasons:
        reports = row["reports"] or 0
        if reports == 0 and not row["declaration_years"]:
            reasons = ["ni rapport ni déclaration : rien à évaluer"]
        elif establishments < MIN_PEERS:
            reasons = [f"aucune irrégularité relevée dans {reports} rapport(s) ; trop peu d'établissements "
                       f"({establishments}) pour comparer aux pairs"]
        else:
            reasons = [f"aucune irrégularité relevée dans {reports} rapport(s) et aucun indicateur à plus d'un "
                       "écart des pairs"]
        features = ["no_signal"]
    return features[:TOP_REASONS], reasons[:TOP_REASONS]


def _top_reasons(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """The features that contribute most, per establishment (ties broken by the larger raw z)."""
    z = frame.unpivot(index="finess", on=[f"_z_{n}" for n in names], variable_name="feature", value_name="z")
    text = frame.unpivot(index="finess", on=[f"_reason_{n}" for n in names], variable_name="feature",
                         value_name="reason")
    long = (z.with_columns(pl.col("feature").str.strip_prefix("_z_"))
            .join(text.with_columns(pl.col("feature").str.strip_prefix("_reason_")), on=["finess", "feature"])
            .filter(pl.col("z") >= MIN_REASON_Z)
            .sort(["finess", "z", "feature"], descending=[False, True, False]))
    return long.group_by("finess", maintain_order=True).head(TOP_REASONS).group_by("finess", maintain_order=True).agg(
        top_features=pl.col("feature"), top_reasons=pl.col("reason"))
