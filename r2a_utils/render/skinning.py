r"""Skinning weights: how much each vertex of a layer's mesh follows each body part.

For each of the layer's parts the distance from every pixel to the part is measured *inside
the cut-out* (geodesic: Dijkstra on the pixel grid, at ``WORK_HEIGHT``), not in a straight
line, so a skirt between the legs is far from either leg along the figure and a strand of
hair is far from the arm beside it. Weights fall off with that distance,
:math:`w_p(v) \propto \exp(-(d_p(v) - \min_q d_q(v)) / \tau)` with :math:`\tau` 4% of the
figure's height (``SKIN_TAU``); an arm's own mesh uses at most ``ARM_SKIN_TAU`` of its shorter
bone, so a small arm drawn bent does not blend its upper arm into its forearm (unfolded, the
blend pinches the forearm to a line and the fist comes off it: anime_green_dress at 384 px).

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

from r2a_utils.render.bones import PARTS, part_segments, segment_distance
from r2a_utils.skeleton import J

WORK_HEIGHT = 160  # figure height (pixels) at which the geodesic distances are measured
SKIN_TAU = 0.04  # the weights' fall-off distance, as a share of the figure's height
ARM_SKIN_TAU = 0.1  # ... at most this share of the shorter arm bone in an arm's own mesh


def geodesic_distances(mask: np.ndarray, kps: np.ndarray, scale: float,
                       parts: tuple[str, ...] = PARTS) -> tuple[np.ndarray, np.ndarray]:
    """Distance inside the cut-out from every pixel of a ``scale``-d mask to every part.

    Returns ``(distances (P, N) in full-size pixels, pixel coordinates (N, 2) of the small mask)``.
    Seeds: the torso polygon for the torso (a little behind a limb bone lying over it, so the
    limb wins on its own bone), pixels near each other part's bone. Parts not in ``parts``
    are infinitely far (a layer's mesh follows its own parts only).
    Pixels no seed reaches (a separate piece) get straight-line distances.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    h, w = mask.shape
    sw, sh = max(2, round(w * scale)), max(2, round(h * scale))
    small = cv2.resize(mask.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA) > 0.25
    ys, xs = np.nonzero(small)
    n = len(xs)
    index = np.full(small.shape, -1, np.int64)
    index[ys, xs] = np.arange(n)
    rows, cols, vals = [], [], []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        y2, x2 = ys + dy, xs + dx
        ok = (y2 < sh) & (x2 >= 0) & (x2 < sw)
        ok[ok] &= small[y2[ok], x2[ok]]
        rows.append(np.arange(n)[ok])
        cols.append(index[y2[ok], x2[ok]])
        vals.append(np.full(ok.sum(), np.hypot(dy, dx)))
    px = np.stack([xs, ys], 1).astype(np.float64)
    segs = {p: (a * scale, b * scale) for p, (a, b) in part_segments(kps).items()}
    thickness = 0.06 * max(np.linalg.norm(segs["torso"][1] - segs["torso"][0]), 1.0) * 1.6
    straight = np.stack([segment_distance(px, *segs[p]) for p in PARTS])
    poly = np.zeros(small.shape, np.uint8)
    cv2.fillPoly(poly, [np.round(kps[[J[n] for n in ("neck", "right_shoulder", "right_hip", "left_hip",
                                                       "left_shoulder")], :2] * scale).astype(np.int32)], 1)
    in_torso = poly[ys, xs] > 0
    dist = np.full((len(PARTS), n), np.inf)
    src = np.arange(n)
    for i, part in enumerate(PARTS):
        if part not in parts:
            continue
        if part == "torso":
            at, start = in_torso, np.full(n, 0.5 * thickness)
        else:
            at, start = straight[i] <= thickness, straight[i]
        if not at.any():  # a bone that lies outside the cut-out: its nearest pixels
            at = straight[i] <= straight[i].min() + 1.0
        # one Dijkstra from a virtual node joined to the seeds by their starting distance
        graph = coo_matrix((np.concatenate(vals + [start[at] + 1e-3]),
                            (np.concatenate(rows + [np.full(at.sum(), n)]),
                             np.concatenate(cols + [src[at]]))), shape=(n + 1, n + 1)).tocsr()
        dist[i] = dijkstra(graph, directed=False, indices=n)[:n]
    unreached = ~np.isfinite(dist).any(0)
    allowed = np.array([p in parts for p in PARTS])
    dist[np.ix_(allowed, unreached)] = straight[np.ix_(allowed, unreached)]
    return dist / scale, px / scale


def skin_weights(mask: np.ndarray, kps: np.ndarray, points: np.ndarray, figure_height: float,
                 parts: tuple[str, ...] = PARTS, tau: float | None = None) -> np.ndarray:
    """Weights ``(len(points), P)`` of each part (those in ``parts``) for each point (rows sum to 1);
    ``tau``, the fall-off distance in pixels (default ``SKIN_TAU`` of ``figure_height``)."""
    from scipy.ndimage import distance_transform_edt

    scale = min(1.0, WORK_HEIGHT / max(figure_height, 1.0))
    dist, px = geodesic_distances(mask, kps, scale, parts)
    # each point takes the distances of the nearest pixel where they were measured
    grid = np.round(px * scale).astype(int)
    shape = (max(2, round(mask.shape[0] * scale)), max(2, round(mask.shape[1] * scale)))
    label = np.zeros(shape, np.int64)
    label[grid[:, 1], grid[:, 0]] = np.arange(1, len(px) + 1)
    _, (iy, ix) = distance_transform_edt(label == 0, return_indices=True)
    q = np.clip(np.round(points * scale).astype(int), 0, [shape[1] - 1, shape[0] - 1])
    nearest = label[iy[q[:, 1], q[:, 0]], ix[q[:, 1], q[:, 0]]] - 1
    d = dist[:, nearest].T
    tau = SKIN_TAU * figure_height if tau is None else tau
    rel = d - d.min(1, keepdims=True)
    wts = np.where(rel < 5 * tau, np.exp(-rel / tau), 0.0)
    return wts / wts.sum(1, keepdims=True)
