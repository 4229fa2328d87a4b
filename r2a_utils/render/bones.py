"""From a pose to bone transforms: the one place both warping renderers turn the reference
and target joints into a 2x3 map per body part.

Parts: the torso (along the spine it follows the pose; across it keeps the picture's width),
the head (rigid: it turns with neck->nose and scales with the body) and eight limb bones,
each hanging from where the torso carries its shoulder or hip, so limbs stay attached to
the drawn body.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import numpy as np

from r2a_utils.skeleton import J

# (name, parent joint, child joint); drawn in this order unless depth says otherwise
LIMB_PARTS: tuple[tuple[str, str, str], ...] = (
    ("right_thigh", "right_hip", "right_knee"), ("left_thigh", "left_hip", "left_knee"),
    ("right_shin", "right_knee", "right_ankle"), ("left_shin", "left_knee", "left_ankle"),
    ("right_upper_arm", "right_shoulder", "right_elbow"), ("left_upper_arm", "left_shoulder", "left_elbow"),
    ("right_forearm", "right_elbow", "right_wrist"), ("left_forearm", "left_elbow", "left_wrist"),
)


PARTS = ("torso", "head") + tuple(name for name, _, _ in LIMB_PARTS)
# the part each limb hangs from (used when a limb's target joints are missing)
PARENT = {"right_thigh": "torso", "left_thigh": "torso", "right_upper_arm": "torso", "left_upper_arm": "torso",
          "right_shin": "right_thigh", "left_shin": "left_thigh", "right_forearm": "right_upper_arm",
          "left_forearm": "left_upper_arm", "head": "torso"}


# back to front; a limb the pose puts behind the body moves to the front of this list
DRAW_ORDER = ("right_thigh", "left_thigh", "right_shin", "left_shin", "torso", "head", "right_upper_arm",
              "left_upper_arm", "right_forearm", "left_forearm")


def draw_order(depth: np.ndarray | None = None) -> list[str]:
    """Parts back to front: legs, torso, head, arms (upper before lower, so a folded forearm
    lies on its upper arm); with ``depth`` ``(18,)`` (larger = nearer), a limb behind the torso
    goes first."""
    from r2a_utils.skeleton import TORSO_JOINTS

    order = list(DRAW_ORDER)
    if depth is not None and np.isfinite(depth).any():
        body_z = np.nanmean(depth[[J[n] for n in TORSO_JOINTS]])
        limbs = {name: (p, c) for name, p, c in LIMB_PARTS}
        behind = [n for n in order if n in limbs and np.nanmean(depth[[J[j] for j in limbs[n]]]) < body_z]
        order = behind + [n for n in order if n not in behind]
    return order


def segment_distance(px: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of points ``(..., 2)`` to the segment a-b."""
    ab = b - a
    t = np.clip(((px - a) @ ab) / max(float(ab @ ab), 1e-9), 0, 1)
    return np.linalg.norm(px - (a + t[..., None] * ab), axis=-1)


def bone_affine(p0: np.ndarray, c0: np.ndarray, p1: np.ndarray, c1: np.ndarray, across: float) -> np.ndarray:
    """2x3 map taking bone p0->c0 onto p1->c1: rotate, stretch along the bone, ``across`` scale."""
    d0, d1 = c0 - p0, c1 - p1
    l0, l1 = max(np.linalg.norm(d0), 1e-6), max(np.linalg.norm(d1), 1e-6)
    u0, u1 = d0 / l0, d1 / l1
    r0 = np.array([[u0[0], -u0[1]], [u0[1], u0[0]]])  # columns: along, across
    r1 = np.array([[u1[0], -u1[1]], [u1[1], u1[0]]])
    lin = r1 @ np.diag([l1 / l0, across]) @ r0.T
    return np.hstack([lin, (p1 - lin @ p0)[:, None]])


def head_vector(k: np.ndarray) -> np.ndarray:
    """Neck-to-nose, or (no face joints) the torso's up direction at half a torso length."""
    nose = k[J["nose"], :2] - k[J["neck"], :2]
    if np.isfinite(nose).all():
        return nose
    up = k[J["neck"], :2] - (k[J["right_hip"], :2] + k[J["left_hip"], :2]) / 2
    return up * 0.5


