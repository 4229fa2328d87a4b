"""Synthetic training pictures for the anime pose network: procedural characters in random
poses (front and turned up to ``cfg.yaw_deg``; back views only with ``cfg.back_views``, off by
default because they made the network hedge between left and right; standing, sitting,
crouching; framed full length or cut at the thighs), with exact keypoints, under strong augmentation (scale, rotation,
left/right flips with joint swap, occluders) and domain randomisation (``augment``:
backgrounds, drawing styles, real people from real videos), and the heatmap targets.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

from r2a_utils.characters.motion import Motion, layout_for_character, random_pose
from r2a_utils.characters.render import render_character
from r2a_utils.characters.spec import HELD_OUT_SEED, random_character
from r2a_utils.pose.anime.annotated import AnnotatedPoses
from r2a_utils.pose.anime.augment import RealPeople, background, restyle
from r2a_utils.pose.anime.model import AnimePoseConfig
from r2a_utils.skeleton import FLIP_INDEX, NUM_JOINTS, J, transform_keypoints


def _affine(rng: np.random.Generator, s: int, zoom: tuple[float, float], centre: np.ndarray | None = None) -> np.ndarray:
    """A random similarity about ``centre`` (default: near the middle): zoom, rotation, shift."""
    k = rng.uniform(*zoom)
    angle = rng.uniform(-25, 25)
    c = np.array([s / 2, s / 2]) + rng.uniform(-0.15, 0.15, 2) * s if centre is None else centre
    m = cv2.getRotationMatrix2D((float(c[0]), float(c[1])), angle, k)
    m[:, 2] += np.array([s / 2, s / 2]) - c
    return m


def _flip(rgba: np.ndarray, kps: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    kps = kps[list(FLIP_INDEX)].copy()
    kps[:, 0] = s - 1 - kps[:, 0]
    return rgba[:, ::-1].copy(), kps


def synth_sample(rng: np.random.Generator, cfg: AnimePoseConfig, seed: int | None = None,
                 augment: bool = True, real: RealPeople | None = None,
                 poses: AnnotatedPoses | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """One training image: a procedural character in a random pose, augmented (or, with
    ``real`` and probability ``cfg.real_fraction``, a real person from a video). With
    ``poses``, a share ``cfg.annotated_fraction`` of the characters take the pose (and body
    proportions) of a real illustration instead of a random one.

    Returns:
        ``(image (S, S, 3) uint8, keypoints (18, 3) in image pixels, head segment px)``; the
        head segment (neck to head centre) is what PCKh is normalized by. Joints pushed out of
        the picture by augmentation have confidence 0.
    """
    s = cfg.input_size
    if augment and real is not None and len(real) and rng.random() < cfg.real_fraction:
        return _real_sample(rng, cfg, real)
    spec = random_character(int(seed if seed is not None else rng.integers(cfg.num_train_characters)))
    if augment and poses is not None and len(poses) and rng.random() < cfg.annotated_fraction:
        kps, scale = poses.place(int(rng.integers(len(poses))), spec, s, rng)
        rgba = render_character(spec, kps, (s, s), scale).rgba.astype(np.float32)
    else:
        yaw = 180.0 if rng.random() < cfg.back_views else cfg.yaw_deg
        pose = random_pose(rng, spec.rest_pose(), yaw_deg=yaw, sit_prob=cfg.sit_prob)
        track = layout_for_character(Motion(pose[None], 24.0, "pose"), spec, (s, s), margin=0.04)
        rgba = render_character(spec, track.keypoints[0], (s, s), track.scale, track.depth[0]).rgba.astype(np.float32)
        kps, scale = track.keypoints[0].astype(np.float32).copy(), track.scale
    head = float(spec.head * scale * 0.55)
    if augment:
        if rng.random() < cfg.crop_fraction:  # framed at the thighs or knees: zoom in on the upper body
            upper = np.nanmean(kps[[J["neck"], J["right_hip"], J["left_hip"]], :2], axis=0)
            m = _affine(rng, s, (1.3, 1.9), centre=upper + np.array([0, -0.05 * s]))
        else:
            m = _affine(rng, s, (0.5, 1.1))
        rgba = cv2.warpAffine(rgba, m, (s, s), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
        kps = transform_keypoints(kps, m)
        head *= float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
        if rng.random() < 0.5:
            rgba, kps = _flip(rgba, kps, s)
        bg = background(rng, s, real.backdrops if real is not None else None)
    else:
        bg = np.full((s, s, 3), 255.0, np.float32)
    a = rgba[..., 3:4] / 255.0
    img = rgba[..., :3] * a + bg * (1 - a)
    if augment:
        if rng.random() < 0.3:  # an occluder over part of the body
            p = kps[rng.integers(NUM_JOINTS), :2]
            half = rng.uniform(0.04, 0.12, 2) * s
            colour = rng.integers(0, 256, 3)
            if not np.isnan(p).any():  # (an illustration's pose has no eyes or ears)
                x0, y0 = (p - half).astype(int)
                x1, y1 = (p + half).astype(int)
                img[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = colour
        img = restyle(img, rng)
    return _finish(img, kps, head, s)


def _finish(img: np.ndarray, kps: np.ndarray, head: float, s: int) -> tuple[np.ndarray, np.ndarray, float]:
    inside = (kps[:, 0] >= 0) & (kps[:, 0] < s) & (kps[:, 1] >= 0) & (kps[:, 1] < s) & ~np.isnan(kps[:, 0])
    kps[:, 2] = inside.astype(np.float32)
    kps[~inside, :2] = np.nan_to_num(kps[~inside, :2], nan=-1.0)
    return np.clip(img, 0, 255).astype(np.uint8), kps, head


def _real_sample(rng: np.random.Generator, cfg: AnimePoseConfig, real: RealPeople):
    """A real person (mediapipe's keypoints as labels), letterboxed like ``estimate_image`` does."""
    s = cfg.input_size
    crop, kps = real.crops[int(rng.integers(len(real)))]
    kps = kps.astype(np.float32).copy()
    h, w = crop.shape[:2]
    k = s / max(h, w)
    m0 = np.array([[k, 0, (s - w * k) / 2], [0, k, (s - h * k) / 2]], np.float64)
    m = _affine(rng, s, (0.7, 1.1))
    full = np.vstack([m, [0, 0, 1]]) @ np.vstack([m0, [0, 0, 1]])
    rgba = np.dstack([crop, np.full((h, w), 255, np.uint8)]).astype(np.float32)
    rgba = cv2.warpAffine(rgba, full[:2], (s, s), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    kps = transform_keypoints(kps, full[:2])
    if rng.random() < 0.5:
        rgba, kps = _flip(rgba, kps, s)
    a = rgba[..., 3:4] / 255.0
    img = rgba[..., :3] * a + background(rng, s, real.backdrops) * (1 - a)
    img = restyle(img, rng)
    head = float(np.linalg.norm(kps[J["nose"], :2] - kps[J["neck"], :2]) * 0.9)
    return _finish(img, kps, head, s)


def heatmap_targets(kps: np.ndarray, cfg: AnimePoseConfig) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian targets ``(N, 18, S/4, S/4)`` and a per-joint weight (0 outside the image)."""
    hs = cfg.input_size // 4
    g = np.arange(hs, dtype=np.float32)
    cx = (kps[..., 0] - 1.5) / 4  # heatmap cell i covers input pixels 4i .. 4i + 3
    cy = (kps[..., 1] - 1.5) / 4
    hx = np.exp(-((g[None, None, :] - cx[..., None]) ** 2) / (2 * cfg.sigma ** 2))
    hy = np.exp(-((g[None, None, :] - cy[..., None]) ** 2) / (2 * cfg.sigma ** 2))
    maps = hy[..., :, None] * hx[..., None, :]
    return maps.astype(np.float32), kps[..., 2].astype(np.float32)


def procedural_test_set(n: int = 200, cfg: AnimePoseConfig = AnimePoseConfig(), seed: int = 12345):
    """``n`` held-out characters (seeds from ``HELD_OUT_SEED``) in random poses, augmented like
    training (backgrounds, scale, rotation, occluders). Returns images, keypoints, head sizes."""
    rng = np.random.default_rng(seed)
    samples = [synth_sample(rng, cfg, seed=HELD_OUT_SEED + i) for i in range(n)]
    return (np.stack([s[0] for s in samples]), np.stack([s[1] for s in samples]),
            np.array([s[2] for s in samples], np.float32))


