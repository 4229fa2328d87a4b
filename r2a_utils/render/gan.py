"""The GAN renderer: Stage 3's trained PATN generator behind the renderer interface.

``GANRenderer(reference, reference_kps).render(target_kps) -> RGBA`` has the warp
renderer's interface, so the pipeline switches between them by name. The picture is cut
out, fitted onto the model's canvas exactly as training pictures were (``canvas.fit_box``),
and the output is mapped back onto the picture's canvas.

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from r2a_utils.canvas import alpha_box, fit_box, place_image
from r2a_utils.render.base import character_mask, check_reference
from r2a_utils.skeleton import KeypointError, as_keypoints
from r2a_utils.viz import to_rgb

WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "pose_transfer_sample.pt"


class GANRenderer:
    """Render one character picture in new poses with a trained PATN generator.

    Args:
        reference: the character picture, RGB or RGBA ``uint8``.
        reference_kps: ``(18, 3)`` joints in that picture.
        mask: optional foreground mask for pictures without alpha (else GrabCut).
        size: output (width, height); default the picture's size.
        weights: generator checkpoint; default the shipped sample-character weights.
    """

    def __init__(self, reference: np.ndarray, reference_kps: np.ndarray, mask: np.ndarray | None = None,
                 size: tuple[int, int] | None = None, weights: str | os.PathLike | None = None,
                 device: str = "auto"):
        import torch

        from r2a_utils.config import pick_device
        from r2a_utils.transfer.checkpoint import load_generator, sigma_px
        from r2a_utils.transfer.models import from_uint8, pose_heatmaps

        ref, kps = check_reference(reference, reference_kps)
        self.device = pick_device(device)
        self.gen, self.cfg, _ = load_generator(weights or WEIGHTS, self.device)
        self.character = self.cfg.character if self.cfg.num_characters == 1 and self.cfg.source == "character" else None
        self.notes = [] if self.character is None else [
            f"GAN renderer: these weights were trained on one character ({self.character}); any other character "
            f"needs its own training (notebook 04) or the warp renderer"]
        self.size = size or (ref.shape[1], ref.shape[0])
        cut = character_mask(ref[..., :3], ref[..., 3] if ref.shape[2] == 4 else None, kps, mask)
        cut = np.where(cut, 255, 0).astype(np.uint8)
        self.placement = fit_box(alpha_box(cut), self.cfg.size)
        rgba = np.dstack([ref[..., :3], cut])
        ref_white = to_rgb(place_image(rgba, self.placement, self.cfg.size))
        self._sigma = sigma_px(self.cfg)
        self._heatmaps = pose_heatmaps
        with torch.no_grad():
            self._ref = from_uint8(ref_white[None]).to(self.device)
            self._ref_pose = pose_heatmaps(torch.from_numpy(self.placement.apply(kps)[None]), self.cfg.size,
                                           self._sigma).to(self.device)
        self.reference_on_canvas = ref_white

    def render_canvas(self, target_kps: np.ndarray) -> np.ndarray:
        """RGBA ``uint8`` on the model's own canvas (``cfg.width`` x ``cfg.height``)."""
        return self._render_canvas(target_kps)[0]

    def _render_canvas(self, target_kps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        from r2a_utils.transfer.models import to_uint8

        tgt = as_keypoints(target_kps, "target keypoints")
        if tgt.shape != (18, 3):
            raise KeypointError(f"target keypoints: one pose (18, 3) expected, got {tgt.shape}")
        on_canvas = self.placement.apply(tgt)
        shift = self._fit_shift(on_canvas)
        on_canvas[:, :2] += shift
        with torch.no_grad():
            hm = self._heatmaps(torch.from_numpy(on_canvas[None]), self.cfg.size, self._sigma).to(self.device)
            rgb, a = self.gen(self._ref, self._ref_pose, hm)
        return np.dstack([to_uint8(rgb)[0], to_uint8(a)[0]]), shift

    def _fit_shift(self, kps: np.ndarray) -> np.ndarray:
        """The smallest move that keeps the pose (plus a limb's width) inside the model's canvas.

        The canvas fits the reference picture; a target with an arm stretched out to one side
        would be cut at the edge, so it is slid back in (and moved back after rendering).
        """
        w, h = self.cfg.size
        xy = kps[np.isfinite(kps[:, :2]).all(1), :2]
        if not len(xy):
            return np.zeros(2, np.float32)
        pad = 0.03 * h  # about half a limb
        shift = np.zeros(2, np.float32)
        for d, extent in enumerate((w, h)):
            lo, hi = xy[:, d].min() - pad, xy[:, d].max() + pad
            if hi - lo >= extent:
                shift[d] = extent / 2 - (lo + hi) / 2  # cannot fit: centre it
            elif lo < 0:
                shift[d] = -lo
            elif hi > extent:
                shift[d] = extent - hi
        return shift

    def render(self, target_kps: np.ndarray, depth: np.ndarray | None = None) -> np.ndarray:
        """RGBA ``uint8`` of ``self.size`` with the character in ``target_kps`` (picture pixels).

        ``depth`` is accepted for the warp renderer's interface; the generator infers layering.
        """
        out, shift = self._render_canvas(target_kps)
        back = self.placement.inverse_matrix()
        back[:, 2] -= back[:, :2] @ shift  # undo the slide into the canvas
        return cv2.warpAffine(out, back, self.size, flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255, 0))
