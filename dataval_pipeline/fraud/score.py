"""Anomaly score of each establishment from its features, and the three reasons an inspector reads.

Each feature is compared with the establishment's peers (same legal status and
capacity band) by a robust z-score: distance to the peer median in units of
the peer MAD (x 1.4826, the normal-consistent scale). Medians and MAD ignore a
few extreme peers, where mean and standard deviation would let one fraudulent
establishment hide another. Too few peers fall back to the legal status, then
to all establishments. Only the risky direction counts, capped so that one
typing error cannot outweigh everything; the score is the Euclidean norm of
these contributions, so one strong signal ranks high and many faint ones add
up slowly.
"""

from __future__ import annotations

import polars as pl

from dataval_pipeline.fraud.features import FEATURES, Feature

MAD_TO_SIGMA = 1.4826
MIN_PEERS = 5  # establishments with a value, below which a group's median and MAD are not trusted
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
    chosen_median = pl.when(counts[0] >= MIN_PEERS).then(medians[0]).when(counts[1] >= MIN_PEERS).then(medians[1])
    chosen_scale = pl.when(counts[0] >= MIN_PEERS).then(scales[0]).when(counts[1] >= MIN_PEERS).then(scales[1])
    return [chosen_median.otherwise(medians[2]).alias(f"_median_{feature}"),
            chosen_scale.otherwise(scales[2]).alias(f"_scale_{feature}")]


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
    """``features`` plus ``anomaly_score``, ``risk_rank`` (1 = most anomalous), ``peer_group``,
    ``scored_features`` and the ``top_features`` / ``top_reasons`` lists (strongest first)."""
    names = [f.name for f in FEATURES]
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
    frame = frame.with_columns(
        anomaly_score=pl.sum_horizontal([pl.col(f"_c_{n}") ** 2 for n in names]).sqrt(),
        scored_features=pl.sum_horizontal([pl.col(n).is_not_null().cast(pl.Int64) for n in names]),
        peer_group=pl.concat_str([pl.col("legal_status").fill_null("unknown status"),
                                  pl.col("capacity_band").fill_null("unknown capacity")], separator=" × "),
    )
    frame = frame.sort(["anomaly_score", "finess"], descending=[True, False]).with_columns(
        risk_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    )
    reasons = _top_reasons(frame, names)
    return (frame.join(reasons, on="finess", how="left")
            .with_columns(pl.col("top_features").fill_null([]), pl.col("top_reasons").fill_null([]))
            .select([c for c in frame.columns if not c.startswith("_")] + ["top_features", "top_reasons"])
            .sort("risk_rank"))


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
