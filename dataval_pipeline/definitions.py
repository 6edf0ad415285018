"""The code location: assembles assets, sensors and resources; no logic lives here."""

import dagster as dg

from dataval_pipeline.anonymise.assets import (
    ANONYMISATION_QUALITY,
    ANONYMISED_CORPUS,
    anonymisation_quality,
    anonymised_corpus,
)
from dataval_pipeline.contracts.checks import contract_checks
from dataval_pipeline.evaluation.assets import EVALUATION, evaluation
from dataval_pipeline.facts.assets import EXTRACTED_FACTS, extracted_facts
from dataval_pipeline.ingest.assets import RAW_REPORTS, raw_reports
from dataval_pipeline.ingest.sensors import build_inbox_sensor
from dataval_pipeline.llm.assets import REPORT_CLASSIFICATIONS, report_classifications
from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource

defs = dg.Definitions(
    assets=[raw_reports, anonymised_corpus, anonymisation_quality, report_classifications, extracted_facts,
            evaluation],
    asset_checks=[
        *contract_checks(raw_reports, RAW_REPORTS),
        *contract_checks(anonymised_corpus, ANONYMISED_CORPUS),
        *contract_checks(anonymisation_quality, ANONYMISATION_QUALITY),
        *contract_checks(report_classifications, REPORT_CLASSIFICATIONS),
        *contract_checks(extracted_facts, EXTRACTED_FACTS),
        *contract_checks(evaluation, EVALUATION),
    ],
    sensors=[build_inbox_sensor([raw_reports, anonymised_corpus, report_classifications, extracted_facts])],
    resources={"warehouse": WarehouseResource(), "anonymiser": AnonymiserResource(), "llm": LLMResource()},
)
