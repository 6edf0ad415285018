"""The code location: assembles assets, sensors and resources; no logic lives here."""

import dagster as dg

from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.ingest.sensors import inbox_sensor
from dataval_pipeline.resources import WarehouseResource

defs = dg.Definitions(
    assets=[raw_reports],
    sensors=[inbox_sensor],
    resources={"warehouse": WarehouseResource()},
)
