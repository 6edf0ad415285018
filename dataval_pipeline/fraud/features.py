"""Fraud and financial-irregularity features, one row per establishment (FINESS), in DuckDB SQL.

Each feature turns one pattern of the IGAS-IGF, Cour des comptes and ARS
targeting work into a number: what operators declare set against what
inspectors saw, public money left unspent, legal minimums, and the history of
inspections. Features are the establishment's own figures: peer comparisons
(medians, MAD) happen in ``score.py``, except the département price median,
which uses declarations only, so a new report never moves another
establishment's features.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl
import pyarrow as pa

from dataval_pipeline.fraud.norms import capacity_band_sql, legal_minimum_medec_sql
from dataval_pipeline.signals.vocabulary import load_vocabulary

FEATURES_VERSION = "2"
SIGNAL_IDS = load_vocabulary().ids
# Signals whose FTE figure is FTE declared or funded that nobody saw: the text side of the FTE check.
FTE_SIGNALS = ("fte_overdeclared", "phantom_staff")
FTE_CHECK_MIN_GAP = 1.0  # declared minus counted FTE from which the declarations show an over-declaration
SHORT_DEADLINE_DAYS = 30  # an injonction to correct within a month marks a grave breach


@dataclass(frozen=True)
class Feature:
    """A feature and how the score reads it.

    ``direction``: +1 when a high value is the risk, -1 when a low one is. ``scale_floor``: the smallest
    spread that matters, used when peers are (nearly) identical so that a tiny gap is not an extreme
    z-score. ``reason``: the French sentence an inspector reads, with ``{value}`` and ``{peer}`` (the peer
    median), shown as ``value * factor`` rounded to ``decimals``. ``threshold``: where the feature has an
    absolute meaning (a surplus is above 0, a shortfall above 0), the value must also be on the risky side
    of it, so a smaller deficit than the peers' is never read as a surplus.
    """

    name: str
    direction: int
    scale_floor: float
    reason: str
    decimals: int = 1
    factor: float = 1.0
    threshold: float | None = 0.0


FEATURES: tuple[Feature, ...] = (
    Feature("care_fte_gap", +1, 1.0, "déclare {value} ETP soignants de plus que constaté en inspection"),
    Feature("care_budget_findings", +1, 0.25,
            "charges d'autres personnels imputées sur la section soins, relevées dans {value} rapport(s)", 0),
    Feature("places_over_capacity", +1, 1.0, "{value} résident(s) au-delà de la capacité autorisée", 0),
    Feature("declared_occupancy_rate", +1, 0.02, "taux d'occupation déclaré de {value} % (pairs : {peer} %)",
            1, 100, None),
    Feature("care_surplus_rate", +1, 0.01,
            "excédent de la section soins de {value} % du financement (pairs : {peer} %)", 1, 100),
    Feature("public_surplus_min_rate", +1, 0.01,
            "excédent des sections soins et dépendance chaque année, d'au moins {value} % du financement", 1, 100),
    Feature("head_office_fees_per_place", +1, 100.0, "frais de siège de {value} € par place (pairs : {peer} €)", 0,
            threshold=None),
    Feature("external_services_per_place", +1, 100.0,
            "prestations extérieures de {value} € par place (pairs : {peer} €)", 0, threshold=None),
    Feature("injunctions_per_inspection", +1, 0.5, "{value} injonction(s) par inspection (pairs : {peer})"),
    Feature("short_deadline_injunctions", +1, 0.5,
            "{value} injonction(s) à corriger sous 30 jours au plus", 0),
    Feature("repeated_breach_themes", +1, 1.0, "écarts répétés d'une inspection à l'autre sur {value} thème(s)", 0),
    Feature("complaint_incident_share", +1, 0.25,
            "{value} % des inspections déclenchées par une plainte ou un incident", 0, 100),
    Feature("medec_fte_shortfall", +1, 0.1,
            "médecin coordonnateur : {value} ETP sous le minimum légal (D.312-156 CASF)"),
    Feature("night_staff_per_100_residents", -1, 0.5, "{value} agent(s) de nuit pour 100 résidents (pairs : {peer})",
            threshold=None),
    Feature("daily_price_vs_department_median", +1, 0.05,
            "prix de journée {value} % au-dessus de la médiane du département", 0, 100),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)

# Columns read from each input; a missing column reads as unknown (null), so a product still being built
# upstream, or an older major version of it, leaves features null instead of failing.
INPUT_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "establishments": {"finess": pl.String, "name": pl.String, "department_code": pl.String,
                       "legal_status": pl.String, "capacity": pl.Int64},
    "financial_declarations": {
        "finess": pl.String, "year": pl.Int64, "declared_fte_care": pl.Float64, "funding_care": pl.Float64,
        "funding_dependency": pl.Float64, "result_care": pl.Float64, "result_dependency": pl.Float64,
        "occupancy_rate": pl.Float64, "daily_price": pl.Float64, "head_office_fees": pl.Float64,
        "external_services": pl.Float64},
    "extracted_facts": {
        "report_id": pl.String, "finess": pl.String, "establishment_name": pl.String, "inspection_date": pl.Date,
        "trigger": pl.String, "capacity": pl.Int64, "residents_present": pl.Int64, "breaches": pl.Int64,
        "injunctions": pl.Int64, "care_fte": pl.Float64, "medec_fte": pl.Float64, "night_staff": pl.Int64,
        "evidence": pl.String},
    "report_classifications": {"report_id": pl.String, "themes": pl.List(pl.String), "evidence": pl.String},
    "fraud_signals": {"report_id": pl.String, "signal_id": pl.String, "finding_id": pl.String, "signal": pl.String,
                      "amount_eur": pl.Float64, "fte": pl.Float64, "quote": pl.String},
    "measures": {"report_id": pl.String, "kind": pl.String, "deadline_days": pl.Int64},
}
SIGNAL_COUNT_COLUMNS = tuple(f"{sid}_reports" for sid in SIGNAL_IDS)

# Care-section charges booked for other staff, as inspectors word it ("charges … imputées sur la section
# soins"). Matched inside one JSON string; accents left out so escaped and plain JSON both match.
CARE_BUDGET_PATTERN = r'imput[^"]{0,200}section (des )?soins|section (des )?soins[^"]{0,200}imput'

_SIGNAL_COUNTS = "\n".join(f"        count(*) FILTER (WHERE signal = '{sid}') AS {sid}_reports," for sid in SIGNAL_IDS)
_SIGNAL_COLUMNS = "\n".join(f"    CASE WHEN rf.reports > 0 THEN coalesce(sf.{sid}_reports, 0) END AS {sid}_reports,"
                            for sid in SIGNAL_IDS)
_FTE_LIST = "[" + ", ".join(f"'{sid}'" for sid in FTE_SIGNALS) + "]"

FEATURES_SQL = f"""
WITH reports AS (
    -- Reports without a FINESS cannot be attached to an establishment; the caller counts them.
    SELECT f.*, coalesce(e.capacity, f.capacity) AS authorised_capacity,
           coalesce(strftime(f.inspection_date, '%Y-%m-%d'), '0000-00-00') || coalesce(f.report_id, '') AS recency,
           c.themes,
           coalesce(list_contains(c.themes, 'financial')
                    AND regexp_matches(lower(coalesce(c.evidence, '')), '{CARE_BUDGET_PATTERN}'), false)
           OR regexp_matches(lower(coalesce(f.evidence, '')), '{CARE_BUDGET_PATTERN}') AS care_budget_finding
    FROM extracted_facts f
    LEFT JOIN establishments e USING (finess)
    LEFT JOIN report_classifications c USING (report_id)
    WHERE f.finess IS NOT NULL
),
ids AS (
    SELECT finess FROM establishments UNION SELECT finess FROM financial_declarations UNION SELECT finess FROM reports
),
care_gaps AS (
    -- Declared care FTE of the latest year up to the inspection year, against the FTE the inspectors counted.
    SELECT r.finess, d.declared_fte_care - r.care_fte AS gap
    FROM (SELECT * FROM reports WHERE care_fte IS NOT NULL AND inspection_date IS NOT NULL) r
    ASOF JOIN (SELECT finess, year, declared_fte_care FROM financial_declarations
               WHERE declared_fte_care IS NOT NULL) d
      ON r.finess = d.finess AND year(r.inspection_date) >= d.year
),
care_gap_features AS (
    SELECT finess, avg(gap) AS care_fte_gap FROM care_gaps GROUP BY finess
),
theme_repeats AS (
    -- A theme with écarts in two or more inspections: the measures of the first did not fix it.
    SELECT finess, count(*) FILTER (WHERE n >= 2) AS repeated
    FROM (SELECT finess, theme, count(DISTINCT report_id) AS n
          FROM (SELECT finess, report_id, unnest(themes) AS theme FROM reports
                WHERE themes IS NOT NULL AND (breaches IS NULL OR breaches > 0))
          GROUP BY ALL)
    GROUP BY finess
),
report_features AS (
    SELECT finess,
        count(*) AS reports,
        count(*) FILTER (WHERE care_budget_finding) AS care_budget_findings,
        count(themes) AS classified_reports,
        max(inspection_date) AS last_inspection_date,
        arg_max(establishment_name, recency) FILTER (WHERE establishment_name IS NOT NULL) AS reported_name,
        arg_max(capacity, recency) FILTER (WHERE capacity IS NOT NULL) AS reported_capacity,
        CASE WHEN count(residents_present - authorised_capacity) > 0
            THEN greatest(max(residents_present - authorised_capacity), 0) END AS places_over_capacity,
        sum(injunctions) / nullif(count(injunctions), 0) AS injunctions_per_inspection,
        avg(CASE WHEN trigger IN ('complaint', 'incident') THEN 1.0 WHEN trigger IS NOT NULL THEN 0.0 END)
            AS complaint_incident_share,
        arg_max(round(greatest({legal_minimum_medec_sql('authorised_capacity')} - medec_fte, 0), 2), recency)
            FILTER (WHERE medec_fte IS NOT NULL AND authorised_capacity IS NOT NULL) AS medec_fte_shortfall,
        arg_max(100.0 * night_staff / coalesce(residents_present, authorised_capacity), recency)
            FILTER (WHERE night_staff IS NOT NULL AND coalesce(residents_present, authorised_capacity) > 0)
            AS night_staff_per_100_residents
    FROM reports GROUP BY finess
),
latest_declaration AS (
    SELECT d.*, coalesce(e.department_code, substr(d.finess, 1, 2)) AS department
    FROM financial_declarations d LEFT JOIN establishments e USING (finess)
    QUALIFY row_number() OVER (PARTITION BY d.finess ORDER BY d.year DESC) = 1
),
declaration_features AS (
    SELECT finess,
        count(*) AS declaration_years,
        max(occupancy_rate) AS declared_occupancy_rate,
        avg(result_care / nullif(funding_care, 0)) AS care_surplus_rate,
        -- Smallest yearly surplus rate of the two publicly funded sections: positive only when every year
        -- closed in surplus; one year says nothing about persistence.
        CASE WHEN count(funding_care) >= 2 THEN min(
            (coalesce(result_care, 0) + coalesce(result_dependency, 0))
            / nullif(coalesce(funding_care, 0) + coalesce(funding_dependency, 0), 0)) END AS public_surplus_min_rate
    FROM financial_declarations GROUP BY finess
),
department_prices AS (
    SELECT department, median(daily_price) AS median_price FROM latest_declaration GROUP BY department
),
report_signals AS (
    -- One row per (report, signal): the figures and the quote of its richest row (largest amount, then FTE).
    SELECT r.finess, s.report_id, s.signal, r.inspection_date,
        max(s.amount_eur) AS amount_eur, max(s.fte) AS fte,
        arg_max(s.quote, coalesce(s.amount_eur, 0) * 1e6 + coalesce(s.fte, 0)) AS quote,
        arg_max(s.finding_id, coalesce(s.amount_eur, 0) * 1e6 + coalesce(s.fte, 0)) AS finding_id
    FROM fraud_signals s JOIN reports r USING (report_id)
    WHERE s.signal IS NOT NULL
    GROUP BY ALL
),
signal_evidence AS (
    -- Per establishment and signal: reports stating it, its largest figures, the quote of the latest report.
    SELECT finess, signal, count(*) AS reports, max(amount_eur) AS amount_eur, max(fte) AS fte,
        arg_max(quote, coalesce(strftime(inspection_date, '%Y-%m-%d'), '') || report_id) AS quote,
        arg_max(finding_id, coalesce(strftime(inspection_date, '%Y-%m-%d'), '') || report_id) AS finding_id,
        max(inspection_date) AS inspection_date
    FROM report_signals GROUP BY finess, signal
),
signal_features AS (
    SELECT finess,
{_SIGNAL_COUNTS}
        list(signal ORDER BY signal) AS stated_signals,
        sum(amount_eur) AS stated_amount_eur,
        max(fte) FILTER (WHERE signal IN {tuple(FTE_SIGNALS)}) AS stated_fte_gap,
        max(inspection_date) AS last_signal_date,
        count(*) FILTER (WHERE reports >= 2) AS repeated_signals,
        list({{'signal': signal, 'reports': reports, 'amount_eur': amount_eur, 'fte': fte, 'quote': quote,
               'finding_id': finding_id, 'inspection_date': inspection_date}}) AS signal_evidence
    FROM signal_evidence GROUP BY finess
),
signal_reports AS (
    SELECT finess, count(DISTINCT report_id) AS signal_reports FROM report_signals GROUP BY finess
),
measure_features AS (
    SELECT r.finess, count(*) FILTER (WHERE m.kind = 'injonction' AND m.deadline_days <= {SHORT_DEADLINE_DAYS})
        AS short_deadline_injunctions
    FROM measures m JOIN reports r USING (report_id) GROUP BY r.finess
)
SELECT
    ids.finess,
    coalesce(e.name, rf.reported_name) AS establishment_name,
    coalesce(e.department_code, substr(ids.finess, 1, 2)) AS department_code,
    e.legal_status,
    coalesce(e.capacity, rf.reported_capacity) AS capacity,
    {capacity_band_sql('coalesce(e.capacity, rf.reported_capacity)')} AS capacity_band,
    e.finess IS NOT NULL AS in_register,
    coalesce(rf.reports, 0) AS reports,
    rf.last_inspection_date,
    coalesce(df.declaration_years, 0) AS declaration_years,
    cg.care_fte_gap,
    rf.care_budget_findings::DOUBLE AS care_budget_findings,
    rf.places_over_capacity::DOUBLE AS places_over_capacity,
    df.declared_occupancy_rate,
    df.care_surplus_rate,
    df.public_surplus_min_rate,
    ld.head_office_fees / nullif(coalesce(e.capacity, rf.reported_capacity), 0) AS head_office_fees_per_place,
    ld.external_services / nullif(coalesce(e.capacity, rf.reported_capacity), 0) AS external_services_per_place,
    rf.injunctions_per_inspection::DOUBLE AS injunctions_per_inspection,
    CASE WHEN rf.classified_reports > 0 THEN coalesce(tr.repeated, 0) END::DOUBLE AS repeated_breach_themes,
    rf.complaint_incident_share::DOUBLE AS complaint_incident_share,
    rf.medec_fte_shortfall::DOUBLE AS medec_fte_shortfall,
    rf.night_staff_per_100_residents::DOUBLE AS night_staff_per_100_residents,
    ld.daily_price / nullif(dp.median_price, 0) - 1 AS daily_price_vs_department_median,
    -- Null when no measure of its reports was read (unknown, or none at all: neither is a risk).
    mf.short_deadline_injunctions::DOUBLE AS short_deadline_injunctions,
{_SIGNAL_COLUMNS}
    coalesce(sf.stated_signals, []::VARCHAR[]) AS stated_signals,
    CASE WHEN rf.reports > 0 THEN coalesce(sr.signal_reports, 0) END AS signal_reports,
    sf.stated_amount_eur,
    sf.stated_fte_gap,
    sf.last_signal_date,
    CASE WHEN rf.reports > 0 THEN coalesce(sf.repeated_signals, 0) END AS repeated_signals,
    CASE
        WHEN sf.stated_fte_gap IS NOT NULL OR list_has_any(sf.stated_signals, {_FTE_LIST}) THEN
            CASE WHEN cg.care_fte_gap >= {FTE_CHECK_MIN_GAP} THEN 'confirmed'
                 WHEN cg.care_fte_gap IS NOT NULL THEN 'contradicted'
                 ELSE 'text_only' END
        WHEN cg.care_fte_gap >= {FTE_CHECK_MIN_GAP} THEN 'declarations_only'
    END AS fte_declaration_check,
    sf.signal_evidence AS _signal_evidence
