"""The whole kit in one call: a motion (real video or BVH) + a character picture -> anime video.

``animate`` runs five named stages, each a short function of its own:

1. ``load_character``: the picture decoded once, its cut-out mask and its joints (a joints
   file, or the anime pose network), all checked;
2. ``track_motion``: the person's pose in a video (mediapipe, cached, smoothed), the video
   probed once; or a BVH motion-capture file projected to the same skeleton. Stages 1 and 2
   run at the same time (``character_and_motion``);
3. ``retarget``: bones rescaled outward from the neck to the character's proportions, frames
   without a body holding the previous pose;
4. ``place_on_canvas``: one canvas that holds the picture and the whole figure in every pose
   (not only its joints: ears, hair and hands reach beyond them), ``height`` high;
5. ``render_and_write``: a renderer per frame, streamed to the anime mp4, the report's
   Figure-1 composite (Reference | Real Human | Pose | Anime) and, if asked, a GIF.

Frames stream from input to output one at a time; only the keypoint arrays (a few hundred
bytes per frame) are held for the whole clip, so memory does not grow with the video's
length. Outputs are written under temporary names and appear together when complete.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from r2a_utils.config import ConfigError, StageConfig
from r2a_utils.errors import Cancelled
from r2a_utils.files import check_output_folder
from r2a_utils.metrics import Stopwatch
from r2a_utils.picture import CharacterImageError, Picture, enlarged_note, load_mask, load_picture
from r2a_utils.render.base import RENDERERS, Renderer, make_renderer
from r2a_utils.skeleton import KeypointError, as_keypoints
from r2a_utils.video import VideoInfo

RENDER_AHEAD = 2  # frames the render thread may finish before they are written
MOTION_SUFFIXES = (".bvh",)  # motion-capture files taken instead of a video


@dataclasses.dataclass(frozen=True)
class PipelineConfig(StageConfig):
    """What ``animate`` does; saved in the run summary."""

    renderer: str = "warp"
    smoothing: str = "savgol"  # savgol | one_euro | none
    height: int = 384  # anime video height in pixels; width follows the character's canvas
    composite_height: int = 256
    max_frames: int = 0  # 0 = the whole video
    audio: bool = True  # copy the input's audio into the anime video
    min_found: float = 0.25  # below this share of frames with a person: refuse (likely wrong video)
    gan_weights: str = ""  # generator checkpoint for renderer="gan"; "" = the shipped sample-character weights
    fps: float = 0.0  # BVH motion: resample to this rate; 0 = the file's own rate (videos keep theirs)
    gif: bool = False  # also write a GIF of the anime video
    gif_height: int = 240
    gif_fps: float = 15.0  # at most; frames are skipped evenly to get there
    folded_legs: str = "keep"  # legs drawn folded (sitting, kneeling) or cut off above the knee: keep as drawn | follow

    SMOKE_OVERRIDES = {"height": 256, "composite_height": 192, "max_frames": 24}

    def __post_init__(self) -> None:
        from r2a_utils.normalize import FOLDED_LEGS

        if self.renderer not in RENDERERS:
            raise ConfigError(f"renderer {self.renderer!r} is not available; choose from {', '.join(RENDERERS)}")
        if self.folded_legs not in FOLDED_LEGS:
            raise ConfigError(f"folded_legs must be one of {', '.join(FOLDED_LEGS)}, not {self.folded_legs!r}")


@dataclasses.dataclass
class Character:
    """A character picture ready to animate: decoded once, with its cut-out and joints ``(18, 3)``."""

    picture: Picture
    keypoints: np.ndarray
    mask: np.ndarray | None  # (H, W) uint8 0/255: a mask file's, or the automatic cut-out; None: alpha
    name: str


@dataclasses.dataclass
class MotionSource:
    """Real motion in the skeleton's layout: keypoints ``(T, 18, 3)`` (video pixels, or BVH
    units seen from the front), their fps, and the video they came from (None for BVH)."""

    keypoints: np.ndarray
    fps: float | Fraction  # a video's exact rate (e.g. 30000/1001)
    name: str
    notes: list[str]
    video: Path | None = None
    info: VideoInfo | None = None

    def __len__(self) -> int:
        return len(self.keypoints)


@dataclasses.dataclass
class Staging:
    """The character and its poses on the output canvas."""

    reference: np.ndarray  # RGBA picture on the canvas (transparent padding)
    mask: np.ndarray | None
    character_keypoints: np.ndarray  # (18, 3)
    targets: np.ndarray  # (T, 18, 3)
    size: tuple[int, int]  # (width, height)


@dataclasses.dataclass
class AnimationResult:
    anime_path: Path
    composite_path: Path | None
    frames: int
    fps: float
    size: tuple[int, int]
    notes: list[str]
    seconds: dict[str, float]
    character_keypoints: np.ndarray
    target_keypoints: np.ndarray
    gif_path: Path | None = None
    character_mask: np.ndarray | None = None  # the cut-out used (picture pixels, 0/255); None: the alpha

    def summary(self) -> dict:
        return {"anime_video": str(self.anime_path), "composite_video": str(self.composite_path),
                "gif": str(self.gif_path) if self.gif_path else None, "frames": self.frames, "fps": self.fps,
                "size": list(self.size), "notes": self.notes,
                "seconds": {k: round(v, 2) for k, v in self.seconds.items()}}


# ---------------------------------------------------------------- 1. the character
def character_joints(picture: Picture, joints_file: str | os.PathLike | None = None) -> np.ndarray:
    """The character's joints: from ``joints_file`` if given (checked against the picture's
    size), else the anime pose network (which raises a clear error pointing to the joints
    editor when it is not confident)."""
    from r2a_utils.joints import load_joints
    from r2a_utils.pose.anime import AnimePoseEstimator, require_confident_pose

    if joints_file is not None:
        return load_joints(joints_file, picture.size).keypoints
    with AnimePoseEstimator() as estimator:
        kps = estimator.estimate_image(picture)
    return require_confident_pose(kps, picture.path)


def load_character(character: str | os.PathLike | np.ndarray | Picture, joints_file: str | os.PathLike | None = None,
                   mask_file: str | os.PathLike | None = None) -> Character:
    """Stage 1: decode the picture once, read its mask, find or read its joints."""
    from r2a_utils.render.cutout import character_mask

    picture = load_picture(character)
    mask = load_mask(mask_file, picture.size) if mask_file is not None else None
    name = picture.path.stem if picture.path is not None else "character"
    kps = character_joints(picture, joints_file)
    if mask is None and picture.alpha is None:  # cut the character out of its own background, once
        mask = np.where(character_mask(picture.rgb, None, kps), 255, 0).astype(np.uint8)
        if not mask.any():
            raise CharacterImageError(picture.path, "nothing but background was found around the joints; "
                                                    "give a mask (white = character) with --character-mask")
    return Character(picture, kps, mask, name)


# ---------------------------------------------------------------- 2. the motion
def track_motion(source: str | os.PathLike, cfg: PipelineConfig = PipelineConfig(), progress: bool = True,
                 info: VideoInfo | None = None, cancel: threading.Event | None = None) -> MotionSource:
    """Stage 2: the motion in ``source``, a real video or a BVH file, smoothed. ``cancel``: set
    from another thread to stop a video's tracking at the next frame (``errors.Cancelled``)."""
    if Path(source).suffix.lower() in MOTION_SUFFIXES:
        return _bvh_motion(Path(source), cfg)
    return _video_motion(Path(source), cfg, progress, info, cancel)


