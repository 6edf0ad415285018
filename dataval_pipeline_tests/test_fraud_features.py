"""Fraud features on a generated corpus with planted irregularities: ranks, reasons, isolation, gaps, the asset.

Inputs are built from the gold facts and themes of the corpus (the names of
extracted_facts and report_classifications), so no LLM is needed.
"""

import datetime as dt
import json
import math
import shutil

import dagster as dg
import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.contracts.checks import contract_checks
from dataval_pipeline.fraud import norms
from dataval_pipeline.fraud.assets import FRAUD_FEATURES, WATCHLIST_VIEW, fraud_features
from dataval_pipeline.fraud.evaluate import evaluate, planted_from_gold
from dataval_pipeline.fraud.features import FEATURE_NAMES, compute_features
from dataval_pipeline.fraud.score import score
from dataval_pipeline.identifiers import finess_with_check_digit
from dataval_pipeline.reference.assets import establishments, financial_declarations
from dataval_pipeline.reference.declarations import read_declarations
from dataval_pipeline.reference.finess import read_register
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.sample import generate_sample
from dataval_pipeline.sample import generator
from dataval_pipeline.signals.vocabulary import load_vocabulary
from dataval_pipeline.warehouse.store import UNPARTITIONED

CARE_BUDGET_QUOTE = ("Des charges de personnel relevant de la section hébergement sont imputées sur la section soins "
                     "financée par l'assurance maladie")


def facts_rows(gold: list[dict]) -> list[dict]:
    return [{**{k: v for k, v in g["facts"].items() if k != "measures"}, "report_id": g["report_id"],
             "inspection_date": dt.date.fromisoformat(g["facts"]["inspection_date"]),
             "measures": json.dumps(g["facts"]["measures"], ensure_ascii=False), "evidence": "[]"} for g in gold]


def classification_rows(gold: list[dict]) -> list[dict]:
    return [{"report_id": g["report_id"], "themes": g["themes"], "primary_theme": g["primary_theme"],
             "severity": "medium", "evidence": "[]"} for g in gold]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """21 short reports over 15 establishments, 3 of them planted (one of each kind), and 2 without reports."""
    out = tmp_path_factory.mktemp("fraud_corpus")
    summary = generate_sample(out, reports=21, seed=101, with_bad_files=False, max_pages=1)
    gold = [json.loads(line) for line in summary.gold_path.read_text(encoding="utf-8").splitlines()]
    return {
        "summary": summary,
        "gold": gold,
        "establishments": read_register(summary.reference_dir).frame,
        "financial_declarations": read_declarations(summary.reference_dir).frame,
        "extracted_facts": pl.DataFrame(facts_rows(gold)),
        "report_classifications": pl.DataFrame(classification_rows(gold)),
    }


def features_of(corpus: dict, **overrides) -> pl.DataFrame:
    names = ("establishments", "financial_declarations", "extracted_facts", "report_classifications")
    return compute_features(**{name: overrides.get(name, corpus[name]) for name in names},
                            fraud_signals=overrides.get("fraud_signals"), measures=overrides.get("measures"))


def test_planted_establishments_rank_high_and_their_top_reason_names_the_irregularity(corpus):
    scored = score(features_of(corpus))
    planted = planted_from_gold(corpus["summary"].gold_path)
    # Each planted establishment carries one irregularity of the declarations, possibly with text-only ones.
    assert sorted(k for kinds in planted.values() for k in kinds if k in generator.PLANTED_KINDS) == \
        sorted(generator.PLANTED_KINDS)
    result = evaluate(scored, planted)
    report = [(r.finess, r.planted, r.rank, r.top_feature) for r in result.ranks]
    print(f"precision@{result.k} = {result.precision_at_k:.2f}; ranks: {report}")
    assert result.k == 3
    assert all(r.rank is not None and r.rank <= result.k + 2 for r in result.ranks), report
    assert all(r.explained for r in result.ranks), report
    assert result.precision_at_k >= 2 / 3


