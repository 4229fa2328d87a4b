"""Temporal smoothing of keypoint tracks: Savitzky-Golay (default) and One-Euro.

Both work on ``(T, 18, 3)`` keypoints and are confidence-aware: joints below
``min_confidence`` count as missing. Short gaps (up to ``max_gap_s`` seconds) are filled by
linear interpolation between the frames on either side; longer gaps and the ends of the
clip stay NaN, because inventing a limb that was not seen for half a second is worse than
admitting it is gone. Filled joints get the lower confidence of their two neighbours.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from r2a_utils.config import ConfigError, StageConfig
from r2a_utils.skeleton import KeypointError, as_keypoints, torso_size

METHODS = ("savgol", "one_euro", "none")


@dataclasses.dataclass(frozen=True)
class SmoothingConfig(StageConfig):
    """Which smoother and its settings; the defaults are the ones the notebook measures."""

    method: str = "savgol"
    window: int = 0  # Savitzky-Golay window in frames (odd); 0 -> the odd number nearest fps / 2
    order: int = 3  # Savitzky-Golay polynomial order
    min_cutoff: float = 1.0  # One-Euro cutoff at rest, Hz
    beta: float = 8.0  # One-Euro speed coefficient, per (torso sizes / second)
    d_cutoff: float = 1.0  # One-Euro cutoff for the speed estimate, Hz
    max_gap_s: float = 0.25  # fill gaps up to this long; longer ones stay NaN
    min_confidence: float = 0.3  # joints below this count as missing

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"SmoothingConfig.method: {self.method!r} is not one of {', '.join(METHODS)}")
        if self.window and (self.window % 2 == 0 or self.window <= self.order):
            raise ConfigError(f"SmoothingConfig.window: {self.window} must be odd and larger than order "
                              f"{self.order} (or 0 for about fps/2)")


def default_window(fps: float) -> int:
    """About half a second of frames, odd, at least 5: ``2 * round(fps / 4) + 1``.

    9 at 16 fps, 13 at 24 fps, 17 at 30 fps (0.57 s: ``fps / 4`` = 7.5 rounds to 8). The
    report used a fixed window of 15 (order 3) on its training data and 11 at inference.
    """
    return max(5, 2 * int(round(fps / 4)) + 1)


def _runs(ok: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` of each run of True in a 1-D boolean array."""
    d = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def fill_gaps(kps: np.ndarray, max_gap: int, min_confidence: float = 0.0) -> np.ndarray:
    """Interpolate each joint across gaps of at most ``max_gap`` frames; drop low confidence.

    Args:
        kps: ``(T, 18, 3)`` keypoints, NaN where absent.
        max_gap: longest run of missing frames to fill; ends of the clip are never filled.
        min_confidence: joints below it are treated as missing first.
    Returns:
        A new ``(T, 18, 3)`` array.
    """
    out = as_keypoints(kps).copy()
    if out.ndim != 3:
        raise KeypointError(f"fill_gaps: expected (T, 18, 3), got {out.shape}")
    out[out[..., 2] < min_confidence] = np.nan
    for j in range(out.shape[1]):
        ok = ~np.isnan(out[:, j, 0])
        for start, end in _runs(~ok):
            if start == 0 or end == len(out) or end - start > max_gap:
                continue
            a, b = out[start - 1, j], out[end, j]
            w = (np.arange(start, end) - (start - 1))[:, None] / (end - start + 1)
            out[start:end, j, :2] = a[:2] * (1 - w) + b[:2] * w
            out[start:end, j, 2] = min(a[2], b[2])
    return out


