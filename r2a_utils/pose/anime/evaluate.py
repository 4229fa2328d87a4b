"""Scoring anime pose estimators: PCKh on held-out procedural characters and on the Anime
Drawings Dataset (real drawings).

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from r2a_utils.picture import Picture, load_picture
from r2a_utils.pose.anime.model import WEIGHTS, WEIGHTS_V1, AnimePoseConfig
from r2a_utils.pose.anime.synth import procedural_test_set
from r2a_utils.skeleton import J, KeypointError, empty_pose, from_anime_drawings


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


def procedural_scenes(n: int = 60, seed: int = 54321, size: tuple[int, int] = (300, 400)):
    """``n`` held-out characters as whole *pictures*: each drawn at 35-80 % of the picture's
    height somewhere on a random background (scenes, clouds, lettering...), as characters sit
    in real illustrations. Scored through ``estimate_image`` (box, letterbox, second look).
    Returns ``(pictures (n, H, W, 3), keypoints (n, 18, 3), head segments (n,), masks (n, H, W))``:
    the masks are the characters' true cut-outs (``benchmarks`` scores the cut-out on them)."""
    from r2a_utils.characters import Motion, layout_for_character, random_character, random_pose, render_character
    from r2a_utils.characters.spec import HELD_OUT_SEED
    from r2a_utils.pose.anime.augment import background

    rng = np.random.default_rng(seed)
    w, h = size
    pics, kps, heads, masks = [], [], [], []
    for i in range(n):
        spec = random_character(HELD_OUT_SEED + 10_000 + i)
        frac = rng.uniform(0.35, 0.8)
        cw, ch = int(w * frac), int(h * frac)
        track = layout_for_character(Motion(random_pose(rng, spec.rest_pose())[None], 24.0, "p"), spec, (cw, ch),
                                     margin=0.04)
        rgba = render_character(spec, track.keypoints[0], (cw, ch), track.scale, track.depth[0]).rgba
        ox, oy = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        canvas = background(rng, max(w, h))[:h, :w]
        a = rgba[..., 3:4] / 255.0
        canvas[oy:oy + ch, ox:ox + cw] = rgba[..., :3] * a + canvas[oy:oy + ch, ox:ox + cw] * (1 - a)
        k = track.keypoints[0].astype(np.float32).copy()
        k[:, 0] += ox
        k[:, 1] += oy
        pics.append(np.clip(canvas, 0, 255).astype(np.uint8))
        kps.append(k)
        heads.append(spec.head * track.scale * 0.55)
        mask = np.zeros((h, w), bool)
        mask[oy:oy + ch, ox:ox + cw] = rgba[..., 3] > 127
        masks.append(mask)
    return np.stack(pics), np.stack(kps), np.array(heads, np.float32), np.stack(masks)


