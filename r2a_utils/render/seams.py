r"""Legs drawn side by side come apart along the line between them.

Many drawings show the legs touching: thighs pressed together with one outline between them,
knees together, crossed shins. The body layer's mesh is one piece there, and its skinning
weights blend the two legs near the line, so when the pose spreads the legs the cells along
the line stretch across the gap and smear the outline into stripes.

Where the picture draws the legs apart, side by side (``side_by_side``: not crossed, not one
in front of the other), the mesh is cut:

1. **The line between the legs.** The medial line between the legs' bones (hip -> knee ->
   ankle) is where the two are equally near. Going up from the feet, a row
   (across the spine) is drawn apart while its medial pixels lie on a line (thin ink) or a
   gap; the cut stops a line's width below the first rows where they run through cloth or
   skin instead (a skirt over both legs is one piece: cutting it would tear it; a hem drawn
   across both legs stays whole).
2. **Hardened weights.** Below the top of the cut, each vertex follows its own leg only (the
   one its weights favour: they are measured inside the cut-out, so a foot turned towards
   the other leg stays with its own): the other leg's weights move to the same bone of its
   own leg (a thigh's to the thigh).
3. **Cells on the line are drawn twice.** A cell with corners on both sides gets one copy that
   follows the left leg and shows only the pixels on its side (those nearest its vertices on
   that side), and one for the right. The copies sample masked copies of the body's picture (``side_sources``), laid
   beside it. At rest the two halves make the cell again; spread, each leg takes its half of
   the outline.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from r2a_utils.render.bones import PARTS, segment_distance
from r2a_utils.render.reach import ink_areas, line_width
from r2a_utils.skeleton import J

SIDE_PARTS = {"left": ("left_thigh", "left_shin"), "right": ("right_thigh", "right_shin")}
MIN_CUT = 0.1  # the cut must run this share of the legs' length, or there is none
APART = 0.5  # legs whose bones come closer than this share of the hip width cross or overlap: no cut


def _chain(kps: np.ndarray, side: str) -> list[tuple[np.ndarray, np.ndarray]]:
    k = np.asarray(kps, np.float64)[:, :2]
    j = [J[f"{side}_{n}"] for n in ("hip", "knee", "ankle")]
    return [(k[a], k[b]) for a, b in zip(j, j[1:]) if np.isfinite(k[[a, b]]).all()]


def leg_distances(points: np.ndarray, kps: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Straight distances of ``(x, y)`` points to the left and to the right leg's bones."""
    chains = [_chain(kps, s) for s in ("left", "right")]
    if not all(chains):
        return None
    return tuple(np.min([segment_distance(points, a, b) for a, b in c], axis=0) for c in chains)


def side_by_side(kps: np.ndarray, share: float = APART) -> bool:
    """Are the legs drawn side by side? Below the first quarter of each leg, its bones stay
    at least ``share`` x the hip width away from the other leg's. Legs that cross or overlap
    in the picture (one drawn in front of the other, crossed shins) come closer, and the line
    between them there is not where they part."""
    k = np.asarray(kps, np.float64)[:, :2]
    chains = {s: _chain(k, s) for s in ("left", "right")}
    hip_width = np.linalg.norm(k[J["left_hip"]] - k[J["right_hip"]])
    if not all(chains.values()) or not hip_width > 0:
        return False
    for side, other in (("left", "right"), ("right", "left")):
        pts = np.concatenate([a + np.linspace(0, 1, 20)[:, None] * (b - a) for a, b in chains[side]])
        length = sum(np.linalg.norm(b - a) for a, b in chains[side])
        pts = pts[np.linalg.norm(pts - chains[side][0][0], axis=1) > 0.25 * length]
        if len(pts) and min(segment_distance(pts, a, b).min() for a, b in chains[other]) < share * hip_width:
            return False
    return True


