"""How far a limb reaches on each side of its bone, read in the picture.

From points along a bone, walk across it both ways until the colour leaves the limb's (an
outline is taken in, a torso the limb lies on is not; a line with the limb's colour beyond it,
a muscle or a fold drawn inside the limb, is crossed) or the cut-out ends. The median walk
on each side, around each point, is the limb's reach there: a puffy sleeve is wide near the
shoulder, a wrist narrow. ``render.layers`` cuts each arm out of the picture with it, and
finds where a leg goes on under an arm.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

from r2a_utils.render.bones import segment_distance
from r2a_utils.skeleton import J

INK = 0.75  # an outline's brightness (sum of RGB) is below this share of the colour it bounds
LEG_BONES = (("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("left_hip", "left_knee"),
             ("left_knee", "left_ankle"))
SAMPLES = np.linspace(0.1, 0.9, 9)  # where along a bone its width is read


def across_points(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``SAMPLES`` points along the bone a-b ``(9, 2)`` and its unit normal ``(-dy, dx)``
    (None for a bone under a pixel long)."""
    d = b - a
    length = float(np.linalg.norm(d))
    if length < 1:
        return None
    return a + SAMPLES[:, None] * d, np.array([-d[1], d[0]]) / length


def bone_points(segments, shape: tuple[int, int], n: int = 30) -> np.ndarray:
    """Integer pixels ``(k, 2)`` (x, y), ``n`` along each segment ``(a, b)`` that has both
    ends, those inside a picture of ``shape``."""
    h, w = shape[:2]
    pts = [a + np.linspace(0, 1, n)[:, None] * (b - a) for a, b in segments
           if np.isfinite(a).all() and np.isfinite(b).all()]
    if not pts:
        return np.zeros((0, 2), int)
    pts = np.round(np.concatenate(pts)).astype(int)
    return pts[(pts >= 0).all(1) & (pts[:, 0] < w) & (pts[:, 1] < h)]


def colour_at(rgb: np.ndarray, mask: np.ndarray, p: np.ndarray) -> np.ndarray | None:
    """The picture's colour at ``p`` (median of its 3x3 pixels), or None off the cut-out."""
    h, w = mask.shape
    c = np.round(p).astype(int)
    if not (0 <= c[0] < w and 0 <= c[1] < h and mask[c[1], c[0]]):
        return None
    return np.median(rgb[max(c[1] - 1, 0):c[1] + 2, max(c[0] - 1, 0):c[0] + 2].reshape(-1, 3), axis=0)


def line_width(shape: tuple[int, ...]) -> int:
    """The widest a drawn line (an outline, a cuff's edge) is taken to be in a picture of
    ``shape``: 1.2% of its longer side, at least 2 pixels."""
    return max(2, int(round(0.012 * max(shape[:2]))))


def ink_areas(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ink, wide)``: the cut-out's dark pixels (darker than ``INK`` x its median brightness),
    and those of them in areas wider than a line (a navy bodice, black tights, not outlines)."""
    brightness = rgb.astype(np.int32).sum(-1)
    ink = brightness < INK * np.median(brightness[mask]) if mask.any() else np.zeros_like(mask)
    k = 2 * line_width(mask.shape) + 1
    wide = cv2.morphologyEx((ink & mask).astype(np.uint8), cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0
    return ink, wide


def walk(rgb: np.ndarray, mask: np.ndarray, p: np.ndarray, u: np.ndarray, steps: np.ndarray, colour: np.ndarray,
         colour_step: float = 160.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk from ``p`` along the unit direction ``u`` by ``steps``: the pixels passed ``(n, 2)``,
    which of them are on the cut-out, and which are on it in ``colour`` (within ``colour_step``)."""
    h, w = mask.shape
    q = np.round(p + steps[:, None] * u).astype(int)
    inside = (q[:, 0] >= 0) & (q[:, 0] < w) & (q[:, 1] >= 0) & (q[:, 1] < h)
    in_mask = np.zeros(len(q), bool)
    in_mask[inside] = mask[q[inside, 1], q[inside, 0]]
    on = in_mask.copy()
    on[inside] &= np.abs(rgb[q[inside, 1], q[inside, 0]].astype(np.float32) - colour).sum(-1) < colour_step
    return q, in_mask, on