def _video_motion(video: Path, cfg: PipelineConfig, progress: bool, info: VideoInfo | None,
                  cancel: threading.Event | None) -> MotionSource:
    from r2a_utils.pose.track import estimate_video_cached
    from r2a_utils.smoothing import SmoothingConfig, smooth_keypoints
    from r2a_utils.video import probe

    info = info or probe(video)  # the only probe of this file in the run
    track = estimate_video_cached(video, max_frames=cfg.max_frames or None, progress=progress, info=info,
                                  cancel=cancel)
    if track.found.mean() < cfg.min_found:
        raise KeypointError(f"{video}: a person was found in only {track.found.sum()} of {len(track)} frames; "
                            f"is this the right video?")
    real = smooth_keypoints(track.keypoints, track.fps, SmoothingConfig(method=cfg.smoothing))
    return MotionSource(real, info.fps, video.stem, list(info.notes) + list(track.notes), video, info)


def character_and_motion(character: str | os.PathLike, joints_file: str | os.PathLike | None,
                         mask_file: str | os.PathLike | None, source: str | os.PathLike, cfg: PipelineConfig,
                         progress: bool, clock: Stopwatch) -> tuple[Character, MotionSource]:
    """Stages 1 and 2 at once: the character (about a second of network, mediapipe and GrabCut)
    in a thread, on the core time tracking leaves idle. A character that fails stops the
    tracking at its next frame and its own error is raised; nothing half-done is cached."""
    cancel, picture = threading.Event(), load_picture(character)  # an unreadable picture: before any video work

    def find_character() -> Character:
        with clock("character"):
            return load_character(picture, joints_file, mask_file)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="r2a-character") as pool:
        found = pool.submit(find_character)
        found.add_done_callback(lambda f: cancel.set() if f.exception() is not None else None)
        try:
            with clock("pose"):
                motion = track_motion(source, cfg, progress, cancel=cancel)
        except Cancelled:
            found.result()  # raises the character's error, which stopped the tracking
            raise
        return found.result(), motion


