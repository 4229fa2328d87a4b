"""Placing a character on a canvas: one fitting rule for Stage 1, Stage 3 and the pipeline.

A box (the character's extent) is fitted into a canvas of ``(width, height)`` as large as a
margin of ``MARGIN`` of the canvas on each side allows, centred, aspect ratio kept. The
result is a ``Placement``, the similarity ``canvas = k * picture + (tx, ty)`` that moves the
picture's pixels and its keypoints together.

Taught in notebooks/04_train_pose_transfer.ipynb and notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from r2a_utils.skeleton import transform_keypoints

MARGIN = 0.06  # share of the canvas left free on each side around a fitted character


@dataclasses.dataclass(frozen=True)
class Placement:
    """``canvas = k * picture + (tx, ty)``: how a picture's pixels land on a canvas."""

    k: float
    tx: float
    ty: float

    def apply(self, kps: np.ndarray) -> np.ndarray:
        return transform_keypoints(kps, self.matrix())

    def matrix(self) -> np.ndarray:
        return np.array([[self.k, 0, self.tx], [0, self.k, self.ty]], np.float64)

    def inverse_matrix(self) -> np.ndarray:
        return np.array([[1 / self.k, 0, -self.tx / self.k], [0, 1 / self.k, -self.ty / self.k]], np.float64)


def fit_box(box: tuple[float, float, float, float], size: tuple[int, int], margin: float = MARGIN) -> Placement:
    """The placement that centres ``box`` = (x0, y0, x1, y1) in a ``size`` = (width, height)
    canvas, as large as the margins allow (the box keeps its aspect ratio)."""
    x0, y0, x1, y1 = box
    w, h = size
    k = min(w * (1 - 2 * margin) / max(x1 - x0, 1e-9), h * (1 - 2 * margin) / max(y1 - y0, 1e-9))
    return Placement(float(k), float(w / 2 - k * (x0 + x1) / 2), float(h / 2 - k * (y0 + y1) / 2))


def canvas_around(picture_size: tuple[int, int], poses: np.ndarray, height: int,
                  margin: float = MARGIN) -> tuple[Placement, tuple[int, int]]:
    """A canvas ``height`` pixels high that holds the picture and every pose of a clip.

    The box is the union of the picture and all finite joints, padded by ``margin`` of its
    size; the width follows (rounded to even, for video encoders).
    Returns ``(placement from picture pixels to the canvas, (width, height))``.
    """
    w, h = picture_size
    xy = poses[..., :2][np.isfinite(poses[..., :2]).all(-1)]
    lo = np.minimum(xy.min(0) if len(xy) else [0, 0], [0, 0])
    hi = np.maximum(xy.max(0) if len(xy) else [w, h], [w, h])
    pad = margin * (hi - lo)
    lo, hi = lo - pad, hi + pad
    k = height / (hi[1] - lo[1])
    size = (int(round((hi[0] - lo[0]) * k / 2)) * 2, int(height))
    return Placement(float(k), float(-lo[0] * k), float(-lo[1] * k)), size


def alpha_box(alpha: np.ndarray, threshold: int = 16) -> tuple[int, int, int, int]:
    """Tight box ``(x0, y0, x1, y1)`` of the opaque pixels; ValueError when there are none."""
    ys, xs = np.nonzero(alpha > threshold)
    if len(xs) == 0:
        raise ValueError("the character mask is empty")
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def place_image(img: np.ndarray, placement: Placement, size: tuple[int, int],
                border: int | tuple[int, ...] = 0, interpolation: int | None = None) -> np.ndarray:
    """Resample a picture (any channels) onto the canvas with ``placement`` (outside: ``border``).

    Shrinking (the default when ``placement.k < 1``, or ``interpolation=cv2.INTER_AREA``)
    averages the picture's pixels over each canvas pixel: ``cv2.warpAffine`` reads
    ``INTER_AREA`` as bilinear, which at a 3x shrink samples a few pixels in nine and breaks
    thin line art and one-pixel hair strands. So the picture is first shrunk by
    ``cv2.resize(..., INTER_AREA)`` and then placed, the rest of the scale and the offset
    applied bilinearly (pixel centres kept where ``placement`` puts them).
    """
    interp = interpolation if interpolation is not None else (cv2.INTER_AREA if placement.k < 1 else cv2.INTER_LINEAR)
    matrix = placement.matrix()
    if interp == cv2.INTER_AREA and placement.k < 1:
        h, w = img.shape[:2]
        nw, nh = max(1, round(w * placement.k)), max(1, round(h * placement.k))
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
        sx, sy = nw / w, nh / h  # pixel x of the picture lands at (x + 0.5) * sx - 0.5 in the shrunk one
        matrix = np.array([[placement.k / sx, 0, placement.tx - 0.5 * placement.k * (1 - 1 / sx)],
                           [0, placement.k / sy, placement.ty - 0.5 * placement.k * (1 - 1 / sy)]], np.float64)
        interp = cv2.INTER_LINEAR
    return cv2.warpAffine(img, matrix, size, flags=interp, borderMode=cv2.BORDER_CONSTANT, borderValue=border)
