"""Motion for the renderer: a built-in keyframed dance, real keypoints, and layout on a canvas.

A ``Motion`` is 3-D joint positions over time in the OpenPose-18 order (x right, y down,
z towards the camera; any unit). ``layout_for_character`` retargets it onto a character's
bone lengths (in 3-D, outward from the neck) and projects it to pixels on a canvas.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from r2a_utils.canvas import MARGIN, fit_box
from r2a_utils.characters.spec import CharacterSpec
from r2a_utils.skeleton import J, NUM_JOINTS, KeypointError, body_height, rescale_bones


@dataclasses.dataclass(frozen=True)
class Motion:
    """Joint positions ``(T, 18, 3)`` (x, y, z; y down, z to camera) and a frame rate."""

    joints: np.ndarray
    fps: float
    name: str = "motion"

    def __post_init__(self) -> None:
        if self.joints.ndim != 3 or self.joints.shape[1:] != (NUM_JOINTS, 3):
            raise KeypointError(f"Motion {self.name}: joints must be (T, 18, 3), got {self.joints.shape}")
        if len(self.joints) == 0:
            raise KeypointError(f"Motion {self.name}: no frames")

    def __len__(self) -> int:
        return len(self.joints)


@dataclasses.dataclass(frozen=True)
class CharacterTrack:
    """A motion laid out for one character on one canvas: what the renderer draws."""

    keypoints: np.ndarray  # (T, 18, 3) pixels + confidence 1 (NaN where absent)
    depth: np.ndarray  # (T, 18), larger = nearer the camera
    scale: float  # pixels per standing height of the character
    size: tuple[int, int]  # canvas (width, height)


def motion_from_keypoints(kps: np.ndarray, fps: float, depth: np.ndarray | None = None,
                          name: str = "video") -> Motion:
    """A ``Motion`` from 2-D keypoints ``(T, 18, 3)`` in pixels (e.g. from a real video).

    Frames where a body joint is absent are filled from the nearest frame that has it, so
    the renderer always gets a whole body; ``depth`` (e.g. mediapipe's z) is optional.
    """
    kps = np.asarray(kps, dtype=np.float64)
    joints = np.zeros(kps.shape[:2] + (3,))
    joints[..., :2] = kps[..., :2]
    if depth is not None:
        joints[..., 2] = depth
    joints = _fill_gaps(joints)
    return Motion(joints, fps, name)


def _fill_gaps(joints: np.ndarray) -> np.ndarray:
    """Fill NaN frames of each joint by linear interpolation / nearest value over time."""
    out = joints.copy()
    t = np.arange(len(out))
    for j in range(out.shape[1]):
        ok = ~np.isnan(out[:, j, :2]).any(axis=1)
        if ok.all() or not ok.any():
            continue
        for d in range(out.shape[2]):
            out[~ok, j, d] = np.interp(t[~ok], t[ok], out[ok, j, d])
    return out


def _rot(theta_deg: float) -> np.ndarray:
    """Rotation in the image plane (x right, y down): positive turns clockwise on screen."""
    t = np.deg2rad(theta_deg)
    return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])


# Keyframes of the built-in dance: body sway/bounce and joint angles in degrees.
# arm: abduction of the upper arm from hanging down (90 = horizontal, 170 = overhead);
# elbow: extra bend of the forearm; leg: abduction of the thigh; knee: bend.
_DANCE_KEYS: tuple[dict[str, float], ...] = (
    dict(sway=0, bounce=0, lean=0, head=0, r_arm=20, r_elbow=0, l_arm=20, l_elbow=0, r_leg=4, r_knee=0, l_leg=4, l_knee=0),
    dict(sway=0.03, bounce=0.02, lean=6, head=8, r_arm=150, r_elbow=20, l_arm=35, l_elbow=70, r_leg=14, r_knee=10, l_leg=2, l_knee=0),
    dict(sway=0, bounce=0.05, lean=0, head=0, r_arm=90, r_elbow=-60, l_arm=90, l_elbow=-60, r_leg=12, r_knee=35, l_leg=12, l_knee=35),
    dict(sway=-0.03, bounce=0.02, lean=-6, head=-8, r_arm=35, r_elbow=70, l_arm=150, l_elbow=20, r_leg=2, r_knee=0, l_leg=14, l_knee=10),
    dict(sway=0, bounce=-0.01, lean=0, head=0, r_arm=165, r_elbow=10, l_arm=165, l_elbow=10, r_leg=6, r_knee=0, l_leg=6, l_knee=0),
    dict(sway=0.02, bounce=0.04, lean=4, head=5, r_arm=60, r_elbow=100, l_arm=110, l_elbow=-30, r_leg=25, r_knee=20, l_leg=4, l_knee=25),
    dict(sway=-0.02, bounce=0.04, lean=-4, head=-5, r_arm=110, r_elbow=-30, l_arm=60, l_elbow=100, r_leg=4, r_knee=25, l_leg=25, l_knee=20),
    dict(sway=0, bounce=0.01, lean=0, head=0, r_arm=45, r_elbow=30, l_arm=45, l_elbow=30, r_leg=8, r_knee=5, l_leg=8, l_knee=5),
)


def _dance_pose(rest: np.ndarray, k: dict[str, float]) -> np.ndarray:
    """Forward kinematics of one keyframe on a rest skeleton (standing height 1)."""
    p = np.zeros_like(rest)
    mid_hip_rest = (rest[J["right_hip"]] + rest[J["left_hip"]]) / 2
    root = mid_hip_rest + np.array([k["sway"], k["bounce"], 0.0])
    spine = _rot(k["lean"])
    p[J["neck"]] = root + spine @ (rest[J["neck"]] - mid_hip_rest)
    head = spine @ _rot(k["head"])
    for n in ("nose", "right_eye", "left_eye", "right_ear", "left_ear"):
        p[J[n]] = p[J["neck"]] + head @ (rest[J[n]] - rest[J["neck"]])
    for side, s in (("right", 1.0), ("left", -1.0)):
        sh = p[J["neck"]] + spine @ (rest[J[f"{side}_shoulder"]] - rest[J["neck"]])
        p[J[f"{side}_shoulder"]] = sh
        rest_up = rest[J[f"{side}_elbow"]] - rest[J[f"{side}_shoulder"]]
        rest_fore = rest[J[f"{side}_wrist"]] - rest[J[f"{side}_elbow"]]
        down_up = np.array([0, np.linalg.norm(rest_up), 0])
        down_fore = np.array([0, np.linalg.norm(rest_fore), 0])
        a = s * k[f"{side[0]}_arm"]
        e = s * k[f"{side[0]}_elbow"]
        fwd = np.array([0, 0, 0.15 * np.linalg.norm(rest_up)])  # arms a little in front of the body
        el = sh + spine @ _rot(a) @ down_up + fwd
        p[J[f"{side}_elbow"]] = el
        p[J[f"{side}_wrist"]] = el + spine @ _rot(a + e) @ down_fore + fwd
        hip = root + (rest[J[f"{side}_hip"]] - mid_hip_rest)
        p[J[f"{side}_hip"]] = hip
        thigh = np.array([0, np.linalg.norm(rest[J[f"{side}_knee"]] - rest[J[f"{side}_hip"]]), 0])
        shin = np.array([0, np.linalg.norm(rest[J[f"{side}_ankle"]] - rest[J[f"{side}_knee"]]), 0])
        lg = s * k[f"{side[0]}_leg"]
        kn = p[J[f"{side}_hip"]] + _rot(lg) @ thigh + np.array([0, 0, 0.25 * k[f"{side[0]}_knee"] / 90 * thigh[1]])
        p[J[f"{side}_knee"]] = kn
        p[J[f"{side}_ankle"]] = kn + _rot(lg - s * 0.3 * k[f"{side[0]}_knee"]) @ shin
    # bending knees lowers the body: keep the lower ankle on the floor
    drop = rest[J["right_ankle"], 1] - max(p[J["right_ankle"], 1], p[J["left_ankle"], 1])
    p[:, 1] += drop
    return p


def builtin_dance(num_frames: int = 48, fps: float = 24.0, frames_per_beat: int = 8) -> Motion:
    """The project's own keyframed dance (eight poses, eased), the embedded default motion."""
    rest = CharacterSpec(head_ratio=7.5, shoulder_width=1.9, hip_width=1.3).rest_pose()
    keys = _DANCE_KEYS
    frames = []
    for t in range(num_frames):
        beat = t / frames_per_beat
        i = int(beat) % len(keys)
        f = beat - int(beat)
        w = 0.5 - 0.5 * np.cos(np.pi * f)  # ease in and out
        a, b = keys[i], keys[(i + 1) % len(keys)]
        frames.append(_dance_pose(rest, {n: (1 - w) * a[n] + w * b[n] for n in a}))
    return Motion(np.stack(frames), fps, "builtin_dance")


def layout_for_character(motion: Motion, spec: CharacterSpec, size: tuple[int, int],
                         margin: float = MARGIN) -> CharacterTrack:
    """Retarget ``motion`` onto ``spec``'s bone lengths and place it on a ``size`` canvas.

    Bones are rescaled in 3-D, outward from the neck, keeping each bone's direction; the
    neck follows the source's trajectory, scaled by the ratio of body sizes. The whole clip
    is then fitted into the canvas (same scale for every frame) with feet room at the bottom.
    """
    src = motion.joints.astype(np.float64)
    rest = spec.rest_pose()
    lengths = spec.bone_lengths()
    src_h = body_height(src)
    char_h = body_height(rest[None])
    if not np.isfinite(src_h) or src_h <= 0:
        raise KeypointError(f"{motion.name}: cannot measure the body (neck, hips, knees, ankles missing)")
    neck_traj = (src[:, J["neck"]] - src[0, J["neck"]]) * (char_h / src_h)
    # joints relative to each frame's neck, in character units
    start = (src - src[:, J["neck"]][:, None]) * (char_h / src_h)
    start[:, J["neck"]] = 0
    posed = rescale_bones(start, lengths) + (neck_traj + rest[J["neck"]])[:, None]
    # fit the whole clip: head top is ~0.55 head above the nose/neck, soles below ankles
    w, h = size
    xy = posed[..., :2]
    top = np.nanmin(xy[..., 1]) - spec.head * 0.75
    bottom = np.nanmax(xy[..., 1]) + 0.035
    left, right = np.nanmin(xy[..., 0]) - spec.head * 0.6, np.nanmax(xy[..., 0]) + spec.head * 0.6
    place = fit_box((left, top, right, bottom), (w, h), margin)
    scale = place.k
    px = np.empty(posed.shape[:2] + (3,), dtype=np.float32)
    px[..., 0] = posed[..., 0] * scale + place.tx
    px[..., 1] = posed[..., 1] * scale + place.ty
    px[..., 2] = 1.0
    px[np.isnan(posed).any(axis=-1)] = np.nan
    depth = (posed[..., 2] * scale).astype(np.float32)
    return CharacterTrack(px, depth, float(scale), (int(w), int(h)))


def flat_a_pose(spec: CharacterSpec) -> np.ndarray:
    """The rest pose ``(18, 3)`` flat to the camera (z = 0): every bone at its full length, as
    in a reference picture."""
    rest = spec.rest_pose()
    rest[:, 2] = 0.0
    return rest


def layout_a_pose(spec: CharacterSpec, size: tuple[int, int]) -> CharacterTrack:
    """``flat_a_pose`` laid out on a ``size`` canvas: one frame."""
    return layout_for_character(Motion(flat_a_pose(spec)[None], 24.0, "a_pose"), spec, size)


def _unit3(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-9)


def random_pose(rng: np.random.Generator, rest: np.ndarray, yaw_deg: float = 35.0,
                sit_prob: float = 0.0) -> np.ndarray:
    """A random plausible pose ``(18, 3)`` on a rest skeleton (for training pose estimators).

    Joint angles are drawn within the built-in dance's ranges and beyond (arms overhead or
    crossed, deep knee bends); the body turns up to ``yaw_deg`` away from the camera (180:
    any way, back views included). With probability ``sit_prob`` the thighs swing towards
    the camera, as when sitting or crouching (foreshortened thighs, shins down or folded back).
    """
    k = dict(sway=rng.uniform(-0.04, 0.04), bounce=rng.uniform(-0.02, 0.06), lean=rng.uniform(-15, 15),
             head=rng.uniform(-20, 20))
    for s in "rl":
        k[f"{s}_arm"] = rng.uniform(-10, 180)
        k[f"{s}_elbow"] = rng.uniform(-110, 140)
        k[f"{s}_leg"] = rng.uniform(-12, 50)
        k[f"{s}_knee"] = rng.uniform(0, 100) if rng.random() < 0.6 else 0.0
    p = _dance_pose(rest, k)
    if rng.random() < sit_prob:
        crouch = rng.random() < 0.4
        for side in ("right", "left"):
            hip, knee, ank = p[J[f"{side}_hip"]], p[J[f"{side}_knee"]], p[J[f"{side}_ankle"]]
            thigh, shin = np.linalg.norm(knee - hip), np.linalg.norm(ank - knee)
            pitch = np.deg2rad(rng.uniform(55, 95))
            spread = rng.uniform(-0.25, 0.35) * (1 if side == "left" else -1)
            knee = hip + thigh * _unit3(np.array([spread, np.cos(pitch), np.sin(pitch)]))
            a = np.deg2rad(rng.uniform(-70, -25) if crouch else rng.uniform(-15, 30))  # shin from straight down
            ank = knee + shin * _unit3(np.array([spread * 0.3, np.cos(a), np.sin(a)]))
            p[J[f"{side}_knee"]], p[J[f"{side}_ankle"]] = knee, ank
    t = np.deg2rad(rng.uniform(-yaw_deg, yaw_deg))
    ry = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])
    neck = p[J["neck"]]
    return (p - neck) @ ry.T + neck
