"""Read an ODCS v3 contract into what the code needs: columns, types, rules, version.

Products derive their Arrow schema, their Parquet path (``v<major>``) and the
schema shown in the Dagster UI from here, so a column starts its life in YAML.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import yaml

CONTRACTS_DIR_ENV = "DATAVAL_CONTRACTS_DIR"

# Physical types used in the contracts, as Arrow types (Parquet) and DuckDB names.
_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "VARCHAR[]": pa.list_(pa.string()),
    "JSON": pa.string(),
}


def contracts_dir() -> Path:
    """``$DATAVAL_CONTRACTS_DIR``, else the contracts shipped in the package (``dataval_pipeline/data_contracts``:
    in the repository a link to the top-level ``data_contracts/``, in a wheel the files themselves)."""
    override = os.environ.get(CONTRACTS_DIR_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "data_contracts"


@dataclass(frozen=True)
class Column:
    name: str
    physical_type: str
    logical_type: str
    required: bool
    unique: bool
    description: str
    classification: str
    enum: tuple[str, ...] | None = None
    pattern: str | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.physical_type]

    @property
    def is_restricted(self) -> bool:
        """Personal data: never leaves the restricted zone."""
        return self.classification == "restricted"


@dataclass(frozen=True)
class Contract:
    name: str
    version: str
    status: str
    description: str
    columns: tuple[Column, ...]
    quality: tuple[dict, ...]
    raw: dict

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def public_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.is_restricted]

    def arrow_schema(self, *, include_restricted: bool = True) -> pa.Schema:
        """Columns and types. Every field is nullable on disk: ``required`` is enforced by the blocking
        contract check, which names the rule and counts the rows, instead of one null failing a batch."""
        cols = self.columns if include_restricted else self.public_columns
        return pa.schema([pa.field(c.name, c.arrow_type) for c in cols])

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


def _column(prop: dict) -> Column:
    options = prop.get("logicalTypeOptions") or {}
    enum = next(
        (q["arguments"]["validValues"] for q in prop.get("quality") or []
         if q.get("metric") == "invalidValues" and "validValues" in (q.get("arguments") or {})),
        None,
    )
    if any(c.get("property") == "validValuesFrom" and c.get("value") == "taxonomy"
           for c in prop.get("customProperties") or []):
        from dataval_pipeline.config import theme_ids  # the configured taxonomy, not the file's default list

        enum = theme_ids()
    return Column(
        name=prop["name"],
        physical_type=prop["physicalType"],
        logical_type=prop["logicalType"],
        required=bool(prop.get("required", False)),
        unique=bool(prop.get("unique", False)),
        description=" ".join(str(prop.get("description", "")).split()),
        classification=prop.get("classification", "internal"),
        enum=tuple(enum) if enum else None,
        pattern=options.get("pattern"),
    )


@functools.cache
def load_contract(product: str) -> Contract:
    """Load ``data_contracts/<product>.yaml`` (cached: contracts do not change within a process)."""
    path = contracts_dir() / f"{product}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    (table,) = [s for s in raw["schema"] if s["name"] == product]
    description = raw.get("description", {})
    return Contract(
        name=raw["name"],
        version=str(raw["version"]),
        status=raw.get("status", "draft"),
        description=" ".join(str(description.get("purpose", "")).split()),
        columns=tuple(_column(p) for p in table["properties"]),
        quality=tuple(table.get("quality") or ()),
        raw=raw,
    )


def column_enum(product: str, column: str) -> tuple[str, ...]:
    """The allowed values of one column, from its contract: code that needs the enum (an answer schema, an
    ordering) derives it from here instead of repeating it."""
    values = load_contract(product).column(column).enum
    if not values:
        raise KeyError(f"{product}.{column} has no enum in its contract")
    return values
