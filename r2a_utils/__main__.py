"""Command line: ``python -m r2a_utils animate ...`` (the README's main command).

Exit codes: 0 done, 1 bad input (one-line error), 3 asked for a stage that is not built yet.
Today: a real video (or the embedded sample) drives the kit's procedural anime character.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _animate(a: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from r2a_utils.characters.clip import render_clip
    from r2a_utils.characters.motion import motion_from_keypoints
    from r2a_utils.samples import sample_character, sample_character_spec, sample_keypoints, sample_video
    from r2a_utils.video import probe

    if a.character is not None:
        print("error: rendering your own character image needs an image renderer (warp or GAN), which "
              "is not built yet; leave out --character to animate the kit's procedural character",
              file=sys.stderr)
        return 3
    t0 = time.time()
    out = Path(a.out)
    stages = []
    if a.video is None:
        video = sample_video(num_frames=a.frames)
        kps = sample_keypoints(video)
        motion_note = "the embedded sample's exact keypoints"
    else:
        from r2a_utils.pose import estimate_video_cached
        from r2a_utils.smoothing import SmoothingConfig, smooth_keypoints

        video = Path(a.video)
        track = estimate_video_cached(video)
        for note in track.notes:
            print(f"note: {note}")
        kps = smooth_keypoints(track.keypoints, track.fps, SmoothingConfig(method=a.smoothing))
        stages += ["stage2a_human_pose", f"stage2a_smoothing_{a.smoothing}"]
        motion_note = f"mediapipe pose of {video.name}, {a.smoothing} smoothing"
    fps = probe(video).fps
    out.mkdir(parents=True, exist_ok=True)
    stem = "sample" if a.video is None else Path(a.video).stem
    reference = np.asarray(Image.open(sample_character()))
    res = render_clip(motion_from_keypoints(kps, float(fps), name=stem), sample_character_spec(),
                      out / f"{stem}_anime.mp4", size=(256, 384), real_video=video, real_keypoints=kps,
                      reference=reference, composite_path=out / f"{stem}_composite.mp4")
    stages.append("stage1_procedural_render")
    summary = {"frames": res.frames, "fps": float(fps), "video": str(video), "anime_video": str(res.anime_path),
               "composite_video": str(res.composite_path), "seconds": round(time.time() - t0, 2),
               "stages_run": stages, "motion": motion_note,
               "note": "the kit's procedural character is animated; rendering your own character image "
                       "(warp or GAN renderer) is not built yet"}
    (out / f"{stem}_summary.json").write_text(json.dumps(summary, indent=1))
    print(f"Animated the kit's procedural character with {motion_note} "
          f"({res.frames} frames at {float(fps):.2f} fps, {summary['seconds']} s).")
    print(f"  anime video: {res.anime_path}\n  composite:   {res.composite_path}")
    print("  (not yet built: rendering your own character image)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m r2a_utils",
                                 description="Real2Animation kit: real human video + anime character image -> anime video")
    sub = ap.add_subparsers(dest="cmd", required=True)
    an = sub.add_parser("animate", help="animate a character (default: the embedded sample)")
    an.add_argument("--video", help="real human video (default: the embedded sample)")
    an.add_argument("--character", help="character image (needs an image renderer; not built yet)")
    an.add_argument("--smoothing", choices=["savgol", "one_euro", "none"], default="savgol",
                    help="keypoint smoothing over time (default: savgol)")
    an.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    an.add_argument("--frames", type=int, default=48, help="length of the embedded sample clip")
    sub.add_parser("data", help="fetch sample data (same as data_download.sh)", add_help=False)
    a, rest = ap.parse_known_args(argv)
    if a.cmd == "data":
        from r2a_utils.data import main as data_main
        return data_main(rest)
    if rest:
        ap.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return _animate(a)
    except (OSError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
