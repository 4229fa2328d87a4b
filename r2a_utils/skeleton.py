"""The one canonical keypoint layout (OpenPose-18) and converters from every other layout.

Keypoint arrays are ``(T, 18, 3)`` float32: x and y in pixels, then confidence in [0, 1];
a joint that is absent is NaN in all three columns. A single pose is ``(18, 3)``.

Taught in notebooks/01_data_preparation.ipynb and notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

JOINTS: tuple[str, ...] = (
    "nose", "neck",
    "right_shoulder", "right_elbow", "right_wrist",
    "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle",
    "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)
NUM_JOINTS = len(JOINTS)
J: dict[str, int] = {name: i for i, name in enumerate(JOINTS)}

# Bones as (parent, child), listed outward from the neck so that a parent always comes first.
LIMBS: tuple[tuple[int, int], ...] = (
    (J["neck"], J["right_shoulder"]), (J["neck"], J["left_shoulder"]),
    (J["neck"], J["right_hip"]), (J["neck"], J["left_hip"]),
    (J["right_shoulder"], J["right_elbow"]), (J["right_elbow"], J["right_wrist"]),
    (J["left_shoulder"], J["left_elbow"]), (J["left_elbow"], J["left_wrist"]),
    (J["right_hip"], J["right_knee"]), (J["right_knee"], J["right_ankle"]),
    (J["left_hip"], J["left_knee"]), (J["left_knee"], J["left_ankle"]),
    (J["neck"], J["nose"]),
    (J["nose"], J["right_eye"]), (J["nose"], J["left_eye"]),
    (J["right_eye"], J["right_ear"]), (J["left_eye"], J["left_ear"]),
)
PARENT: dict[int, int] = {child: parent for parent, child in LIMBS}

FLIP_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (J["right_" + p], J["left_" + p])
    for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "eye", "ear")
)
FLIP_INDEX: tuple[int, ...] = tuple(
    next((b if a == i else a for a, b in FLIP_PAIRS if i in (a, b)), i) for i in range(NUM_JOINTS)
)

# OpenPose's own palette, in RGB, one colour per joint.
COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)


class KeypointError(ValueError):
    """Keypoints that are missing, malformed or of the wrong shape."""


def empty_pose(frames: int | None = None) -> np.ndarray:
    """All-NaN keypoints: ``(18, 3)`` or ``(frames, 18, 3)``."""
    shape = (NUM_JOINTS, 3) if frames is None else (frames, NUM_JOINTS, 3)
    return np.full(shape, np.nan, dtype=np.float32)


def as_keypoints(kps: Any, name: str = "keypoints") -> np.ndarray:
    """Validate and return a float32 ``(..., 18, 3)`` array (``(..., 18, 2)`` gets confidence 1)."""
    arr = np.asarray(kps, dtype=np.float32)
    if arr.ndim < 2 or arr.shape[-2] != NUM_JOINTS or arr.shape[-1] not in (2, 3):
        raise KeypointError(f"{name}: expected shape (..., {NUM_JOINTS}, 2|3), got {arr.shape}")
    if arr.shape[-1] == 2:
        conf = np.where(np.isnan(arr[..., :1]), np.nan, 1.0).astype(np.float32)
        arr = np.concatenate([arr, conf], axis=-1)
    arr = arr.copy()
    arr[np.isnan(arr).any(axis=-1)] = np.nan
    return arr


def visible(kps: np.ndarray, min_conf: float = 0.0) -> np.ndarray:
    """Boolean mask ``(..., 18)`` of joints that are present with confidence above ``min_conf``."""
    conf = kps[..., 2]
    return ~np.isnan(kps[..., :2]).any(axis=-1) & (np.nan_to_num(conf, nan=-1.0) > min_conf)


def flip_horizontal(kps: np.ndarray, width: float) -> np.ndarray:
    """Mirror keypoints in an image of ``width`` pixels, swapping left and right joints."""
    out = kps[..., FLIP_INDEX, :].copy()
    out[..., 0] = width - 1 - out[..., 0]
    return out


def bone_lengths(kps: np.ndarray) -> np.ndarray:
    """Length of every bone in ``LIMBS``: ``(..., len(LIMBS))``, NaN where a joint is absent."""
    parents = np.array([p for p, _ in LIMBS])
    children = np.array([c for _, c in LIMBS])
    return np.linalg.norm(kps[..., children, :2] - kps[..., parents, :2], axis=-1)


def torso_size(kps: np.ndarray) -> np.ndarray:
    """Neck to mid-hip distance ``(...,)``, the scale that PCK is normalized by."""
    mid_hip = np.nanmean(kps[..., [J["right_hip"], J["left_hip"]], :2], axis=-2)
    return np.linalg.norm(kps[..., J["neck"], :2] - mid_hip, axis=-1)


def knee_angles(kps: np.ndarray) -> dict[str, float]:
    """The angle at each knee between thigh and shin, in degrees (180: a straight leg), by
    side; legs with a joint missing are left out."""
    return _bends(kps, ("hip", "knee", "ankle"))


def elbow_angles(kps: np.ndarray) -> dict[str, float]:
    """The angle at each elbow between upper arm and forearm, in degrees (180: a straight
    arm), by side; arms with a joint missing are left out."""
    return _bends(kps, ("shoulder", "elbow", "wrist"))


def _bends(kps: np.ndarray, names: tuple[str, str, str]) -> dict[str, float]:
    out = {}
    for side in ("right", "left"):
        a, b, c = (kps[J[f"{side}_{n}"], :2].astype(np.float64) for n in names)
        u, v = a - b, c - b
        nu, nv = np.linalg.norm(u), np.linalg.norm(v)
        if np.isfinite(nu * nv) and nu * nv > 0:
            out[side] = float(np.degrees(np.arccos(np.clip(u @ v / (nu * nv), -1.0, 1.0))))
    return out


# The 13 body joints every stage needs (nose, eyes and ears are optional: drawings often lack them).
BODY_JOINTS: tuple[str, ...] = ("neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
                                "left_elbow", "left_wrist", "right_hip", "right_knee", "right_ankle",
                                "left_hip", "left_knee", "left_ankle")


# The five joints that place the torso; a frame without all of them has no usable body.
TORSO_JOINTS: tuple[str, ...] = ("neck", "right_shoulder", "left_shoulder", "right_hip", "left_hip")


def missing_joints(kps: np.ndarray, names: Sequence[str] = BODY_JOINTS) -> list[str]:
    """Which of ``names`` have no position in one pose ``(18, 3)``."""
    return [n for n in names if np.isnan(kps[J[n], :2]).any()]


def transform_keypoints(kps: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Keypoints ``(..., 18, 3)`` moved by a 2x3 affine map (OpenCV's layout); a float32 copy,
    confidence and NaNs kept."""
    out = np.array(kps, dtype=np.float32, copy=True)
    out[..., :2] = out[..., :2] @ np.asarray(m)[:, :2].T + np.asarray(m)[:, 2]
    return out


