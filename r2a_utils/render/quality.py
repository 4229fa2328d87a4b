"""Is a rendered frame torn? Measures on the alpha of a renderer's output.

- ``pieces``: how many separate pieces the character is in (a torn limb is a second piece);
- ``hole_area``: slits of background enclosed by the character (a gap torn between parts);
- ``notch_share``: the area a morphological closing with a disc 2.5% of the figure's size
  (the square root of its area) adds to the silhouette, over the figure's area: wedges and
  slits cut into the outline. (With this size, the part-cutting renderer measures 0.68% on
  drawn_char1 x dab.bvh, as the issue that asked for the measure found.)

``tear_report(frames, rest)`` scores a clip against the character's rest render (holes the
picture itself has, e.g. between an arm and the body, are not counted).

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

MIN_PIECE = 0.002  # share of the figure's area below which a speck is not counted as a piece


def _solid(rgba_or_alpha: np.ndarray) -> np.ndarray:
    a = rgba_or_alpha[..., 3] if rgba_or_alpha.ndim == 3 else rgba_or_alpha
    return (a > 127).astype(np.uint8)


def pieces(rgba: np.ndarray) -> int:
    """Connected pieces of the character (specks under ``MIN_PIECE`` of its area ignored)."""
    m = _solid(rgba)
    n, _, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    area = max(int(m.sum()), 1)
    return int((stats[1:, cv2.CC_STAT_AREA] >= MIN_PIECE * area).sum())


def hole_area(rgba: np.ndarray, slit_share: float | None = 0.01) -> int:
    """Pixels of background enclosed by the character (not connected to the picture's edge).

    With ``slit_share``, only slits count: holes no wider than ``2 * slit_share`` of the
    figure's height (a gap torn between parts), not an open space between an arm and the
    head that a pose makes.
    """
    m = _solid(rgba)
    bg = np.pad(1 - m, 1, constant_values=1)
    n, labels = cv2.connectedComponents(bg, connectivity=4)
    holes = (labels != labels[0, 0]) & (bg > 0)
    if slit_share is None or not holes.any():
        return int(holes.sum())
    ys = np.flatnonzero(m.any(1))
    limit = slit_share * (ys[-1] - ys[0] + 1)
    inner = cv2.distanceTransform(holes.astype(np.uint8), cv2.DIST_L2, 3)
    total = 0
    for i in np.unique(labels[holes]):
        region = labels == i
        if inner[region].max() <= limit:
            total += int(region.sum())
    return total


def notch_share(rgba: np.ndarray, size_share: float = 0.025) -> float:
    """Area a closing with a disc of ``size_share`` of the figure's size (the square root of
    its area) adds, over the figure's area."""
    m = _solid(rgba)
    area = int(m.sum())
    if not area:
        return 0.0
    k = max(3, int(round(size_share * np.sqrt(area))) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    pad = k + 1
    closed = cv2.morphologyEx(np.pad(m, pad), cv2.MORPH_CLOSE, disc)[pad:-pad, pad:-pad]
    return float((closed > m).sum() / area)


def tear_report(frames, rest: np.ndarray, hole_tolerance: float = 0.005) -> dict:
    """Per clip: torn frames (more pieces than the rest render, or new slits larger than
    ``hole_tolerance`` of the figure: smaller ones are loops of hair or line art closing, seen
    in clean frames), and the mean notch share, against the rest render."""
    rest_holes, rest_pieces = hole_area(rest), pieces(rest)
    area = max(int(_solid(rest).sum()), 1)
    torn, notches, n = 0, [], 0
    for f in frames:
        n += 1
        split = pieces(f) > rest_pieces
        new_hole = hole_area(f) - rest_holes > hole_tolerance * area
        torn += int(split or new_hole)
        notches.append(notch_share(f))
    return {"frames": n, "torn": torn, "torn_share": torn / max(n, 1), "notch_share": float(np.mean(notches)),
            "rest_notch_share": notch_share(rest)}


def stage1_pair(seed: int, t: int, look: str = "classic", size: tuple[int, int] = (192, 256)):
    """A renderer's exam with a known answer: Stage 1 draws character ``seed`` in A-pose (the
    reference) and in frame ``t`` of the built-in dance (the truth). Returns ``(reference
    RGBA, reference joints, target joints, target depth, truth RGBA)``."""
    from r2a_utils.characters import Motion, builtin_dance, layout_for_character, random_character, render_character

    spec = random_character(seed, look=look)
    rest = spec.rest_pose()
    rest[:, 2] = 0.0
    a_pose = layout_for_character(Motion(rest[None], 24.0, "a_pose"), spec, size)
    ref = render_character(spec, a_pose.keypoints[0], size, a_pose.scale, a_pose.depth[0]).rgba
    dance = layout_for_character(builtin_dance(48), spec, size)
    truth = render_character(spec, dance.keypoints[t], size, dance.scale, dance.depth[t]).rgba
    return ref, a_pose.keypoints[0], dance.keypoints[t], dance.depth[t], truth
