"""Stage 2a: human pose per frame with mediapipe 0.10.21 (``solutions.pose``, bundled model).

``HumanPoseEstimator.estimate(frames) -> (T, 18, 3)`` for frames in memory;
``estimate_video(path) -> PoseTrack`` streams a file of any length and also says, per frame,
whether the person was found (``pose.track`` holds the track and its on-disk cache).

One person: mediapipe's pose solution follows a single person, the one it locks on to
first. We add two guards on top, both reported in ``PoseTrack.notes``: every
``people_check_s`` seconds we hide the tracked person and look again; when somebody else is
there we switch to the larger of the two (nearest the camera) and from then on detect only
inside a box around the subject's last pose, so the track cannot hop between people. And a
detection whose body centre jumps more than ``max_jump`` torso sizes per frame is treated
as somebody else (its frames are marked missing) unless it stays there for
``switch_after_s`` seconds, in which case we accept it as the subject and say so.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from r2a_utils.config import StageConfig
from r2a_utils.errors import Cancelled
from r2a_utils.pose.track import FOUND, NO_PERSON, OTHER_PERSON, PoseError, PoseTrack
from r2a_utils.skeleton import J, MEDIAPIPE_TO_OP18, NUM_JOINTS, empty_pose, from_mediapipe33, torso_size, visible
from r2a_utils.video import VideoInfo, VideoReader

os.environ.setdefault("GLOG_minloglevel", "2")  # mediapipe's C++ start-up chatter
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

@dataclasses.dataclass(frozen=True)
class HumanPoseConfig(StageConfig):
    """mediapipe settings and the one-person guards. Defaults are the measured ones."""

    model_complexity: int = 1  # the 0.10.21 wheel bundles the complexity-1 model only
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    smooth_landmarks: bool = False  # off: our own smoothing (r2a_utils.smoothing) is measured instead
    max_jump: float = 1.5  # torso sizes per frame before a detection counts as somebody else
    switch_after_s: float = 0.5  # accept a new subject that stays this long
    people_check_s: float = 2.0  # look for other people this often (0 = never)
    workers: int = 2  # videos of >= parallel_min_s per worker run as that many halves at once
    parallel_min_s: float = 1.0


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence mediapipe's C++ start-up warnings (they bypass Python's logging).

    File descriptor 2 is process-wide, so overlapping uses (two pose threads) share one
    redirection: the first in saves the real stderr, the last out restores it.
    """
    global _QUIET_DEPTH, _QUIET_SAVED
    with _QUIET_LOCK:
        if _QUIET_DEPTH == 0:
            try:
                _QUIET_SAVED = os.dup(2)
            except OSError:  # no real stderr (some embedded hosts): nothing to silence
                _QUIET_SAVED = None
            if _QUIET_SAVED is not None:
                sys.stderr.flush()
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 2)
        _QUIET_DEPTH += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET_DEPTH -= 1
            if _QUIET_DEPTH == 0 and _QUIET_SAVED is not None:
                os.dup2(_QUIET_SAVED, 2)
                os.close(_QUIET_SAVED)
                _QUIET_SAVED = None


_QUIET_LOCK = threading.Lock()
_QUIET_DEPTH = 0
_QUIET_SAVED: int | None = None


def person_probability(rgb: np.ndarray) -> np.ndarray:
    """How likely each pixel of a picture shows a person: ``(H, W)`` float32 in [0, 1], from
    the selfie-segmentation model bundled with mediapipe (its general 256x256 model).

    Trained on photographs of people, it also outlines most drawn characters with near-human
    proportions and misses stylised ones (a chibi scores near 0 everywhere): the cut-out
    uses it only where it agrees with the character's joints (``render.cutout``).
    """
    import mediapipe as mp

    with _quiet_native_stderr(), mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as model:
        found = model.process(np.ascontiguousarray(rgb[..., :3]))
    return np.asarray(found.segmentation_mask, np.float32)


def _center(pose: np.ndarray) -> np.ndarray:
    """Body centre: midpoint of neck and mid-hip (falls back to the mean of visible joints)."""
    hips = pose[[J["right_hip"], J["left_hip"]], :2]
    c = (pose[J["neck"], :2] + np.nanmean(hips, axis=0)) / 2 if np.isfinite(hips).any() else pose[J["neck"], :2]
    if not np.isfinite(c).all():
        v = visible(pose)
        c = pose[v, :2].mean(axis=0) if v.any() else np.full(2, np.nan)
    return c


