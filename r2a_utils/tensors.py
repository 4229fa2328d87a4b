"""Small torch helpers shared by the networks: weight casts, atomic saves, image statistics.

Shipped weights are stored in fp16 (half the size) and trained and run in fp32.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from r2a_utils.files import atomic_path

# The RGB statistics torchvision's networks are normalized with (used by every network here,
# trained from scratch or not, so pictures enter all of them the same way).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def half_state(state: dict[str, Any]) -> dict[str, Any]:
    """A state dict with floating tensors in fp16, on the CPU (what ships)."""
    return {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu() for k, v in state.items()}


def float_state(state: dict[str, Any]) -> dict[str, Any]:
    """A state dict with floating tensors back in fp32 (what the networks run in)."""
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def save_atomic(obj: dict, path: str | os.PathLike) -> Path:
    """``torch.save`` to a temporary name, then rename: a killed run leaves the old file intact."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
    return Path(path)


def load_weights_file(path: str | os.PathLike) -> Any:
    """``torch.load(weights_only=True)`` on the CPU; ``ValueError`` with one plain sentence for
    a file that is not a PyTorch file, is damaged, or holds pickled objects (never run)."""
    import pickle

    import torch

    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise ValueError(f"cannot be read ({e.strerror or e.__class__.__name__})") from None
    if not head.startswith(b"PK") and not head.startswith(b"\x80"):  # a zip (torch.save) or a legacy pickle
        raise ValueError("not a PyTorch weights file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError("holds Python objects beyond weights; refused (only tensors and plain values "
                         "are loaded)") from None
    except Exception as e:  # truncated zip, missing records, ...
        raise ValueError(f"damaged PyTorch file ({brief(e)})") from None


def brief(e: BaseException, width: int = 100) -> str:
    """``'KeyError: ...'`` on one line, cut at a word boundary (for an error message)."""
    import textwrap

    text = " ".join(str(e).split())
    return f"{e.__class__.__name__}: {textwrap.shorten(text, width, placeholder=' ...')}" if text \
        else e.__class__.__name__