def part_segments(kps: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each part's bone as a segment (the head: from just above the neck to the crown)."""
    k = kps[:, :2].astype(np.float64)
    neck, hv = k[J["neck"]], head_vector(k)
    mid_hip = (k[J["right_hip"]] + k[J["left_hip"]]) / 2
    segs = {"torso": (neck, mid_hip), "head": (neck + 0.35 * hv, neck + 1.6 * hv)}
    segs.update({name: (k[J[p]], k[J[c]]) for name, p, c in LIMB_PARTS})
    return segs


def outline_in_poses(mask: np.ndarray, reference_kps: np.ndarray, targets: np.ndarray, n: int = 240) -> np.ndarray:
    """Roughly where the cut-out's outline goes in each target pose, ``(T, n, 2)``: ``n``
    points along it, each carried by the part whose bone is nearest in the picture. How far
    ears, hair, hands and skirts reach beyond the joints, for framing a clip."""
    import cv2

    contours, _ = cv2.findContours(np.asarray(mask, np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return np.zeros((len(targets), 0, 2))
    edge = np.concatenate([c[:, 0] for c in contours]).astype(np.float64)
    edge = edge[np.linspace(0, len(edge) - 1, min(n, len(edge))).astype(int)]
    segs = part_segments(reference_kps)
    names = [p for p, (a, b) in segs.items() if np.isfinite(a).all() and np.isfinite(b).all()]
    nearest = np.argmin(np.stack([segment_distance(edge, *segs[p]) for p in names]), axis=0)
    out = np.full((len(targets), len(edge), 2), np.nan)
    for t, target in enumerate(targets):
        maps = part_maps(reference_kps, target)
        for i, name in enumerate(names):
            m, on = maps[PARTS.index(name)], nearest == i
            out[t, on] = edge[on] @ m[:, :2].T + m[:, 2]
    return out


def bone_transforms(reference_kps: np.ndarray, target_kps: np.ndarray) -> dict[str, np.ndarray]:
    """2x3 maps ``{part: M}`` taking each part from the reference pose to the target pose.

    A limb whose target joints are missing is left out (``PARENT`` says whom it follows).
    """
    k0 = reference_kps[:, :2].astype(np.float64)
    k1 = target_kps[:, :2].astype(np.float64)
    # torso: along the spine it follows the pose (lean, bend, stretch); across it keeps the
    # picture's width, so a performer turning sideways does not squash a flat drawing
    mid0 = (k0[J["right_hip"]] + k0[J["left_hip"]]) / 2
    mid1 = (k1[J["right_hip"]] + k1[J["left_hip"]]) / 2
    spine_ratio = np.linalg.norm(k1[J["neck"]] - mid1) / max(np.linalg.norm(k0[J["neck"]] - mid0), 1e-6)
    scale = float(np.clip(spine_ratio, 0.5, 2.0))
    M = {"torso": bone_affine(mid0, k0[J["neck"]], mid1, k1[J["neck"]], scale)}
    # head: rigid (rotate with neck->nose, keep its size with the body's scale)
    d0 = head_vector(k0)
    d1 = k1[J["nose"]] - k1[J["neck"]] if np.isfinite(k0[J["nose"]]).all() else head_vector(k1)
    if np.isfinite(d1).all():
        ang = np.arctan2(d1[1], d1[0]) - np.arctan2(d0[1], d0[0])
    else:
        ang = 0.0
    c, s = np.cos(ang) * scale, np.sin(ang) * scale
    lin = np.array([[c, -s], [s, c]])
    M["head"] = np.hstack([lin, (k1[J["neck"]] - lin @ k0[J["neck"]])[:, None]])
    k1 = _hang_limbs(k0, k1, M["torso"])
    for name, p, ch in LIMB_PARTS:
        if np.isfinite(k1[[J[p], J[ch]]]).all():
            M[name] = bone_affine(k0[J[p]], k0[J[ch]], k1[J[p]], k1[J[ch]], scale)
    return M


def _hang_limbs(k0: np.ndarray, k1: np.ndarray, torso: np.ndarray) -> np.ndarray:
    """Arms hang from where the torso layer carries their shoulders, so they stay attached to
    the drawn body even when the target's shoulders sit elsewhere. Legs keep the target's
    hips: the torso maps the middle of the drawn hips onto the target's, so they stay under
    the drawn pelvis, and come together as the pelvis turns."""
    k1 = k1.copy()
    for side in ("right", "left"):
        shift = torso[:, :2] @ k0[J[f"{side}_shoulder"]] + torso[:, 2] - k1[J[f"{side}_shoulder"]]
        for n in ("shoulder", "elbow", "wrist"):
            k1[J[f"{side}_{n}"]] += shift
    return k1


def drawn_pose(reference_kps: np.ndarray, target_kps: np.ndarray) -> np.ndarray:
    """Where the warping renderers draw each joint of ``target_kps`` (18, 3): the target with
    each arm moved to hang from the shoulder the drawn torso carries."""
    M = bone_transforms(reference_kps, target_kps)
    out = np.array(target_kps, np.float64, copy=True)
    out[:, :2] = _hang_limbs(reference_kps[:, :2].astype(np.float64), out[:, :2], M["torso"])
    return out


def part_maps(reference_kps: np.ndarray, target_kps: np.ndarray) -> np.ndarray:
    """``(P, 2, 3)``: the map of each of ``PARTS``; a limb whose target joints are missing
    follows its parent (``PARENT``)."""
    maps = bone_transforms(reference_kps, target_kps)
    for part in PARTS:
        p = part
        while p not in maps:
            p = PARENT[p]
        maps[part] = maps[p]
    return np.stack([maps[p] for p in PARTS])