def _bvh_motion(path: Path, cfg: PipelineConfig) -> MotionSource:
    from r2a_utils.characters.bvh import bvh_to_motion, parse_bvh

    m = bvh_to_motion(parse_bvh(path), fps=cfg.fps or None)
    kps = as_keypoints(m.joints[..., :2], str(path))  # seen from the front, confidence 1
    kps = kps[:cfg.max_frames] if cfg.max_frames else kps
    return MotionSource(kps, float(m.fps), path.stem, [])


# ---------------------------------------------------------------- 3. retarget
def retarget(motion: MotionSource, character: Character, folded_legs: str = "keep") -> tuple[np.ndarray, list[str]]:
    """Stage 3: the motion's bones rescaled to the character, the hips as wide as drawn; frames with no
    body held; legs drawn folded or cut off (``folded_legs="keep"``) and arms drawn folded tight kept."""
    from r2a_utils import normalize as nz

    kps = character.keypoints
    targets = nz.keep_drawn_hip_width(nz.normalize_to_character(motion.keypoints, kps), kps)
    targets, held = nz.hold_missing_frames(targets, kps)
    notes = [f"{held} frames had no body pose; they hold the previous pose"] if held else []
    folded = nz.folded_legs_note(kps, folded_legs, character.picture.size)
    targets = nz.keep_drawn_legs(targets, kps) if folded and folded_legs == "keep" else targets
    targets, arms = nz.keep_folded_arms(targets, kps)
    return targets, notes + [n for n in [folded, arms] if n]


