"""The plumbing every notebook shares: where its outputs go, and its closing metrics file.

Each notebook keeps its own ``parameters`` cell (papermill overrides it); these two calls
replace the set-up and closing code that used to be repeated in all five::

    OUTPUT_DIR = setup("03_normalization", OUTPUT_DIR)
    ...
    save_metrics(metrics, OUTPUT_DIR)   # the notebook test asserts on this file
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from r2a_utils.files import write_text_atomic


def setup(name: str, output_dir: str | os.PathLike | None = None) -> Path:
    """The notebook's output folder, created: ``output_dir`` if given, else
    ``$R2A_OUTPUT/<name>`` (``outputs/<name>`` by default)."""
    out = Path(output_dir) if output_dir else Path(os.environ.get("R2A_OUTPUT", "outputs")) / name
    out.mkdir(parents=True, exist_ok=True)
    return out


def save_metrics(metrics: dict[str, Any], output_dir: str | os.PathLike) -> Path:
    """Write ``metrics.json`` (whole or not at all) and print it."""
    text = json.dumps(metrics, indent=1, default=float)
    path = write_text_atomic(Path(output_dir) / "metrics.json", text)
    print(text)
    return path