def test_reasons_are_french_sentences_with_the_figures(corpus):
    scored = score(features_of(corpus))
    planted = planted_from_gold(corpus["summary"].gold_path)
    by_kind = {k: finess for finess, kinds in planted.items() for k in kinds if k in generator.PLANTED_KINDS}
    rows = {r["finess"]: r for r in scored.iter_rows(named=True)}
    over_declared = rows[by_kind["fte_overdeclared"]]
    assert over_declared["care_fte_gap"] == pytest.approx(9.1)
    assert over_declared["top_reasons"][0] == "déclare 9,1 ETP soignants de plus que constaté en inspection"
    over_capacity = rows[by_kind["over_capacity"]]
    assert over_capacity["places_over_capacity"] >= 6
    assert "au-delà de la capacité autorisée" in " ".join(over_capacity["top_reasons"])
    misuse = rows[by_kind["care_budget_misuse"]]
    assert misuse["care_surplus_rate"] > 0.05 and misuse["public_surplus_min_rate"] > 0
    assert misuse["top_reasons"][0].startswith("excédent de la section soins de ")
    assert all(1 <= len(r["top_reasons"]) <= 3 for r in (over_declared, over_capacity, misuse))
    assert scored["risk_rank"].to_list() == list(range(1, scored.height + 1))
    assert scored["anomaly_score"].is_sorted(descending=True)


def test_a_new_report_changes_only_its_own_establishments_features(corpus):
    before = features_of(corpus)
    # An establishment without irregularity whose inspections all came from the programme: the new report
    # (after a complaint) changes its complaint share.
    target = next(g for g in corpus["gold"] if not g["planted"] and all(
        h["facts"]["trigger"] == "programme" for h in corpus["gold"] if h["facts"]["finess"] == g["facts"]["finess"]))
    finess = target["facts"]["finess"]
    new = json.loads(json.dumps(target))
    new["report_id"] = "f" * 16
    new["facts"].update(inspection_date="2025-12-01", trigger="complaint", injunctions=3, breaches=4,
                        care_fte=new["facts"]["care_fte"] - 5, residents_present=new["facts"]["capacity"] + 3,
                        night_staff=1, medec_fte=0.1)
    new["themes"] = ["staffing", "financial"]
    after = features_of(
        corpus,
        extracted_facts=pl.concat([corpus["extracted_facts"], pl.DataFrame(facts_rows([new]))], how="vertical_relaxed"),
        report_classifications=pl.concat([corpus["report_classifications"], pl.DataFrame(classification_rows([new]))],
                                         how="vertical_relaxed"),
    )
    assert before["finess"].to_list() == after["finess"].to_list()
    others_before = before.filter(pl.col("finess") != finess)
    others_after = after.filter(pl.col("finess") != finess)
    assert others_before.equals(others_after)
    own_before = before.filter(pl.col("finess") == finess).row(0, named=True)
    own_after = after.filter(pl.col("finess") == finess).row(0, named=True)
    assert own_after["reports"] == own_before["reports"] + 1
    changed = {name for name in FEATURE_NAMES if own_before[name] != own_after[name]}
    assert {"places_over_capacity", "injunctions_per_inspection", "complaint_incident_share", "care_fte_gap",
            "medec_fte_shortfall", "night_staff_per_100_residents"} <= changed
    # Scores may move for others only through the peer statistics; the new report's establishment rises.
    rank = lambda frame: score(frame).filter(pl.col("finess") == finess)["risk_rank"].item()  # noqa: E731
    assert rank(after) < rank(before)


def test_one_source_only_still_gives_a_row_with_nulls(corpus):
    facts, declarations = corpus["extracted_facts"], corpus["financial_declarations"]
    with_reports = facts["finess"].unique().sort().to_list()
    no_declaration = with_reports[0]
    declared_only = sorted(set(declarations["finess"]) - set(with_reports))
    assert declared_only, "the generator writes establishments without reports"
    unknown = finess_with_check_digit("01234567")  # a report for an establishment in no reference
    stray = facts.filter(pl.col("finess") == no_declaration).head(1).with_columns(
        finess=pl.lit(unknown), report_id=pl.lit("e" * 16), establishment_name=pl.lit("EHPAD Inconnu"))
    features = features_of(
        corpus,
        financial_declarations=declarations.filter(pl.col("finess") != no_declaration),
        extracted_facts=pl.concat([facts, stray]),
    )
    scored = score(features)
    rows = {r["finess"]: r for r in scored.iter_rows(named=True)}
    assert set(rows) == set(with_reports) | set(declarations["finess"]) | {unknown}
    reported = rows[no_declaration]
    assert reported["declaration_years"] == 0 and reported["reports"] > 0
    assert reported["care_fte_gap"] is None and reported["care_surplus_rate"] is None
    assert reported["injunctions_per_inspection"] is not None
    for finess in declared_only:
        row = rows[finess]
        assert row["reports"] == 0 and row["last_inspection_date"] is None
        assert row["care_fte_gap"] is None and row["places_over_capacity"] is None
        assert row["care_surplus_rate"] is not None and row["anomaly_score"] is not None
    stranger = rows[unknown]
    assert not stranger["in_register"] and stranger["establishment_name"] == "EHPAD Inconnu"
    assert stranger["department_code"] == "01" and stranger["legal_status"] is None
    assert stranger["anomaly_score"] is not None and stranger["peer_group"].startswith("unknown status × ")


