"""One person's pose through a video (``PoseTrack``), and its on-disk cache.

``estimate_video_cached`` keeps a track on disk keyed by the file's hash, the settings and
the mediapipe version, so later notebooks and runs reuse it.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from r2a_utils.errors import InputFileError
from r2a_utils.files import atomic_path, sha256_file
from r2a_utils.video import VideoInfo, probe

if TYPE_CHECKING:
    import threading

    from r2a_utils.pose.human import HumanPoseConfig

CACHE_VERSION = 1
# status of each frame in a PoseTrack
FOUND, NO_PERSON, OTHER_PERSON = "found", "no_person", "other_person"


class PoseError(InputFileError, ValueError):
    """No usable pose in the input (e.g. no person in any frame); names the file."""


@dataclasses.dataclass
class PoseTrack:
    """Pose of one person through a video.

    Attributes:
        keypoints: ``(T, 18, 3)`` float32, pixels of the frames as read (rotation applied),
            confidence = mediapipe visibility; NaN rows where no person was found.
        depth: ``(T, 18)`` relative depth in pixels, larger = nearer the camera (mediapipe z).
        status: ``(T,)`` one of 'found', 'no_person', 'other_person'.
        fps: frame rate of the video; size: (width, height); notes: what the user should know.
    """

    keypoints: np.ndarray
    depth: np.ndarray
    status: np.ndarray
    fps: float
    size: tuple[int, int]
    source: str = ""
    people_seen: int = 1
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def found(self) -> np.ndarray:
        """``(T,)`` True where the subject's pose was found."""
        return self.status == FOUND

    def __len__(self) -> int:
        return len(self.keypoints)

    def save(self, path: str | os.PathLike) -> Path:
        """Write to ``.npz`` atomically (temp file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"fps": self.fps, "size": list(self.size), "source": self.source,
                "people_seen": self.people_seen, "notes": self.notes, "version": CACHE_VERSION}
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, keypoints=self.keypoints, depth=self.depth, status=self.status.astype("U12"),
                                meta=np.array(json.dumps(meta)))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> PoseTrack:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return cls(z["keypoints"], z["depth"], z["status"].astype(str), meta["fps"], tuple(meta["size"]),
                       meta["source"], meta["people_seen"], meta["notes"])


def pose_cache_path(path: str | os.PathLike, cfg: HumanPoseConfig, max_frames: int | None = None,
                    info: VideoInfo | None = None) -> Path:
    """Where ``estimate_video_cached`` keeps the result for this file and these settings."""
    from importlib.metadata import version  # not `import mediapipe`: 1-1.5 s, which a cached run need not pay

    from r2a_utils.samples import cache_dir

    if info is None:
        probe(path)  # clear VideoError for bad files before hashing them
    key = json.dumps({"file": sha256_file(path), "cfg": cfg.to_dict(), "max_frames": max_frames,
                      "mediapipe": version("mediapipe"), "v": CACHE_VERSION}, sort_keys=True)
    return cache_dir() / "pose" / f"{Path(path).stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def estimate_video_cached(path: str | os.PathLike, cfg: HumanPoseConfig | None = None,
                          max_frames: int | None = None, progress: bool = True,
                          info: VideoInfo | None = None, cancel: threading.Event | None = None) -> PoseTrack:
    """``estimate_video`` once per (file content, settings); later calls read the cache.

    ``info``: the video's ``probe`` result when the caller has it (the file is not probed again).
    ``cancel``: set from another thread to stop tracking (``Cancelled``; nothing is cached).
    """
    from r2a_utils.pose.human import HumanPoseConfig, HumanPoseEstimator

    cfg = cfg or HumanPoseConfig()
    cached = pose_cache_path(path, cfg, max_frames, info)
    if cached.exists():
        try:
            track = PoseTrack.load(cached)
            track.source = str(path)
            return track
        except (OSError, ValueError, KeyError):
            cached.unlink(missing_ok=True)  # a damaged cache entry is recomputed, not trusted
    with HumanPoseEstimator(cfg) as est:
        track = est.estimate_video(path, max_frames=max_frames, progress=progress, info=info, cancel=cancel)
    track.save(cached)
    return track