def body_height(coords: np.ndarray) -> float:
    """Neck-to-ankle path length (neck->hip->knee->ankle, the longer side), median over the
    frames of ``coords`` ``(T, 18, D)``: a size that does not change when the body bends or
    turns. Pass coordinates only (x, y or x, y, z), not a confidence column. NaN when absent."""
    def seg(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(coords[:, J[a]] - coords[:, J[b]], axis=-1)
    per_side = [seg("neck", f"{s}_hip") + seg(f"{s}_hip", f"{s}_knee") + seg(f"{s}_knee", f"{s}_ankle")
                for s in ("right", "left")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmedian(np.fmax(per_side[0], per_side[1])))


def _midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Midpoint of two keypoints, confidence the lower of the two; NaN if either is absent."""
    mid = (a + b) / 2.0
    mid[..., 2] = np.minimum(a[..., 2], b[..., 2])
    return mid


# ---------------------------------------------------------------- mediapipe (33 landmarks)
MEDIAPIPE_TO_OP18: dict[str, int] = {
    "nose": 0, "right_shoulder": 12, "right_elbow": 14, "right_wrist": 16,
    "left_shoulder": 11, "left_elbow": 13, "left_wrist": 15,
    "right_hip": 24, "right_knee": 26, "right_ankle": 28,
    "left_hip": 23, "left_knee": 25, "left_ankle": 27,
    "right_eye": 5, "left_eye": 2, "right_ear": 8, "left_ear": 7,
}


def from_mediapipe33(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """Map mediapipe Pose landmarks to OpenPose-18 pixels.

    Args:
        landmarks: ``(..., 33, 4)`` normalized x, y, z and visibility as mediapipe returns them.
        width, height: image size in pixels.
    Returns:
        ``(..., 18, 3)``; the neck is the shoulder midpoint, confidence is visibility.
    """
    lm = np.asarray(landmarks, dtype=np.float32)
    if lm.shape[-2:] != (33, 4):
        raise KeypointError(f"mediapipe landmarks: expected (..., 33, 4), got {lm.shape}")
    out = np.full(lm.shape[:-2] + (NUM_JOINTS, 3), np.nan, dtype=np.float32)
    for name, idx in MEDIAPIPE_TO_OP18.items():
        out[..., J[name], 0] = lm[..., idx, 0] * width
        out[..., J[name], 1] = lm[..., idx, 1] * height
        out[..., J[name], 2] = np.clip(lm[..., idx, 3], 0.0, 1.0)
    out[..., J["neck"], :] = _midpoint(out[..., J["right_shoulder"], :], out[..., J["left_shoulder"], :])
    return out


# ---------------------------------------------------------------- OpenPose BODY_25
BODY25_TO_OP18: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)


def from_body25(flat_or_array: Sequence[float] | np.ndarray) -> np.ndarray:
    """OpenPose BODY_25 (``pose_keypoints_2d``, 75 numbers or ``(..., 25, 3)``) to OpenPose-18.

    OpenPose writes 0, 0, 0 for a joint it did not find; those become NaN.
    """
    arr = np.asarray(flat_or_array, dtype=np.float32)
    if arr.ndim == 1:
        if arr.size != 75:
            raise KeypointError(f"BODY_25: expected 75 numbers, got {arr.size}")
        arr = arr.reshape(25, 3)
    if arr.shape[-2:] != (25, 3):
        raise KeypointError(f"BODY_25: expected (..., 25, 3), got {arr.shape}")
    out = arr[..., BODY25_TO_OP18, :].copy()
    out[out[..., 2] <= 0] = np.nan
    return out


def read_openpose_folder(folder: str | os.PathLike) -> np.ndarray:
    """OpenPose's per-frame ``*_keypoints.json`` files in ``folder`` to ``(T, 18, 3)``.

    Files are taken in name order (OpenPose numbers them by frame). A frame with nobody in
    it is all NaN; with several people, the one with the largest keypoint bounding box.
    """
    folder = Path(folder)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        raise KeypointError(f"{folder}: no OpenPose *.json files found")
    out = empty_pose(len(files))
    for t, f in enumerate(files):
        try:
            people = json.loads(f.read_text())["people"]
            poses = [from_body25(p["pose_keypoints_2d"]) for p in people]
        except (ValueError, KeyError, TypeError) as e:
            raise KeypointError(f"{f}: not an OpenPose BODY_25 keypoints file ({e})") from None
        if poses:
            out[t] = max(poses, key=_bbox_area)
    return out


def _bbox_area(pose: np.ndarray) -> float:
    xy = pose[visible(pose), :2]
    return float(np.prod(xy.max(0) - xy.min(0))) if len(xy) >= 2 else 0.0


# ---------------------------------------------------------------- Anime Drawings Dataset (21)
ANIME_DRAWINGS_JOINTS: tuple[str, ...] = (
    "body_upper", "neck", "head", "nose_tip", "nose_root",
    "arm_left", "elbow_left", "wrist_left", "thumb_left", "leg_left", "knee_left", "ankle_left", "tiptoe_left",
    "arm_right", "elbow_right", "wrist_right", "thumb_right", "leg_right", "knee_right", "ankle_right",
    "tiptoe_right",
)
ANIME_DRAWINGS_TO_OP18: dict[str, str] = {
    "nose": "nose_tip", "neck": "neck",
    "right_shoulder": "arm_right", "right_elbow": "elbow_right", "right_wrist": "wrist_right",
    "left_shoulder": "arm_left", "left_elbow": "elbow_left", "left_wrist": "wrist_left",
    "right_hip": "leg_right", "right_knee": "knee_right", "right_ankle": "ankle_right",
    "left_hip": "leg_left", "left_knee": "knee_left", "left_ankle": "ankle_left",
}


def from_anime_drawings(points: Mapping[str, Sequence[float]]) -> np.ndarray:
    """One Anime Drawings Dataset entry's ``points`` dict to OpenPose-18 ``(18, 3)``.

    Both layouts use the character's own left and right. Eyes and ears are not annotated
    there and stay NaN; use ``anime_drawings_head`` for the head point PCKh needs.
    """
    out = empty_pose()
    for ours, theirs in ANIME_DRAWINGS_TO_OP18.items():
        if theirs in points:
            x, y = points[theirs][:2]
            out[J[ours]] = (x, y, 1.0)
    return out


def anime_drawings_head(points: Mapping[str, Sequence[float]]) -> np.ndarray:
    """The annotated head point ``(2,)`` of an Anime Drawings Dataset entry (NaN if absent)."""
    return np.asarray(points.get("head", (np.nan, np.nan))[:2], dtype=np.float32)


# ---------------------------------------------------------------- AnimatedDrawings (16)
ANIMATED_DRAWINGS_TO_OP18: dict[str, str] = {
    "neck": "neck",
    "right_shoulder": "right_shoulder", "right_elbow": "right_elbow", "right_wrist": "right_hand",
    "left_shoulder": "left_shoulder", "left_elbow": "left_elbow", "left_wrist": "left_hand",
    "right_hip": "right_hip", "right_knee": "right_knee", "right_ankle": "right_foot",
    "left_hip": "left_hip", "left_knee": "left_knee", "left_ankle": "left_foot",
}


def from_animated_drawings(skeleton: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """The ``skeleton`` list of an AnimatedDrawings ``char_cfg.yaml`` to OpenPose-18 ``(18, 3)``.

    AnimatedDrawings names joints by the character's own side, as OpenPose does. Its
    ``neck`` sits where the head joins the body (our neck); it has no face joints, so
    nose, eyes and ears stay NaN.
    """
    by_name = {j["name"]: j["loc"] for j in skeleton}
    missing = [theirs for theirs in ANIMATED_DRAWINGS_TO_OP18.values() if theirs not in by_name]
    if missing:
        raise KeypointError(f"AnimatedDrawings skeleton lacks joints: {', '.join(missing)}")
    out = empty_pose()
    for ours, theirs in ANIMATED_DRAWINGS_TO_OP18.items():
        x, y = by_name[theirs][:2]
        out[J[ours]] = (x, y, 1.0)
    return out


# ---------------------------------------------------------------- BVH joint names
# Several conventions in the wild (CMU, Mixamo/Rokoko, AnimatedDrawings' fair1 exports).
BVH_NAME_ALIASES: dict[str, tuple[str, ...]] = {
    "nose": ("Head_End", "HeadEnd", "head_end", "Head_end"),
    "neck": ("Neck", "neck", "LowerNeck", "lowerneck", "Neck1"),
    "right_shoulder": ("RightArm", "RightShoulder_", "RightShoulder", "rShldr", "RightUpArm"),
    "right_elbow": ("RightForeArm", "RightElbow", "rForeArm", "RightLowArm"),
    "right_wrist": ("RightHand", "RightWrist", "rHand"),
    "left_shoulder": ("LeftArm", "LeftShoulder_", "LeftShoulder", "lShldr", "LeftUpArm"),
    "left_elbow": ("LeftForeArm", "LeftElbow", "lForeArm", "LeftLowArm"),
    "left_wrist": ("LeftHand", "LeftWrist", "lHand"),
    "right_hip": ("RightUpLeg", "RightHip", "rThigh", "RightUpperLeg"),
    "right_knee": ("RightLeg", "RightKnee", "rShin", "RightLowerLeg"),
    "right_ankle": ("RightFoot", "RightAnkle", "rFoot"),
    "left_hip": ("LeftUpLeg", "LeftHip", "lThigh", "LeftUpperLeg"),
    "left_knee": ("LeftLeg", "LeftKnee", "lShin", "LeftLowerLeg"),
    "left_ankle": ("LeftFoot", "LeftAnkle", "lFoot"),
}


def bvh_joint_map(names: Sequence[str]) -> dict[str, str]:
    """Pick, for each OpenPose-18 body joint, the BVH joint that plays its part.

    In CMU files ``LeftShoulder`` is the upper-arm joint below ``LeftCollar``; in Mixamo-style
    files ``LeftShoulder`` is the collar and ``LeftArm`` the shoulder joint. We prefer
    ``*Arm`` when present, which is right for both.
    Returns:
        our joint name -> BVH joint name, for every body joint (face joints are optional).
    Raises:
        KeypointError if a body joint has no candidate.
    """
    present = set(names)
    mapping: dict[str, str] = {}
    for ours, candidates in BVH_NAME_ALIASES.items():
        hit = next((c for c in candidates if c in present), None)
        if hit is not None:
            mapping[ours] = hit
    body = [j for j in BVH_NAME_ALIASES if j != "nose"]
    missing = [j for j in body if j not in mapping]
    if missing:
        raise KeypointError(f"BVH skeleton has no joint for: {', '.join(missing)}")
    return mapping


def rescale_bones(coords: np.ndarray, lengths: np.ndarray, root: int = J["neck"]) -> np.ndarray:
    """Give every bone a new length, one after another outward from the neck, keeping directions.

    The neck stays where it is; each child joint is put at parent + direction * new length,
    where the direction is the original child-minus-parent direction (2-D or 3-D).

    Args:
        coords: ``(..., 18, D)`` joint coordinates (D = 2 or 3), NaN where absent.
        lengths: ``(len(LIMBS),)`` or ``(..., len(LIMBS))`` new bone lengths.
        root: joint that stays in place; must be the root of ``LIMBS`` (the neck).
    Returns:
        ``(..., 18, D)``; a joint whose parent chain is broken by an absent joint stays NaN.
    """
    if root != J["neck"]:
        raise ValueError("rescale_bones: LIMBS are ordered outward from the neck; root must be the neck")
    src = np.asarray(coords, dtype=np.float64)
    lengths = np.broadcast_to(np.asarray(lengths, dtype=np.float64), src.shape[:-2] + (len(LIMBS),))
    out = np.full_like(src, np.nan)
    out[..., root, :] = src[..., root, :]
    for k, (parent, child) in enumerate(LIMBS):
        d = src[..., child, :] - src[..., parent, :]
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        unit = np.divide(d, n, out=np.zeros_like(d), where=n > 1e-9)
        unit[np.isnan(n[..., 0])] = np.nan  # an absent joint stays absent
        out[..., child, :] = out[..., parent, :] + unit * lengths[..., k:k + 1]
    return out
