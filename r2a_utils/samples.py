"""The embedded default inputs, made by the kit's own code (no copied media).

``sample_video()`` renders a plainly dressed, realistically proportioned procedural person
doing the built-in dance in a simple room; ``sample_character()`` renders one procedural
anime character standing in an A-pose. Both are deterministic and cached on disk, with
their exact keypoints saved beside them, so the main command and the smoke tests need no
downloads.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from r2a_utils.characters.motion import Motion, builtin_dance, layout_a_pose, layout_for_character
from r2a_utils.characters.render import render_character
from r2a_utils.characters.spec import CharacterSpec, random_character
from r2a_utils.picture import over_background
from r2a_utils.skeleton import JOINTS
from r2a_utils.video import write_video

SAMPLE_HUMAN_SEED = 3
SAMPLE_CHARACTER_SEED = 7
SAMPLE_VERSION = 1  # bump when the look of the samples changes, to refresh caches


def cache_dir() -> Path:
    """Where the kit caches samples, downloads and pose results (``R2A_CACHE`` or ~/.cache/r2a)."""
    root = Path(os.environ.get("R2A_CACHE", Path.home() / ".cache" / "r2a"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def room_background(size: tuple[int, int]) -> np.ndarray:
    """A plain room: warm wall with a soft vertical gradient and a darker floor."""
    w, h = size
    y = np.linspace(0, 1, h)[:, None, None]
    wall = np.array([214, 204, 186]) * (1.0 - 0.12 * y) + np.array([10, 8, 4]) * y
    floor_y = int(h * 0.86)
    img = np.broadcast_to(wall, (h, w, 3)).copy()
    img[floor_y:] = np.array([150, 120, 95]) * (1 - 0.2 * np.linspace(0, 1, h - floor_y)[:, None, None])
    return img.astype(np.uint8)


def sample_human_spec() -> CharacterSpec:
    return random_character(SAMPLE_HUMAN_SEED, style="human")


def sample_character_spec() -> CharacterSpec:
    """The embedded demo character: classic look (the shipped Stage 3 sample weights learned it)."""
    return random_character(SAMPLE_CHARACTER_SEED, look="classic")


def _sample_paths(kind: str, num_frames: int, size: tuple[int, int]) -> tuple[Path, Path]:
    """Cached location of a sample video and of its ground-truth keypoints beside it."""
    path = cache_dir() / "samples" / f"sample_{kind}_v{SAMPLE_VERSION}_{num_frames}f_{size[0]}x{size[1]}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, path.with_suffix(".keypoints.npy")


def sample_video(num_frames: int = 48, size: tuple[int, int] = (384, 512), fps: int = 24) -> Path:
    """Path to the embedded 'real' clip (rendered on first use). Ground-truth keypoints
    ``(T, 18, 3)`` are saved beside it as ``<name>.keypoints.npy``."""
    path, kp_path = _sample_paths("dance", num_frames, size)
    if path.exists() and kp_path.exists():
        return path
    spec = sample_human_spec()
    track = layout_for_character(builtin_dance(num_frames, fps), spec, size)
    bg = room_background(size)
    frames = (over_background(render_character(spec, track.keypoints[t], size, track.scale,
                                          track.depth[t]).rgba, bg) for t in range(num_frames))
    write_video(path, frames, fps)
    np.save(kp_path, track.keypoints)
    return path


def sample_keypoints(video_path: str | os.PathLike) -> np.ndarray:
    """The ground-truth keypoints saved beside a sample video by ``sample_video``."""
    return np.load(Path(video_path).with_suffix(".keypoints.npy"))


def sample_character(size: tuple[int, int] = (256, 384)) -> Path:
    """Path to the embedded anime character image (RGBA PNG, A-pose) and its joints JSON
    (``<name>.joints.json``: joint name -> [x, y] pixels)."""
    from PIL import Image

    name = f"sample_character_v{SAMPLE_VERSION}_{size[0]}x{size[1]}"
    path = cache_dir() / "samples" / f"{name}.png"
    joints_path = path.with_suffix(".joints.json")
    if path.exists() and joints_path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = sample_character_spec()
    track = layout_a_pose(spec, size)  # flat A-pose: every bone at its full length in the picture
    res = render_character(spec, track.keypoints[0], size, track.scale, track.depth[0])
    Image.fromarray(res.rgba).save(path)
    joints = {n: [float(x), float(y)] for n, (x, y, _) in zip(JOINTS, res.keypoints) if not np.isnan(x)}
    joints_path.write_text(json.dumps({"version": 1, "image_size": list(size), "joints": joints}, indent=1))
    return path


def sample_group_video(num_frames: int = 48, size: tuple[int, int] = (640, 480), fps: int = 24) -> Path:
    """Two procedural people dancing side by side (for the several-people guard).

    The left person is larger (nearer); ``<name>.keypoints.npy`` holds both people's
    ground truth as ``(T, 2, 18, 3)``, left person first.
    """
    path, kp_path = _sample_paths("group", num_frames, size)
    if path.exists() and kp_path.exists():
        return path
    w, h = size
    people = []
    for spec, box, offset in ((sample_human_spec(), (int(w * 0.5), h, 0), 0),
                              (random_character(11, style="human"), (int(w * 0.34), int(h * 0.72), int(w * 0.6)), 5)):
        bw, bh, x0 = box
        dance = builtin_dance(num_frames + offset, fps)
        track = layout_for_character(Motion(dance.joints[offset:], fps, "dance"), spec, (bw, bh))
        people.append((spec, track, x0, h - bh))
    bg = room_background(size)

    def frames():
        for t in range(num_frames):
            img = bg.copy()
            for spec, track, x0, y0 in reversed(people):  # the far (smaller) person first
                rgba = render_character(spec, track.keypoints[t], track.size, track.scale, track.depth[t]).rgba
                region = img[y0:y0 + rgba.shape[0], x0:x0 + rgba.shape[1]]
                region[:] = over_background(rgba, region)
            yield img

    write_video(path, frames(), fps)
    kps = np.stack([tr.keypoints + np.array([x0, y0, 0], np.float32) for _, tr, x0, y0 in people], axis=1)
    np.save(kp_path, kps)
    return path
