"""Command line: ``python -m r2a_utils animate ...`` (the README's main command).

Exit codes: 0 done, 1 bad input (one-line error), 3 asked for a stage that is not built yet.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _animate(a: argparse.Namespace) -> int:
    from r2a_utils.characters.clip import render_clip
    from r2a_utils.characters.motion import motion_from_keypoints
    from r2a_utils.samples import sample_character, sample_character_spec, sample_keypoints, sample_video
    from r2a_utils.video import VideoReader

    if a.video is not None or a.character is not None:
        print("error: animating your own video and character image needs human pose estimation "
              "(Stage 2a) and an image renderer (warp or GAN), which are not built yet; "
              "run without --video/--character to animate the embedded sample", file=sys.stderr)
        return 3
    t0 = time.time()
    video = sample_video(num_frames=a.frames)
    kps = sample_keypoints(video)
    with VideoReader(video) as r:
        fps = r.fps
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from PIL import Image
    import numpy as np

    reference = np.asarray(Image.open(sample_character()))
    res = render_clip(motion_from_keypoints(kps, float(fps), name="sample"), sample_character_spec(),
                      out / "sample_anime.mp4", size=(256, 384), real_video=video, real_keypoints=kps,
                      reference=reference, composite_path=out / "sample_composite.mp4")
    summary = {"frames": res.frames, "fps": float(fps), "anime_video": str(res.anime_path),
               "composite_video": str(res.composite_path), "seconds": round(time.time() - t0, 2),
               "stages_run": ["stage1_procedural_render"],
               "note": "motion = the sample's ground-truth keypoints; pose estimation and image "
                       "renderers are not built yet"}
    (out / "sample_summary.json").write_text(json.dumps(summary, indent=1))
    print(f"Stage 1 only: rendered the embedded procedural character with the embedded sample's "
          f"ground-truth motion ({res.frames} frames at {float(fps):.2f} fps).")
    print(f"  anime video: {res.anime_path}\n  composite:   {res.composite_path}")
    print("  (not yet built: pose estimation from your video, rendering your own character image)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m r2a_utils",
                                 description="Real2Animation kit: real human video + anime character image -> anime video")
    sub = ap.add_subparsers(dest="cmd", required=True)
    an = sub.add_parser("animate", help="animate a character (default: the embedded sample)")
    an.add_argument("--video", help="real human video (needs Stage 2a; not built yet)")
    an.add_argument("--character", help="character image (needs a renderer; not built yet)")
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
