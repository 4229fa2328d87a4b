"""The plumbing every notebook shares: where its outputs go, its closing metrics file, and
the core code of its stage shown on screen.

Each notebook keeps its own ``parameters`` cell (papermill overrides it); ``setup`` and
``save_metrics`` replace the set-up and closing code once repeated in all five, and
``show_source`` puts the core of each stage on screen before it is called::

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


def show_source(*objects: Any, lines: tuple[int, int] | None = None) -> str:
    """Show the source of functions, classes or methods in the notebook, highlighted, and
    return it. The library stays the one definition: a notebook reads the code it is about
    to call instead of keeping a copy (d2l's ``#@save`` idea, the other way round).

    ``lines=(first, last)`` shows only those lines of a single object (1-based, inclusive),
    for the core of a longer function.
    """
    import inspect
    import textwrap

    parts = []
    for obj in objects:
        src = textwrap.dedent(inspect.getsource(obj))
        if lines is not None and len(objects) == 1:
            src = "\n".join(src.splitlines()[lines[0] - 1:lines[1]])
        where = f"{inspect.getmodule(obj).__name__}.{getattr(obj, '__qualname__', obj)}"
        parts.append(f"# {where}\n{src.rstrip()}")
    text = "\n\n".join(parts)
    try:
        from IPython.display import Markdown, display

        display(Markdown(f"```python\n{text}\n```"))
    except ImportError:  # outside IPython: plain text
        print(text)
    return text
