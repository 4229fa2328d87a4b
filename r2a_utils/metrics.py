"""Measurements shared by notebooks, tests and benchmarks: one harness, so numbers compare.

Taught in notebooks/01_data_preparation.ipynb (render speed) and
notebooks/02_pose_estimation.ipynb (jitter, PCK); later stages add their metrics here.
"""
from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable

import numpy as np

from r2a_utils.skeleton import KeypointError, torso_size, visible


def frames_per_second(step: Callable[[int], object], num_frames: int) -> float:
    """Call ``step(t)`` for ``t`` in ``range(num_frames)`` and return frames per wall-clock second."""
    if num_frames <= 0:
        raise ValueError("frames_per_second: num_frames must be positive")
    t0 = time.perf_counter()
    for t in range(num_frames):
        step(t)
    return num_frames / (time.perf_counter() - t0)


class Stopwatch:
    """``with clock("stage"): ...`` adds the stage's seconds to ``clock.seconds`` (and the
    seconds since the stopwatch was made to 'total'): ``animate``'s per-stage times."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._t0 = time.perf_counter()

    def __call__(self, name: str):
        @contextlib.contextmanager
        def timed():
            t = time.perf_counter()
            try:
                yield
            finally:
                self.seconds[name] = time.perf_counter() - t
                self.seconds["total"] = time.perf_counter() - self._t0
        return timed()


def jitter(kps: np.ndarray) -> float:
    """Mean acceleration magnitude of keypoints, pixels/frame^2 (lower = steadier).

    ``|x[t+1] - 2 x[t] + x[t-1]|`` averaged over every joint present in all three frames.
    Real motion accelerates too, so compare two tracks of the same clip, never across clips.
    """
    k = np.asarray(kps, dtype=np.float64)
    if k.ndim != 3 or len(k) < 3:
        raise KeypointError(f"jitter: need (T >= 3, 18, 3) keypoints, got {k.shape}")
    acc = np.linalg.norm(k[2:, :, :2] - 2 * k[1:-1, :, :2] + k[:-2, :, :2], axis=-1)
    if np.isnan(acc).all():
        return float("nan")
    return float(np.nanmean(acc))


def pck_per_joint(pred: np.ndarray, ref: np.ndarray, alpha: float = 0.1,
                  scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Share of joints within ``alpha * scale`` of the reference, per joint, and how many counted.

    Only joints present in both count. ``scale`` (one number per frame) defaults to the
    reference's torso size (neck to mid-hip); frames where it is unknown are skipped.
    Returns:
        ``(pck (18,), counts (18,))``; pck is NaN for a joint never present in both.
    """
    pred, ref = np.asarray(pred, np.float64), np.asarray(ref, np.float64)
    if pred.shape != ref.shape or pred.shape[-2:] != (18, 3):
        raise KeypointError(f"PCK: prediction {pred.shape} and reference {ref.shape} must both be (..., 18, 3)")
    s = torso_size(ref) if scale is None else np.asarray(scale, np.float64)
    both = visible(pred) & visible(ref) & np.isfinite(s)[..., None] & (s > 0)[..., None]
    dist = np.linalg.norm(pred[..., :2] - ref[..., :2], axis=-1)
    hit = (dist <= alpha * s[..., None]) & both
    axes = tuple(range(hit.ndim - 1))
    counts = both.sum(axis=axes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return hit.sum(axis=axes) / counts, counts


def pck(pred: np.ndarray, ref: np.ndarray, alpha: float = 0.1, scale: np.ndarray | None = None) -> float:
    """PCK@alpha over all joints present in both (see ``pck_per_joint``), in [0, 1]."""
    per, counts = pck_per_joint(pred, ref, alpha, scale)
    if counts.sum() == 0:
        raise KeypointError("PCK: no joint is present in both the prediction and the reference")
    return float(np.nansum(per * counts) / counts.sum())


def pckh(pred: np.ndarray, ref: np.ndarray, head_size: np.ndarray,
         alpha: float = 0.5) -> tuple[float, np.ndarray]:
    """PCKh@alpha: share of reference joints within ``alpha`` x the head segment.

    ``head_size`` is one length per image (head-neck distance, as the Anime Drawings
    Dataset defines it). Unlike ``pck``, a joint the prediction does not report counts as
    a miss, not as absent: an estimator must not score higher by staying silent.
    Returns:
        ``(overall, per_joint (18,))``.
    """
    per, counts = pck_per_joint(pred, ref, alpha, scale=np.asarray(head_size, np.float64))
    hits = np.nan_to_num(per) * counts
    total = (~np.isnan(np.asarray(ref)[..., 0])).sum(axis=tuple(range(np.ndim(ref) - 2)))
    return float(hits.sum() / total.sum()), hits / np.maximum(total, 1)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity of two RGB ``uint8`` images (scikit-image's implementation)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=-1, data_range=255))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two ``uint8`` images (scikit-image's implementation)."""
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(a, b, data_range=255))
