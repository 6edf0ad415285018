"""The code location: assembles assets, checks, sensors, schedules and resources; no logic lives here."""

import dagster as dg

from dataval_pipeline.anonymise.assets import (
    ANONYMISATION_QUALITY,
    ANONYMISED_CORPUS,
    anonymisation_quality,
    anonymised_corpus,
)
from dataval_pipeline.automation import automation_sensor, daily_products_schedule
from dataval_pipeline.contracts.checks import contract_checks
from dataval_pipeline.evaluation.assets import EVALUATION, evaluation
from dataval_pipeline.facts.assets import EXTRACTED_FACTS, extracted_facts
from dataval_pipeline.findings.assets import OUTPUTS as FINDINGS_OUTPUTS
from dataval_pipeline.findings.assets import read_findings_asset
from dataval_pipeline.fraud.assets import FRAUD_FEATURES, fraud_features
from dataval_pipeline.ingest.assets import RAW_REPORTS, raw_reports
from dataval_pipeline.ingest.sensors import build_inbox_sensor
from dataval_pipeline.llm.assets import REPORT_CLASSIFICATIONS, report_classifications
from dataval_pipeline.reference.assets import (
    ESTABLISHMENTS,
    FINANCIAL_DECLARATIONS,
    REFERENCE_REJECTS,
    establishments,
    financial_declarations,
    reference_rejects,
)
from dataval_pipeline.resources import configured_resources

# Each asset with the contract of each product it writes (a multi-asset writes several).
PRODUCTS = {
    raw_reports: [RAW_REPORTS],
    anonymised_corpus: [ANONYMISED_CORPUS],
    anonymisation_quality: [ANONYMISATION_QUALITY],
    read_findings_asset: FINDINGS_OUTPUTS,  # findings, measures, fraud_signals, llm_quarantine
    report_classifications: [REPORT_CLASSIFICATIONS],
    extracted_facts: [EXTRACTED_FACTS],
    establishments: [ESTABLISHMENTS],
    financial_declarations: [FINANCIAL_DECLARATIONS],
    reference_rejects: [REFERENCE_REJECTS],
    fraud_features: [FRAUD_FEATURES],
    evaluation: [EVALUATION],
}
PER_REPORT = [asset for asset in PRODUCTS if asset.partitions_def is not None]
ALL_REPORTS = [asset for asset in PRODUCTS if asset.partitions_def is None]

defs = dg.Definitions(
    assets=list(PRODUCTS),
    asset_checks=[check for asset, contracts in PRODUCTS.items() for contract in contracts
                  for check in contract_checks(asset, contract)],
    sensors=[build_inbox_sensor(PER_REPORT), automation_sensor()],
    schedules=[daily_products_schedule(ALL_REPORTS)],
    resources=configured_resources(),
)