def evaluate_scenes(estimator, n: int = 60, alpha: float = 0.5, seed: int = 54321) -> dict:
    """PCKh@alpha of ``estimator.estimate_image`` on ``procedural_scenes``: the whole-picture
    path (finding the character, cropping, a second look) on held-out characters."""
    from r2a_utils.metrics import pckh

    pics, gt, head, _ = procedural_scenes(n, seed)
    preds = np.stack([estimator.estimate_image(p) for p in pics])
    score, per_joint = pckh(preds, gt, head, alpha)
    return {"pckh": score, "per_joint": per_joint.tolist(), "images": n}


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
    Also counted: ``complete`` (all 14 body joints found) and ``plausible`` (complete and
    passing ``plausible_standing_pose``). ``predictions``, ``files`` and ``truth`` (in the
    annotation's pixels) are kept for figures (``drawings_sheet``).
    """
    from r2a_utils.metrics import pckh
    from r2a_utils.pose.anime.estimator import plausible_standing_pose

    root = Path(images_root)
    preds, gts, heads, files, scales, missing, complete, plausible = [], [], [], [], [], 0, 0, 0
    for e in entries:
        f = next((c for c in (root / e["file_name"], root / Path(e["file_name"]).name) if c.exists()), None)
        if f is None:
            missing += 1
            continue
        pic = load_picture(f)
        k = e["size"][0] / pic.size[0]  # annotations live in the image shrunk to fit 800x600
        pred = estimator.estimate_image(pic)
        whole = not np.isnan(pred[:14, :2]).any()
        complete += whole
        plausible += whole and plausible_standing_pose(pred, pic.box())
        pred[:, :2] *= k
        preds.append(pred)
        gts.append(e["keypoints"])
        heads.append(np.linalg.norm(e["head"] - e["keypoints"][J["neck"], :2]))
        files.append(f)
        scales.append(k)
    if not preds:
        return {"pckh": float("nan"), "per_joint": [], "images": 0, "missing": missing}
    score, per_joint = pckh(np.stack(preds), np.stack(gts), np.array(heads), alpha)
    return {"pckh": score, "per_joint": per_joint.tolist(), "images": len(preds), "missing": missing,
            "complete": complete, "plausible": plausible, "predictions": preds, "truth": gts,
            "heads": heads, "files": files, "scales": scales}


# The columns of the original project's prediction files: its GCCPM ``val.py`` writes per
# picture the file name, then x, y of the 21 joints in the order of the dataset json's
# ``points`` ('nan' for a joint not found)
PREDICTIONS_CSV_JOINTS = ("body_upper", "neck", "head", "nose_tip", "nose_root",
                          "arm_left", "elbow_left", "wrist_left", "thumb_left",
                          "arm_right", "elbow_right", "wrist_right", "thumb_right",
                          "leg_left", "knee_left", "ankle_left", "tiptoe_left",
                          "leg_right", "knee_right", "ankle_right", "tiptoe_right")


class PredictionsFile:
    """Another system's answers, read from a CSV in the original project's format
    (``PREDICTIONS_CSV_JOINTS``), scored like an estimator: ``estimate_image`` looks the
    picture up by its file name, and a picture the file does not name gets no joints (all
    misses). Coordinates are in the pixels of the pictures scored.

    The original project published such a file for the very drawings of
    ``../shared/data/anime_drawings_dev`` (``pose_estimate/gccpm-look-into/test_results/
    test0206-val/kps_results.csv`` in KiedaTamashi/Real2Animation-video-generation), so its
    GCCPM can be scored on the same images as the kit's estimators.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            lines = self.path.read_text().splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise KeypointError(f"{self.path}: cannot read predictions ({e.__class__.__name__}: {e})") from None
        self.poses: dict[str, np.ndarray] = {}
        width = 1 + 2 * len(PREDICTIONS_CSV_JOINTS)
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            cells = [c.strip() for c in line.split(",")]
            if len(cells) != width:
                raise KeypointError(f"{self.path}, line {n}: expected a file name and {width - 1} coordinates "
                                    f"(x, y of {len(PREDICTIONS_CSV_JOINTS)} joints), got {len(cells) - 1} values")
            try:
                xy = np.array([float(c) for c in cells[1:]]).reshape(-1, 2)
            except ValueError:
                raise KeypointError(f"{self.path}, line {n}: a coordinate is not a number") from None
            found = {k: p for k, p in zip(PREDICTIONS_CSV_JOINTS, xy) if np.isfinite(p).all()}
            self.poses[Path(cells[0]).name] = from_anime_drawings(found)
        if not self.poses:
            raise KeypointError(f"{self.path}: no predictions in it")

    def estimate_image(self, image: str | os.PathLike | Picture) -> np.ndarray:
        pic = load_picture(image)
        return self.poses.get(pic.path.name if pic.path is not None else "", empty_pose()).copy()


def drawings_sheet(result: dict, height: int = 300, ncols: int = 8) -> np.ndarray:
    """A contact sheet of ``evaluate_anime_drawings``' pictures: the truth in green, the
    estimate as an OpenPose skeleton, and per picture how many body joints fall within
    PCKh@0.5."""
    import cv2

    from r2a_utils.viz import draw_skeleton, fit_height, image_grid

    tiles, titles = [], []
    for f, pred, gt, head, k in zip(result["files"], result["predictions"], result["truth"], result["heads"],
                                    result["scales"]):
        img = load_picture(f).rgb.copy()  # annotation pixels = picture pixels * k
        for g in gt[:14, :2]:
            if not np.isnan(g).any():
                cv2.circle(img, tuple(int(v) for v in g / k), max(3, img.shape[0] // 120), (0, 200, 0), -1)
        shown = pred.copy()
        shown[:, :2] /= k
        img = draw_skeleton(img, shown)
        d = np.linalg.norm(pred[:14, :2] - gt[:14, :2], axis=1)
        ok = int(np.sum(np.nan_to_num(d, nan=np.inf) <= 0.5 * head))
        tiles.append(fit_height(img, height))
        titles.append(f"{Path(f).stem}: {ok}/{int((~np.isnan(gt[:14, 0])).sum())}")
    width = max(t.shape[1] for t in tiles)
    tiles = [np.pad(t, ((0, 0), (0, width - t.shape[1]), (0, 0)), constant_values=255) for t in tiles]
    return image_grid(tiles, ncols=ncols, titles=titles)


def drawing_estimators(weights: str | os.PathLike | None = None) -> dict:
    """The estimators Table 1 compares, each with ``estimate_image(picture) -> (18, 3)``: the
    anime network alone (``weights``, default the shipped ones), the first shipped weights
    (v1: classic characters, no domain randomisation) when present, mediapipe's human model
    alone, and the network and mediapipe combined as the CLI uses them (merged joint by
    joint, ``merge_poses``)."""
    from r2a_utils.pose.anime.estimator import AnimePoseEstimator
    from r2a_utils.pose.human import HumanPoseEstimator

    class _Human:
        def __init__(self):
            self.est = HumanPoseEstimator()

        def estimate_image(self, image):
            return self.est.estimate_images([load_picture(image).rgb])[0]

    w = weights or WEIGHTS
    found = {"anime network": AnimePoseEstimator(w, use_human_model=False)}
    if WEIGHTS_V1.exists():
        found["anime network, v1 weights"] = AnimePoseEstimator(WEIGHTS_V1, use_human_model=False)
    found["mediapipe human model"] = _Human()
    found["combined (what the CLI uses)"] = AnimePoseEstimator(w, use_human_model=True)
    return found


def table_1(drawings: str | os.PathLike, annotations: str | os.PathLike,
            weights: str | os.PathLike | None = None,
            predictions: list[str | os.PathLike] | tuple = ()) -> dict[str, dict]:
    """PCKh@0.5 of each of ``drawing_estimators`` on the drawings in ``drawings`` that have an
    entry in ``annotations`` (an Anime Drawings Dataset json; entries without a picture here
    are skipped), and of each file of other systems' ``predictions`` (``PredictionsFile``)."""
    entries = load_anime_drawings(annotations)
    names = {p.name for p in Path(drawings).iterdir()}
    entries = [e for e in entries if Path(e["file_name"]).name in names]
    if not entries:
        raise KeypointError(f"{drawings}: no picture here has an entry in {annotations}")
    estimators = drawing_estimators(weights)
    estimators.update({f"predictions in {Path(p).name}": PredictionsFile(p) for p in predictions})
    return {name: evaluate_anime_drawings(est, entries, drawings) for name, est in estimators.items()}


REPORT_TABLE_1 = {"real19": 32.05, "real69": 26.2, "real89": 27.7, "mix": 27.48, "mobileNet": 17.65}  # PCKh@0.5, %


def print_table_1(scores: dict[str, dict], test_images: str) -> None:
    """The report's five rows beside the kit's, with per-joint figures for the kit's."""
    from r2a_utils.skeleton import JOINTS

    print(f"{'estimator':<40}{'test images':<44}{'PCKh@0.5 (%)':>12}{'whole poses':>13}")
    for row, value in REPORT_TABLE_1.items():
        print(f"{'report: GCCPM, ' + row:<40}{'Anime Drawings Dataset test split':<44}{value:>12.2f}")
    for name, r in scores.items():
        where = f"{r['images']} {test_images}"
        whole = f"{r.get('complete', 0)} ({r.get('plausible', 0)})"
        who = "other: " if name.startswith("predictions in ") else "kit: "
        print(f"{who + name:<40}{where:<44}{100 * r['pckh']:>12.2f}{whole:>13}")
    print("(the report's rows were measured on other images: its test split is not redistributable; 'other' "
          "rows are prediction files scored on the kit's images; whole poses: all 14 body joints found, in "
          "brackets also plausible for a standing figure)")
    body = JOINTS[:14]
    print(f"{'per joint':<40}" + "".join(f"{n.replace('right_', 'R').replace('left_', 'L')[:6]:>7}" for n in body))
    for name, r in scores.items():
        if r["per_joint"]:
            print(f"{name:<40}" + "".join(f"{100 * r['per_joint'][JOINTS.index(n)]:>7.0f}" for n in body))


