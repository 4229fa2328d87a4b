"""Render a whole motion clip for one character, streamed to mp4 with an optional composite.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from r2a_utils.characters.motion import Motion, layout_for_character
from r2a_utils.characters.render import render_character
from r2a_utils.characters.spec import CharacterSpec
from r2a_utils.video import VideoReader, VideoWriter
from r2a_utils.viz import PANEL_ORDER, pose_image, side_by_side, to_rgb


@dataclass(frozen=True)
class ClipResult:
    anime_path: Path
    composite_path: Path | None
    frames: int
    keypoints: np.ndarray  # (T, 18, 3) of the character in the anime video


def render_clip(motion: Motion, spec: CharacterSpec, out_path: str | os.PathLike,
                size: tuple[int, int] = (256, 384), real_video: str | os.PathLike | None = None,
                real_keypoints: np.ndarray | None = None, reference: np.ndarray | None = None,
                composite_path: str | os.PathLike | None = None, background=(255, 255, 255),
                progress: bool = True) -> ClipResult:
    """Render ``spec`` doing ``motion`` to ``out_path`` (same fps as the motion).

    With ``composite_path`` also writes the four-panel video Reference | Real Human | Pose |
    Anime; the real panel streams from ``real_video`` frame by frame. Both files appear only
    when complete.
    """
    track = layout_for_character(motion, spec, size)
    fps = Fraction(motion.fps).limit_denominator(1001000)
    reader = iter(VideoReader(real_video)) if real_video is not None else None
    comp = None
    if reference is None:
        reference = np.full((size[1], size[0], 3), 255, np.uint8)
    with VideoWriter(out_path, fps, size) as anime_out:
        try:
            for t in tqdm(range(len(motion)), desc=f"render {Path(out_path).name}", disable=not progress):
                frame = render_character(spec, track.keypoints[t], size, track.scale, track.depth[t])
                rgb = frame.on_background(background)
                anime_out.write(rgb)
                if composite_path is not None:
                    real = next(reader) if reader is not None else np.zeros_like(rgb)
                    kp = real_keypoints[t] if real_keypoints is not None else track.keypoints[t]
                    psize = (real.shape[1], real.shape[0])
                    panels = dict(zip(PANEL_ORDER, (to_rgb(reference), real, pose_image(kp, psize), rgb)))
                    tile = side_by_side(panels, height=size[1])
                    if comp is None:
                        comp = VideoWriter(composite_path, fps, (tile.shape[1], tile.shape[0]))
                    comp.write(tile)
        except BaseException:
            if comp is not None:
                comp.abort()
            raise
    if comp is not None:
        comp.close()
    return ClipResult(Path(out_path), Path(composite_path) if composite_path else None, len(motion),
                      track.keypoints)
