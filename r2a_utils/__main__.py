"""Command line: ``python -m r2a_utils animate ...`` (the README's main command).

Exit codes: 0 done, 1 bad input (a one-line error naming the file), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from r2a_utils.pipeline import RENDERERS


def _animate(a: argparse.Namespace) -> int:
    from r2a_utils.pipeline import PipelineConfig, animate
    from r2a_utils.samples import sample_character, sample_video

    video = Path(a.video) if a.video else sample_video(num_frames=a.frames)
    if a.character:
        character, joints = Path(a.character), a.character_joints
    else:  # the embedded character comes with its exact joints
        character = sample_character()
        joints = a.character_joints or character.with_suffix(".joints.json")
    cfg = PipelineConfig(renderer=a.renderer, smoothing=a.smoothing, height=a.height,
                         max_frames=a.max_frames, audio=not a.no_audio, gan_weights=a.gan_weights)
    res = animate(video, character, a.out, cfg, character_joints_file=joints, character_mask=a.character_mask)
    summary = {"video": str(video), "character": str(character), "config": cfg.to_dict(), **res.summary()}
    (Path(a.out) / f"{res.anime_path.stem.removesuffix('_anime')}_summary.json").write_text(json.dumps(summary, indent=1))
    for note in res.notes:
        print(f"note: {note}")
    print(f"Animated {character.name} with the motion in {video.name}: {res.frames} frames at {res.fps:.2f} fps "
          f"in {res.seconds['total']:.1f} s ({cfg.renderer} renderer).")
    print(f"  anime video: {res.anime_path}\n  composite:   {res.composite_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m r2a_utils",
                                 description="Real2Animation kit: real human video + anime character image -> anime video")
    sub = ap.add_subparsers(dest="cmd", required=True)
    an = sub.add_parser("animate", help="animate a character with the motion in a video (default: embedded samples)",
                        description="Real human video + character picture -> anime video and a 4-panel composite.")
    an.add_argument("--video", help="real human video (default: the embedded sample dance)")
    an.add_argument("--character", help="character picture, PNG with transparency is best (default: embedded)")
    an.add_argument("--character-joints", help="joints JSON for the character (skips the anime pose network)")
    an.add_argument("--character-mask", help="mask image for a character picture without transparency")
    an.add_argument("--renderer", choices=list(RENDERERS), default="warp",
                    help="how frames are drawn: warp (any picture, no training; default) or gan (the Stage-3 "
                         "generator; the shipped weights know only the embedded character)")
    an.add_argument("--gan-weights", default="", help="generator checkpoint for --renderer gan (default: shipped)")
    an.add_argument("--smoothing", choices=["savgol", "one_euro", "none"], default="savgol",
                    help="keypoint smoothing over time (default: savgol)")
    an.add_argument("--height", type=int, default=384, help="anime video height in pixels (default: 384)")
    an.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0 = whole video)")
    an.add_argument("--no-audio", action="store_true", help="do not copy the input's audio")
    an.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    an.add_argument("--frames", type=int, default=48, help="length of the embedded sample clip")
    sub.add_parser("data", help="fetch sample data (same as data_download.sh)", add_help=False)
    sub.add_parser("joints", help="convert or check character joints files", add_help=False)
    a, rest = ap.parse_known_args(argv)
    if a.cmd == "data":
        from r2a_utils.data import main as data_main
        return data_main(rest)
    if a.cmd == "joints":
        from r2a_utils.joints import convert_main
        return convert_main(rest)
    if rest:
        ap.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return _animate(a)
    except (OSError, ValueError, RuntimeError) as e:  # VideoError, PoseError, CharacterImageError, ...
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
