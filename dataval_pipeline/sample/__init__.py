"""Deterministic generator of synthetic EHPAD inspection reports, gold labels and reference data."""

from dataval_pipeline.sample.generator import SampleSummary, generate_sample

__all__ = ["SampleSummary", "generate_sample"]
