"""Scoring anime pose estimators: PCKh on held-out procedural characters and on the Anime
Drawings Dataset (real drawings).

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from r2a_utils.picture import load_picture
from r2a_utils.pose.anime.model import AnimePoseConfig
from r2a_utils.pose.anime.synth import procedural_test_set
from r2a_utils.skeleton import J, KeypointError


def evaluate_procedural(estimator, n: int = 200, alpha: float = 0.5, seed: int = 12345,
                        input_size: int | None = None) -> dict:
    """PCKh@alpha on ``n`` held-out procedural characters.

    ``estimator`` is anything with ``estimate(images) -> (N, 18, 3)`` or that function itself
    (e.g. ``HumanPoseEstimator().estimate_images`` for the mediapipe baseline).
    """
    from r2a_utils.metrics import pckh

    cfg = getattr(estimator, "cfg", AnimePoseConfig())
    cfg = cfg.replace(input_size=input_size) if input_size else cfg
    estimate = estimator.estimate if hasattr(estimator, "estimate") else estimator
    images, gt, head = procedural_test_set(n, cfg, seed)
    gt = gt.copy()
    gt[gt[..., 2] <= 0] = np.nan  # joints pushed out of the picture are not scored
    preds = np.concatenate([estimate(images[i:i + 50]) for i in range(0, n, 50)])
    score, per_joint = pckh(preds, gt, head, alpha)
    found = ~np.isnan(preds[..., 0]) & ~np.isnan(gt[..., 0])
    return {"pckh": score, "per_joint": per_joint.tolist(),
            "found": float(found.sum() / (~np.isnan(gt[..., 0])).sum()), "images": n}


def load_anime_drawings(json_path: str | os.PathLike) -> list[dict]:
    """Anime Drawings Dataset annotations (train/val/test json) in the kit's layout.

    Each entry: ``file_name`` (``data/images/<post id>.jpg`` upstream), ``keypoints`` ``(18, 3)``
    and ``head`` ``(2,)`` in the pixels of the image shrunk to fit 800x600 (the dataset's
    convention), and that ``size``. Eyes and ears are not annotated and stay NaN.
    """
    from r2a_utils.skeleton import anime_drawings_head, from_anime_drawings

    path = Path(json_path)
    try:
        entries = json.loads(path.read_text())
        return [{"file_name": e["file_name"], "keypoints": from_anime_drawings(e["points"]),
                 "head": anime_drawings_head(e["points"]), "size": (int(e["width"]), int(e["height"]))}
                for e in entries]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise KeypointError(f"{path}: not an Anime Drawings Dataset annotation file ({e.__class__.__name__}: {e})") from None


def evaluate_anime_drawings(estimator, entries: list[dict], images_root: str | os.PathLike,
                            alpha: float = 0.5) -> dict:
    """PCKh@alpha on the Anime Drawings Dataset images found under ``images_root``.

    The head segment is the annotated head-neck distance, as in the dataset's paper. Images
    are looked up by ``file_name`` (and by its base name); missing ones are counted, not scored.
    """
    from r2a_utils.metrics import pckh

    root = Path(images_root)
    preds, gts, heads, missing = [], [], [], 0
    for e in entries:
        f = next((c for c in (root / e["file_name"], root / Path(e["file_name"]).name) if c.exists()), None)
        if f is None:
            missing += 1
            continue
        pic = load_picture(f)
        k = e["size"][0] / pic.size[0]  # annotations live in the image shrunk to fit 800x600
        pred = estimator.estimate_image(pic)
        pred[:, :2] *= k
        preds.append(pred)
        gts.append(e["keypoints"])
        heads.append(np.linalg.norm(e["head"] - e["keypoints"][J["neck"], :2]))
    if not preds:
        return {"pckh": float("nan"), "images": 0, "missing": missing}
    return {"pckh": pckh(np.stack(preds), np.stack(gts), np.array(heads), alpha)[0], "images": len(preds),
            "missing": missing}


