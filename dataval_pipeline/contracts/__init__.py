"""Data contracts (ODCS v3 YAML in ``data_contracts/``): the single source of truth for products."""

from dataval_pipeline.contracts.model import Column, Contract, load_contract

__all__ = ["Column", "Contract", "load_contract"]
