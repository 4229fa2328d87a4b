"""Is a rendered frame torn? Measures on the alpha of a renderer's output.

- ``pieces``: how many separate pieces the character is in (a torn limb is a second piece);
- ``hole_area``: slits of background enclosed by the character (a gap torn between parts);
- ``notch_share``: the area a morphological closing with a disc 2.5% of the figure's size
  (the square root of its area) adds to the silhouette, over the figure's area: wedges and
  slits cut into the outline. (With this size, the part-cutting renderer measures 0.68% on
  drawn_char1 x dab.bvh, as the issue that asked for the measure found.)

``tear_report(frames, rest)`` scores a clip against the character's rest render (holes the
picture itself has, e.g. between an arm and the body, are not counted). Given the poses the
renderer drew too, it tells tears from holes the pose makes: a hand laid on the head or a hip,
an arm lying along the body, crossed shins close a loop of background any renderer must show
(``pose_made``).

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

from itertools import repeat, tee

import cv2
import numpy as np
from matplotlib.path import Path as MplPath

from r2a_utils.render.bones import LIMB_PARTS, PARENT, PARTS, drawn_pose, part_segments, segment_distance
from r2a_utils.skeleton import J

MIN_PIECE = 0.002  # share of the figure's area below which a speck is not counted as a piece


def _solid(rgba_or_alpha: np.ndarray) -> np.ndarray:
    a = rgba_or_alpha[..., 3] if rgba_or_alpha.ndim == 3 else rgba_or_alpha
    return (a > 127).astype(np.uint8)


def pieces(rgba: np.ndarray) -> int:
    """Connected pieces of the character (specks under ``MIN_PIECE`` of its area ignored)."""
    m = _solid(rgba)
    n, _, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    area = max(int(m.sum()), 1)
    return int((stats[1:, cv2.CC_STAT_AREA] >= MIN_PIECE * area).sum())


# Parts the skeleton joins (``bones.PARENT``), and the joint between them: a limb's first
# joint, the neck for the head; the thighs also meet between the hips (None).
JOINED: dict[frozenset, str | None] = {
    **{frozenset((name, PARENT[name])): joint for name, joint, _ in LIMB_PARTS},
    frozenset(("head", "torso")): "neck", frozenset(("right_thigh", "left_thigh")): None}
TORSO = ("right_shoulder", "left_shoulder", "left_hip", "right_hip")  # its outline, around


def part_distances(points: np.ndarray, pose: np.ndarray) -> dict[str, np.ndarray]:
    """Distance of each ``(x, y)`` point to each body part of ``pose`` (``bones.part_segments``;
    the torso is its quadrilateral, 0 inside). Parts with an absent joint are left out."""
    segs = {p: ab for p, ab in part_segments(np.asarray(pose, np.float64)).items() if np.isfinite(ab).all()}
    out = {p: segment_distance(points, a, b) for p, (a, b) in segs.items() if p != "torso"}
    quad = np.asarray(pose, np.float64)[[J[n] for n in TORSO], :2]
    if np.isfinite(quad).all():
        edges = [segment_distance(points, quad[i], quad[(i + 1) % 4]) for i in range(4)]
        inside = MplPath(quad).contains_points(points, radius=1e-6)
        out["torso"] = np.where(inside, 0.0, np.min(edges, axis=0))
    return out


def pose_made(hole: np.ndarray, figure: np.ndarray, pose: np.ndarray, share: float = 0.05,
              owners: np.ndarray | None = None) -> bool:
    """Does the figure close around this hole where two body parts touch away from the joint
    that joins them (a hand on the head or the hip, an arm along the body, crossed shins)?
    A tear opens at a joint, or within one part.

    ``pose``: the joints as the renderer drew them (``bones.drawn_pose``). The figure's pixels
    around the hole go to their nearest part, or, given ``owners`` (the part each pixel shows,
    ``MeshRenderer.render_with_owners``), to the part the renderer drew there (a drawing's
    one-line arms lie closer to the torso's bones than to their own); each part with
    ``share`` of them counts. Two parts the skeleton does not join make the hole; two it
    joins make it when the hole reaches further from their joint than half the shorter
    part's length.
    """
    ring = (cv2.dilate(hole.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0) & (figure > 0)
    ys, xs = np.nonzero(ring)
    if owners is not None:
        names, owner = list(PARTS), owners[ys, xs].astype(np.int64)
        owner = owner[owner >= 0]
    else:
        dist = part_distances(np.stack([xs, ys], 1).astype(np.float64), pose)
        names = list(dist)
        owner = np.argmin(np.stack([dist[n] for n in names]), axis=0) if len(names) and len(xs) else np.zeros(0, int)
    if len(owner) == 0 or len(names) < 2:
        return False
    present = [names[i] for i, c in enumerate(np.bincount(owner, minlength=len(names))) if c >= share * len(owner)]
    pairs = [frozenset((a, b)) for i, a in enumerate(present) for b in present[i + 1:]]
    if any(p not in JOINED for p in pairs):
        return True
    xy = np.asarray(pose, np.float64)[:, :2]
    segs = part_segments(np.asarray(pose, np.float64))
    hy, hx = np.nonzero(hole)
    for p in pairs:
        j = JOINED[p]
        joint = xy[[J["right_hip"], J["left_hip"]]].mean(0) if j is None else xy[J[j]]
        length = min(float(np.linalg.norm(segs[name][1] - segs[name][0])) for name in p)
        if np.isfinite(joint).all() and np.hypot(hx - joint[0], hy - joint[1]).max() > 0.5 * length:
            return True
    return False


def hole_area(rgba: np.ndarray, slit_share: float | None = 0.01, pose: np.ndarray | None = None,
              owners: np.ndarray | None = None) -> int:
    """Pixels of background enclosed by the character (not connected to the picture's edge).

    With ``slit_share``, only slits count: holes no wider than ``2 * slit_share`` of the
    figure's height (a gap torn between parts), not an open space between an arm and the
    head that a pose makes. With ``pose`` (the joints as drawn), holes the pose makes
    (``pose_made``, with the renderer's ``owners`` when given) do not count either.
    """
    m = _solid(rgba)
    return sum(int(region.sum()) for region in _slits(m, slit_share)
               if pose is None or not pose_made(region, m, pose, owners=owners))


def _slits(m: np.ndarray, slit_share: float | None):
    """The regions of background the figure ``m`` encloses (masks of its shape), but those
    wider than ``2 * slit_share`` of its height (all of them with ``None``)."""
    bg = np.pad(1 - m, 1, constant_values=1)
    _, labels = cv2.connectedComponents(bg, connectivity=4)
    holes = (labels != labels[0, 0]) & (bg > 0)  # the padding joins all the background around the figure
    if not holes.any():
        return
    ys = np.flatnonzero(m.any(1))
    limit = np.inf if slit_share is None else slit_share * (ys[-1] - ys[0] + 1)
    inner = cv2.distanceTransform(holes.astype(np.uint8), cv2.DIST_L2, 3)
    for i in np.unique(labels[holes]):
        region = labels == i
        if inner[region].max() <= limit:
            yield region[1:-1, 1:-1]


def notch_share(rgba: np.ndarray, size_share: float = 0.025) -> float:
    """Area a closing with a disc of ``size_share`` of the figure's size (the square root of
    its area) adds, over the figure's area."""
    m = _solid(rgba)
    area = int(m.sum())
    if not area:
        return 0.0
    k = max(3, int(round(size_share * np.sqrt(area))) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    pad = k + 1
    closed = cv2.morphologyEx(np.pad(m, pad), cv2.MORPH_CLOSE, disc)[pad:-pad, pad:-pad]
    return float((closed > m).sum() / area)


def tear_report(frames, rest: np.ndarray, hole_tolerance: float = 0.005, poses=None,
                rest_pose: np.ndarray | None = None, owners=None, rest_owners: np.ndarray | None = None) -> dict:
    """Per clip: torn frames (more pieces than the rest render, or new slits larger than
    ``hole_tolerance`` of the figure: smaller ones are loops of hair or line art closing, seen
    in clean frames), and the mean notch share, against the rest render.

    Given the joints as drawn in each frame (``poses``) and at rest, slits the pose makes are
    told apart: ``enclosed`` counts the frames whose only new slits are those (not torn).
    ``owners`` (one map per frame) and ``rest_owners``: the part the renderer drew at each
    pixel (``MeshRenderer.render_with_owners``), which tells the parts around a slit exactly.
    """
    rest_holes, rest_pieces = hole_area(rest), pieces(rest)
    area = max(int(_solid(rest).sum()), 1)
    if poses is not None:
        rest_tears = hole_area(rest, pose=rest_pose, owners=rest_owners)
    torn, closed, notches, n = [], [], [], 0
    for i, (f, pose, own) in enumerate(zip(frames, poses if poses is not None else repeat(None),
                                           owners if owners is not None else repeat(None))):
        n += 1
        split = pieces(f) > rest_pieces
        new_hole = hole_area(f) - rest_holes > hole_tolerance * area
        if new_hole and not split and pose is not None:
            new_hole = hole_area(f, pose=pose, owners=own) - rest_tears > hole_tolerance * area
            if not new_hole:
                closed.append(i)
        if split or new_hole:
            torn.append(i)
        notches.append(notch_share(f))
    return {"frames": n, "torn": len(torn), "torn_share": len(torn) / max(n, 1), "enclosed": len(closed),
            "torn_frames": torn, "pose_closed_frames": closed,
            "notch_share": float(np.mean(notches)), "rest_notch_share": notch_share(rest)}


def tear_view(rgba: np.ndarray, pose: np.ndarray | None = None, owners: np.ndarray | None = None,
              slit_share: float = 0.01) -> np.ndarray:
    """The frame over white with what ``tear_report`` looks at coloured: pieces apart from the
    largest red (specks under ``MIN_PIECE`` too), slits of background the figure encloses (no
    wider than ``2 * slit_share`` of its height, as ``hole_area`` counts them) magenta, blue
    where the pose makes them (``pose_made``, given the joints as drawn and the renderer's
    ``owners``); the slits the picture has at rest are coloured too (the report counts only
    new ones). For contact sheets of a renderer's output (``./kit bench --sheets``)."""
    m = _solid(rgba)
    out = rgba[..., :3].copy()
    out[m == 0] = 255
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n > 2:
        out[(labels > 0) & (labels != 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))] = (230, 30, 30)
    for region in _slits(m, slit_share):  # not an open space (between the legs, inside an arm on the hip)
        made = pose is not None and pose_made(region, m, pose, owners=owners)
        out[region] = (40, 80, 255) if made else (230, 0, 230)
    return out


def renderer_tears(renderer, targets, rest_pose: np.ndarray, poses=None) -> dict:
    """``tear_report`` of ``renderer`` drawing ``targets``, against its render of ``rest_pose``.
    Slits are told apart by the parts the renderer drew around them when it says which
    (``render_with_owners``), else by the nearest bones of ``poses`` (the joints as drawn;
    default ``bones.drawn_pose`` of each target)."""
    poses = [drawn_pose(rest_pose, t) for t in targets] if poses is None else poses
    if not hasattr(renderer, "render_with_owners"):
        return tear_report((renderer.render(t) for t in targets), renderer.render(rest_pose), poses=poses,
                           rest_pose=rest_pose)
    frames, owners = tee(renderer.render_with_owners(t) for t in targets)  # read in step: one frame held
    at_rest, rest_owners = renderer.render_with_owners(rest_pose)
    return tear_report((f for f, _ in frames), at_rest, poses=poses, rest_pose=rest_pose,
                       owners=(o for _, o in owners), rest_owners=rest_owners)


def stage1_pair(seed: int, t: int, look: str = "classic", size: tuple[int, int] = (192, 256)):
    """A renderer's exam with a known answer: Stage 1 draws character ``seed`` in A-pose (the
    reference) and in frame ``t`` of the built-in dance (the truth). Returns ``(reference
    RGBA, reference joints, target joints, target depth, truth RGBA)``."""
    from r2a_utils.characters import Motion, builtin_dance, layout_for_character, random_character, render_character

    spec = random_character(seed, look=look)
    rest = spec.rest_pose()
    rest[:, 2] = 0.0
    a_pose = layout_for_character(Motion(rest[None], 24.0, "a_pose"), spec, size)
    ref = render_character(spec, a_pose.keypoints[0], size, a_pose.scale, a_pose.depth[0]).rgba
    dance = layout_for_character(builtin_dance(48), spec, size)
    truth = render_character(spec, dance.keypoints[t], size, dance.scale, dance.depth[t]).rgba
    return ref, a_pose.keypoints[0], dance.keypoints[t], dance.depth[t], truth