# ---------------------------------------------------------------- 4. the canvas
def place_on_canvas(character: Character, targets: np.ndarray, height: int) -> Staging:
    """Stage 4: one canvas ``height`` high holding the picture and the figure in every target pose."""
    import cv2

    from r2a_utils.canvas import canvas_around, place_image
    from r2a_utils.render.bones import outline_in_poses

    pic = character.picture
    cut = character.mask if character.mask is not None else pic.alpha
    reach = targets[..., :2].reshape(-1, 2)
    if cut is not None:  # the whole figure in every pose: ears, hair and hands reach beyond the joints
        reach = np.concatenate([reach, outline_in_poses(cut > 127, character.keypoints, targets).reshape(-1, 2)])
    place, size = canvas_around(pic.size, reach, height)
    border = (255, 255, 255, 0) if pic.alpha is not None else (255, 255, 255)
    ref = place_image(pic.reference(), place, size, border, interpolation=cv2.INTER_AREA)
    mask = None if character.mask is None else place_image(character.mask, place, size, 0,  # padding: background
                                                            interpolation=cv2.INTER_AREA)  # coverage; >127 is in
    # without transparency the renderer gets RGB and the cut-out (the background must not move)
    return Staging(ref, mask, place.apply(character.keypoints), place.apply(targets), size)


# ---------------------------------------------------------------- 5. render and write
def output_paths(out_dir: str | os.PathLike, motion_name: str, character_name: str) -> dict[str, Path]:
    """Where a run's files go: ``<motion>_<character>_{anime.mp4, composite.mp4, anime.gif}``."""
    stem = Path(out_dir) / f"{motion_name}_{character_name}"
    return {"anime": Path(f"{stem}_anime.mp4"), "composite": Path(f"{stem}_composite.mp4"),
            "gif": Path(f"{stem}_anime.gif"), "summary": Path(f"{stem}_summary.json")}


def _real_panels(motion: MotionSource, n: int, height: int) -> Iterator[np.ndarray]:
    """The 'Real Human' panel: the video's frames, or (BVH) the captured skeleton on grey."""
    from r2a_utils.video import VideoReader
    from r2a_utils.viz import draw_skeleton

    if motion.video is not None:
        with VideoReader(motion.video, max_frames=n, info=motion.info, height=height) as reader:
            yield from reader
        return
    from r2a_utils.canvas import canvas_around

    place, size = canvas_around((1, 1), motion.keypoints, height)
    kps = place.apply(motion.keypoints)
    for i in range(n):
        yield draw_skeleton(np.full((size[1], size[0], 3), 235, np.uint8), kps[i])


def render_and_write(renderer: Renderer, staged: Staging, motion: MotionSource, paths: dict[str, Path],
                     cfg: PipelineConfig, composite: bool = True, progress: bool = True,
                     report: Callable[[float, str], None] = lambda f, s: None) -> int:
    """Stage 5: draw every frame and stream the anime video, the composite and the GIF.

    A second thread draws each frame and its composite tile (OpenCV and torch release the
    GIL) while this one decodes the real video and encodes: ~2x on two cores, with at most
    ``RENDER_AHEAD`` frames waiting in memory. Every file is written under a temporary name;
    they are all renamed at the end, and on any failure none is left behind.
    """
    from r2a_utils.files import remove_stale_parts
    from r2a_utils.video import GifWriter, VideoWriter
    from r2a_utils.viz import PANEL_ORDER, draw_skeleton, fit_height, pose_image, side_by_side, to_rgb

    n, size, fps = len(staged.targets), staged.size, motion.fps
    for path in paths.values():  # part files of an earlier run that was killed
        remove_stale_parts(path)
    audio = motion.video if (cfg.audio and motion.info is not None and motion.info.has_audio) else None
    reference_panel = fit_height(to_rgb(staged.reference), cfg.composite_height)  # resized once, not per frame

    def draw(i: int, real: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        anime = to_rgb(renderer.render(staged.targets[i]))  # on a white page
        if not composite:
            return anime, None
        if motion.video is not None:  # decoded shrunk, then drawn on: a 720p frame is 9x the pixels
            real = fit_height(real, cfg.composite_height)
            k = real.shape[0] / motion.info.height
            real = draw_skeleton(real, motion.keypoints[i] * [k, k, 1])
        panels = dict(zip(PANEL_ORDER, (reference_panel, real, pose_image(staged.targets[i], size), anime)))
        return anime, side_by_side(panels, height=cfg.composite_height)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="r2a-render")
    pending, done, writers = deque(), 0, {}

    def write(anime: np.ndarray, tile: np.ndarray | None) -> None:
        for name in ("anime", "gif"):
            if name in writers:
                writers[name].write(anime)
        if tile is not None:
            if "composite" not in writers:
                writers["composite"] = VideoWriter(paths["composite"], fps, (tile.shape[1], tile.shape[0]))
            writers["composite"].write(tile)

    try:  # from the first part file on, an interruption (Ctrl-C, SIGTERM) removes what was written
        writers["anime"] = VideoWriter(paths["anime"], fps, size, audio_from=audio)
        if cfg.gif:
            writers["gif"] = GifWriter(paths["gif"], fps, cfg.gif_height, cfg.gif_fps)
        for i, real in enumerate(tqdm(_real_panels(motion, n, cfg.composite_height), total=n, desc="render",
                                      disable=not progress)):
            pending.append(pool.submit(draw, i, real))
            while len(pending) > (RENDER_AHEAD if i + 1 < n else 0):  # all of them after the last frame
                write(*pending.popleft().result())
                done += 1
                if done % 10 == 1:
                    report(0.4 + 0.6 * done / n, "rendering")
        if done < n:
            raise KeypointError(f"{motion.video}: ended after {done} frames, the pose track has {n}")
        committed = []
        try:
            for w in writers.values():
                committed.append(w.close())
        except BaseException:
            for p in committed:
                p.unlink(missing_ok=True)
            raise
    except BaseException:
        for f in pending:
            f.cancel()
        for w in writers.values():
            w.abort()
        raise
    finally:
        pool.shutdown(wait=True)
    return n


