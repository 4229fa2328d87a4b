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

from r2a_utils.render.cutout import RendererError, character_mask
from r2a_utils.skeleton import TORSO_JOINTS, KeypointError, as_keypoints, missing_joints

# warp: the mesh rig, any picture, no training (default); parts: the kit's first renderer, cut
# into rigid parts (kept for comparison); gan: Stage 3's PATN generator
RENDERERS = ("warp", "parts", "gan")
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


def cut_reference(reference: np.ndarray, reference_kps: np.ndarray, mask: np.ndarray | None = None):
    """A renderer's start: the checked picture split into ``(rgb, alpha or None)``, its joints,
    and the character's cut-out ``(H, W)`` bool (``mask``, alpha, or found in the picture),
    without the small pieces that hang on it by a one-pixel line (``drop_hairline_pieces``)."""
    ref, kps = check_reference(reference, reference_kps)
    rgb, alpha = ref[..., :3], (ref[..., 3] if ref.shape[2] == 4 else None)
    cut = character_mask(rgb, alpha, kps, mask)
    if not cut.any():
        raise RendererError("the character's cut-out is empty")
    return rgb, alpha, kps, drop_hairline_pieces(cut)


HAIRLINE_PIECE = 0.01  # share of the figure under which a piece joined to it by a hairline is dropped


def drop_hairline_pieces(cut: np.ndarray, share: float = HAIRLINE_PIECE) -> np.ndarray:
    """The cut-out without small pieces (under ``share`` of it) that hang on the figure by a
    line one pixel wide at the size it is drawn: the tip of a hair strand drawn a pixel thin.
    Any warp breaks such a line, and the piece would float beside the figure. Found as the
    pieces an opening with a 3x3 cross (which removes one-pixel lines) leaves apart from the
    largest; the hairline itself stays (a line that breaks leaves specks, not a piece)."""
    m = cut.astype(np.uint8)
    opened = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    if n <= 2:
        return cut
    main = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    small = [i for i in range(1, n) if i != main and stats[i, cv2.CC_STAT_AREA] < share * m.sum()]
    if not small:
        return cut
    drop = cv2.dilate(np.isin(labels, small).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return cut & ~(drop & ~(cv2.dilate((labels == main).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0))


def check_target(target_kps: np.ndarray) -> np.ndarray:
    """A target pose ``(18, 3)`` with its torso (neck, shoulders, hips), checked."""
    tgt = as_keypoints(target_kps, "target keypoints")
    if tgt.shape != (18, 3):
        raise RendererError(f"target keypoints: one pose (18, 3) expected, got {tgt.shape}")
    missing = missing_joints(tgt, TORSO_JOINTS)
    if missing:
        raise KeypointError(f"target keypoints: missing {', '.join(missing)}")
    return tgt


def unpremultiply(premultiplied: np.ndarray) -> np.ndarray:
    """Premultiplied float RGBA (alpha in [0, 1]) -> RGBA ``uint8``."""
    a = np.maximum(premultiplied[..., 3], 1e-6)
    out = np.empty(premultiplied.shape, np.uint8)
    out[..., :3] = np.minimum(cv2.divide(np.ascontiguousarray(premultiplied[..., :3]), cv2.merge([a, a, a])), 255)
    out[..., 3] = np.minimum(premultiplied[..., 3] * 255, 255)
    return out


def make_renderer(name: str, reference: np.ndarray, reference_kps: np.ndarray, mask: np.ndarray | None = None,
                  size: tuple[int, int] | None = None, gan_weights: str | None = None) -> Renderer:
    """The renderer called ``name`` (one of ``RENDERERS``) for one character picture."""
    if name == "warp":
        from r2a_utils.render.mesh import MeshRenderer

        return MeshRenderer(reference, reference_kps, mask=mask, size=size)
    if name == "parts":
        from r2a_utils.render.parts import PartsRenderer

        return PartsRenderer(reference, reference_kps, mask=mask, size=size)
    if name == "gan":
        from r2a_utils.render.gan import GANRenderer

        return GANRenderer(reference, reference_kps, mask=mask, size=size, weights=gan_weights or None)
    raise RendererError(f"renderer {name!r} is not available; choose from {', '.join(RENDERERS)}")
