"""BVH motion capture: a parser, forward kinematics, and projection to an OpenPose-18 ``Motion``.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from r2a_utils.characters.motion import Motion
from r2a_utils.skeleton import J, NUM_JOINTS, KeypointError, bvh_joint_map


class BVHError(ValueError):
    """A BVH file that cannot be parsed; names the file and the line."""

    def __init__(self, path: str | os.PathLike, problem: str, line: int | None = None):
        where = f"{path}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {problem}")


@dataclasses.dataclass(frozen=True)
class BVH:
    names: tuple[str, ...]
    parents: tuple[int, ...]  # -1 for the root
    offsets: np.ndarray  # (J, 3)
    channels: tuple[tuple[str, ...], ...]  # per joint, e.g. ("Xposition", ..., "Zrotation")
    motion: np.ndarray  # (T, total channels)
    frame_time: float
    path: str = ""

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def __len__(self) -> int:
        return len(self.motion)


def parse_bvh(path: str | os.PathLike) -> BVH:
    """Read a BVH file (HIERARCHY + MOTION); raise ``BVHError`` naming the problem."""
    p = Path(path)
    if not p.exists():
        raise BVHError(p, "file not found")
    try:
        lines = p.read_text(errors="strict").splitlines()
    except UnicodeDecodeError:
        raise BVHError(p, "not a text file") from None
    if not lines or lines[0].strip() != "HIERARCHY":
        raise BVHError(p, "does not start with HIERARCHY", 1)
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    stack: list[int] = []
    pending: int | None = None
    in_end = False
    i = 1
    while i < len(lines):
        tok = lines[i].split()
        i += 1
        if not tok:
            continue
        key = tok[0]
        try:
            if key in ("ROOT", "JOINT"):
                if len(tok) < 2:
                    raise BVHError(p, f"{key} without a name", i)
                names.append(tok[1])
                parents.append(stack[-1] if stack else -1)
                offsets.append([0.0, 0.0, 0.0])
                channels.append(())
                pending = len(names) - 1
            elif key == "End":
                in_end = True
            elif key == "{":
                if in_end:
                    stack.append(-2)
                else:
                    if pending is None:
                        raise BVHError(p, "'{' without a joint", i)
                    stack.append(pending)
            elif key == "}":
                if not stack:
                    raise BVHError(p, "unbalanced '}'", i)
                top = stack.pop()
                if top == -2:
                    in_end = False
            elif key == "OFFSET":
                vals = [float(v) for v in tok[1:4]]
                if len(vals) != 3:
                    raise BVHError(p, "OFFSET needs 3 numbers", i)
                if not in_end:
                    offsets[stack[-1]] = vals
            elif key == "CHANNELS":
                n = int(tok[1])
                if len(tok) - 2 != n:
                    raise BVHError(p, f"CHANNELS says {n} but lists {len(tok) - 2}", i)
                channels[stack[-1]] = tuple(tok[2:])
            elif key == "MOTION":
                break
            else:
                raise BVHError(p, f"unexpected '{key}' in HIERARCHY", i)
        except (ValueError, IndexError) as e:
            if isinstance(e, BVHError):
                raise
            raise BVHError(p, f"malformed line ({e})", i) from None
    else:
        raise BVHError(p, "no MOTION section")
    if stack:
        raise BVHError(p, "HIERARCHY has unclosed '{'")
    if not names:
        raise BVHError(p, "no joints in HIERARCHY")
    try:
        n_frames = int(lines[i].split(":")[1])
        frame_time = float(lines[i + 1].split(":")[1])
    except (IndexError, ValueError):
        raise BVHError(p, "MOTION must be followed by 'Frames: N' and 'Frame Time: t'", i + 1) from None
    total = sum(len(c) for c in channels)
    rows = []
    for k, line in enumerate(lines[i + 2:i + 2 + n_frames]):
        try:
            vals = [float(v) for v in line.split()]
        except ValueError:
            raise BVHError(p, "non-numeric motion data", i + 3 + k) from None
        if len(vals) != total:
            raise BVHError(p, f"frame has {len(vals)} values, channels need {total}", i + 3 + k)
        rows.append(vals)
    if len(rows) != n_frames or n_frames == 0:
        raise BVHError(p, f"header says {n_frames} frames, file has {len(rows)}")
    if frame_time <= 0:
        raise BVHError(p, f"Frame Time must be positive, got {frame_time}")
    return BVH(tuple(names), tuple(parents), np.array(offsets), tuple(channels), np.array(rows), frame_time, str(p))


def _axis_rot(axis: str, deg: np.ndarray) -> np.ndarray:
    t = np.deg2rad(deg)
    c, s = np.cos(t), np.sin(t)
    o, z = np.ones_like(t), np.zeros_like(t)
    if axis == "X":
        m = [[o, z, z], [z, c, -s], [z, s, c]]
    elif axis == "Y":
        m = [[c, z, s], [z, o, z], [-s, z, c]]
    else:
        m = [[c, -s, z], [s, c, z], [z, z, o]]
    return np.moveaxis(np.array(m), (0, 1), (-2, -1))


def forward_kinematics(bvh: BVH) -> np.ndarray:
    """World positions ``(T, J, 3)`` of every joint (BVH axes: y up)."""
    T = len(bvh)
    pos = np.zeros((T, len(bvh.names), 3))
    rot = np.zeros((T, len(bvh.names), 3, 3))
    col = 0
    for j, chans in enumerate(bvh.channels):
        local_r = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
        trans = np.broadcast_to(bvh.offsets[j], (T, 3)).copy()
        for ch in chans:
            v = bvh.motion[:, col]
            col += 1
            if ch.endswith("position"):
                trans[:, "XYZ".index(ch[0])] += v
            elif ch.endswith("rotation"):
                local_r = local_r @ _axis_rot(ch[0], v)
        parent = bvh.parents[j]
        if parent < 0:
            pos[:, j], rot[:, j] = trans, local_r
        else:
            pos[:, j] = pos[:, parent] + np.einsum("tij,tj->ti", rot[:, parent], trans)
            rot[:, j] = rot[:, parent] @ local_r
    return pos


def _align(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation matrix turning unit vector ``a`` onto unit vector ``b``."""
    v, c = np.cross(a, b), float(a @ b)
    if c < -0.999999:  # opposite: half turn about an axis perpendicular to a
        axis = np.eye(3)[int(np.argmin(np.abs(a)))]
        v = np.cross(a, axis)
        v /= np.linalg.norm(v)
        return 2 * np.outer(v, v) - np.eye(3)
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1 + c)


