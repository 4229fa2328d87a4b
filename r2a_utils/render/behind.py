r"""What lies behind an arm: the places it covered in the picture, and their colours.

``render.layers`` cuts each arm out of the picture. Where an arm lay on the body, the body
layer would have a hole the shape of the arm, and a raised arm would uncover it. The body
layer gets those pixels, filled:

1. **Which places.** Where the body closes over the arm *across* it (``closed_across``: the
   slot an arm lying on the body leaves; an arm held out from the body, with nothing of the
   body beyond it, leaves none), encloses it, goes on under it along a leg, or where the arm
   lies on the torso's middle (``torso_core``: forearms folded before the chest at the
   figure's edge).
2. **Which colours** (``across_colours``). From each pixel, walk both ways along the normal
   of its bone to the body, and take the colour of the nearer side,
   :math:`c = c_+` if :math:`d_+ \le d_-`, else :math:`c_-`, read a little beyond the arm's
   edge: the median of the body's pixels among the ``BEYOND_EDGE`` steps from the first one
   met, which alone is often the edge's mix of arm and body (a white sleeve on a navy bodice
   would leave a grey band). So a forearm lying on a navy bodice leaves navy behind it, not the
   colour of whatever body pixel happens to be nearest, and an edge the arm lay across meets
   in its middle.
3. **What the walks miss** takes the nearest body pixel that is not ink, and the fill is
   smoothed (``fill_behind``).
4. **The edge.** The body's pixels along a filled place's edge are the arm's soft edge mixed
   with the body (``split_layers`` fills them the same way): kept as they are, a raised white
   sleeve would leave a faint light outline of itself on a navy bodice.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

from r2a_utils.render.bones import segment_distance
from r2a_utils.skeleton import J


def across_bones(px: np.ndarray, chain: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """For points ``px (N, 2)``: the index of the arm bone each lies nearest ``(N,)``, and each
    bone's unit normal ``(3, 2)`` (the hand lies along the forearm; zero for a bone under a
    pixel long)."""
    nearest = np.argmin(np.stack([segment_distance(px, a, b) for a, b in chain]), axis=0)
    normals = np.zeros((len(chain), 2))
    for i, (a, b) in enumerate(chain):
        d = (b - a) if i < 2 else (chain[1][1] - chain[1][0])
        length = float(np.linalg.norm(d))
        if length >= 1:
            normals[i] = (-d[1] / length, d[0] / length)
    return nearest, normals


BEYOND_EDGE = 5  # across the arm, the body's colour is the median of this many steps past its edge


def across_colours(rgb: np.ndarray, known: np.ndarray, hole: np.ndarray, chain: list[tuple[np.ndarray, np.ndarray]],
                   limit: int) -> np.ndarray:
    """Colours ``(H, W, 3)`` (NaN where none) for an arm's ``hole`` pixels, read *across* the
    arm. From each pixel, walk both ways along the normal of its nearest bone (the hand lies
    along the forearm) to the first ``known`` body pixel, at most ``limit`` pixels, and take
    the nearer side's colour, the median of the ``known`` pixels among the ``BEYOND_EDGE``
    steps from there: a body that goes on under the arm is continued from both sides, and an
    edge under it (hair beside a torso) meets in the middle. A pixel that meets the body on
    one side only takes that side's colour."""
    out = np.full(rgb.shape, np.nan, np.float32)
    ys, xs = np.nonzero(hole)
    if not len(xs):
        return out
    px = np.stack([xs, ys], 1).astype(np.float64)
    nearest, normals = across_bones(px, chain)
    n = normals[nearest]
    h, w = known.shape
    steps = np.arange(1, limit + 1, dtype=np.float64)
    rows = np.arange(len(px))
    found, dist = [], []
    for sign in (1.0, -1.0):
        q = np.round(px[:, None, :] + sign * steps[None, :, None] * n[:, None, :]).astype(int)
        inside = (q[..., 0] >= 0) & (q[..., 0] < w) & (q[..., 1] >= 0) & (q[..., 1] < h)
        qx, qy = np.clip(q[..., 0], 0, w - 1), np.clip(q[..., 1], 0, h - 1)
        ok = inside & known[qy, qx]
        first = ok.argmax(1)
        hit = ok[rows, first]
        # read a little beyond the arm's edge: the first pixel is often the edge's mix of arm and body
        r = rows[hit, None]
        at = np.minimum(first[hit, None] + np.arange(BEYOND_EDGE), limit - 1)
        colour = np.full((len(px), 3), np.nan)
        colour[hit] = np.nanmedian(np.where(ok[r, at][..., None], rgb[qy[r, at], qx[r, at]], np.nan), axis=1)
        found.append(colour)
        dist.append(np.where(hit, steps[first], np.nan))
    (c1, c2), (d1, d2) = found, dist
    first_side = np.isfinite(d1) & ~(np.nan_to_num(d2, nan=np.inf) < d1)  # the nearer side that met the body
    out[ys, xs] = np.where(first_side[:, None], c1, c2)
    return out


