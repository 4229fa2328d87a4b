r"""The mesh renderer (the default "warp" renderer): triangle meshes over the character's
cut-out, skinned to the skeleton, deformed per frame. It never tears the picture apart.

Once per character:

1. **Layers.** The picture is split (``layers.split_layers``) into the body, with the places
   the arms covered filled in, and each arm, whose root lies over the body's shoulder.
2. **Meshes.** Over each layer, a grid of square cells (every cell that holds a pixel of the
   layer), each cell two triangles. Every pixel lies in a triangle, and neighbouring
   triangles share their corners, so each layer stays one piece when it is deformed.
3. **Skinning weights** (``render.skinning``). For each of the layer's parts (the body:
   torso, head, thighs and shins; an arm: its upper arm and forearm) the distance from every
   pixel to the part is measured *inside the layer* (geodesic: Dijkstra on the pixel grid),
   not in a straight line, so a skirt between the legs is far from either leg along the
   figure. Weights fall off with that distance:
   :math:`w_p(v) \propto \exp(-(d_p(v) - \min_q d_q(v)) / \tau)`. A strand of hair is
   never in an arm's layer, so it never follows an arm.
4. **Legs drawn together** (``render.seams``): where the picture draws a line (or a gap)
   between the legs, the body's mesh is cut along it, so legs pressed together come apart
   cleanly when the pose spreads them.

Per frame, each part's 2x3 map :math:`M_p` comes from the pose (``bones.bone_transforms``)
and every vertex moves by linear-blend skinning, :math:`v' = \sum_p w_p(v)\, M_p [v; 1]`.
(``deform="arap"`` instead moves handles on the bones and lets as-rigid-as-possible place
the rest, ``render.arap``: measured against skinning in the README, it folds long skirts.)
Each part's deformed triangles are rasterised into a triangle-index buffer, each pixel looks
up its source position through its triangle's affine map, one ``cv2.remap`` resamples the
premultiplied picture, and the parts are laid over each other back to front (legs, torso,
head, arms; a limb the pose puts behind the body goes first). Where a part's mesh folds
over itself (triangles turned over: an elbow bent sharply), the triangles around the fold
are also drawn the other way round and each pixel keeps the more opaque of the two, so the
empty margin of a grid cell never hides the stroke it folded onto.

``MeshRenderer(reference, reference_kps).render(target_kps) -> RGBA``: the interface every
renderer has.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

from r2a_utils.render.base import check_target, cut_reference, unpremultiply
from r2a_utils.render.bones import PARTS, draw_order, part_maps, part_segments
from r2a_utils.render.layers import SIDES, split_layers
from r2a_utils.render.seams import cut_legs, side_sources
from r2a_utils.render.skinning import ARM_SKIN_TAU, SKIN_TAU, skin_weights
from r2a_utils.skeleton import J

CELLS_PER_HEIGHT = 48  # mesh resolution: grid cells along the figure's height
_FIXED = 4  # sub-pixel bits for the rasteriser
BLUR_CACHE = 4  # blurred copies of the sources kept for figures drawn smaller (one per size step)


def grid_mesh(mask: np.ndarray, cell: int) -> tuple[np.ndarray, np.ndarray]:
    """``(vertices (V, 2) in pixels, triangles (F, 3))``: two triangles per grid cell that
    holds a character pixel. Cell corners sit on pixel edges, so cells tile the picture."""
    h, w = mask.shape
    gh, gw = -(-h // cell), -(-w // cell)
    pad = np.zeros((gh * cell, gw * cell), np.uint8)
    pad[:h, :w] = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    occupied = pad.reshape(gh, cell, gw, cell).max(axis=(1, 3)) > 0
    ci, cj = np.nonzero(occupied)
    corner = np.full((gh + 1, gw + 1), -1, np.int64)
    used = np.zeros((gh + 1, gw + 1), bool)
    for di in (0, 1):
        for dj in (0, 1):
            used[ci + di, cj + dj] = True
    vi, vj = np.nonzero(used)
    corner[vi, vj] = np.arange(len(vi))
    vertices = np.stack([vj * cell - 0.5, vi * cell - 0.5], axis=1).astype(np.float64)
    a, b, c, d = corner[ci, cj], corner[ci, cj + 1], corner[ci + 1, cj + 1], corner[ci + 1, cj]
    triangles = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    return vertices, triangles


def _size_change(bone_maps: np.ndarray) -> float:
    """The figure's change of size in a pose: the torso map's scale, from the bone maps
    ``(parts, 2, 3)`` of ``bones.part_maps``."""
    return float(np.sqrt(abs(np.linalg.det(bone_maps[PARTS.index("torso"), :, :2]))))


def _twice_area(corners: np.ndarray) -> np.ndarray:
    """Signed doubled areas ``(F,)`` of triangles ``(F, 3, 2)`` (the sign is their winding)."""
    e1, e2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    return e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]


def _inverse_affines(forward: np.ndarray) -> np.ndarray:
    """Inverses of 2x3 affine maps ``(F, 2, 3)``, as ``(F, 6)`` rows ``(a, b, c, d, e, f)`` with
    ``source = (a x + c y + e, b x + d y + f)``. A collapsed map sends everything far outside."""
    a, b, c = forward[:, 0, 0], forward[:, 0, 1], forward[:, 0, 2]
    d, e, f = forward[:, 1, 0], forward[:, 1, 1], forward[:, 1, 2]
    det = a * e - b * d
    ok = np.abs(det) > 1e-9
    det = np.where(ok, det, 1.0)
    ia, ib, ic, id_ = e / det, -b / det, -d / det, a / det  # inverse of [[a, b], [d, e]]
    out = np.stack([ia, ic, ib, id_, -(ia * c + ib * f), -(ic * c + id_ * f)], axis=1)
    out[~ok] = (0, 0, 0, 0, -1e4, -1e4)
    return out


def _with_rim(layer: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """A layer's mask with the pixels just outside the cut-out next to it (alpha's soft rim)."""
    return layer | ((cv2.dilate(layer.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~cut)


def _arm_notes(no_layer: list[str], kps: np.ndarray) -> list[str]:
    """A note for the run's summary on the arms (sides) ``no_layer`` that got no layer of
    their own though their joints are there: they move with the body's mesh and can pull the
    body with them."""
    lost = [side for side in no_layer
            if np.isfinite(kps[[J[f"{side}_{n}"] for n in ("shoulder", "elbow", "wrist")], :2]).all()]
    if not lost:
        return []
    two = len(lost) > 1
    its, it, moves = ("their", "them", "they move") if two else ("its", "it", "it moves")
    return [f"the {' and '.join(lost)} arm{'s' * two} got no layer of {its} own: the picture shows too few of {its} "
            f"edges where the joints put {it} (or draws the arm grown out of the body), so {moves} with the body's "
            f"mesh and can pull the body along (a dress raised with the arm); if so, check the elbows and wrists on "
            f"the rig sheet and fix them in the joints editor"]


def _premultiplied(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.dstack([rgb.astype(np.float32) * alpha[..., None], alpha]).astype(np.float32)


ARAP_HANDLES = (0.0, 0.5, 1.0)  # deform="arap": handles at these fractions along each bone
ARM_PARTS = {side: (f"{side}_upper_arm", f"{side}_forearm") for side in SIDES}
BODY_PARTS = tuple(p for p in PARTS if "arm" not in p)


class MeshRenderer:
    """Animate one character picture by deforming skinned triangle meshes (no training).

    The picture is split into layers (``layers.split_layers``): the body, with the places the
    arms covered filled in, and each arm, whose root lies over the body's shoulder. Each layer has
    its own grid mesh and weights measured inside it, so hair and skirts never follow an arm.

    Args:
        reference: the character picture, RGB or RGBA ``uint8`` (alpha = cut-out).
        reference_kps: ``(18, 3)`` joints of the character in that picture (joints beyond
            the picture's edge are fine: a picture cut at the thighs).
        mask: optional foreground mask (white = character) when there is no alpha.
        size: output (width, height); default the picture's size.
        deform: ``"lbs"`` (linear-blend skinning, the default) or ``"arap"`` (as-rigid-as-
            possible with handles on the bones; measured to tear real drawings more).
    """

    def __init__(self, reference: np.ndarray, reference_kps: np.ndarray, mask: np.ndarray | None = None,
                 size: tuple[int, int] | None = None, deform: str = "lbs"):
        if deform not in ("lbs", "arap"):
            raise ValueError(f"deform must be 'lbs' or 'arap', not {deform!r}")
        rgb, alpha, kps, self.mask = cut_reference(reference, reference_kps, mask)
        self.ref_kps = kps
        self.size = size or (rgb.shape[1], rgb.shape[0])
        a = alpha.astype(np.float32) / 255 if alpha is not None else self.mask.astype(np.float32)
        ys = np.nonzero(self.mask.any(1))[0]
        self.figure_height = float(ys[-1] - ys[0] + 1)
        self.cell = max(3, int(round(self.figure_height / CELLS_PER_HEIGHT)))
        self.layers = split_layers(rgb, self.mask, kps)
        # the body layer's parts: torso, head, legs, and any arm without a layer of its own
        no_layer = [s for s in SIDES if not self.layers.arms[s].any()]
        self._body_parts = BODY_PARTS + sum((ARM_PARTS[s] for s in no_layer), ())
        self.notes = _arm_notes(no_layer, kps)
        arms = self.layers.arms["right"] | self.layers.arms["left"]
        # premultiplied sources: the body layer (with its fills) and the arms
        # (each layer keeps the soft rim of the picture's alpha next to it: edges stay smooth)
        self.sources = [_premultiplied(self.layers.body_rgb, a * _with_rim(self.layers.body, self.mask)),
                        _premultiplied(rgb, a * _with_rim(arms, self.mask))]
        meshes = [self._body_mesh()] + [self._arm_mesh(side) for side in SIDES]
        # legs drawn side by side come apart along the line between them (render.seams; with
        # skinning only: ARAP solves each layer's mesh as one piece)
        cut = cut_legs(*meshes[0], self.layers.body, rgb, kps, rgb.shape[1]) if deform == "lbs" else None
        src_verts = [m[0] for m in meshes]  # where each layer's vertices sample its source
        if cut is not None:
            meshes[0], src_verts[0] = cut[:3], cut[3]
            if cut[4] is not None:  # cells on the line: their copies sample the legs' halves
                self.sources[0] = side_sources(self.sources[0], cut[4])
        self._blurred = {0.0: self.sources}
        verts, tris, wts, layer_of, offset = [], [], [], [], 0
        self._arap = []  # (vertex slice, Arap, the parts its handles follow) per layer, with deform="arap"
        layer_parts = [self._body_parts] + [ARM_PARTS[s] for s in SIDES]
        for i, (v, t, w) in enumerate(meshes):
            if deform == "arap" and len(t):
                self._arap.append(self._arap_layer(v, t, layer_parts[i], slice(offset, offset + len(v))))
            verts.append(v)
            tris.append(t + offset)
            wts.append(w)
            layer_of.append(np.full(len(t), i))
            offset += len(v)
        self.vertices, self.triangles = np.concatenate(verts), np.concatenate(tris)
        self.weights = np.concatenate(wts)
        self.triangle_layer = np.concatenate(layer_of)  # 0 body, 1 right arm, 2 left arm
        # each triangle is drawn with its part: the body's by its heaviest part, an arm's by its heaviest arm bone
        tri_w = self.weights[self.triangles].sum(1)
        arm_cols = [[PARTS.index(p) for p in ARM_PARTS[side]] for side in SIDES]
        body_cols = [PARTS.index(p) for p in self._body_parts]
        self.triangle_part = np.array(body_cols)[tri_w[:, body_cols].argmax(1)]
        for i, cols in enumerate(arm_cols, start=1):
            sel = self.triangle_layer == i
            self.triangle_part[sel] = np.array(cols)[tri_w[np.ix_(sel, cols)].argmax(1)]
        tri_src = np.concatenate([np.concatenate(src_verts)[self.triangles], np.ones((len(self.triangles), 3, 1))], 2)
        self._src_inverse = np.linalg.inv(tri_src)  # (F, 3, 3): [S 1]^-1 (grid triangles are never degenerate)
        self._src_orientation = np.sign(_twice_area(self.vertices[self.triangles]))
        self._part_triangles = [np.flatnonzero(self.triangle_part == i) for i in range(len(PARTS))]

    def _body_mesh(self):
        v, t = grid_mesh(self.layers.body, self.cell)
        return v, t, skin_weights(self.layers.body, self.ref_kps, v, self.figure_height, self._body_parts)

    def _arm_mesh(self, side: str):
        """An arm's mesh, skinned to its upper arm and forearm only: it turns about the
        shoulder as one piece, its root lying over the shoulder the body keeps."""
        arm = self.layers.arms[side]
        if not arm.any():
            return np.zeros((0, 2)), np.zeros((0, 3), np.int64), np.zeros((0, len(PARTS)))
        v, t = grid_mesh(arm, self.cell)
        k = self.ref_kps[:, :2].astype(np.float64)
        bones = [float(np.linalg.norm(k[J[f"{side}_{a}"]] - k[J[f"{side}_{b}"]]))
                 for a, b in (("shoulder", "elbow"), ("elbow", "wrist"))]
        tau = max(1.0, min(SKIN_TAU * self.figure_height, ARM_SKIN_TAU * min(bones)))  # a pixel at least
        return v, t, skin_weights(arm, self.ref_kps, v, self.figure_height, ARM_PARTS[side], tau)

    def _arap_layer(self, v: np.ndarray, t: np.ndarray, parts: tuple[str, ...], where: slice):
        """ARAP for one layer's mesh: handles are the mesh vertices nearest the layer's bones,
        at each end and the middle (those within a cell and a half of the mesh)."""
        from r2a_utils.render.arap import Arap

        segs = part_segments(self.ref_kps)
        pins, pin_parts = [], []
        for part in parts:
            a, b = segs[part]
            for f in ARAP_HANDLES:
                d = np.linalg.norm(v - (a + f * (b - a)), axis=1)
                if d.min() <= 1.5 * self.cell:
                    pins.append(int(d.argmin()))
                    pin_parts.append(PARTS.index(part))
        return where, Arap(v, t, np.array(pins, np.int64)), np.array(pin_parts, np.int64)

    def deform(self, target_kps: np.ndarray, maps: np.ndarray | None = None) -> np.ndarray:
        """Vertex positions ``(V, 2)`` in the target pose (linear-blend skinning).

        Skinning is linear in the maps, so each vertex's blended map is ``weights @ maps``.
        With ``deform="arap"`` the skinned positions are only the starting guess: each layer's
        handles go where their bones put them and ARAP places the rest (``render.arap``).
        """
        maps = part_maps(self.ref_kps, target_kps) if maps is None else maps  # (parts, 2, 3)
        m = (self.weights @ maps.reshape(-1, 6)).reshape(-1, 2, 3)
        moved = np.einsum("vij,vj->vi", m[:, :, :2], self.vertices) + m[:, :, 2]
        scale = _size_change(maps)
        for where, arap, parts in self._arap:  # deform="arap": the handles follow their bones
            rest = self.vertices[where][arap.pins]
            targets = np.einsum("pij,pj->pi", maps[parts, :, :2], rest) + maps[parts, :, 2]
            moved[where] = arap.solve(targets, moved[where], scale)
        return moved

    @staticmethod
    def _sample(source: np.ndarray, maps: np.ndarray, idx: np.ndarray, pts: np.ndarray,
                box: tuple[int, int, int, int]) -> np.ndarray:
        """Triangles ``idx`` rasterised in that order (a later one covers an earlier) into a
        triangle-index buffer over ``box``, each pixel resampled from ``source`` through its
        triangle's inverse map."""
        x0, y0, x1, y1 = box
        buf = np.full((y1 - y0, x1 - x0), len(maps) - 1, np.int32)  # "outside" unless a triangle covers it
        for t, p in zip(idx.tolist(), pts[idx] - (np.array([x0, y0], np.int32) << _FIXED)):
            cv2.fillConvexPoly(buf, p, t, cv2.LINE_8, _FIXED)
        c = maps[buf]  # (h, w, 6)
        gx = np.arange(x0, x1, dtype=np.float32)[None, :]
        gy = np.arange(y0, y1, dtype=np.float32)[:, None]
        x_map = gx * c[..., 0] + gy * c[..., 2] + c[..., 4]
        y_map = gx * c[..., 1] + gy * c[..., 3] + c[..., 5]
        return cv2.remap(source, x_map, y_map, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=(0, 0, 0, 0))

    def _sources_for(self, s: float) -> list[np.ndarray]:
        """The layers' sources for a figure drawn at ``s`` times its size (``_size_change``):
        shrunk below 0.8, they are blurred first (sigma ``0.6 sqrt(1/s^2 - 1)`` source pixels,
        in steps of 0.25), or bilinear sampling would skip pixels and break thin lines. The
        last ``BLUR_CACHE`` steps are kept."""
        sigma = round(4 * 0.6 * np.sqrt(max(1 / max(s, 0.05) ** 2 - 1, 0.0))) / 4 if s < 0.8 else 0.0
        if sigma not in self._blurred:
            if len(self._blurred) > BLUR_CACHE:  # memory stays bounded over a long video: drop the oldest
                del self._blurred[next(k for k in self._blurred if k)]
            self._blurred[sigma] = [cv2.GaussianBlur(src, (0, 0), sigma) for src in self.sources]
        return self._blurred[sigma]

    def render(self, target_kps: np.ndarray, depth: np.ndarray | None = None) -> np.ndarray:
        """The character in the target pose: RGBA ``uint8`` of ``size``.

        Args:
            target_kps: ``(18, 3)`` in output pixels (normalized to this character already).
            depth: optional ``(18,)`` (larger = nearer): puts a limb behind the torso when it is.
        """
        return self._render(target_kps, depth, None)

    def render_with_owners(self, target_kps: np.ndarray,
                           depth: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``render``, and which body part shows at each pixel: ``(H, W)`` int8, the index in
        ``bones.PARTS`` of the front part opaque there, -1 where none is (for measuring tears,
        ``quality.pose_made``)."""
        owners = np.full((self.size[1], self.size[0]), -1, np.int8)
        return self._render(target_kps, depth, owners), owners

    def _render(self, target_kps: np.ndarray, depth: np.ndarray | None, owners: np.ndarray | None) -> np.ndarray:
        tgt = check_target(target_kps)
        bone_maps = part_maps(self.ref_kps, tgt)
        moved = self.deform(tgt, bone_maps)
        sources = self._sources_for(_size_change(bone_maps))
        tri_tgt = moved[self.triangles]
        # each triangle's affine map source -> target (the source corners' inverse is fixed),
        # inverted: the source position of every target pixel; one extra row means "outside"
        forward = np.einsum("fij,fjk->fki", self._src_inverse, tri_tgt)  # (F, 2, 3)
        maps = np.empty((len(tri_tgt) + 1, 6), np.float32)
        maps[:-1] = _inverse_affines(forward)
        maps[-1] = (0, 0, 0, 0, -1e4, -1e4)
        pts = np.round(tri_tgt * (1 << _FIXED)).astype(np.int32)
        folded = _twice_area(tri_tgt) * self._src_orientation < 0  # triangles turned over
        w, h = self.size
        out = np.zeros((h, w, 4), np.float32)
        lo_all, hi_all = [w, h], [0, 0]
        # one layer per part, composited back to front: where parts overlap (a folded arm, a
        # hand before the face) the front part's soft edge blends over the part behind it
        for part in draw_order(depth):
            idx = self._part_triangles[PARTS.index(part)]
            if not len(idx):
                continue
            lo = np.floor(tri_tgt[idx].reshape(-1, 2).min(0)).astype(int)
            hi = np.ceil(tri_tgt[idx].reshape(-1, 2).max(0)).astype(int) + 2
            x0, y0 = max(lo[0], 0), max(lo[1], 0)
            x1, y1 = min(hi[0], w), min(hi[1], h)
            if x1 <= x0 or y1 <= y0:
                continue
            lo_all, hi_all = np.minimum(lo_all, (x0, y0)), np.maximum(hi_all, (x1, y1))
            source = sources[0 if part in self._body_parts else 1]
            layer = self._sample(source, maps, idx, pts, (x0, y0, x1, y1))
            if folded[idx].any():  # where the mesh folds over itself, one triangle hides another:
                # around the fold, draw them the other way round too and keep the more opaque, so
                # a cell's empty margin never hides the stroke it folded onto (a thin wrist bent sharply)
                corners = tri_tgt[idx[folded[idx]]].reshape(-1, 2)
                fx0, fy0 = np.maximum(np.floor(corners.min(0)).astype(int), (x0, y0))
                fx1, fy1 = np.minimum(np.ceil(corners.max(0)).astype(int) + 2, (x1, y1))
                if fx1 > fx0 and fy1 > fy0:
                    lo, hi = tri_tgt[idx].min(1), tri_tgt[idx].max(1)  # (n, 2) each triangle's box
                    near = idx[(hi[:, 0] >= fx0) & (lo[:, 0] <= fx1) & (hi[:, 1] >= fy0) & (lo[:, 1] <= fy1)]
                    other = self._sample(source, maps, near[::-1], pts, (fx0, fy0, fx1, fy1))
                    here = layer[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]
                    np.copyto(here, other, where=other[..., 3:4] > here[..., 3:4])
            region = out[y0:y1, x0:x1]
            cv2.multiply(region, cv2.merge([1.0 - layer[..., 3]] * 4), dst=region)
            cv2.add(region, layer, dst=region)
            if owners is not None:
                owners[y0:y1, x0:x1][layer[..., 3] > 0.5] = PARTS.index(part)
        rgba = np.zeros((h, w, 4), np.uint8)
        (x0, y0), (x1, y1) = lo_all, hi_all
        if x1 > x0 and y1 > y0:
            rgba[y0:y1, x0:x1] = unpremultiply(out[y0:y1, x0:x1])
        return rgba
