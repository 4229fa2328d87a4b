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
