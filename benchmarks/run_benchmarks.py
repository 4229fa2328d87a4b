"""Print the kit's performance figures on this machine (not a test: numbers to compare).

    ./kit bench [--frames N] [--size 192x256]

Stage 1: procedural character render frames/second; video decode and encode frames/second
of the embedded sample. Stage 2a: mediapipe pose and smoothing frames/second.
Later stages add their figures here.
"""
from __future__ import annotations

import argparse
import platform
import tempfile
import time

import numpy as np
import psutil

from r2a_utils.characters import builtin_dance, layout_for_character, random_character, render_character
from r2a_utils.metrics import frames_per_second
from r2a_utils.samples import sample_video
from r2a_utils.video import VideoReader, write_video


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--size", default="192x256", help="render size WIDTHxHEIGHT (the report's 256x192 is HxW)")
    ap.add_argument("--video", help="video for the pose figure (default: dance_stage.mp4 if fetched, else the sample)")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    print(f"machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cpus, python {platform.python_version()}")
    motion = builtin_dance(a.frames)
    fps_by_seed = []
    for seed in range(5):
        spec = random_character(seed)
        tr = layout_for_character(motion, spec, (w, h))
        fps_by_seed.append(frames_per_second(
            lambda t: render_character(spec, tr.keypoints[t], (w, h), tr.scale, tr.depth[t]), a.frames))
    print(f"stage1 render {w}x{h}: {np.median(fps_by_seed):.0f} frames/s (median of 5 characters, "
          f"min {min(fps_by_seed):.0f})")
    video = sample_video(num_frames=48)
    t0 = time.perf_counter()
    frames = list(VideoReader(video))
    dec = len(frames) / (time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        write_video(f"{d}/bench.mp4", frames, 24)
        enc = len(frames) / (time.perf_counter() - t0)
    print(f"video decode {frames[0].shape[1]}x{frames[0].shape[0]}: {dec:.0f} frames/s; encode h264: {enc:.0f} frames/s")
    bench_pose(a.video)
    print(f"peak RSS: {psutil.Process().memory_info().rss / 2**20:.0f} MB")


def bench_pose(video: str | None) -> None:
    """Stage 2a: mediapipe frames/second on a real clip (or the embedded sample), and smoothing."""
    from r2a_utils.pose import HumanPoseEstimator
    from r2a_utils.smoothing import SmoothingConfig, smooth_keypoints
    from r2a_utils.video import read_frames

    if video is None:
        try:
            from r2a_utils.data import fetch

            video = str(fetch("dance_stage"))
        except Exception:  # no data here: the embedded sample still gives a figure
            video = str(sample_video(num_frames=48))
    frames = read_frames(video, max_frames=120)
    with HumanPoseEstimator() as est:
        steps = iter(est.track(frames, 24.0))
        fps = frames_per_second(lambda t: next(steps), len(frames))
        kps = est.estimate(frames, 24.0)
    h, w = frames[0].shape[:2]
    print(f"stage2a pose (mediapipe, complexity 1) {w}x{h}: {fps:.1f} frames/s over {len(frames)} frames")
    for method in ("savgol", "one_euro"):
        cfg = SmoothingConfig(method=method)
        t0 = time.perf_counter()
        smooth_keypoints(kps, 24.0, cfg)
        print(f"stage2a smoothing {method}: {len(kps) / (time.perf_counter() - t0):.0f} frames/s")


if __name__ == "__main__":
    main()
