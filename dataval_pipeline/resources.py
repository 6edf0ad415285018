"""Dagster resources for what lives outside the code: storage, the anonymiser's model, the LLM endpoint."""

import dataclasses
from pathlib import Path

import dagster as dg
import pyarrow as pa

from dataval_pipeline.contracts import Contract
from dataval_pipeline.settings import Paths, dataval_home
from dataval_pipeline.warehouse import catalog, store


class WarehouseResource(dg.ConfigurableResource):
    """Parquet products under ``<home>/warehouse`` and the restricted zone, plus the DuckDB catalog."""

    home: str = ""  # empty: $DATAVAL_HOME (default ./data)

    @property
    def paths(self) -> Paths:
        return Paths(Path(self.home).expanduser().resolve() if self.home else dataval_home())

    def write_partition(self, contract: Contract, partition: str, rows: "list[dict] | pa.Table") -> None:
        store.write_partition(self.paths, contract, partition, rows)

    def read(self, contract: Contract, partitions: list[str] | None = None, *, restricted: bool = False) -> pa.Table:
        return store.read_partitions(self.paths, contract, partitions, restricted=restricted)

    def existing_partitions(self, contract: Contract, partitions: list[str]) -> list[str]:
        return store.existing_partitions(self.paths, contract, partitions)

    def delete_partition(self, contract: Contract, partition: str) -> None:
        store.delete_partition(self.paths, contract, partition)

    def publish_views(self, contract: Contract) -> list[str]:
        return catalog.publish_views(self.paths, contract)


class AnonymiserResource(dg.ConfigurableResource):
    """The Presidio engine with the French spaCy pipeline, built once per process."""

    spacy_model: str = "fr_core_news_md"

    def get(self):
        from dataval_pipeline.anonymise.engine import get_anonymiser

        return get_anonymiser(self.spacy_model)


class LLMResource(dg.ConfigurableResource):
    """The OpenAI-compatible endpoint (DATAVAL_LLM_* variables) and the response cache under DATAVAL_HOME."""

    base_url: str = ""  # empty: $DATAVAL_LLM_BASE_URL
    model: str = ""  # empty: $DATAVAL_LLM_MODEL
    concurrency: int = 0  # 0: $DATAVAL_LLM_CONCURRENCY or the default
    max_chars_per_call: int = 0  # 0: $DATAVAL_LLM_MAX_CHARS or the default
    backoff_s: float = 0.0  # 0: the client's default first wait before a retry (it doubles each time)

    def client(self, cache_dir):
        from dataval_pipeline.llm.client import LLMSettings, ResponseCache, StructuredLLM

        settings = LLMSettings.from_env(self.base_url or None, self.model or None)
        if self.concurrency:
            settings = dataclasses.replace(settings, concurrency=self.concurrency)
        if self.backoff_s:
            settings = dataclasses.replace(settings, backoff_s=self.backoff_s)
        return StructuredLLM(settings, ResponseCache(cache_dir / "llm"))

    def max_chars(self) -> int:
        import os

        from dataval_pipeline.llm.analysis import DEFAULT_MAX_CHARS

        return self.max_chars_per_call or int(os.environ.get("DATAVAL_LLM_MAX_CHARS", DEFAULT_MAX_CHARS))


# Each setting a resource reads from the environment, by field: configured as ``dg.EnvVar`` when the
# variable is set, so the UI's resource page names the variable (a secret's value is never shown), and as the
# default value otherwise, so the UI shows what applies instead of an empty string.
ENVIRONMENT = {
    "warehouse": {"home": ("DATAVAL_HOME", str)},
    "llm": {"base_url": ("DATAVAL_LLM_BASE_URL", str), "model": ("DATAVAL_LLM_MODEL", str),
            "concurrency": ("DATAVAL_LLM_CONCURRENCY", int), "max_chars_per_call": ("DATAVAL_LLM_MAX_CHARS", int)},
}


def _from_environment(fields: dict, defaults: dict, environ) -> dict:
    config = {}
    for name, (variable, kind) in fields.items():
        if environ.get(variable):
            config[name] = dg.EnvVar.int(variable) if kind is int else dg.EnvVar(variable)
        elif name in defaults:
            config[name] = defaults[name]
    return config


def configured_resources(environ=None) -> dict[str, dg.ConfigurableResource]:
    """The code location's resources, configured from the environment in this one place."""
    import os

    environ = os.environ if environ is None else environ
    warehouse = _from_environment(ENVIRONMENT["warehouse"], {"home": str(dataval_home())}, environ)
    llm = _from_environment(ENVIRONMENT["llm"], {}, environ)
    return {"warehouse": WarehouseResource(**warehouse), "anonymiser": AnonymiserResource(),
            "llm": LLMResource(**llm)}