def savgol_fit(window: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """``(V, pinv(V))`` for a window of ``window`` samples at ``s = -m .. m``: the Vandermonde
    matrix ``V[s, i] = s**i`` and the least-squares fit ``a = pinv(V) @ x`` of a polynomial."""
    m = window // 2
    v = np.vander(np.arange(-m, m + 1), order + 1, increasing=True)
    return v, np.linalg.pinv(v)


def savgol_coefficients(window: int, order: int) -> np.ndarray:
    """Weights ``c`` (``window``,) with x̂_t = Σ_s c_s x_{t+s}: the value at the centre of
    the least-squares polynomial of ``order`` through a window of samples, which is the fit's
    coefficient 0, so ``c`` is the first row of ``pinv(V)``."""
    return savgol_fit(window, order)[1][0]


def savgol(x: np.ndarray, window: int, order: int) -> np.ndarray:
    """Savitzky-Golay along axis 0 of ``x`` (T, ...) with an odd ``window`` <= T and ``order`` <
    ``window``. Inside, the fixed weights of ``savgol_coefficients`` slide along; for the first
    and last ``window // 2`` samples, which have no full window around them, the polynomial
    fitted to the first (last) window is evaluated at their places (scipy's mode="interp")."""
    m = window // 2
    v, fit = savgol_fit(window, order)
    out = np.empty(x.shape, np.float64)
    out[m:len(x) - m] = sliding_window_view(x, window, axis=0) @ fit[0]
    out[:m] = np.tensordot(v[:m] @ fit, x[:window], axes=1)
    out[len(x) - m:] = np.tensordot(v[m + 1:] @ fit, x[len(x) - window:], axes=1)
    return out.astype(x.dtype, copy=False)


class SavGolSmoother:
    """Savitzky-Golay filter per joint and coordinate over each unbroken run of frames.

    Fits a polynomial of ``order`` in a sliding ``window``: steady where the body is still,
    and unlike a moving average it keeps the peaks of fast moves. Runs shorter than the
    window use the largest odd window that fits; runs too short for any are left as they are.
    """

    def __init__(self, window: int = 0, order: int = 3, max_gap_s: float = 0.25, min_confidence: float = 0.3):
        self.window, self.order, self.max_gap_s, self.min_confidence = window, order, max_gap_s, min_confidence

    def __call__(self, kps: np.ndarray, fps: float) -> np.ndarray:
        out = fill_gaps(kps, int(round(self.max_gap_s * fps)), self.min_confidence)
        window = self.window or default_window(fps)
        for j in range(out.shape[1]):
            for start, end in _runs(~np.isnan(out[:, j, 0])):
                w = min(window, (end - start) if (end - start) % 2 else (end - start - 1))
                if w <= self.order:
                    continue
                out[start:end, j, :2] = savgol(out[start:end, j, :2], w, self.order)
        return out


class OneEuroSmoother:
    """One-Euro filter (Casiez et al. 2012): a low-pass whose cutoff rises with speed.

    Causal (uses only past frames), so it suits live use; it lags a little on fast moves.
    Speeds are measured in torso sizes per second so ``beta`` does not depend on resolution.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 8.0, d_cutoff: float = 1.0,
                 max_gap_s: float = 0.25, min_confidence: float = 0.3):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.max_gap_s, self.min_confidence = max_gap_s, min_confidence

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, fps: float) -> np.ndarray | float:
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau * fps)

    def __call__(self, kps: np.ndarray, fps: float) -> np.ndarray:
        out = fill_gaps(kps, int(round(self.max_gap_s * fps)), self.min_confidence)
        scale = float(np.nanmedian(torso_size(out))) if np.isfinite(torso_size(out)).any() else 1.0
        a_d = self._alpha(self.d_cutoff, fps)
        for j in range(out.shape[1]):
            for start, end in _runs(~np.isnan(out[:, j, 0])):  # restart after every gap
                x_prev, dx_prev = out[start, j, :2].astype(np.float64), np.zeros(2)
                for t in range(start + 1, end):
                    x = out[t, j, :2].astype(np.float64)
                    dx = a_d * (x - x_prev) * fps + (1 - a_d) * dx_prev
                    speed = np.linalg.norm(dx) / scale
                    a = self._alpha(self.min_cutoff + self.beta * speed, fps)
                    x_prev, dx_prev = a * x + (1 - a) * x_prev, dx
                    out[t, j, :2] = x_prev
        return out


def make_smoother(cfg: SmoothingConfig = SmoothingConfig()):
    """The smoother a config asks for: a callable ``(kps, fps) -> kps``."""
    if cfg.method == "savgol":
        return SavGolSmoother(cfg.window, cfg.order, cfg.max_gap_s, cfg.min_confidence)
    if cfg.method == "one_euro":
        return OneEuroSmoother(cfg.min_cutoff, cfg.beta, cfg.d_cutoff, cfg.max_gap_s, cfg.min_confidence)
    return lambda kps, fps: fill_gaps(kps, int(round(cfg.max_gap_s * fps)), cfg.min_confidence)


def smooth_keypoints(kps: np.ndarray, fps: float, cfg: SmoothingConfig = SmoothingConfig()) -> np.ndarray:
    """Smooth a ``(T, 18, 3)`` track recorded at ``fps`` as ``cfg`` says."""
    if fps <= 0:
        raise ValueError(f"smooth_keypoints: fps must be positive, got {fps}")
    return make_smoother(cfg)(kps, fps)
