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
        return {"pckh": float("nan"), "per_joint": [], "images": 0, "missing": missing}
    score, per_joint = pckh(np.stack(preds), np.stack(gts), np.array(heads), alpha)
    return {"pckh": score, "per_joint": per_joint.tolist(), "images": len(preds), "missing": missing}


def drawing_estimators(weights: str | os.PathLike | None = None) -> dict:
    """The estimators Table 1 compares, each with ``estimate_image(picture) -> (18, 3)``: the
    anime network alone, mediapipe's human model alone, and the two combined as the CLI
    uses them (mediapipe's answer when confident, plausible and agreeing on the legs)."""
    from r2a_utils.pose.anime.estimator import AnimePoseEstimator
    from r2a_utils.pose.anime.model import WEIGHTS
    from r2a_utils.pose.human import HumanPoseEstimator

    class _Human:
        def __init__(self):
            self.est = HumanPoseEstimator()

        def estimate_image(self, image):
            return self.est.estimate_images([load_picture(image).rgb])[0]

    w = weights or WEIGHTS
    return {"anime network": AnimePoseEstimator(w, use_human_model=False), "mediapipe human model": _Human(),
            "combined (what the CLI uses)": AnimePoseEstimator(w, use_human_model=True)}


def table_1(drawings: str | os.PathLike, annotations: str | os.PathLike,
            weights: str | os.PathLike | None = None) -> dict[str, dict]:
    """PCKh@0.5 of each of ``drawing_estimators`` on the drawings in ``drawings`` that have an
    entry in ``annotations`` (an Anime Drawings Dataset json; entries without a picture here
    are skipped)."""
    entries = load_anime_drawings(annotations)
    names = {p.name for p in Path(drawings).iterdir()}
    entries = [e for e in entries if Path(e["file_name"]).name in names]
    if not entries:
        raise KeypointError(f"{drawings}: no picture here has an entry in {annotations}")
    return {name: evaluate_anime_drawings(est, entries, drawings) for name, est in drawing_estimators(weights).items()}


REPORT_TABLE_1 = {"real19": 32.05, "real69": 26.2, "real89": 27.7, "mix": 27.48, "mobileNet": 17.65}  # PCKh@0.5, %


def print_table_1(scores: dict[str, dict], test_images: str) -> None:
    """The report's five rows beside the kit's, with per-joint figures for the kit's."""
    from r2a_utils.skeleton import JOINTS

    print(f"{'estimator':<40}{'test images':<44}{'PCKh@0.5 (%)':>12}")
    for row, value in REPORT_TABLE_1.items():
        print(f"{'report: GCCPM, ' + row:<40}{'Anime Drawings Dataset test split':<44}{value:>12.2f}")
    for name, r in scores.items():
        where = f"{r['images']} {test_images}"
        print(f"{'kit: ' + name:<40}{where:<44}{100 * r['pckh']:>12.2f}")
    print("(the test images differ: the report's test split is not redistributable)")
    body = JOINTS[:14]
    print(f"{'per joint':<40}" + "".join(f"{n.replace('right_', 'R').replace('left_', 'L')[:6]:>7}" for n in body))
    for name, r in scores.items():
        if r["per_joint"]:
            print(f"{name:<40}" + "".join(f"{100 * r['per_joint'][JOINTS.index(n)]:>7.0f}" for n in body))