def fill_behind(rgb: np.ndarray, known: np.ndarray, hole: np.ndarray, blur: float,
                first: np.ndarray | None = None) -> np.ndarray:
    """``rgb`` with ``hole`` coloured from ``first`` where it has a colour (``across_colours``),
    else from the nearest ``known`` pixels, smoothed inside the hole."""
    from scipy.ndimage import distance_transform_edt

    out = rgb.copy()
    if not hole.any() or not known.any():
        return out
    _, (iy, ix) = distance_transform_edt(~known, return_indices=True)
    near = rgb[iy, ix].astype(np.float32)
    if first is not None:
        given = np.isfinite(first).all(-1)
        near[given] = first[given]
    k = max(3, int(round(blur)) | 1)
    weight = hole.astype(np.float32)
    smooth = cv2.GaussianBlur(near * weight[..., None], (k, k), 0) / np.maximum(
        cv2.GaussianBlur(weight, (k, k), 0), 1e-6)[..., None]
    out[hole] = np.clip(smooth[hole], 0, 255).astype(np.uint8)
    return out


def closed_across(body: np.ndarray, arm: np.ndarray, chain: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The arm's pixels the body closes over *across* the arm: a closing of the body with a
    line as long as the arm is wide plus a margin, laid across each bone. An arm lying on the
    body leaves a slot that closes; an arm held out from the body, with nothing of the body
    beyond it, does not (a round closing would fill the armpit as well)."""
    out = np.zeros_like(arm)
    ys, xs = np.nonzero(arm)
    if not len(xs):
        return out
    width = 2.0 * float(cv2.distanceTransform(arm.astype(np.uint8), cv2.DIST_L2, 3).max())
    k = int(1.3 * width + 5) | 1
    pad = k
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, arm.shape[0])
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, arm.shape[1])
    crop = body[y0:y1, x0:x1].astype(np.uint8)
    px = np.stack(np.meshgrid(np.arange(x0, x1), np.arange(y0, y1)), -1).reshape(-1, 2).astype(np.float64)
    nearest, normals = across_bones(px, chain)
    nearest = nearest.reshape(crop.shape)
    for i, n in enumerate(normals):
        if not n.any():  # a bone under a pixel long
            continue
        line = np.zeros((k, k), np.uint8)
        c = k // 2
        cv2.line(line, (int(round(c - c * n[0])), int(round(c - c * n[1]))),
                 (int(round(c + c * n[0])), int(round(c + c * n[1]))), 1, 1)
        closed = cv2.morphologyEx(crop, cv2.MORPH_CLOSE, line, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
        out[y0:y1, x0:x1] |= closed & (nearest == i)
    return out & arm


TORSO_CORE = 0.7  # share of the way from the spine to each shoulder and hip: the torso surely behind an arm on it


def torso_core(shape: tuple[int, ...], kps: np.ndarray) -> np.ndarray:
    """The torso's middle, ``TORSO_CORE`` of the way from the spine to the shoulders and the
    hips: an arm lying there (forearms folded before the chest) has the torso behind it, even
    where the body does not close over the arm (the figure's edge)."""
    out = np.zeros(shape[:2], np.uint8)
    k = kps[:, :2].astype(np.float64)
    corners = [k[J[n]] for n in ("neck", "right_shoulder", "left_shoulder", "right_hip", "left_hip")]
    if not all(np.isfinite(c).all() for c in corners):
        return out > 0
    neck, rs, ls, rh, lh = corners
    hip = (rh + lh) / 2
    quad = [neck + TORSO_CORE * (rs - neck), neck + TORSO_CORE * (ls - neck),
            hip + TORSO_CORE * (lh - hip), hip + TORSO_CORE * (rh - hip)]
    cv2.fillPoly(out, [np.round(np.array(quad)).astype(np.int32)], 1)
    return out > 0
