"""Synthetic training pictures for the anime pose network: procedural characters in random
poses, with exact keypoints, under strong augmentation (scale, rotation, left/right flips
with joint swap, colour jitter, random backgrounds, occluders), and the heatmap targets.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

from r2a_utils.characters.motion import Motion, layout_for_character, random_pose
from r2a_utils.characters.render import render_character
from r2a_utils.characters.spec import HELD_OUT_SEED, random_character
from r2a_utils.pose.anime.model import AnimePoseConfig
from r2a_utils.skeleton import FLIP_INDEX, NUM_JOINTS, transform_keypoints


def _background(rng: np.random.Generator, s: int) -> np.ndarray:
    """Plain, gradient, noisy or cluttered backgrounds, so the net learns the character, not the canvas."""
    kind = rng.integers(4)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    if kind == 0:
        bg = np.broadcast_to(c0, (s, s, 3)).astype(np.float32)
    else:
        t = np.linspace(0, 1, s, dtype=np.float32)[:, None, None]
        bg = (c0 * (1 - t) + c1 * t) * np.ones((s, s, 3), np.float32)
        if rng.random() < 0.5:
            bg = bg.transpose(1, 0, 2).copy()
    if kind == 2:
        bg += rng.normal(0, 18, (s, s, 3)).astype(np.float32)
    if kind == 3:
        for _ in range(rng.integers(3, 9)):
            color = tuple(int(v) for v in rng.integers(0, 256, 3))
            p = rng.integers(0, s, 2)
            if rng.random() < 0.5:
                cv2.circle(bg, tuple(int(v) for v in p), int(rng.integers(4, s // 4)), color, -1)
            else:
                q = p + rng.integers(-s // 3, s // 3, 2)
                cv2.rectangle(bg, tuple(int(v) for v in p), tuple(int(v) for v in q), color, -1)
    return np.clip(bg, 0, 255)


def synth_sample(rng: np.random.Generator, cfg: AnimePoseConfig, seed: int | None = None,
                 augment: bool = True) -> tuple[np.ndarray, np.ndarray, float]:
    """One training image: a procedural character in a random pose, augmented.

    Returns:
        ``(image (S, S, 3) uint8, keypoints (18, 3) in image pixels, head segment px)``; the
        head segment (neck to head centre) is what PCKh is normalized by. Joints pushed out of
        the picture by augmentation have confidence 0.
    """
    s = cfg.input_size
    spec = random_character(int(seed if seed is not None else rng.integers(cfg.num_train_characters)))
    pose = random_pose(rng, spec.rest_pose())
    track = layout_for_character(Motion(pose[None], 24.0, "pose"), spec, (s, s), margin=0.04)
    res = render_character(spec, track.keypoints[0], (s, s), track.scale, track.depth[0])
    rgba = res.rgba.astype(np.float32)
    kps = track.keypoints[0].astype(np.float32).copy()
    head = float(spec.head * track.scale * 0.55)
    if augment:
        zoom = rng.uniform(0.55, 1.05)
        angle = rng.uniform(-25, 25)
        centre = np.array([s / 2, s / 2]) + rng.uniform(-0.15, 0.15, 2) * s
        m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, zoom)
        m[:, 2] += np.array([s / 2, s / 2]) - centre
        rgba = cv2.warpAffine(rgba, m, (s, s), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
        kps = transform_keypoints(kps, m)
        head *= zoom
        if rng.random() < 0.5:
            rgba = rgba[:, ::-1].copy()
            kps = kps[list(FLIP_INDEX)].copy()
            kps[:, 0] = s - 1 - kps[:, 0]
        bg = _background(rng, s)
    else:
        bg = np.full((s, s, 3), 255.0, np.float32)
    a = rgba[..., 3:4] / 255.0
    img = rgba[..., :3] * a + bg * (1 - a)
    if augment:
        img = img * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)  # contrast and brightness
        img = img * rng.uniform(0.85, 1.15, 3)  # colour balance
        if rng.random() < 0.25:
            img = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)  # line art / manga
        if rng.random() < 0.3:  # an occluder over part of the body
            p = kps[rng.integers(NUM_JOINTS), :2]
            half = rng.uniform(0.04, 0.12, 2) * s
            x0, y0 = (p - half).astype(int)
            x1, y1 = (p + half).astype(int)
            img[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = rng.integers(0, 256, 3)
        if rng.random() < 0.3:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.2))
    inside = (kps[:, 0] >= 0) & (kps[:, 0] < s) & (kps[:, 1] >= 0) & (kps[:, 1] < s)
    kps[:, 2] = inside.astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), kps, head


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