def bvh_to_motion(bvh: BVH, yaw_deg: float = 0.0, fps: float | None = None) -> Motion:
    """Project a BVH clip to an OpenPose-18 ``Motion`` seen from the front (camera on +z).

    Face joints are placed on the head from the body's facing direction (BVH has no face).
    Args:
        yaw_deg: turn the performer about the vertical axis before projecting.
        fps: resample to this rate by picking the nearest frames (default: the file's rate).
    """
    world = forward_kinematics(bvh)
    try:
        mapping = bvh_joint_map(bvh.names)
    except KeypointError as e:
        raise BVHError(bvh.path, str(e)) from None
    idx = {n: k for k, n in enumerate(bvh.names)}
    T = len(world)
    out = np.full((T, NUM_JOINTS, 3), np.nan)
    for ours, theirs in mapping.items():
        if ours != "nose":
            out[:, J[ours]] = world[:, idx[theirs]]
    # Files differ in their up axis (CMU/Rokoko y-up, some exports z-up) and facing: stand the
    # performer up along +y, then turn them to face the camera (+z) in the first frame.
    # (the rest offsets cannot tell: some files hang the spine along a joint's local x axis)
    up_world = np.nanmedian(out[:, J["neck"]] - (out[:, J["right_hip"]] + out[:, J["left_hip"]]) / 2, axis=0)
    axis = int(np.argmax(np.abs(up_world)))
    R = _align(np.eye(3)[axis] * np.sign(up_world[axis]), np.array([0.0, 1.0, 0.0]))
    upright = out @ R.T
    left0 = upright[0, J["left_shoulder"]] - upright[0, J["right_shoulder"]]
    fwd0 = np.cross(left0, [0.0, 1.0, 0.0])
    t = np.deg2rad(yaw_deg) - np.arctan2(fwd0[0], fwd0[2])
    ry = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])
    R = ry @ R
    out = out @ R.T
    head = world[:, idx["Head"]] @ R.T if "Head" in idx else None
    mid_hip = (out[:, J["right_hip"]] + out[:, J["left_hip"]]) / 2
    up = out[:, J["neck"]] - mid_hip
    s = np.linalg.norm(up, axis=-1, keepdims=True)
    up = up / s
    left = out[:, J["left_shoulder"]] - out[:, J["right_shoulder"]]
    fwd = np.cross(left, up)
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    left = np.cross(up, fwd)
    base = head if head is not None else out[:, J["neck"]] + up * 0.15 * s
    nose = base + up * 0.2 * s + fwd * 0.22 * s
    out[:, J["nose"]] = nose
    for side, sgn in (("right", -1), ("left", 1)):
        out[:, J[f"{side}_eye"]] = nose + up * 0.07 * s + left * sgn * 0.08 * s - fwd * 0.03 * s
        out[:, J[f"{side}_ear"]] = base + up * 0.22 * s + left * sgn * 0.15 * s - fwd * 0.05 * s
    # BVH: x to the performer's left, y up, z forward. Image: x right, y down, z to camera.
    img = np.stack([out[..., 0], -out[..., 1], out[..., 2]], axis=-1)
    src_fps = bvh.fps
    if fps is not None and abs(fps - src_fps) > 1e-6:
        n = max(1, int(round(T * fps / src_fps)))
        img = img[np.minimum(np.round(np.arange(n) * src_fps / fps).astype(int), T - 1)]
    else:
        fps = src_fps
    return Motion(img, float(fps), Path(bvh.path).stem or "bvh")
