"""The character's cut-out: which pixels of the picture belong to the character.

In order of trust: a mask the user drew or gave; the picture's transparency; for a plain
or paper background, the colour distance from the border (flood fill from the edge,
closing, the piece under the neck, small holes filled: what AnimatedDrawings does for
drawings on paper); for a busy background, GrabCut seeded from the joints (thick bones
as sure foreground, the border as sure background), with what mediapipe's person
segmentation rules out starting as background when it agrees with the joints, and the
pieces the figure encloses in colours the border lacks put back. A paper cut-out that
comes out as a block around the figure (a panel drawn on the paper behind it, a sky, lettering touching
the figure) gives way to GrabCut inside the block (``grabcut_within``) or on the whole
picture, when it finds a smaller figure that still holds the joints.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from r2a_utils.skeleton import BODY_JOINTS, J

TORSO_SHRINK = 0.15  # the torso quadrilateral (always figure), shrunk towards its middle by this share
# bones drawn as thick strokes to seed the cut-out: (parent, child)
_SEED_BONES = (("right_shoulder", "neck"), ("left_shoulder", "neck"), ("right_hip", "neck"), ("left_hip", "neck"),
               ("nose", "neck"), ("right_hip", "right_knee"), ("left_hip", "left_knee"),
               ("right_knee", "right_ankle"), ("left_knee", "left_ankle"), ("right_shoulder", "right_elbow"),
               ("left_shoulder", "left_elbow"), ("right_elbow", "right_wrist"), ("left_elbow", "left_wrist"))




class RendererError(ValueError):
    """A reference picture, mask or pose a renderer cannot use (the render package's one error)."""


def character_mask(rgb: np.ndarray, alpha: np.ndarray | None = None, keypoints: np.ndarray | None = None,
                   mask: np.ndarray | None = None) -> np.ndarray:
    """Foreground mask ``(H, W)`` bool of the character: ``mask``, else ``alpha``, else from
    the picture (paper cut-out on plain backgrounds, GrabCut on busy ones)."""
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
    if plain_background(rgb):
        m = paper_cutout(rgb, keypoints)
        if m is not None and _box_fill(m) > 0.55:
            # a page that is not one colour (a picture framed on the paper, a sky, lettering
            # joined to the figure) comes out as a block around the character: GrabCut inside
            # that block when it drops a good part of it, GrabCut on the whole picture when it
            # finds a much smaller figure; of those that hold the joints, the smaller
            # (without the person segmentation: on pages it dropped sleeves and held props)
            whole = grabcut_cutout(rgb, keypoints, person=False)
            found = [g for g, share in ((grabcut_within(rgb, keypoints, m), 0.8), (whole, 0.6))
                     if g.sum() < share * m.sum() and _joints_inside(g, keypoints) >= 0.85]
            if found:
                return min(found, key=lambda g: int(g.sum()))
        if m is not None:
            return m
    else:
        page = shaded_page(rgb)  # paper with shading or a gradient (a photographed page)
        if page is not None:
            m = _cut_from(rgb, keypoints, *page)
            if m is not None and _box_fill(m) <= 0.55:
                return m
    return grabcut_cutout(rgb, keypoints)


def _box_fill(m: np.ndarray) -> float:
    """How much of its own bounding box a mask fills (a figure: well under 1; a block: near 1)."""
    ys, xs = np.nonzero(m)
    if not len(ys):
        return 0.0
    return float(m.sum() / ((ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)))


def _border(rgb: np.ndarray) -> np.ndarray:
    """The colours of the picture's border pixels ``(n, 3)``, at ``_border_xy``'s places."""
    xs, ys = _border_xy(*rgb.shape[:2])
    return rgb[ys, xs].astype(np.int16)


def _ring(rgb: np.ndarray, keypoints: np.ndarray, share: float) -> np.ndarray | None:
    """The outline of the skeleton's box grown by ``share`` of its size (a page inside a
    margin shows its colour here)."""
    h, w = rgb.shape[:2]
    xy = keypoints[np.isfinite(keypoints[:, :2]).all(1), :2]
    if len(xy) < 2:
        return None
    lo, hi = xy.min(0), xy.max(0)
    pad = share * (hi - lo).max()
    x0, y0 = np.maximum((lo - pad).astype(int), 0)
    x1, y1 = np.minimum((hi + pad).astype(int), [w - 1, h - 1])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return np.concatenate([rgb[y0, x0:x1], rgb[y1, x0:x1], rgb[y0:y1, x0], rgb[y0:y1, x1]]).astype(np.int16)


def _plain(pixels: np.ndarray) -> bool:
    return bool(np.percentile(np.abs(pixels - np.median(pixels, axis=0)).sum(1), 80) <= 40)


def plain_background(rgb: np.ndarray) -> bool:
    """Is the border of one colour (give or take paper grain and a gradient)?"""
    return _plain(_border(rgb))


def _border_xy(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates ``(xs, ys)`` of the border: top row, bottom row, left column, right column."""
    xs = np.concatenate([np.arange(w), np.arange(w), np.zeros(h, int), np.full(h, w - 1)])
    ys = np.concatenate([np.zeros(w, int), np.full(w, h - 1), np.arange(h), np.arange(h)])
    return xs, ys


def shaded_page(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """A background that is one colour up to smooth shading (a photographed or scanned page,
    a vignette): per colour channel a quadratic surface ``c(u, v) = a + bu + cv + du^2 + euv
    + fv^2`` fitted to the border (lettering touching the border left out by refitting on
    the pixels it explains). Returns ``(background (H, W, 3) int16, border residuals)`` when
    the surface explains the border as well as ``plain_background`` asks of one colour, else None."""
    h, w = rgb.shape[:2]
    xs, ys = _border_xy(h, w)
    design = lambda x, y: np.stack([np.ones_like(x, float), x, y, x * x, x * y, y * y], -1)  # noqa: E731
    a = design(xs / w - 0.5, ys / h - 0.5)
    colours = _border(rgb).astype(np.float64)
    keep = np.ones(len(colours), bool)
    for _ in range(4):
        coef = np.linalg.lstsq(a[keep], colours[keep], rcond=None)[0]
        residual = np.abs(colours - a @ coef).sum(1)
        keep = residual < max(15.0, 2.5 * float(np.median(residual)))
    if np.percentile(residual, 80) > 40:
        return None
    v, u = np.mgrid[0:h, 0:w]
    page = design(u / w - 0.5, v / h - 0.5) @ coef
    return np.clip(np.rint(page), 0, 255).astype(np.int16), residual


def _joints_inside(m: np.ndarray, keypoints: np.ndarray) -> float:
    h, w = m.shape
    xy = keypoints[[J[n] for n in BODY_JOINTS], :2]
    xy = xy[np.isfinite(xy).all(1)].astype(int)
    xy = xy[(xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)]
    if not len(xy):
        return 0.0
    near = cv2.dilate(m.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return float(near[xy[:, 1], xy[:, 0]].mean())


def paper_cutout(rgb: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
    """Cut-out on a plain background by colour distance from it, or None when the result does
    not hold the skeleton (then GrabCut is tried). The background's colour is read around
    the figure first (a page inside a margin), then at the picture's border."""
    for sample in [_ring(rgb, keypoints, share) for share in (0.12, 0.25)] + [_border(rgb)]:
        if sample is not None and _plain(sample):
            bg = np.median(sample, axis=0)
            m = _cut_from(rgb, keypoints, bg, np.abs(sample - bg).sum(1))
            if m is not None:
                return m
    return None


def _cut_from(rgb: np.ndarray, keypoints: np.ndarray, bg: np.ndarray, spread: np.ndarray) -> np.ndarray | None:
    """Pixels far from the background colour ``bg`` (one colour, or one per pixel), given how
    far the background's own pixels spread from it."""
    h, w = rgb.shape[:2]
    dist = np.abs(rgb.astype(np.int16) - bg).sum(-1)
    fg = dist > max(30.0, 3.0 * float(np.percentile(spread, 95)))
    k = max(3, int(round(0.006 * max(h, w))) | 1)  # closes gaps in line art a few pixels wide
    fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg)
    if n < 2:
        return None
    neck = keypoints[J["neck"], :2]
    keep = 0
    if np.isfinite(neck).all() and 0 <= neck[0] < w and 0 <= neck[1] < h:
        keep = labels[int(neck[1]), int(neck[0])]
    keep = keep or 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    m = fill_small_holes(labels == keep, rgb, bg)
    if _joints_inside(m, keypoints) < 0.85 or m.mean() > 0.9:
        return None
    return m


def fill_small_holes(m: np.ndarray, rgb: np.ndarray | None = None, bg: np.ndarray | None = None,
                     share: float = 0.02) -> np.ndarray:
    """Fill enclosed holes smaller than ``share`` of the figure, or (given the picture and its
    background colour ``bg``) not of the background's colour; large background-coloured holes
    (the gap between an arm and the body) stay. Without colours only the size counts."""
    holes = (~m).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    h, w = m.shape
    out = m.copy()
    area = max(int(m.sum()), 1)
    for i in range(1, n):
        x, y, bw, bh, a = stats[i]
        if x == 0 or y == 0 or x + bw == w or y + bh == h:
            continue  # touches the border: real background
        region = labels == i
        background_like = (rgb is None or bg is None
                           or np.abs(rgb[region].astype(np.int16) - (bg[region] if np.ndim(bg) == 3 else bg))
                           .sum(-1).mean() < 30)
        if a < share * area or not background_like:
            out |= region
    return out


GRABCUT_SIDE = 720  # GrabCut works on the picture shrunk to this longer side (10 s -> 0.7 s on 1412x2048)


def _at_grabcut_side(cut):
    """``cut(rgb, keypoints, *masks, **options) -> mask`` run on the picture shrunk to
    ``GRABCUT_SIDE`` when it is larger (the joints scaled, any masks shrunk by nearest
    pixel), its mask scaled back to the picture: GrabCut's time grows with the pixels."""
    @functools.wraps(cut)
    def run(rgb: np.ndarray, keypoints: np.ndarray, *masks: np.ndarray, **options) -> np.ndarray:
        h, w = rgb.shape[:2]
        k = GRABCUT_SIDE / max(h, w)
        if k >= 1:
            return cut(rgb, keypoints, *masks, **options)
        size = (max(1, round(w * k)), max(1, round(h * k)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        shrunk = [cv2.resize(np.asarray(m, np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0 for m in masks]
        m = cut(small, keypoints * np.array([k, k, 1.0]), *shrunk, **options)
        return cv2.resize(m.astype(np.uint8) * 255, (w, h), interpolation=cv2.INTER_LINEAR) > 127
    return run


def _draw_bones(canvas: np.ndarray, keypoints: np.ndarray, value: int, width: int) -> np.ndarray:
    """The ``_SEED_BONES`` (those with both joints) drawn on ``canvas`` as lines ``width`` wide."""
    for a, c in _SEED_BONES:
        pa, pc = keypoints[J[a], :2], keypoints[J[c], :2]
        if np.isfinite(pa).all() and np.isfinite(pc).all():
            cv2.line(canvas, tuple(int(v) for v in pa), tuple(int(v) for v in pc), value, width)
    return canvas


def _torso(canvas: np.ndarray, keypoints: np.ndarray, value: int, share: float = TORSO_SHRINK) -> np.ndarray:
    """The torso (shoulders and hips) drawn on ``canvas`` as a filled quadrilateral, shrunk
    towards its middle by ``share``; nothing without all four joints. Between the shoulders
    and the hips there is only the figure, whatever the background behind it: GrabCut must
    not cut through a white shirt in front of a white fence."""
    quad = keypoints[[J["right_shoulder"], J["left_shoulder"], J["left_hip"], J["right_hip"]], :2]
    if np.isfinite(quad).all():
        quad = quad + share * (quad.mean(0) - quad)
        cv2.fillPoly(canvas, [np.round(quad).astype(np.int32)], value)
    return canvas


def _bone_distance(shape: tuple[int, int], keypoints: np.ndarray) -> np.ndarray:
    """Distance ``(H, W)`` from every pixel to the nearest of the ``_SEED_BONES``."""
    return cv2.distanceTransform(_draw_bones(np.full(shape, 255, np.uint8), keypoints, 0, 1), cv2.DIST_L2, 5)


def _head_disc(shape: tuple[int, int], keypoints: np.ndarray, head: float = 2.0) -> np.ndarray:
    """``(H, W)`` bool: within ``head`` x the nose-neck length of the nose (a big chibi head
    and its hair); all False without both joints."""
    nose, neck = keypoints[J["nose"], :2], keypoints[J["neck"], :2]
    if not (np.isfinite(nose).all() and np.isfinite(neck).all()):
        return np.zeros(shape, bool)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return np.hypot(xx - nose[0], yy - nose[1]) < head * float(np.linalg.norm(nose - neck))


def _keep_neck_piece(m: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """The piece of a mask under the neck (the nearest pixel of the picture to it), else its
    largest piece: stray bits of background dropped."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8))
    if n <= 2:
        return m
    h, w = m.shape
    neck = keypoints[J["neck"], :2]
    keep = 0
    if np.isfinite(neck).all():
        keep = labels[int(np.clip(neck[1], 0, h - 1)), int(np.clip(neck[0], 0, w - 1))]
    return labels == (keep or 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))


@_at_grabcut_side
def grabcut_within(rgb: np.ndarray, keypoints: np.ndarray, block: np.ndarray, near: float = 0.15,
                   head: float = 2.0) -> np.ndarray:
    """GrabCut inside ``block``, a paper cut-out that kept more than the figure (a picture
    framed on the page: a checked or patterned panel behind the character). Outside the block
    is sure background; inside, pixels within ``near`` of the skeleton's size of a bone, or
    within ``head`` x the nose-neck length of the nose (a big chibi head), start as probable
    figure, thin strokes along the bones as sure figure, and the rest as probable background,
    so GrabCut learns the panel's colours from its far parts. Pictures larger than
    ``GRABCUT_SIDE`` are cut at that size, as in ``grabcut_cutout``."""
    h, w = rgb.shape[:2]
    xy = keypoints[:14, :2]
    xy = xy[np.isfinite(xy).all(1)]
    if len(xy) < 2:
        return block
    size = float((xy.max(0) - xy.min(0)).max())
    dist = _bone_distance((h, w), keypoints)
    probable = (dist < near * size) | _head_disc((h, w), keypoints, head)
    gc = np.where(block, np.where(probable, cv2.GC_PR_FGD, cv2.GC_PR_BGD), cv2.GC_BGD).astype(np.uint8)
    gc[block & (dist < max(2.0, 0.02 * size))] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)
    cv2.grabCut(np.ascontiguousarray(rgb[..., ::-1]), gc, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)
    m = _keep_neck_piece((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD), keypoints)
    # a dropped piece the figure encloses (the inside of a cape whose outline was kept) is the
    # figure's; a panel behind the figure meets the paper along its outer edges
    n, labels = cv2.connectedComponents((block & ~m).astype(np.uint8))
    for i in range(1, n):
        piece = labels == i
        ring = (cv2.dilate(piece.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~piece
        if (ring & ~block).sum() < 0.25 * ring.sum():
            m |= piece
    return _keep_neck_piece(m, keypoints)


SPECK = 0.0025  # enclosed holes under this share of the figure are specks in it (a highlight, a dot), not background
NOT_THE_BORDER = 60  # L1 colour distance from every border colour beyond which a pixel is not background
PERSON_AGREES = 0.6  # share of the joints mediapipe's person segmentation must cover to be used
PERSON_UNLIKELY = 0.2  # its probability below which a pixel starts as probable background
HEAD_EXEMPT = 1.0  # nose-neck lengths around the nose that stay probable figure: the model misses big drawn heads


def not_a_person(rgb: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
    """Pixels mediapipe's person segmentation (``pose.human.person_probability``) rules out,
    ``(H, W)`` bool, when it sees this character: its confident part covers at least
    ``PERSON_AGREES`` of the joints. None when it does not (a chibi, an animal)."""
    from r2a_utils.pose.human import person_probability

    p = person_probability(rgb)
    if _joints_inside(p > 0.5, keypoints) < PERSON_AGREES:
        return None
    return p < PERSON_UNLIKELY


def _restore_enclosed(m: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Pieces of background the figure encloses whose colours the picture's border does not
    show (median distance to the nearest border colour over ``NOT_THE_BORDER``) are the
    figure's: the inside of a cape or a bag whose outline GrabCut kept. A gap between an arm
    and the body showing the sky or the wall seen at the border stays out."""
    n, labels = cv2.connectedComponents((~m).astype(np.uint8), connectivity=4)
    outside = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])).tolist())
    border = _border(rgb)
    border = border[::max(1, len(border) // 1000)]
    out = m.copy()
    for i in range(1, n):
        if i in outside:
            continue
        piece = labels == i
        colours = rgb[piece].astype(np.int16)[::max(1, int(piece.sum()) // 2000)]
        nearest = np.abs(colours[:, None, :] - border[None]).sum(-1).min(1)
        if np.median(nearest) > NOT_THE_BORDER:
            out |= piece
    return out


@_at_grabcut_side
def grabcut_cutout(rgb: np.ndarray, keypoints: np.ndarray, person: bool = True) -> np.ndarray:
    """GrabCut seeded with the border as background and thick strokes along the skeleton as
    foreground; pockets of the background's colour it encloses are dropped. The skeleton's
    box starts as probable figure, except (``person``) what mediapipe's person segmentation
    rules out when it agrees with the joints (``not_a_person``): a fence or a patch of
    scenery inside the box then starts as background, so GrabCut's colour models learn it.
    A picture larger than ``GRABCUT_SIDE`` is cut at that size and the mask scaled back: the
    renderer draws the character a few hundred pixels tall, and GrabCut's time grows with
    the pixels."""
    h, w = rgb.shape[:2]
    gc = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    xy = keypoints[~np.isnan(keypoints[:, 0]), :2]
    x0, y0 = np.maximum(xy.min(0) - 0.15 * (xy.max(0) - xy.min(0)), 0).astype(int)
    x1, y1 = np.minimum(xy.max(0) + 0.15 * (xy.max(0) - xy.min(0)), [w - 1, h - 1]).astype(int)
    gc[max(0, y0 - (y1 - y0) // 6):y1 + 1, x0:x1 + 1] = cv2.GC_PR_FGD
    unlikely = not_a_person(rgb, keypoints) if person else None
    if unlikely is not None:
        gc[unlikely & ~_head_disc((h, w), keypoints, HEAD_EXEMPT)] = cv2.GC_PR_BGD
    b = max(2, min(h, w) // 60)
    gc[:b], gc[-b:], gc[:, :b], gc[:, -b:] = cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD
    _draw_bones(gc, keypoints, cv2.GC_FGD, max(2, int(0.02 * (y1 - y0))))
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # GrabCut's colour models start from a random k-means: the same cut-out every time
    cv2.grabCut(np.ascontiguousarray(rgb[..., ::-1]), gc, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)
    m = _keep_neck_piece((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD), keypoints)
    m = fill_small_holes(_restore_enclosed(m, rgb), share=SPECK)
    # GrabCut closes background pockets (between an arm and the body): drop sizeable patches
    # of exactly the background colour, but not inside a torso drawn in other colours too (a
    # shirt shaded in the sky's grey-blue). (A large white costume on a white page needs a mask.)
    bg_like = np.abs(rgb.astype(np.int16) - np.median(_border(rgb), axis=0)).sum(-1) < 12
    torso = _torso(np.zeros((h, w), np.uint8), keypoints, 1) > 0
    if torso.any() and bg_like[torso].mean() < 0.5:
        bg_like &= ~torso
    bg_like &= m
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bg_like.astype(np.uint8))
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] > 0.015 * m.sum():
            m &= labels != i
    return m