def test_absent_inputs_give_null_features_not_a_failure(corpus):
    only_reports = score(compute_features(None, None, corpus["extracted_facts"], None))
    assert only_reports.height == corpus["extracted_facts"]["finess"].n_unique()
    assert only_reports["care_surplus_rate"].null_count() == only_reports.height
    only_reference = score(compute_features(corpus["establishments"], corpus["financial_declarations"], None, None))
    assert only_reference.height == corpus["establishments"].height
    assert only_reference["reports"].to_list() == [0] * only_reference.height
    assert score(compute_features(None, None, None, None)).is_empty()
    unknown_counts = corpus["extracted_facts"].with_columns(residents_present=pl.lit(None, dtype=pl.Int64),
                                                             night_staff=pl.lit(None, dtype=pl.Int64))
    features = compute_features(None, None, unknown_counts, None)
    assert features["places_over_capacity"].null_count() == features.height  # unknown, not "0 over capacity"
    assert features["night_staff_per_100_residents"].null_count() == features.height


def test_care_budget_findings_read_the_evidence(corpus):
    facts = corpus["extracted_facts"].unique("finess", keep="first", maintain_order=True).head(3)
    first, second, third = facts["report_id"].to_list()
    quote = json.dumps([{"theme": "financial", "quote": CARE_BUDGET_QUOTE}], ensure_ascii=False)
    classifications = pl.DataFrame([
        {"report_id": first, "themes": ["financial", "staffing"], "evidence": quote},
        {"report_id": second, "themes": ["staffing"], "evidence": quote},  # the quote, not classified financial
        {"report_id": third, "themes": ["financial"], "evidence": "[]"},  # financial, other findings
    ])
    features = compute_features(None, None, facts, classifications)
    found = dict(features.select("finess", "care_budget_findings").iter_rows())
    assert [found[f] for f in facts["finess"]] == [1.0, 0.0, 0.0]
    # The facts' own quotes count too, with or without a classification, JSON-escaped accents included.
    escaped = facts.head(1).with_columns(evidence=pl.lit(json.dumps([{"field": "x", "quote": CARE_BUDGET_QUOTE}])))
    assert compute_features(None, None, escaped, None)["care_budget_findings"].to_list() == [1.0]


def test_medec_norm_is_one_rule_for_the_generator_and_the_features():
    assert generator.legal_minimum_medec_fte is norms.legal_minimum_medec_fte
    capacities = [1, 59, 60, 99, 100, 199, 200, 400]
    assert [norms.legal_minimum_medec_fte(c) for c in capacities] == [0.4, 0.4, 0.6, 0.6, 0.8, 0.8, 1.0, 1.0]
    sql = duckdb.sql(f"SELECT {norms.legal_minimum_medec_sql('c')} AS m, {norms.capacity_band_sql('c')} AS b "
                     f"FROM unnest({capacities}) AS t(c)").fetchall()
    assert [m for m, _ in sql] == [norms.legal_minimum_medec_fte(c) for c in capacities]
    assert [b for _, b in sql] == [norms.capacity_band(c) for c in capacities]


def test_peer_statistics_are_robust_to_one_extreme_peer():
    base = {"legal_status": "public", "capacity_band": "60-99", "head_office_fees_per_place": 1000.0}
    rows = [{**base, "finess": f"{i:09d}", "head_office_fees_per_place": 1000.0 + 20 * i} for i in range(8)]
    rows.append({**base, "finess": "900000000", "head_office_fees_per_place": 100_000.0})  # a typing error
    rows.append({**base, "finess": "900000001", "head_office_fees_per_place": 1900.0})  # the real outlier
    frame = pl.DataFrame(rows).with_columns([pl.lit(None, dtype=pl.Float64).alias(n) for n in FEATURE_NAMES
                                             if n != "head_office_fees_per_place"])
    scored = {r["finess"]: r for r in score(frame).iter_rows(named=True)}
    assert scored["900000001"]["top_features"] == ["head_office_fees_per_place"]
    bound = load_vocabulary().score["peer_bound"]
    peer_score = lambda z: bound * (1 - math.exp(-z / bound))  # noqa: E731
    assert scored["900000001"]["peer_score"] > peer_score(5)  # a mean and standard deviation would have hidden it
    assert scored["900000000"]["peer_score"] == pytest.approx(peer_score(10))  # capped