def across_width(rgb: np.ndarray, mask: np.ndarray, a: np.ndarray, b: np.ndarray, limit: float,
                 colour_step: float = 160.0) -> np.ndarray:
    """The limb's reach on each side of the bone a-b at ``SAMPLES`` along it, ``(2, 9)``
    (left: the side of the normal ``(-dy, dx)``; then right), read across it: walk both ways
    until the cut-out ends or the colour leaves the limb's (an outline is taken in, the
    torso it lies on is not, a line inside the limb is crossed). NaN where a walk runs on
    past ``limit`` (nothing to tell the limb from) or the bone is too short."""
    h, w = mask.shape
    out = np.full((2, len(SAMPLES)), np.nan)
    across = across_points(a, b)
    if across is None:
        return out
    points, n = across
    steps = np.arange(1, int(limit) + 2, dtype=np.float64)
    outline = line_width(mask.shape)
    for i, p in enumerate(points):
        colour = colour_at(rgb, mask, p)
        if colour is None:
            continue
        for j, sign in enumerate((1, -1)):
            q, in_mask, on = walk(rgb, mask, p, sign * n, steps, colour, colour_step)
            off = np.flatnonzero(~on)
            if not len(off):
                continue
            # an outline (darker than the limb) still belongs to the limb: up to ``outline`` pixels
            # of it; a line with the limb's colour again beyond it is drawn inside the limb (a
            # muscle, a fold): walk on across it
            stop = off[0]
            while True:
                ahead = q[stop:stop + outline]
                ahead = ahead[(ahead[:, 0] >= 0) & (ahead[:, 0] < w) & (ahead[:, 1] >= 0) & (ahead[:, 1] < h)]
                dark = (mask[ahead[:, 1], ahead[:, 0]]
                        & (rgb[ahead[:, 1], ahead[:, 0]].astype(np.float32).sum(-1) < INK * colour.sum()))
                stop += int(np.cumprod(dark).sum())
                if not dark[:1].any() or stop + outline > len(on) or not on[stop:stop + outline].all():
                    break
                beyond = np.flatnonzero(~on[stop:])
                stop = stop + int(beyond[0]) if len(beyond) else len(steps)
            # and where the cut-out ends just beyond, the limb reaches its edge (no sliver left)
            edge = np.flatnonzero(~in_mask[stop:stop + outline + 1])
            stop += int(edge[0]) if len(edge) else 0
            if stop < len(steps):
                out[j, i] = steps[stop] - 0.5
    return out


def limb_reach(sides: np.ndarray, lo: float, hi: float, default: float) -> np.ndarray:
    """Each side's reach along the bone ``(2, 9)``, gaps filled (from the same side, else
    mirrored from the other, else ``default``), clipped to ``[lo / 2, hi]`` and smoothed."""
    out = sides.copy()
    for j in (0, 1):
        if np.isfinite(out[j]).sum() < 3:
            out[j] = np.nan
    for j in (0, 1):
        if not np.isfinite(out[j]).any():
            out[j] = out[1 - j] if np.isfinite(out[1 - j]).any() else default
        out[j] = np.where(np.isfinite(out[j]), out[j], np.nanmedian(out[j]))
    out = np.clip(out, lo / 2, hi)
    padded = np.pad(out, ((0, 0), (1, 1)), mode="edge")
    return np.median(np.stack([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]]), axis=0)


def _ray_to_segment(p: np.ndarray, u: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Distance from ``p`` along the unit ray ``u`` to the segment a-b (inf: no crossing)."""
    e = b - a
    den = u[0] * e[1] - u[1] * e[0]
    if abs(den) < 1e-9:
        return np.inf
    w = a - p
    s = (w[0] * e[1] - w[1] * e[0]) / den  # along the ray
    t = (w[0] * u[1] - w[1] * u[0]) / den  # along the segment
    return float(s) if s > 0 and 0 <= t <= 1 else np.inf


def room(a: np.ndarray, b: np.ndarray, kps: np.ndarray, least: float) -> np.ndarray:
    """How far an arm's bone a-b may reach on each side ``(2, 9)``: at most 60% of the way to
    the spine or a leg bone across it (an arm lying along the body is not as wide as the
    body), never below ``least``."""
    k = kps[:, :2].astype(np.float64)
    mid_hip = (k[J["right_hip"]] + k[J["left_hip"]]) / 2
    others = [(k[J["neck"]], mid_hip)] + [(k[J[p]], k[J[c]]) for p, c in LEG_BONES]
    others = [(p, c) for p, c in others if np.isfinite(p).all() and np.isfinite(c).all()]
    out = np.full((2, len(SAMPLES)), np.inf)
    across = across_points(a, b)
    if across is None:
        return out
    points, n = across
    for i, p in enumerate(points):
        for j, u in enumerate((n, -n)):
            gap = min((_ray_to_segment(p, u, q, c) for q, c in others), default=np.inf)
            out[j, i] = max(0.6 * gap, least)
    return out


def within(px: np.ndarray, a: np.ndarray, b: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Points within the bone a-b's reach ``(2, 9)`` on their side of it and at their place
    along it (one pixel more for the rim)."""
    d = b - a
    cross = d[0] * (px[:, 1] - a[1]) - d[1] * (px[:, 0] - a[0])
    t = np.clip(((px - a) @ d) / max(float(d @ d), 1e-9), 0, 1)
    r = np.where(cross >= 0, np.interp(t, SAMPLES, reach[0]), np.interp(t, SAMPLES, reach[1]))
    return segment_distance(px, a, b) <= r + 1.0


def leg_bands(rgb: np.ndarray, mask: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The pixels within each leg bone's half-width of it (read across the bone as for the
    arms): where the body goes on behind an arm, and what a hand resting on a thigh
    leaves to the leg."""
    h, w = mask.shape
    rows = np.flatnonzero(mask.any(1))
    height = rows[-1] - rows[0] + 1 if len(rows) else 1
    yy, xx = np.mgrid[0:h, 0:w]
    px = np.stack([xx.ravel(), yy.ravel()], 1).astype(np.float64)
    out = np.zeros(h * w, bool)
    for a, b in LEG_BONES:
        pa, pb = kps[J[a], :2].astype(np.float64), kps[J[b], :2].astype(np.float64)
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        reach = limb_reach(across_width(rgb, mask, pa, pb, 0.08 * height), 0.04 * height, 0.08 * height, 0.05 * height)
        out |= within(px, pa, pb, reach)
    return out.reshape(h, w)
