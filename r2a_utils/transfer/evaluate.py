"""Scoring a renderer where the truth is known: SSIM, PSNR and the output's pose.

``evaluate_renderer`` renders held-out poses of a character and compares them with the true
renders: SSIM and PSNR (scikit-image), and PCK@0.1 of the anime pose estimator run on the
output against the target pose.

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from r2a_utils.viz import to_rgb


def evaluate_renderer(make_renderer: Callable[[np.ndarray, np.ndarray], object], reference: np.ndarray,
                      reference_kps: np.ndarray, targets_rgb: np.ndarray, targets_kps: np.ndarray,
                      estimator=None, alpha: float = 0.1) -> dict:
    """SSIM, PSNR and output-pose PCK of a renderer on ground-truth frames (all on one canvas).

    Args:
        make_renderer: ``(reference RGBA, reference keypoints) -> object with .render(kps)``.
        targets_rgb: true frames on white ``(M, H, W, 3)``; ``targets_kps`` their poses.
        estimator: an ``AnimePoseEstimator`` (opened here when None).
    Returns:
        ``{"ssim", "psnr", "pck", "pck_truth", "fps", "frames", "outputs"}``; ``pck_truth`` is the
        estimator's PCK on the true frames, the ceiling the renderer is measured against.
    """
    from r2a_utils.metrics import pck, psnr, ssim
    from r2a_utils.pose.anime import AnimePoseEstimator

    renderer = make_renderer(reference, reference_kps)
    outs = []
    t0 = time.perf_counter()
    for k in targets_kps:
        outs.append(to_rgb(renderer.render(k)))
    fps = len(outs) / (time.perf_counter() - t0)
    own = estimator is None
    est = AnimePoseEstimator(use_human_model=False) if own else estimator
    try:
        pred = np.stack([est.estimate_image(o, use_human_model=False) for o in outs])
        truth = np.stack([est.estimate_image(t, use_human_model=False) for t in targets_rgb])
    finally:
        if own:
            est.close()
    return {"ssim": float(np.mean([ssim(o, t) for o, t in zip(outs, targets_rgb)])),
            "psnr": float(np.mean([psnr(o, t) for o, t in zip(outs, targets_rgb)])),
            "pck": pck(pred, targets_kps, alpha), "pck_truth": pck(truth, targets_kps, alpha),
            "fps": float(fps), "frames": len(outs), "outputs": np.stack(outs)}