def _bbox(pose: np.ndarray, pad: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    xy = pose[visible(pose), :2]
    (x0, y0), (x1, y1) = xy.min(0), xy.max(0)
    px, py = (x1 - x0) * pad + 10, (y1 - y0) * pad + 10
    py_top = py + (y1 - y0) * 0.25  # the head reaches above the eyes
    w, h = size
    return (int(max(0, x0 - px)), int(max(0, y0 - py_top)), int(min(w, x1 + px)), int(min(h, y1 + py)))


def _cancel_check(cancel: threading.Event | None, path) -> Callable[[int], None] | None:
    """A ``VideoReader`` check that raises ``Cancelled`` once ``cancel`` is set (before each
    frame is decoded, the frames a second half skips included)."""
    def check(_: int) -> None:
        if cancel.is_set():
            raise Cancelled(path, "pose tracking stopped: another part of the run failed")
    return None if cancel is None else check


# The second half decodes the first half's frames to reach its own (a fifth of a frame's
# cost at 720p: decoded, not converted to RGB nor tracked), so the first half is the longer.
FIRST_SHARE = 0.56


class HumanPoseEstimator:
    """mediapipe Pose in video mode, mapped to OpenPose-18 pixels, with one-person guards.

    Use as a context manager (it holds a mediapipe graph). ``estimate`` runs on frames you
    have; ``estimate_video`` streams a file.
    """

    def __init__(self, cfg: HumanPoseConfig = HumanPoseConfig()):
        import mediapipe as mp

        if cfg.model_complexity != 1:
            raise ValueError("HumanPoseConfig.model_complexity: mediapipe 0.10.21 ships only the "
                             "complexity-1 pose model offline; use 1")
        self.cfg = cfg
        self._mp = mp
        self._pose = None
        self._checker = None
        self._warm: set[int] = set()

    def __enter__(self) -> HumanPoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for g in (self._pose, self._checker):
            if g is not None:
                g.close()
        self._pose = self._checker = None
        self._warm.clear()

    def _new_graph(self, static: bool):
        c = self.cfg
        with _quiet_native_stderr():
            graph = self._mp.solutions.pose.Pose(
                static_image_mode=static, model_complexity=c.model_complexity, smooth_landmarks=c.smooth_landmarks,
                enable_segmentation=False, min_detection_confidence=c.min_detection_confidence,
                min_tracking_confidence=c.min_tracking_confidence)
            graph.process(np.zeros((64, 64, 3), np.uint8))  # first run prints more warnings
        return graph

    def _detect(self, graph, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if id(graph) in self._warm:
            res = graph.process(np.ascontiguousarray(frame))
        else:  # the first landmarks a graph finds come with one more C++ warning
            with _quiet_native_stderr():
                res = graph.process(np.ascontiguousarray(frame))
        if res.pose_landmarks is None:
            return None
        self._warm.add(id(graph))
        lm = np.array([[p.x, p.y, p.z, p.visibility] for p in res.pose_landmarks.landmark], dtype=np.float32)
        h, w = frame.shape[:2]
        kps = from_mediapipe33(lm, w, h)
        z = np.full(NUM_JOINTS, np.nan, np.float32)
        for name, idx in MEDIAPIPE_TO_OP18.items():
            z[J[name]] = -lm[idx, 2] * w  # mediapipe: smaller z = nearer; ours: larger = nearer
        z[J["neck"]] = (z[J["right_shoulder"]] + z[J["left_shoulder"]]) / 2
        return kps, z

    def _other_person(self, frame: np.ndarray, subject: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Hide the subject and look again: the pose of somebody else clearly there, or None."""
        x0, y0, x1, y1 = _bbox(subject, 0.15, (frame.shape[1], frame.shape[0]))
        hidden = frame.copy()
        hidden[y0:y1, x0:x1] = np.median(frame.reshape(-1, 3), axis=0).astype(np.uint8)
        found = self._detect(self._static(), hidden)
        body = [J[n] for n in ("right_shoulder", "left_shoulder", "right_hip", "left_hip")]
        if found is None or not np.nanmean(found[0][body, 2]) > 0.6:
            return None
        return found

    def _static(self):
        if self._checker is None:
            self._checker = self._new_graph(static=True)
        return self._checker

    def _detect_near(self, frame: np.ndarray, last: np.ndarray, pad: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Detect inside a box around the last pose (used once several people are in view)."""
        x0, y0, x1, y1 = _bbox(last, pad, (frame.shape[1], frame.shape[0]))
        found = self._detect(self._static(), frame[y0:y1, x0:x1])
        if found is None:
            return None
        kps, z = found
        kps[:, 0] += x0
        kps[:, 1] += y0
        return kps, z

    def track(self, frames: Iterable[np.ndarray], fps: float = 30.0,
              notes: list[str] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray, str, bool]]:
        """Yield ``(keypoints (18, 3), depth (18,), status, other_people_seen)`` frame by frame.

        Starts with mediapipe's own tracking on whole frames. When the periodic check finds a
        second person, follows the larger of the two from then on by detecting inside a box
        around the subject's last pose (so it cannot hop to the other person).
        """
        self.close()
        self._pose = self._new_graph(static=False)
        notes = notes if notes is not None else []
        check_every = int(round(self.cfg.people_check_s * fps)) if self.cfg.people_check_s > 0 else 0
        switch_after = max(1, int(round(self.cfg.switch_after_s * fps)))
        last, last_t = None, -1
        pending: list[int] = []
        next_check, near_mode = 0, False
        nothing = (empty_pose(), np.full(NUM_JOINTS, np.nan, np.float32))
        for t, frame in enumerate(frames):
            if frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f"frame {t}: expected RGB (H, W, 3), got shape {frame.shape}")
            gap = t - last_t
            if near_mode and last is not None and gap <= switch_after:
                found = self._detect_near(frame, last, 0.3 + 0.2 * gap)
            else:
                found = self._detect(self._pose, frame)
            if found is None:
                yield *nothing, NO_PERSON, False
                continue
            kps, z = found
            c, s = _center(kps), float(torso_size(kps))
            if last is not None and np.isfinite(s) and s > 0:
                ref_s = float(torso_size(last)) if np.isfinite(torso_size(last)) else s
                jump = np.linalg.norm(c - _center(last)) / max(ref_s, 1.0)
                if jump > self.cfg.max_jump * gap:
                    pending.append(t)
                    if len(pending) < switch_after:
                        yield *nothing, OTHER_PERSON, False
                        continue
                    notes.append(f"the detected person changed at frame {pending[0]} (the body jumped "
                                 f"{jump:.1f} torso sizes and stayed there); following the new one")
                pending = []
            other = None
            if check_every and t >= next_check:
                other = self._other_person(frame, kps)
                next_check = t + check_every
                if other is not None and not near_mode:
                    near_mode = True
                    if torso_size(other[0]) > torso_size(kps):
                        kps, z = other
                        notes.append(f"frame {t}: switched to the larger person (the one nearest the camera)")
            last, last_t = kps, t
            yield kps, z, FOUND, other is not None

    def estimate(self, frames: Iterable[np.ndarray], fps: float = 30.0) -> np.ndarray:
        """Keypoints ``(T, 18, 3)`` of the main person in each frame; NaN rows where absent."""
        rows = [k for k, _, _, _ in self.track(frames, fps)]
        return np.stack(rows) if rows else empty_pose(0)

    def estimate_images(self, images: Iterable[np.ndarray]) -> np.ndarray:
        """Keypoints ``(N, 18, 3)`` for unrelated still images (no tracking between them)."""
        rows = []
        for i, img in enumerate(images):
            if img.ndim != 3 or img.shape[2] != 3:
                raise ValueError(f"image {i}: expected RGB (H, W, 3), got shape {img.shape}")
            found = self._detect(self._static(), img)
            rows.append(found[0] if found is not None else empty_pose())
        return np.stack(rows) if rows else empty_pose(0)

    def estimate_video(self, path: str | os.PathLike, max_frames: int | None = None,
                       progress: bool = True, info: VideoInfo | None = None,
                       cancel: threading.Event | None = None) -> PoseTrack:
        """Stream ``path`` and return the main person's ``PoseTrack``.

        ``cancel``: once set (by another thread), tracking stops at the next frame and
        ``Cancelled`` is raised; no track is returned.

        Raises:
            VideoError: the file is missing, empty, not a video, or damaged.
            PoseError: nobody was found in any frame.
        """
        reader = VideoReader(path, max_frames=max_frames, info=info)
        info = reader.info
        fps, size = float(reader.fps), reader.size
        total = len(reader)
        bar = tqdm(total=total or None, desc=f"pose {Path(path).name}", unit="frame", disable=not progress)
        workers = 2 if self.cfg.workers >= 2 and total >= 2 * self.cfg.parallel_min_s * fps else 1
        parts = None
        if workers == 2:
            parts = self._two_halves(path, max_frames, total, info, bar, cancel)
        if parts is None:  # short video, or the halves disagree at the seam: one pass
            bar.reset()
            parts = [self._segment(path, max_frames, 0, None, info, bar, cancel)]
        bar.close()
        kps = [k for p in parts for k in p[0]]
        depth = [z for p in parts for z in p[1]]
        status = [st for p in parts for st in p[2]]
        others = sum(p[3] for p in parts)
        notes = [n for p in parts for n in p[4]]
        if not kps:
            raise PoseError(path, "the video has no frames")
        status_arr = np.array(status, dtype="U12")
        n_found = int((status_arr == FOUND).sum())
        if n_found == 0:
            raise PoseError(path, f"no person found in any of its {len(kps)} frames (is a whole person "
                                  f"in view, lit well enough?)")
        missing = len(kps) - n_found
        if missing:
            notes.append(f"no pose in {missing} of {len(kps)} frames (marked NaN; smoothing fills gaps "
                         f"up to a quarter second)")
        if others:
            notes.insert(0, "several people in the video: following the largest one (nearest the camera) "
                            "from frame to frame; crop the video to choose another")
        return PoseTrack(np.stack(kps), np.stack(depth), status_arr, fps, size, str(path),
                         2 if others else 1, notes)

    def _segment(self, path, max_frames: int | None, start: int, stop: int | None, info: VideoInfo, bar,
                 cancel: threading.Event | None = None) -> tuple:
        """Track frames ``start:stop`` of the video (frames before ``start`` are decoded and skipped)."""
        notes: list[str] = []
        kps, depth, status, others = [], [], [], 0
        check = _cancel_check(cancel, path)
        with VideoReader(path, max_frames=max_frames, info=info, start=start, check=check) as reader:
            frames = itertools.islice(reader, None if stop is None else stop - start)
            for k, z, st, other in self.track(frames, float(info.fps), notes):
                kps.append(k)
                depth.append(z)
                status.append(st)
                others += other
                bar.update()
        if start:  # frame numbers in the notes are the segment's own
            notes = [re.sub(r"frame (\d+)", lambda m: f"frame {int(m.group(1)) + start}", n) for n in notes]
        return kps, depth, status, others, notes

    def _two_halves(self, path, max_frames: int | None, total: int, info: VideoInfo, bar,
                    cancel: threading.Event | None = None) -> list | None:
        """Both halves at once, each with its own mediapipe graph (mediapipe holds one core and
        releases the GIL, so two graphs use both): ~1.6x on two cores. The first "half" is
        ``FIRST_SHARE`` of the frames, so both end together.

        The second half starts without the first half's tracking state, so it is accepted only
        when nobody else was seen in either half and the person is where the first half left
        them; otherwise ``None`` (the caller tracks the whole video in one pass).
        """
        mid, fps = int(round(FIRST_SHARE * total)), float(info.fps)
        with HumanPoseEstimator(self.cfg) as helper, ThreadPoolExecutor(1, thread_name_prefix="r2a-pose") as pool:
            second = pool.submit(helper._segment, path, max_frames, mid, None, info, bar, cancel)
            first = self._segment(path, max_frames, 0, mid, info, bar, cancel)
            second = second.result()
        if first[3] or second[3]:
            return None
        found = lambda part: [i for i, st in enumerate(part[2]) if st == FOUND]  # noqa: E731
        a, b = found(first), found(second)
        if a and b:
            ka, kb = first[0][a[-1]], second[0][b[0]]
            gap = (mid - a[-1]) + b[0]
            s = float(torso_size(ka))
            if np.isfinite(s) and np.linalg.norm(_center(kb) - _center(ka)) / max(s, 1.0) > self.cfg.max_jump * gap:
                return None
        if any(st == OTHER_PERSON for st in second[2][:max(1, int(round(self.cfg.switch_after_s * fps)))]):
            return None
        return [first, second]
