r"""Where the body's outline goes on behind an arm that covers it.

An arm hanging at a character's side often covers the body's edge: the skirt's edge goes
in under the sleeve and comes out below the hand. ``layers.closed_across`` fills behind an
arm only where the body lies on both sides of it; here the body is on one side only, so a
raised arm would uncover a step cut into the skirt or the waist.

Across the spine (rows of the picture turned so that the spine is upright), the body's left
and right edges :math:`x_\pm(y)` are known where nothing covers them. Where an arm lies
just outside the edge, the edge is hidden: it is drawn on straight between the nearest
rows above and below where it is seen,

.. math:: x_\pm(y) = x_\pm(y_0) + \frac{y - y_0}{y_1 - y_0}\,(x_\pm(y_1) - x_\pm(y_0)),

and the arm's pixels between that line and the body go to the body. Nothing is guessed
beyond the last row the edge is seen in (an arm reaching below the body), and the body only
grows: where the line runs inside the body (a narrow neck above a shoulder) nothing changes.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

from r2a_utils.skeleton import J

TOUCH = 2  # pixels: an arm this close outside the body's edge hides it
ON_FIGURE = 0.6  # share of a hand's rim on the figure above which the hand lies on it (not held out)


def upright(kps: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The 2x3 map turning the picture so that the spine (mid-hip -> neck) points up, about
    the picture's centre, and the size of the turned picture (it holds the whole picture)."""
    k = np.asarray(kps, np.float64)[:, :2]
    hips = k[[J["right_hip"], J["left_hip"]]]
    if not (np.isfinite(hips).all() and np.isfinite(k[J["neck"]]).all()):
        return None
    up = k[J["neck"]] - hips.mean(0)
    if not np.hypot(*up) > 0:
        return None
    angle = np.degrees(np.arctan2(up[0], -up[1]))  # 0 when the neck is straight above the hips
    h, w = shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(np.ceil(w * c + h * s)), int(np.ceil(w * s + h * c))
    m[:, 2] += (nw / 2 - w / 2, nh / 2 - h / 2)
    return m, (nh, nw)


def arm_half_width(arm: np.ndarray) -> float:
    """The arm's typical half-width: the median distance to its edge along its middle (the
    ridge of the distance transform), so a fist or a puffed sleeve does not count for all."""
    dt = cv2.distanceTransform(arm.astype(np.uint8), cv2.DIST_L2, 3)
    ridge = dt[(dt > 0) & (dt >= cv2.dilate(dt, np.ones((3, 3), np.float32)))]
    return float(np.median(ridge)) if len(ridge) else 0.0


def chord_envelope(out: np.ndarray, window: int) -> np.ndarray:
    """How far out the outline goes, ``out`` (one value a row), with each dent shorter than
    ``window`` rows bridged by a straight chord: the highest of the chords between rows at
    most ``window`` apart, at every row they span (and ``out`` itself)."""
    line = out.copy()
    n = len(out)
    for d in range(2, min(window, n - 1) + 1):
        a, b = out[:n - d], out[d:]
        for k in range(1, d):
            np.maximum(line[k:n - d + k], a + (b - a) * (k / d), out=line[k:n - d + k])
    return line


def hands_on_figure(hand: np.ndarray, figure: np.ndarray, share: float = ON_FIGURE) -> np.ndarray:
    """The pieces of ``hand`` that lie on the figure: ``share`` of their rim or more is figure
    (body or arm), not background. A hand held out has little more than its wrist on it."""
    n, labels = cv2.connectedComponents(hand.astype(np.uint8), connectivity=8)
    out = np.zeros_like(hand, dtype=bool)
    for i in range(1, n):
        piece = labels == i
        rim = (cv2.dilate(piece.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~piece
        if (rim & figure).sum() >= share * max(int(rim.sum()), 1):
            out |= piece
    return out


def hidden_edges(body: np.ndarray, arm: np.ndarray, hand: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The pixels of ``hand`` between the body and its outline drawn on behind the arms
    (bool, the picture's size). ``arm``: both arms (hands clasped in front of the body cover
    its edge together); ``hand``: the hands, of which those lying on the figure
    (``hands_on_figure``) may give pixels to the body. A sleeve beside the body, or a hand
    held out, may hang free of it with nothing of the body behind, and gives none.)"""
    hand = hands_on_figure(hand, body | arm)
    turn = upright(kps, body.shape)
    if turn is None or not body.any() or not hand.any():
        return np.zeros_like(arm)
    m, size = turn
    b = cv2.warpAffine(body.astype(np.uint8), m, size[::-1], flags=cv2.INTER_NEAREST) > 0
    a = cv2.warpAffine(arm.astype(np.uint8), m, size[::-1], flags=cv2.INTER_NEAREST) > 0
    f = cv2.warpAffine(hand.astype(np.uint8), m, size[::-1], flags=cv2.INTER_NEAREST) > 0
    rows = np.flatnonzero(b.any(1))
    window = int(4 * arm_half_width(a)) | 1  # twice the arm's width
    cols = np.arange(b.shape[1])
    add = np.zeros_like(a)
    for side in (-1, 1):  # the left edge, then the right one
        edge = np.array([np.flatnonzero(b[y]).min() if side < 0 else np.flatnonzero(b[y]).max() for y in rows])
        outside = [a[y, max(x - TOUCH, 0):x] if side < 0 else a[y, x + 1:x + 1 + TOUCH] for y, x in zip(rows, edge)]
        hidden = np.array([o.any() for o in outside])
        if not hidden.any():
            continue
        line = side * chord_envelope(side * edge.astype(np.float64), window)
        for i in np.flatnonzero(hidden):
            y = rows[i]
            span = (cols >= line[i]) & (cols < edge[i]) if side < 0 else (cols <= line[i]) & (cols > edge[i])
            add[y] |= span & f[y]
    if not add.any():
        return np.zeros_like(arm)
    back = cv2.invertAffineTransform(m)
    out = cv2.warpAffine(add.astype(np.uint8), back, body.shape[::-1], flags=cv2.INTER_NEAREST) > 0
    return out & hand