def test_fraud_features_asset_writes_the_product_the_watchlist_and_the_evaluation(home, corpus):
    summary = corpus["summary"]
    shutil.copytree(summary.reference_dir, home.reference)
    shutil.copyfile(summary.gold_path, home.gold)
    warehouse = WarehouseResource(home=str(home.home))
    facts_contract = load_contract("extracted_facts")
    for row in facts_rows(corpus["gold"]):
        warehouse.write_partition(facts_contract, row["report_id"], [row])
    for row in classification_rows(corpus["gold"]):
        warehouse.write_partition(load_contract("report_classifications"), row["report_id"], [row])
    assets = [establishments, financial_declarations, fraud_features]
    with dg.instance_for_test() as instance:
        result = dg.materialize([*assets, *contract_checks(fraud_features, FRAUD_FEATURES)], instance=instance,
                                resources={"warehouse": warehouse})
    assert result.success
    blocking = [e for e in result.get_asset_check_evaluations() if e.check_name == "contract"]
    assert [e.passed for e in blocking] == [True], blocking[0].metadata["result"].value
    metadata = result.asset_materializations_for_node("fraud_features")[0].metadata
    assert metadata["dagster/row_count"].value == summary.establishments
    assert metadata["precision_at_k"].value >= 2 / 3
    assert "| FINESS | planted | rank |" in metadata["evaluation"].value
    assert "déclare 9,1 ETP soignants" in metadata["top_establishments"].value
    assert metadata["establishments_without_reports"].value == 2

    path = home.warehouse / "fraud_features" / "v1" / f"part-{UNPARTITIONED}.parquet"
    assert pq.read_schema(path).remove_metadata() == FRAUD_FEATURES.arrow_schema()
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        ranks = [r[0] for r in con.execute(f"SELECT risk_rank FROM {WATCHLIST_VIEW}").fetchall()]
        top = con.execute(f"SELECT finess, top_reasons FROM {WATCHLIST_VIEW} LIMIT 3").fetchall()
    finally:
        con.close()
    assert ranks == list(range(1, summary.establishments + 1))
    planted = planted_from_gold(summary.gold_path)
    assert len({finess for finess, _ in top} & set(planted)) >= 2
    assert all(reasons for _, reasons in top)


# -- signals stated in the reports ---------------------------------------------------------------------------

def _facts(finess: str, report_id: str, **values) -> dict:
    return {"report_id": report_id, "finess": finess, "inspection_date": dt.date(2024, 3, 12), "trigger": "programme",
            "capacity": 80, "residents_present": 78, "breaches": 2, "injunctions": 0, "care_fte": 30.0,
            "medec_fte": 0.6, "night_staff": 2, "evidence": "[]", **values}


def _signal(report_id: str, signal: str, signal_id: str = "S1", finding_id: str | None = "E1", amount=None, fte=None,
            quote: str = "Des charges relevant de la section hébergement ont été imputées sur la section soins.") -> dict:
    return {"report_id": report_id, "signal_id": signal_id, "finding_id": finding_id, "signal": signal,
            "amount_eur": amount, "fte": fte, "quote": quote}


def _declaration(finess: str, year: int, declared_fte_care: float) -> dict:
    return {"finess": finess, "year": year, "declared_fte_care": declared_fte_care, "funding_care": 1_000_000.0,
            "funding_dependency": 400_000.0, "result_care": 0.0, "result_dependency": 0.0, "occupancy_rate": 0.95,
            "daily_price": 70.0, "head_office_fees": 80_000.0, "external_services": 150_000.0}


FTE_QUOTE = "L'ERRD déclare 36 ETP soignants alors que les plannings n'en font apparaître que 30, soit un écart de 6 ETP."


