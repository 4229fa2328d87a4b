"""The whole kit in one call: real video + character picture -> anime video (+ 4-panel composite).

human pose (mediapipe, cached) -> smoothing -> character joints (anime pose network or a
joints file) -> neck-outward normalization -> a renderer per frame -> mp4 with the input's
fps (and its audio) plus the report's Figure-1 composite: Reference | Real Human | Pose | Anime.

Frames stream from the input video to the output files one at a time; only the keypoint
arrays (a few hundred bytes per frame) are held for the whole clip, so memory does not grow
with the video's length. Outputs are written to temporary files and renamed when complete.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from r2a_utils.config import ConfigError, StageConfig
from r2a_utils.skeleton import J, KeypointError, transform_keypoints

RENDER_AHEAD = 2  # frames the render thread may finish before they are written
RENDERERS = ("warp", "gan")  # warp: any picture, no training; gan: Stage 3's PATN generator


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

    SMOKE_OVERRIDES = {"height": 256, "composite_height": 192, "max_frames": 24}

    def __post_init__(self) -> None:
        if self.renderer not in RENDERERS:
            raise ConfigError(f"renderer {self.renderer!r} is not available; choose from {', '.join(RENDERERS)}")


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

    def summary(self) -> dict:
        return {"anime_video": str(self.anime_path), "composite_video": str(self.composite_path),
                "frames": self.frames, "fps": self.fps, "size": list(self.size), "notes": self.notes,
                "seconds": {k: round(v, 2) for k, v in self.seconds.items()}}


def character_joints(character: str | os.PathLike | np.ndarray, joints_file: str | os.PathLike | None = None,
                     path_for_messages: str | os.PathLike | None = None) -> np.ndarray:
    """The character's joints: from ``joints_file`` if given (checked against the picture's
    size), else the anime pose network (which raises a clear error pointing to the joints
    editor when it is not confident)."""
    from r2a_utils.joints import load_joints
    from r2a_utils.pose.anime import AnimePoseEstimator, require_confident_pose

    if joints_file is not None:
        size = None
        if isinstance(character, np.ndarray):
            size = (character.shape[1], character.shape[0])
        return load_joints(joints_file, size).keypoints
    with AnimePoseEstimator() as estimator:
        kps = estimator.estimate_image(character)
    return require_confident_pose(kps, path_for_messages or
                                  (character if isinstance(character, (str, os.PathLike)) else None))


def load_animated_drawing(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """An AnimatedDrawings character folder (texture.png, mask.png, char_cfg.yaml) as an RGBA
    picture (mask as alpha) and OpenPose-18 joints converted from its 16-joint skeleton."""
    from PIL import Image

    from r2a_utils.joints import from_char_cfg

    folder = Path(folder)
    joints = from_char_cfg(folder / "char_cfg.yaml")
    try:
        texture = np.asarray(Image.open(folder / "texture.png").convert("RGB"))
        mask = np.asarray(Image.open(folder / "mask.png").convert("L"))
    except OSError as e:
        raise KeypointError(f"{folder}: not an AnimatedDrawings character folder ({e.__class__.__name__}: {e})") from None
    if mask.shape != texture.shape[:2]:
        raise KeypointError(f"{folder}: mask.png and texture.png differ in size")
    return np.dstack([texture, np.where(mask > 127, 255, 0).astype(np.uint8)]), joints.keypoints


def _canvas(picture_size: tuple[int, int], targets: np.ndarray, height: int, margin: float = 0.06):
    """The output canvas: the picture padded so every target pose fits, scaled to ``height``.

    Returns the 2x3 map from picture pixels to canvas pixels and the canvas (width, height).
    """
    w, h = picture_size
    xy = targets[..., :2][np.isfinite(targets[..., :2]).all(-1)]
    lo = np.minimum(xy.min(0) if len(xy) else [0, 0], [0, 0])
    hi = np.maximum(xy.max(0) if len(xy) else [w, h], [w, h])
    pad = margin * (hi - lo)
    lo, hi = lo - pad, hi + pad
    k = height / (hi[1] - lo[1])
    size = (int(round((hi[0] - lo[0]) * k / 2)) * 2, height)
    return np.array([[k, 0, -lo[0] * k], [0, k, -lo[1] * k]], np.float32), size


def _renderer(cfg: PipelineConfig, reference: np.ndarray, kps: np.ndarray, mask: np.ndarray | None, notes: list[str]):
    """The renderer ``cfg`` names, for a picture already on the output canvas."""
    if cfg.renderer == "gan":
        from r2a_utils.transfer import GANRenderer

        r = GANRenderer(reference, kps, mask=mask, weights=cfg.gan_weights or None)
        if r.character is not None:
            notes.append(f"GAN renderer: these weights were trained on one character ({r.character}); any other "
                         f"character needs its own training (notebook 04) or the warp renderer")
        return r
    from r2a_utils.warp import WarpRenderer

    return WarpRenderer(reference, kps, mask=mask)


def animate(video: str | os.PathLike, character: str | os.PathLike, out_dir: str | os.PathLike,
            cfg: PipelineConfig = PipelineConfig(), character_joints_file: str | os.PathLike | None = None,
            character_mask: str | os.PathLike | None = None, composite: bool = True, progress: bool = True,
            on_progress: Callable[[float, str], None] | None = None) -> AnimationResult:
    """Animate ``character`` with the motion of the person in ``video``.

    Args:
        video: real human video (any size, fps, rotation).
        character: picture of the character standing (PNG with alpha is best).
        out_dir: where ``<video>_<character>_anime.mp4`` and ``..._composite.mp4`` go.
        character_joints_file: joints JSON to use instead of the anime pose network.
        character_mask: optional mask image (white = character) for pictures without alpha.
        on_progress: called with (fraction done, stage) — the Gradio app's progress bar.
    Raises:
        VideoError, PoseError, CharacterImageError, KeypointError: bad input, named.
    """
    from r2a_utils.normalize import normalize_to_character
    from r2a_utils.pose.anime import load_character_image
    from r2a_utils.pose.human import estimate_video_cached
    from r2a_utils.smoothing import SmoothingConfig, smooth_keypoints
    from r2a_utils.video import VideoReader, VideoWriter, probe
    from r2a_utils.viz import PANEL_ORDER, draw_skeleton, pose_image, side_by_side, to_rgb
    report = on_progress or (lambda f, s: None)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    info = probe(video)  # VideoError for missing / empty / non-video files, before any work
    picture, alpha = load_character_image(character)
    mask = None
    if character_mask is not None:
        mask_img, _ = load_character_image(character_mask)
        mask = cv2.resize(mask_img[..., 0], (picture.shape[1], picture.shape[0]), interpolation=cv2.INTER_NEAREST)
    char_kps = character_joints(picture, character_joints_file, character)
    seconds["character"] = time.perf_counter() - t0
    report(0.05, "human pose")

    t = time.perf_counter()
    track = estimate_video_cached(video, max_frames=cfg.max_frames or None, progress=progress)
    if track.found.mean() < cfg.min_found:
        raise KeypointError(f"{video}: a person was found in only {track.found.sum()} of {len(track)} frames; "
                            f"is this the right video?")
    notes = list(track.notes)
    real = smooth_keypoints(track.keypoints, track.fps, SmoothingConfig(method=cfg.smoothing))
    seconds["pose"] = time.perf_counter() - t
    report(0.35, "normalization")

    t = time.perf_counter()
    targets = normalize_to_character(real, char_kps)
    body = [J[n] for n in ("neck", "right_shoulder", "left_shoulder", "right_hip", "left_hip")]
    usable = np.isfinite(targets[:, body, 0]).all(1)
    held = 0
    for i in range(len(targets)):  # a frame without a body holds the last pose (or the picture's)
        if not usable[i]:
            targets[i] = targets[i - 1] if i > 0 else char_kps
            held += 1
    if held:
        notes.append(f"{held} frames had no body pose; they hold the previous pose")
    m, size = _canvas((picture.shape[1], picture.shape[0]), targets, cfg.height)
    canvas_char, canvas_targets = transform_keypoints(char_kps, m), transform_keypoints(targets, m)
    opaque = alpha if alpha is not None else np.full(picture.shape[:2], 255, np.uint8)
    ref = cv2.warpAffine(np.dstack([picture, opaque]), m, size, flags=cv2.INTER_AREA,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255, 0))
    if mask is not None:  # the padding is background
        mask = cv2.warpAffine(mask, m, size, flags=cv2.INTER_NEAREST, borderValue=0)
    # without transparency the picture's own background must not move with the body: give the
    # renderer RGB only, so it cuts the character out (mask, or GrabCut from the skeleton)
    renderer = _renderer(cfg, ref if alpha is not None else ref[..., :3], canvas_char, mask, notes)
    seconds["normalize"] = time.perf_counter() - t

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{Path(video).stem}_{Path(character).stem}"
    anime_path, comp_path = out_dir / f"{stem}_anime.mp4", out_dir / f"{stem}_composite.mp4"
    fps = info.fps
    audio = video if (cfg.audio and info.has_audio) else None
    t = time.perf_counter()
    reference_panel = ref[..., :3].copy()
    reference_panel[ref[..., 3] == 0] = 255
    anime_out = VideoWriter(anime_path, fps, size, audio_from=audio)
    comp_out = None
    n = len(canvas_targets)

    def draw(i: int) -> np.ndarray:
        return to_rgb(renderer.render(canvas_targets[i]))  # on a white page

    # The renderer works one frame ahead in a second thread (OpenCV and torch release the
    # GIL) while this one decodes, composites and encodes: ~2x on two cores. At most
    # RENDER_AHEAD frames wait in memory, so memory stays bounded.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="r2a-render")
    pending: deque = deque()
    i = -1
    try:
        with VideoReader(video, max_frames=n) as reader:
            for i, frame in enumerate(tqdm(reader, total=n, desc="render", disable=not progress)):
                if i >= n:
                    break
                while len(pending) < RENDER_AHEAD and i + len(pending) < n:
                    pending.append(pool.submit(draw, i + len(pending)))
                anime = pending.popleft().result()
                anime_out.write(anime)
                if composite:
                    panels = dict(zip(PANEL_ORDER, (reference_panel, draw_skeleton(frame, real[i]),
                                                   pose_image(canvas_targets[i], size), anime)))
                    tile = side_by_side(panels, height=cfg.composite_height)
                    if comp_out is None:
                        comp_out = VideoWriter(comp_path, fps, (tile.shape[1], tile.shape[0]))
                    comp_out.write(tile)
                if i % 10 == 0:
                    report(0.4 + 0.6 * i / n, "rendering")
        if i + 1 < n:
            raise KeypointError(f"{video}: ended after {i + 1} frames, the pose track has {n}")
        anime_out.close()
        if comp_out is not None:
            comp_out.close()
    except BaseException:
        for f in pending:
            f.cancel()
        anime_out.abort()
        if comp_out is not None:
            comp_out.abort()
        raise
    finally:
        pool.shutdown(wait=True)
    seconds["render"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    report(1.0, "done")
    return AnimationResult(anime_path, comp_path if composite else None, n, float(fps), size, notes, seconds,
                           char_kps, targets)
