"""The parts renderer (training-free, the kit's first): cut the character into body parts and
move each part to the new pose. Kept for comparison; the mesh renderer replaced it as the default.

In the spirit of the PoseWarper the original project tried: the character picture is split
into layers — torso, head, upper and lower arms, thighs and shins — each pixel going to the
body part it is nearest to. Each layer gets a round "cap" of its parent's pixels around the
joint it hangs from, so a bent elbow shows a joint, not a tear. Per frame every layer is
moved by the affine map that takes its bone in the reference pose onto the same bone in the
target pose (stretching along the bone only; the head stays rigid), and the layers are
painted back to front (legs, torso, head, arms; limbs ordered by depth when it is known).
Where an arm covered the torso in the reference picture, the torso layer is filled in
(inpainted) once, up front, so moving the arm leaves no hole.

``PartsRenderer(reference, reference_kps).render(target_kps) -> RGBA`` — the same interface
as the GAN renderer, so the pipeline can switch by name. Preparation costs a few tens of
milliseconds once; each frame is a dozen ``cv2.warpAffine`` calls.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from r2a_utils.render.base import check_target, cut_reference, unpremultiply
from r2a_utils.render.bones import LIMB_PARTS, bone_transforms, draw_order, head_vector, segment_distance
from r2a_utils.skeleton import TORSO_JOINTS, J


@dataclasses.dataclass
class _Layer:
    name: str
    rgba: np.ndarray  # premultiplied float32 (H, W, 4)
    joints: tuple[str, ...]


class PartsRenderer:
    """Animate one character picture by moving its body parts (no training).

    Args:
        reference: the character picture, RGB or RGBA ``uint8`` (alpha = cut-out).
        reference_kps: ``(18, 3)`` joints of the character in that picture.
        mask: optional foreground mask (white = character) when there is no alpha.
        size: output (width, height); default the picture's size.
    """

    def __init__(self, reference: np.ndarray, reference_kps: np.ndarray, mask: np.ndarray | None = None,
                 size: tuple[int, int] | None = None):
        rgb, alpha, kps, self.mask = cut_reference(reference, reference_kps, mask)
        self.ref_kps = kps
        self.size = size or (rgb.shape[1], rgb.shape[0])
        self.torso_len = float(np.linalg.norm(
            (kps[J["right_hip"], :2] + kps[J["left_hip"], :2]) / 2 - kps[J["neck"], :2]))
        self.layers = self._cut(rgb, alpha)

    # ------------------------------------------------------------ preparation (once)
    def _cut(self, rgb: np.ndarray, alpha: np.ndarray | None) -> dict[str, _Layer]:
        """Split the picture into part layers (premultiplied RGBA), each pixel to its nearest part."""
        h, w = self.mask.shape
        k = self.ref_kps[:, :2].astype(np.float64)
        g = lambda n: k[J[n]]  # noqa: E731
        ys, xs = np.nonzero(self.mask)
        px = np.stack([xs, ys], axis=1).astype(np.float64)
        r = 0.11 * self.torso_len  # limb radius guess: joint caps, and limbs lying over the torso
        torso_poly = np.array([g("neck"), g("right_shoulder"), g("right_hip"), g("left_hip"), g("left_shoulder")],
                              np.int32)
        poly = np.zeros((h, w), np.uint8)
        cv2.fillPoly(poly, [torso_poly], 1)
        inside = poly[ys, xs] > 0
        dist = np.empty((2 + len(LIMB_PARTS), len(px)))
        outside_dt = cv2.distanceTransform((poly == 0).astype(np.uint8), cv2.DIST_L2, 3)
        dist[0] = outside_dt[ys, xs]  # 0 inside the torso polygon, else the distance to it
        hv = head_vector(k)
        dist[1] = 0.7 * segment_distance(px, g("neck") + hv * 0.35, g("neck") + hv * 1.6)
        for i, (_, p, c) in enumerate(LIMB_PARTS, start=2):
            d = segment_distance(px, g(p), g(c))
            if c.endswith(("wrist", "ankle")):
                d = np.minimum(d, 0.9 * np.linalg.norm(px - g(c), axis=1))  # hands and feet
            dist[i] = np.where(inside & (d < r), -1.0, d)  # a limb lying over the torso wins there
        owner = np.argmin(dist, axis=0)
        # Thin slivers of a limb's outline that landed on the torso or head would be left
        # behind as whiskers when the limb moves: open those two parts and give what the
        # opening removes to the nearest limb.
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        for part in (0, 1):
            sel = np.zeros((h, w), np.uint8)
            sel[ys[owner == part], xs[owner == part]] = 1
            keep = cv2.morphologyEx(sel, cv2.MORPH_OPEN, kernel) | (poly if part == 0 else 0)
            lost = (owner == part) & (keep[ys, xs] == 0)
            owner[lost] = 2 + np.argmin(dist[2:, lost], axis=0)
        a = (alpha.astype(np.float32) / 255.0) if alpha is not None else self.mask.astype(np.float32)
        premul = np.dstack([rgb.astype(np.float32) * a[..., None], a])

        def selection(i: int) -> np.ndarray:
            sel = np.zeros((h, w), bool)
            sel[ys[owner == i], xs[owner == i]] = True
            return sel

        torso = selection(0)
        hole = (poly > 0) & self.mask & ~torso  # torso hidden behind an arm in the picture
        torso_layer = premul * torso[..., None]
        if hole.any():
            fill = cv2.inpaint(np.ascontiguousarray(rgb[..., ::-1]), hole.astype(np.uint8), 5, cv2.INPAINT_TELEA)
            torso_layer[hole, :3] = fill[..., ::-1][hole].astype(np.float32)
            torso_layer[hole, 3] = 1.0
        layers = {"torso": _Layer("torso", torso_layer, TORSO_JOINTS),
                  "head": _Layer("head", premul * selection(1)[..., None], ("neck", "nose"))}
        yy, xx = np.mgrid[:h, :w]
        parent_part = {c: i for i, (_, _, c) in enumerate(LIMB_PARTS, start=2)}  # elbow -> upper arm, ...
        for i, (name, p, c) in enumerate(LIMB_PARTS, start=2):
            sel = selection(i)
            # every limb carries the round joint it hangs from (a disc about the joint it turns
            # around, so it stays in place and covers the seam)
            disc = ((xx - g(p)[0]) ** 2 + (yy - g(p)[1]) ** 2 < (0.8 * r) ** 2) & self.mask
            sel |= disc & (selection(parent_part[p]) if p in parent_part else True)
            layers[name] = _Layer(name, premul * sel[..., None], (p, c))
        return layers

    # ------------------------------------------------------------ per frame
    def render(self, target_kps: np.ndarray, depth: np.ndarray | None = None) -> np.ndarray:
        """The character in the target pose: RGBA ``uint8`` of ``size``.

        Args:
            target_kps: ``(18, 3)`` in output pixels (normalized to this character already).
            depth: optional ``(18,)`` (larger = nearer): puts an arm behind the torso when it is.
        """
        tgt = check_target(target_kps)
        M = bone_transforms(self.ref_kps, tgt)
        order = draw_order(depth)
        w, h = self.size
        out = np.zeros((h, w, 4), np.float32)
        for name in order:
            if name not in M:
                continue  # a limb whose target joints are missing is not drawn
            layer = cv2.warpAffine(self.layers[name].rgba, M[name], (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
            out = layer + out * (1.0 - layer[..., 3:4])
        return unpremultiply(out)
