"""Command line: ``python -m r2a_utils animate ...`` (the README's main command).

Exit codes: 0 done, 1 bad input (a one-line error naming the file), 2 bad arguments,
130 interrupted (Ctrl-C or SIGTERM; nothing is left behind).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from r2a_utils.cli import between, count, run_command
from r2a_utils.files import write_text_atomic
from r2a_utils.normalize import FOLDED_LEGS
from r2a_utils.render.base import RENDERERS


def _animate(a: argparse.Namespace) -> int:
    from r2a_utils.pipeline import PipelineConfig, animate, output_paths
    from r2a_utils.rig_files import write_rig_files
    from r2a_utils.samples import sample_character, sample_video

    source = Path(a.motion or a.video) if (a.motion or a.video) else sample_video(num_frames=a.frames)
    if a.character:
        character, joints = Path(a.character), a.character_joints
    else:  # the embedded character comes with its exact joints
        character = sample_character()
        joints = a.character_joints or character.with_suffix(".joints.json")
    cfg = PipelineConfig(renderer=a.renderer, smoothing=a.smoothing, height=a.height, max_frames=a.max_frames,
                         audio=not a.no_audio, gan_weights=a.gan_weights, fps=a.fps or 0.0, gif=a.gif,
                         folded_legs=a.folded_legs)
    inputs = {Path(p).resolve() for p in (source, character, joints, a.character_mask, a.gan_weights or None) if p}
    for out in output_paths(a.out, source.stem, character.stem).values():
        if out.resolve() in inputs:
            raise ValueError(f"{out}: this output would replace an input file; choose another --out")
    res = animate(source, character, a.out, cfg, character_joints_file=joints, character_mask=a.character_mask)
    extra: dict[str, Path] = {}
    try:  # the summary (and the rig files) belong to the run: without them, the videos go too
        # what the run made of the character, to check and fix: joints and cut-out it found itself, rig sheet
        extra = write_rig_files(res, character, a.out, f"{source.stem}_{character.stem}", cfg.height,
                                joints=joints is None, mask=a.character_mask is None, sheet=cfg.renderer == "warp")
        summary = {"motion": str(source), "character": str(character), "config": cfg.to_dict(), **res.summary(),
                   "character_files": {k: str(v) for k, v in extra.items()}}
        write_text_atomic(output_paths(a.out, source.stem, character.stem)["summary"], json.dumps(summary, indent=1))
    except BaseException:
        for p in (res.anime_path, res.composite_path, res.gif_path, *extra.values()):
            if p:
                Path(p).unlink(missing_ok=True)
        raise
    for note in res.notes:
        print(f"note: {note}")
    print(f"Animated {character.name} with the motion in {source.name}: {res.frames} frames at {res.fps:.2f} fps "
          f"in {res.seconds['total']:.1f} s ({cfg.renderer} renderer).")
    print(f"  anime video: {res.anime_path}\n  composite:   {res.composite_path}")
    if res.gif_path:
        print(f"  GIF:         {res.gif_path}")
    for kind, text in (("rig", "rig sheet:   {} (the joints, what moves with each arm, the body layer)"),
                       ("joints", "joints:      {} (found here; fix them in the joints editor, pass with --character-joints)"),
                       ("mask", "cut-out:     {} (made here; fix it in the mask editor, pass with --character-mask)")):
        if kind in extra:
            print("  " + text.format(extra[kind]))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m r2a_utils",
                                 description="Real2Animation kit: real human video + anime character image -> anime video")
    sub = ap.add_subparsers(dest="cmd", required=True)
    an = sub.add_parser("animate", help="animate a character with the motion in a video (default: embedded samples)",
                        description="Real human video + character picture -> anime video and a 4-panel composite.")
    src = an.add_mutually_exclusive_group()
    src.add_argument("--video", help="real human video (default: the embedded sample dance)")
    src.add_argument("--motion", help="motion-capture file (.bvh) instead of a video")
    an.add_argument("--fps", type=between(0, 240, "a frame rate"),
                    help="with --motion: resample the motion to this frame rate (default: the file's own)")
    an.add_argument("--gif", action="store_true", help="also write a GIF of the anime video (for sharing)")
    an.add_argument("--character", help="character picture, PNG with transparency is best (default: embedded)")
    an.add_argument("--character-joints", help="joints JSON for the character (skips the anime pose network)")
    an.add_argument("--character-mask", help="mask image for a character picture without transparency")
    an.add_argument("--renderer", choices=list(RENDERERS), default="warp",
                    help="how frames are drawn: warp (any picture, no training; default) or gan (the Stage-3 "
                         "generator; the shipped weights know only the embedded character)")
    an.add_argument("--gan-weights", default="", help="generator checkpoint for --renderer gan (default: shipped)")
    an.add_argument("--smoothing", choices=["savgol", "one_euro", "none"], default="savgol",
                    help="keypoint smoothing over time (default: savgol)")
    an.add_argument("--folded-legs", choices=list(FOLDED_LEGS), default="keep",
                    help="a character drawn sitting or kneeling, or cut off above the knees: keep its legs "
                         "as drawn (default) or give them the motion's legs (stretched out of folded ones; "
                         "a skirt over cut-off thighs fans out with them)")
    an.add_argument("--height", type=count(64), default=384, help="anime video height in pixels (default: 384)")
    an.add_argument("--max-frames", type=count(0), default=0, help="stop after this many frames (0 = whole video)")
    an.add_argument("--no-audio", action="store_true", help="do not copy the input's audio")
    an.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    an.add_argument("--frames", type=count(1), default=48, help="length of the embedded sample clip")
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
    if a.motion and Path(a.motion).suffix.lower() != ".bvh":
        an.error(f"--motion takes a motion-capture file (.bvh), got {a.motion}; give videos with --video")
    if a.fps and not a.motion:
        an.error("--fps applies to --motion only (a video keeps its own frame rate)")
    return run_command(lambda: _animate(a))


if __name__ == "__main__":
    raise SystemExit(main())
