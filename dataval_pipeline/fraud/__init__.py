"""Fraud and financial-irregularity features per establishment, their anomaly score and its evaluation."""
