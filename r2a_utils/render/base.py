"""What every renderer shares: the interface, the reference check, the character's cut-out.

A renderer is made once per character from a reference picture and its joints, then draws
the character in any target pose: ``render(target_kps (18, 3), depth=None) -> RGBA uint8``
of ``size``. ``make_renderer(name, ...)`` picks one by the name the CLI, the demo and the
pipeline use.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from r2a_utils.skeleton import J, KeypointError, as_keypoints, missing_joints

RENDERERS = ("warp", "gan")  # warp: any picture, no training; gan: Stage 3's PATN generator
# bones drawn as thick strokes to seed the cut-out: (parent, child)
_SEED_BONES = (("right_shoulder", "neck"), ("left_shoulder", "neck"), ("right_hip", "neck"), ("left_hip", "neck"),
               ("nose", "neck"), ("right_hip", "right_knee"), ("left_hip", "left_knee"),
               ("right_knee", "right_ankle"), ("left_knee", "left_ankle"), ("right_shoulder", "right_elbow"),
               ("left_shoulder", "left_elbow"), ("right_elbow", "right_wrist"), ("left_elbow", "left_wrist"))


class RendererError(ValueError):
    """A reference picture, mask or pose a renderer cannot use."""


class Renderer(Protocol):
    """The interface both renderers have."""

    size: tuple[int, int]

    def render(self, target_kps: np.ndarray, depth: np.ndarray | None = None) -> np.ndarray:
        """The character in ``target_kps`` ``(18, 3)``: RGBA ``uint8`` of ``size``."""
        ...


def check_reference(reference: np.ndarray, reference_kps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A renderer's reference picture and joints, checked: RGB/RGBA ``uint8`` and every body
    joint present (the interface both renderers share)."""
    ref = np.asarray(reference)
    if ref.ndim != 3 or ref.shape[2] not in (3, 4) or ref.dtype != np.uint8:
        raise RendererError(f"reference picture must be RGB/RGBA uint8, got {ref.dtype} {ref.shape}")
    kps = as_keypoints(reference_kps, "reference keypoints")
    missing = missing_joints(kps)  # the body joints; the nose is optional (drawings lack it)
    if missing:
        raise KeypointError(f"reference keypoints: missing {', '.join(missing)} (fix them in the joints editor)")
    return ref, kps


def character_mask(rgb: np.ndarray, alpha: np.ndarray | None = None, keypoints: np.ndarray | None = None,
                   mask: np.ndarray | None = None) -> np.ndarray:
    """Foreground mask ``(H, W)`` bool of the character.

    From ``mask`` if given, else from ``alpha``, else GrabCut seeded with the border as
    background and thick strokes along the skeleton as foreground.
    """
    h, w = rgb.shape[:2]
    if mask is not None:
        m = np.asarray(mask)
        if m.shape[:2] != (h, w):
            raise RendererError(f"mask is {m.shape[1]}x{m.shape[0]} but the picture is {w}x{h}")
        return (m[..., 0] if m.ndim == 3 else m) > 127
    if alpha is not None:
        return alpha > 127
    if keypoints is None:
        raise RendererError("no alpha channel and no mask: keypoints are needed to find the character")
    gc = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    xy = keypoints[~np.isnan(keypoints[:, 0]), :2]
    x0, y0 = np.maximum(xy.min(0) - 0.15 * (xy.max(0) - xy.min(0)), 0).astype(int)
    x1, y1 = np.minimum(xy.max(0) + 0.15 * (xy.max(0) - xy.min(0)), [w - 1, h - 1]).astype(int)
    gc[max(0, y0 - (y1 - y0) // 6):y1 + 1, x0:x1 + 1] = cv2.GC_PR_FGD
    b = max(2, min(h, w) // 60)
    gc[:b], gc[-b:], gc[:, :b], gc[:, -b:] = cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD
    width = max(2, int(0.02 * (y1 - y0)))
    for a, c in _SEED_BONES:
        pa, pc = keypoints[J[a], :2], keypoints[J[c], :2]
        if np.isfinite(pa).all() and np.isfinite(pc).all():
            cv2.line(gc, tuple(int(v) for v in pa), tuple(int(v) for v in pc), cv2.GC_FGD, width)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(np.ascontiguousarray(rgb[..., ::-1]), gc, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)
    m = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8))
    if n > 1:  # keep the blob under the neck (stray background bits dropped)
        neck = keypoints[J["neck"], :2].astype(int)
        keep = labels[min(h - 1, neck[1]), min(w - 1, neck[0])] or 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        m = labels == keep
    # GrabCut closes background pockets (between an arm and the body): drop sizeable patches
    # of exactly the background colour. (A large white costume on a white page needs a mask.)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.int16)
    bg_like = (np.abs(rgb.astype(np.int16) - np.median(border, axis=0)).sum(-1) < 12) & m
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bg_like.astype(np.uint8))
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] > 0.015 * m.sum():
            m &= labels != i
    return m



def make_renderer(name: str, reference: np.ndarray, reference_kps: np.ndarray, mask: np.ndarray | None = None,
                  size: tuple[int, int] | None = None, gan_weights: str | None = None) -> Renderer:
    """The renderer called ``name`` (one of ``RENDERERS``) for one character picture."""
    if name == "warp":
        from r2a_utils.render.warp import WarpRenderer

        return WarpRenderer(reference, reference_kps, mask=mask, size=size)
    if name == "gan":
        from r2a_utils.render.gan import GANRenderer

        return GANRenderer(reference, reference_kps, mask=mask, size=size, weights=gan_weights or None)
    raise RendererError(f"renderer {name!r} is not available; choose from {', '.join(RENDERERS)}")
