"""The code location: assembles assets, sensors and resources; no logic lives here."""

import dagster as dg

from dataval_pipeline.anonymise.assets import anonymisation_quality, anonymised_corpus
from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.ingest.sensors import build_inbox_sensor
from dataval_pipeline.resources import AnonymiserResource, WarehouseResource

defs = dg.Definitions(
    assets=[raw_reports, anonymised_corpus, anonymisation_quality],
    sensors=[build_inbox_sensor([raw_reports, anonymised_corpus])],
    resources={"warehouse": WarehouseResource(), "anonymiser": AnonymiserResource()},
)