FROM ids
LEFT JOIN establishments e USING (finess)
LEFT JOIN report_features rf USING (finess)
LEFT JOIN care_gap_features cg USING (finess)
LEFT JOIN theme_repeats tr USING (finess)
LEFT JOIN declaration_features df USING (finess)
LEFT JOIN latest_declaration ld USING (finess)
LEFT JOIN department_prices dp ON dp.department = ld.department
LEFT JOIN signal_features sf USING (finess)
LEFT JOIN signal_reports sr USING (finess)
LEFT JOIN measure_features mf USING (finess)
ORDER BY ids.finess
"""


def conform_input(table: pa.Table | pl.DataFrame | None, name: str) -> pl.DataFrame:
    """The columns the features read, typed; absent columns (or an absent product) read as null."""
    schema = INPUT_SCHEMAS[name]
    if table is None:
        return pl.DataFrame(schema=schema)
    frame = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    if isinstance(frame, pl.Series):
        frame = frame.to_frame()
    return frame.select([
        (pl.col(column).cast(dtype) if column in frame.columns else pl.lit(None, dtype=dtype)).alias(column)
        for column, dtype in schema.items()
    ])


def compute_features(
    establishments: pa.Table | pl.DataFrame | None,
    financial_declarations: pa.Table | pl.DataFrame | None,
    extracted_facts: pa.Table | pl.DataFrame | None,
    report_classifications: pa.Table | pl.DataFrame | None,
    fraud_signals: pa.Table | pl.DataFrame | None = None,
    measures: pa.Table | pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per FINESS seen in any input: an establishment known from only one source keeps its row,
    with the features the others would have given left null. ``_signal_evidence`` (for the reasons of
    ``score``) lists per stated signal its reports, largest figures and latest quote."""
    inputs = {
        "establishments": conform_input(establishments, "establishments").unique("finess", keep="first",
                                                                                 maintain_order=True),
        "financial_declarations": conform_input(financial_declarations, "financial_declarations"),
        "extracted_facts": conform_input(extracted_facts, "extracted_facts"),
        "report_classifications": conform_input(report_classifications, "report_classifications"),
        "fraud_signals": conform_input(fraud_signals, "fraud_signals"),
        "measures": conform_input(measures, "measures"),
    }
    con = duckdb.connect()
    try:
        for name, frame in inputs.items():
            con.register(name, frame.to_arrow())
        return con.sql(FEATURES_SQL).pl()
    finally:
        con.close()


def reports_without_finess(extracted_facts: pa.Table | pl.DataFrame | None) -> int:
    """Reports whose FINESS could not be read: counted, since no establishment row can carry them."""
    return conform_input(extracted_facts, "extracted_facts")["finess"].null_count()