def test_reference_data_that_confirms_or_contradicts_a_report():
    confirmed, contradicted = finess_with_check_digit("75000001"), finess_with_check_digit("75000002")
    facts = pl.DataFrame([_facts(confirmed, "a" * 16), _facts(contradicted, "b" * 16)])
    signals = pl.DataFrame([_signal("a" * 16, "fte_overdeclared", fte=6.0, quote=FTE_QUOTE),
                            _signal("b" * 16, "fte_overdeclared", fte=6.0, quote=FTE_QUOTE)])
    # The declarations of the first show the 6 FTE the inspectors wrote about; those of the second do not.
    declarations = pl.DataFrame([_declaration(confirmed, 2023, 36.0), _declaration(contradicted, 2023, 30.2)])
    scored = score(compute_features(None, declarations, facts, None, signals, None))
    rows = {r["finess"]: r for r in scored.iter_rows(named=True)}
    assert rows[confirmed]["fte_declaration_check"] == "confirmed"
    assert rows[contradicted]["fte_declaration_check"] == "contradicted"
    weights, bonus = load_vocabulary().weights, load_vocabulary().score["confirmed_bonus"]
    assert rows[confirmed]["signal_score"] == weights["fte_overdeclared"] + bonus
    assert rows[contradicted]["signal_score"] == weights["fte_overdeclared"]
    assert rows[confirmed]["risk_rank"] < rows[contradicted]["risk_rank"]
    assert any("confirment l'écart d'ETP" in r for r in rows[confirmed]["top_reasons"])
    assert any("ne montrent pas l'écart d'ETP" in r and "0,2 ETP" in r for r in rows[contradicted]["top_reasons"])
    first = rows[confirmed]["top_reasons"][0]
    assert first.startswith("ETP déclarés ou financés supérieurs aux ETP constatés — E1, rapport du 12/03/2024")
    assert "soit un écart de 6 ETP" in first and first.endswith("(6 ETP)")


def test_signals_without_declarations_and_declarations_without_reports_keep_their_rows():
    reported, declared = finess_with_check_digit("13000001"), finess_with_check_digit("13000002")
    facts = pl.DataFrame([_facts(reported, "c" * 16)])
    signals = pl.DataFrame([_signal("c" * 16, "fte_overdeclared", fte=4.0, quote=FTE_QUOTE),
                            _signal("c" * 16, "prosecutor_referral", "S2", None,
                                    quote="Les faits ont été portés à la connaissance du procureur de la République.")])
    declarations = pl.DataFrame([_declaration(declared, 2023, 40.0), _declaration(declared, 2024, 41.0)])
    features = compute_features(None, declarations, facts, None, signals, None)
    rows = {r["finess"]: r for r in features.iter_rows(named=True)}
    assert set(rows) == {reported, declared}
    text_only = rows[reported]
    assert text_only["fte_declaration_check"] == "text_only" and text_only["declaration_years"] == 0
    assert text_only["fte_overdeclared_reports"] == 1 and text_only["prosecutor_referral_reports"] == 1
    assert text_only["care_budget_misuse_reports"] == 0 and text_only["signal_reports"] == 1
    assert sorted(text_only["stated_signals"]) == ["fte_overdeclared", "prosecutor_referral"]
    assert text_only["stated_fte_gap"] == 4.0 and text_only["last_signal_date"] == dt.date(2024, 3, 12)
    no_report = rows[declared]
    assert no_report["reports"] == 0 and no_report["stated_signals"] == []
    assert no_report["fte_overdeclared_reports"] is None and no_report["signal_reports"] is None
    assert no_report["fte_declaration_check"] is None and no_report["short_deadline_injunctions"] is None
    scored = score(features)
    assert scored["finess"].to_list() == [reported, declared]
    assert all(scored["top_reasons"].list.len() >= 1)


def test_a_watchlist_of_one_establishment_has_a_score_and_a_reason():
    only = finess_with_check_digit("69000001")
    facts = pl.DataFrame([_facts(only, "d" * 16)])
    alone = score(compute_features(None, None, facts, None, None, None))
    assert alone.height == 1 and alone["risk_rank"].to_list() == [1]
    assert alone["anomaly_score"].to_list() == [0.0]
    assert alone["top_reasons"].to_list() == [["aucune irrégularité relevée dans 1 rapport(s) ; trop peu "
                                               "d'établissements (1) pour comparer aux pairs"]]
    signals = pl.DataFrame([_signal("d" * 16, "care_budget_misuse", amount=180_000.0)])
    stated = score(compute_features(None, None, facts, None, signals, None)).row(0, named=True)
    assert stated["anomaly_score"] == load_vocabulary().weights["care_budget_misuse"]
    assert stated["top_features"] == ["care_budget_misuse_reports"]
    assert stated["top_reasons"][0] == (
        "Charges d'une autre section imputées sur les budgets soins ou dépendance — E1, rapport du 12/03/2024 : "
        "« Des charges relevant de la section hébergement ont été imputées sur la section soins. » (180 000 €)")