def cut_rows(body: np.ndarray, rgb: np.ndarray, kps: np.ndarray) -> tuple[int, int] | None:
    """``(top, bottom)`` picture rows over which the picture draws the legs apart, or None
    (also when the legs are not drawn side by side, ``side_by_side``).

    The picture is taken upright (rows across the spine), as drawings of standing figures are."""
    k = np.asarray(kps, np.float64)
    hips = k[[J["right_hip"], J["left_hip"]], :2]
    ys, xs = np.nonzero(body)
    if not len(ys) or not np.isfinite(hips).all() or not side_by_side(kps):
        return None
    d = leg_distances(np.stack([xs, ys], 1).astype(np.float64), kps)
    if d is None:
        return None
    ink, wide = ink_areas(rgb, body)
    apart = ~body | (ink & ~wide)  # a gap, or a line drawn between the legs
    r = line_width(body.shape)
    y_hip = int(np.ceil(hips[:, 1].max()))
    bottom = int(ys.max())
    medial = np.abs(d[0] - d[1]) <= 1.0
    top = None
    for y in range(bottom, y_hip, -1):
        on = medial & (ys == y)
        if on.any():
            x0, x1 = xs[on].min() - r, xs[on].max() + r + 1
            drawn = apart[max(y - 1, 0):y + 2, max(x0, 0):x1].any()
        else:
            drawn = True  # the legs apart with background between them
        if not drawn:
            break
        top = y
    if top is not None:
        top += r  # not into a hem drawn across the legs: a line along the cut's top would break
    if top is None or bottom - top < MIN_CUT * (bottom - y_hip):
        return None
    return top, bottom


def _moved_to(w: np.ndarray, side: str) -> np.ndarray:
    """Weights ``(n, P)`` with the other leg's weights moved to the same bones of ``side``'s leg."""
    other = "right" if side == "left" else "left"
    out = w.copy()
    for mine, theirs in zip(SIDE_PARTS[side], SIDE_PARTS[other]):
        out[:, PARTS.index(mine)] += out[:, PARTS.index(theirs)]
        out[:, PARTS.index(theirs)] = 0.0
    return out


def cut_legs(vertices: np.ndarray, triangles: np.ndarray, weights: np.ndarray, body: np.ndarray,
             rgb: np.ndarray, kps: np.ndarray, width: int):
    """The body mesh cut between the legs where the picture draws them apart.

    Returns ``(vertices, triangles, weights, source_vertices, side)``: the mesh with hardened
    weights and each cell on the line drawn twice; ``source_vertices`` where each vertex samples
    the body's picture, the copies shifted by ``width`` (left leg) and ``2 * width`` (right)
    into the masked copies ``side_sources`` lays beside it; ``side`` (H, W) bool, True where
    a pixel is on the left leg's side (None when no cell lies on the line). None when the
    picture does not draw the legs apart.
    """
    rows = cut_rows(body, rgb, kps)
    if rows is None:
        return None
    # each vertex's leg is the one its weights (distances inside the cut-out) favour: a foot
    # turned towards the other leg stays with its own
    wl, wr = (weights[:, [PARTS.index(p) for p in SIDE_PARTS[s]]].sum(1) for s in ("left", "right"))
    below = (vertices[:, 1] >= rows[0]) & (wl + wr > 0.5)
    left = wl >= wr
    w = weights.copy()
    w[below & left] = _moved_to(weights[below & left], "left")
    w[below & ~left] = _moved_to(weights[below & ~left], "right")
    on_line = (below[triangles].any(1) & left[triangles].any(1) & ~left[triangles].all(1))
    keep, line = triangles[~on_line], triangles[on_line]
    used = np.unique(line)
    if not len(used):  # the legs apart with a gap wider than a cell: no cell lies on the line
        return vertices, keep, w, vertices, None
    verts, wts, src, tris, n = [vertices], [w], [vertices], [keep], len(vertices)
    for shift, side in ((width, "left"), (2 * width, "right")):
        index = np.full(len(vertices), -1, np.int64)
        index[used] = n + np.arange(len(used))
        verts.append(vertices[used])
        wts.append(np.where(below[used, None], _moved_to(weights[used], side), w[used]))
        src.append(vertices[used] + (shift, 0))
        tris.append(index[line])
        n += len(used)
    # each pixel around the line is on the side of the nearest vertex of the cells on it
    side = np.ones(body.shape, bool)
    x0, y0 = np.maximum(np.floor(vertices[used].min(0)).astype(int) - 4, 0)
    x1, y1 = np.ceil(vertices[used].max(0)).astype(int) + 5
    ys, xs = np.mgrid[y0:min(y1, body.shape[0]), x0:min(x1, body.shape[1])]
    _, nearest = cKDTree(vertices[used]).query(np.stack([xs.ravel(), ys.ravel()], 1))
    side[ys, xs] = left[used][nearest].reshape(ys.shape)
    return np.concatenate(verts), np.concatenate(tris), np.concatenate(wts), np.concatenate(src), side


def side_sources(source: np.ndarray, side: np.ndarray) -> np.ndarray:
    """The body's premultiplied picture with its left-leg and right-leg halves laid beside it."""
    return np.concatenate([source, source * side[..., None], source * ~side[..., None]], axis=1)
