"""Dagster glue of the evaluation: scores of every product and the fraud ranking against gold.jsonl.

Every product it reads is a declared dependency, so the evaluation runs after them and the UI shows it
downstream of all of them.
"""

import datetime as dt

import dagster as dg
import polars as pl

from dataval_pipeline.anonymise.assets import ANONYMISED_CORPUS
from dataval_pipeline.contracts import load_contract
from dataval_pipeline.evaluation.score import confusion_matrix, score_fraud, score_products
from dataval_pipeline.facts.assets import EXTRACTED_FACTS, extracted_facts
from dataval_pipeline.findings.assets import FRAUD_SIGNALS, LLM_QUARANTINE, OUTPUTS
from dataval_pipeline.findings.rows import FINDINGS, MEASURES
from dataval_pipeline.fraud.assets import FRAUD_FEATURES, fraud_features
from dataval_pipeline.fraud.evaluate import evaluate, markdown, planted_from_gold
from dataval_pipeline.gold import labelled_reports
from dataval_pipeline.llm.assets import REPORT_CLASSIFICATIONS, report_classifications
from dataval_pipeline.metadata import markdown_table, product_asset
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.warehouse.store import UNPARTITIONED

EVALUATION = load_contract("evaluation")
# Metrics shown as numbers in the UI (plotted over materialisations): name in the UI -> metric.
HEADLINES = {"finding_recall": "finding_recall", "finding_precision": "finding_precision",
             "theme_micro_f1": "theme_micro_f1", "fact_exact_match": "exact_match_all_facts",
             "deadline_accuracy": "deadline_accuracy", "fraud_precision_at_k": "precision_at_k"}


def confusion_markdown(metrics) -> str:
    """The main-theme confusion as a matrix: one row per gold theme, one column per theme found."""
    labels, cells = confusion_matrix(metrics)
    if not cells:
        return "No matched finding with a gold theme."
    rows = [(gold, *(str(cells.get((gold, found), "")) for found in labels[1])) for gold in labels[0]]
    return markdown_table(["gold \\ found", *labels[1]], rows)


@product_asset(EVALUATION, group="evaluation", kinds={"parquet", "duckdb"},
               code_version="score-3", per_report=False,
               deps=[ANONYMISED_CORPUS.name, *(c.name for c in OUTPUTS), report_classifications, extracted_facts,
                     fraud_features])
def evaluation(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """How well the pipeline reads the reports and finds irregularities: findings precision and recall,
    counts per kind, measures by kind and deadline, finding and report themes, exact match per fact,
    grounding and schema-valid rates, precision at k of the fraud score, scored against the gold labels
    when there are any."""
    paths = warehouse.paths
    if not paths.gold.exists():  # an explained empty result: the product holds no row, the page says why
        warehouse.write_partition(EVALUATION, UNPARTITIONED, [])
        warehouse.publish_views(EVALUATION)
        return dg.MaterializeResult(metadata={
            "dagster/row_count": dg.MetadataValue.int(0), "labelled_reports": dg.MetadataValue.int(0),
            "evaluation": dg.MetadataValue.md("Not scored: no gold labels (reference/gold.jsonl), so the "
                                              "product holds no row.")})
    gold = labelled_reports(paths.gold, "facts")
    texts = {row["report_id"]: row["text"] for row in warehouse.read(ANONYMISED_CORPUS).to_pylist()}
    classifications = warehouse.read(REPORT_CLASSIFICATIONS).to_pylist()
    quarantined = sum(row["product"] == REPORT_CLASSIFICATIONS.name for row in warehouse.read(LLM_QUARANTINE).to_pylist())
    ranked = evaluate(pl.from_arrow(warehouse.read(FRAUD_FEATURES)), planted_from_gold(paths.gold))
    metrics = score_products(
        gold, texts, findings=warehouse.read(FINDINGS).to_pylist(), measures=warehouse.read(MEASURES).to_pylist(),
        facts=warehouse.read(EXTRACTED_FACTS).to_pylist(), classifications=classifications,
        signals=warehouse.read(FRAUD_SIGNALS).to_pylist() if FRAUD_SIGNALS is not None else None,
        quarantined=quarantined,
    ) + score_fraud(ranked)
    models = sorted({row["model"] for row in classifications if row["model"]})
    prompts = sorted({row["prompt_version"] for row in classifications if row["prompt_version"]})
    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"product": m.product, "metric": m.metric, "value": m.value, "matched": m.matched, "total": m.total,
             "gold_label": m.gold_label, "found_label": m.found_label,
             "labelled_reports": len(gold.keys() & texts.keys()), "model": ", ".join(models) or None,
             "prompt_version": ", ".join(prompts) or None, "evaluated_at": now} for m in metrics]
    warehouse.write_partition(EVALUATION, UNPARTITIONED, rows)
    warehouse.publish_views(EVALUATION)

    def table(product: str) -> str:
        return markdown_table(["metric", "value", "matched / total"],
                              [(m.metric, "—" if m.value is None else f"{m.value:.3f}", f"{m.matched} / {m.total}")
                               for m in metrics if m.product == product and m.gold_label is None])

    by_name = {m.metric: m for m in metrics}
    context.log.info(f"evaluation: {len(metrics)} metric(s) over {len(gold.keys() & texts.keys())} labelled report(s)")
    scored = list(dict.fromkeys(m.product for m in metrics if m.product != FRAUD_FEATURES.name))
    return dg.MaterializeResult(
        metadata={
            **{product: dg.MetadataValue.md(table(product)) for product in scored},
            "fraud_features": dg.MetadataValue.md(markdown(ranked)),
            "main_theme_confusion": dg.MetadataValue.md(confusion_markdown(metrics)),
            **{name: dg.MetadataValue.float(by_name[metric].value)
               for name, metric in HEADLINES.items() if metric in by_name and by_name[metric].value is not None},
            "labelled_reports": dg.MetadataValue.int(len(gold.keys() & texts.keys())),
            "model": dg.MetadataValue.text(", ".join(models) or "none"),
        }
    )
