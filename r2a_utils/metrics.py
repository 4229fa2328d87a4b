"""Measurements shared by notebooks, tests and benchmarks: one harness, so numbers compare.

Taught in notebooks/01_data_preparation.ipynb (render speed); later stages add their metrics here.
"""
from __future__ import annotations

import time
from collections.abc import Callable


def frames_per_second(step: Callable[[int], object], num_frames: int) -> float:
    """Call ``step(t)`` for ``t`` in ``range(num_frames)`` and return frames per wall-clock second."""
    if num_frames <= 0:
        raise ValueError("frames_per_second: num_frames must be positive")
    t0 = time.perf_counter()
    for t in range(num_frames):
        step(t)
    return num_frames / (time.perf_counter() - t0)