def test_a_stated_irregularity_outranks_any_peer_anomaly_and_repetition_adds_weight():
    rows, signals, measures = [], [], []
    for i in range(8):
        rows.append(_facts(finess_with_check_digit(f"3300000{i}"), f"{i:016x}"))
    # An establishment far from its peers on every report feature, but no irregularity stated.
    rows[0].update(injunctions=6, trigger="complaint", medec_fte=0.1, night_staff=1, residents_present=90)
    measures += [{"report_id": rows[0]["report_id"], "kind": "injonction", "deadline_days": 7}] * 4
    measures += [{"report_id": r["report_id"], "kind": "prescription", "deadline_days": 180} for r in rows[1:]]
    # The lightest signal, once; and the same signal in two inspections of another establishment.
    signals.append(_signal(rows[1]["report_id"], "resident_overcharging", quote="Un forfait est facturé en sus du tarif."))
    repeated = rows[2]["finess"]
    rows.append(_facts(repeated, "f" * 16, inspection_date=dt.date(2025, 5, 2)))
    for report_id in (rows[2]["report_id"], "f" * 16):
        signals.append(_signal(report_id, "resident_overcharging", quote="Un forfait est facturé en sus du tarif."))
    features = compute_features(None, None, pl.DataFrame(rows), None, pl.DataFrame(signals), pl.DataFrame(measures))
    scored = {r["finess"]: r for r in score(features).iter_rows(named=True)}
    anomalous, once = scored[rows[0]["finess"]], scored[rows[1]["finess"]]
    weight = load_vocabulary().weights["resident_overcharging"]
    assert anomalous["peer_score"] > 5 and anomalous["signal_score"] == 0
    assert anomalous["short_deadline_injunctions"] == 4
    assert once["risk_rank"] < anomalous["risk_rank"] and once["signal_score"] == weight
    assert scored[repeated]["signal_score"] == weight * 1.5 and scored[repeated]["repeated_signals"] == 1
    assert scored[repeated]["risk_rank"] == 1
    assert scored[repeated]["top_reasons"][0].endswith("relevé dans 2 rapports")
    assert "injonction(s) à corriger sous 30 jours" in " ".join(anomalous["top_reasons"])


def test_signals_read_from_the_generated_reports_put_the_planted_ones_first(corpus):
    from dataval_pipeline.analyse import read_document
    from dataval_pipeline.anonymise.engine import get_anonymiser
    from dataval_pipeline.findings.read import read_report
    from dataval_pipeline.signals import signal_rows, tag_signals

    engine, reports = get_anonymiser(), {}
    for record in corpus["gold"]:
        rid, text = read_document(corpus["summary"].pdf_dir / record["file"])
        anonymised = engine.anonymise(text).text
        reports[rid] = (anonymised, read_report(anonymised))
    tagged = tag_signals(reports, None)
    signals = pl.DataFrame([row for rid, r in tagged.items() for row in signal_rows(rid, r, dt.datetime.now())])
    planted = planted_from_gold(corpus["summary"].gold_path)
    finess_of = {g["report_id"]: g["facts"]["finess"] for g in corpus["gold"]}
    stated = {finess_of[rid] for rid in signals["report_id"].to_list()}
    assert stated <= set(planted), "no signal on an establishment without a planted irregularity"
    scored = score(features_of(corpus, fraud_signals=signals))
    result = evaluate(scored, planted)
    assert result.precision_at_k >= 2 / 3 and all(r.explained for r in result.ranks)
    rows = {r["finess"]: r for r in scored.iter_rows(named=True)}
    misuse = next(f for f, kinds in planted.items() if "care_budget_misuse" in kinds)
    assert rows[misuse]["top_features"][0] == "care_budget_misuse_reports"
    assert rows[misuse]["top_reasons"][0].startswith(load_vocabulary().get("care_budget_misuse").label + " — ")
