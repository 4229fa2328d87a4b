import numpy as np
import pytest

from r2a_utils.config import ConfigError
from r2a_utils.metrics import jitter
from r2a_utils.smoothing import SmoothingConfig, default_window, fill_gaps, smooth_keypoints


def _track(T=96, noise=2.0, seed=0):
    t = np.arange(T)[:, None]
    rng = np.random.default_rng(seed)
    clean = np.zeros((T, 18, 3), np.float32)
    clean[..., 0] = 200 + 80 * np.sin(2 * np.pi * t / 48 + np.arange(18) * 0.3)
    clean[..., 1] = 300 + 60 * np.cos(2 * np.pi * t / 40 + np.arange(18) * 0.2)
    clean[:, 1, 1] -= 100  # a torso of ~100 px for One-Euro's speed units
    clean[..., 2] = 0.9
    noisy = clean.copy()
    noisy[..., :2] += rng.normal(0, noise, noisy[..., :2].shape)
    return clean, noisy


def test_default_window_is_about_half_a_second():
    assert default_window(24000 / 1001) == 13 and default_window(16) == 9 and default_window(30) == 17


# One-Euro is causal and tuned not to lag on fast dance moves, so it smooths less
@pytest.mark.parametrize("method,max_ratio", [("savgol", 0.5), ("one_euro", 0.8)])
def test_smoothing_removes_noise_not_motion(method, max_ratio):
    clean, noisy = _track()
    out = smooth_keypoints(noisy, 24, SmoothingConfig(method=method))
    err_before = np.abs(noisy[..., :2] - clean[..., :2]).mean()
    err_after = np.abs(out[..., :2] - clean[..., :2]).mean()
    assert jitter(out) < max_ratio * jitter(noisy)
    assert err_after < err_before if method == "savgol" else err_after < 2 * err_before  # One-Euro lags a little


def test_short_gaps_filled_long_gaps_and_ends_kept():
    clean, noisy = _track()
    k = noisy.copy()
    k[10:13, 4] = np.nan  # 3 frames: filled at 24 fps (max 6)
    k[40:60, 7] = np.nan  # 20 frames: the wrist is really gone
    k[:2, 9] = np.nan  # start of clip: never extrapolated
    k[70:72, 3, 2] = 0.1  # low confidence counts as missing, then filled
    out = smooth_keypoints(k, 24)
    assert np.isfinite(out[10:13, 4]).all()
    assert np.abs(out[10:13, 4, :2] - clean[10:13, 4, :2]).max() < 6
    assert np.isnan(out[40:60, 7]).all() and np.isfinite(out[39, 7]).all()
    assert np.isnan(out[:2, 9]).all()
    assert np.isfinite(out[70:72, 3]).all() and (out[70:72, 3, 2] == pytest.approx(0.9))
    filled = fill_gaps(k, max_gap=2)
    assert np.isnan(filled[10:13, 4]).all()  # longer than max_gap


def test_short_runs_and_bad_settings():
    _, noisy = _track(T=4)
    out = smooth_keypoints(noisy, 24)  # shorter than the window: smaller window, no crash
    assert out.shape == noisy.shape and np.isfinite(out).all()
    with pytest.raises(ConfigError, match="odd"):
        SmoothingConfig(window=10)
    with pytest.raises(ConfigError, match="method"):
        SmoothingConfig(method="kalman")
    with pytest.raises(ValueError, match="fps"):
        smooth_keypoints(noisy, 0)


@pytest.mark.parametrize("length,window,order", [(69, 13, 3), (9, 9, 3), (30, 5, 2), (5, 5, 4)])
def test_savgol_is_scipys_savitzky_golay(length, window, order):
    """The kit's own Savitzky-Golay (importing scipy.signal costs 1-2 s of start-up) gives
    scipy's answer, edges included (mode="interp"), and keeps a cubic exactly."""
    from scipy.signal import savgol_coeffs, savgol_filter

    from r2a_utils.smoothing import savgol, savgol_coefficients

    x = np.random.default_rng(length).normal(size=(length, 2))
    assert np.allclose(savgol(x, window, order), savgol_filter(x, window, order, axis=0, mode="interp"), atol=1e-9)
    assert np.allclose(savgol_coefficients(window, order), savgol_coeffs(window, order))
    t = np.arange(length, dtype=float)[:, None]
    cubic = 0.01 * t**3 - 0.2 * t**2 + t
    assert np.allclose(savgol(cubic, window, max(order, 3)), cubic, atol=1e-6)