def animate(video: str | os.PathLike, character: str | os.PathLike, out_dir: str | os.PathLike,
            cfg: PipelineConfig = PipelineConfig(), character_joints_file: str | os.PathLike | None = None,
            character_mask: str | os.PathLike | None = None, composite: bool = True, progress: bool = True,
            on_progress: Callable[[float, str], None] | None = None) -> AnimationResult:
    """Animate ``character`` with the motion in ``video`` (a real video, or a ``.bvh`` file).

    Args:
        character: picture of the character standing (PNG with alpha is best).
        out_dir: where ``<motion>_<character>_anime.mp4`` and ``..._composite.mp4`` go.
        character_joints_file: joints JSON to use instead of the anime pose network.
        character_mask: optional mask image (white = character) for pictures without alpha.
        on_progress: called with (fraction done, stage) — the Gradio app's progress bar.
    Raises:
        VideoError, PoseError, CharacterImageError, KeypointError, BVHError: bad input, named.
    """
    report, clock = on_progress or (lambda f, s: None), Stopwatch()
    check_output_folder(out_dir)  # before the long pose run, not after it
    report(0.05, "character and motion")
    char, motion = character_and_motion(character, character_joints_file, character_mask, video, cfg, progress, clock)
    report(0.35, "retargeting")
    with clock("normalize"):
        targets, notes = retarget(motion, char, cfg.folded_legs)
        staged = place_on_canvas(char, targets, cfg.height)
        renderer = make_renderer(cfg.renderer, staged.reference, staged.character_keypoints, staged.mask,
                                 gan_weights=cfg.gan_weights)
    paths = output_paths(out_dir, motion.name, char.name)
    with clock("render"):
        n = render_and_write(renderer, staged, motion, paths, cfg, composite, progress, report)
    report(1.0, "done")
    notes = motion.notes + notes + list(getattr(renderer, "notes", []))
    notes += enlarged_note(char.keypoints, staged.character_keypoints)
    return AnimationResult(paths["anime"], paths["composite"] if composite else None, n, float(motion.fps), staged.size,
                           notes, clock.seconds, char.keypoints, targets, paths["gif"] if cfg.gif else None, char.mask)

