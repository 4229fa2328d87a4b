"""``python -m r2a_utils.transfer train|eval|export|fetch-vgg19`` (also under ``torchrun``).

Examples:
    python -m r2a_utils.transfer train --out runs/sample --config r2a_utils/weights/pose_transfer_sample.yaml
    torchrun --standalone --nproc_per_node 2 -m r2a_utils.transfer train --out runs/ddp --smoke
    python -m r2a_utils.transfer eval --weights runs/sample/checkpoint.pt
    python -m r2a_utils.transfer export runs/sample/checkpoint.pt r2a_utils/weights/pose_transfer_sample.pt

Exit codes: 0 done, 1 a file or config that cannot be used (one line naming it), 2 bad
arguments, 130 interrupted (the last saved checkpoint is kept; the same command resumes).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from r2a_utils.cli import between, count, run_command
from r2a_utils.files import write_text_atomic


def _config(args):
    from r2a_utils.transfer.checkpoint import TransferConfig

    cfg = TransferConfig()
    if args.gpu_config:
        cfg = cfg.gpu()
    if args.smoke:
        cfg = cfg.smoke()
    if args.config:
        cfg = cfg.overlay(args.config)
    if args.max_minutes is not None:
        cfg = cfg.replace(max_minutes=args.max_minutes)
    if args.steps is not None:
        cfg = cfg.replace(steps=args.steps)
    return cfg


def evaluate(weights: str | None, n: int = 40, dance_frames: int = 8, with_warp: bool = True) -> dict:
    """Held-out scores of a generator (and of the warp renderer on the same frames)."""
    from r2a_utils.pose.anime import AnimePoseEstimator
    from r2a_utils.transfer.data import character_spec, heldout_poses
    from r2a_utils.render.gan import WEIGHTS, GANRenderer
    from r2a_utils.render.mesh import MeshRenderer
    from r2a_utils.transfer.checkpoint import load_generator
    from r2a_utils.transfer.evaluate import evaluate_renderer

    _, cfg, ckpt = load_generator(weights or WEIGHTS)
    ref, ref_kps, rgb, kps = heldout_poses(character_spec(cfg.character), cfg.size, n, dance_frames)
    out = {"weights": str(weights or "shipped"), "step": ckpt["step"], "train_seconds": ckpt.get("seconds"),
           "character": cfg.character, "size": list(cfg.size), "frames": len(kps)}
    with AnimePoseEstimator(use_human_model=False) as est:
        renderers = {"gan": lambda a, b: GANRenderer(a, b, weights=weights, device="cpu")}
        if with_warp:
            renderers["warp"] = lambda a, b: MeshRenderer(a, b)
        for name, make in renderers.items():
            m = evaluate_renderer(make, ref, ref_kps, rgb, kps, est)
            out[name] = {k: round(v, 4) for k, v in m.items() if k not in ("outputs", "frames")}
    return out


def main(argv: list[str] | None = None) -> int:
    from r2a_utils.config import ConfigError
    from r2a_utils.errors import InputFileError
    from r2a_utils.transfer.losses import PerceptualWeightsMissing

    p = argparse.ArgumentParser(prog="python -m r2a_utils.transfer", description="Stage 3 pose-transfer GAN")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train or resume (checkpoint in --out)")
    t.add_argument("--out", required=True)
    t.add_argument("--config", help="YAML of TransferConfig keys to change")
    t.add_argument("--gpu-config", action="store_true", help="start from the 256x192 GPU config")
    t.add_argument("--smoke", action="store_true", help="tiny network and 4 steps (tests)")
    t.add_argument("--steps", type=count(1))
    t.add_argument("--max-minutes", type=between(0, 10_000, "a number of minutes"))
    t.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out")
    t.add_argument("--no-progress", action="store_true")
    e = sub.add_parser("eval", help="SSIM / PSNR / output PCK on held-out poses, next to the warp renderer")
    e.add_argument("--weights", help="checkpoint or exported weights (default: the shipped ones)")
    e.add_argument("--poses", type=count(1), default=40)
    e.add_argument("--json", help="also write the scores here")
    x = sub.add_parser("export", help="keep the generator only (fp16) for shipping")
    x.add_argument("checkpoint")
    x.add_argument("out")
    x.add_argument("--with-eval", action="store_true", help="store the held-out scores in the file")
    sub.add_parser("fetch-vgg19", help="download the VGG19 weights for perceptual='vgg19' (needs internet)")
    args = p.parse_args(argv)
    return run_command(lambda: _run(args), (InputFileError, ConfigError, PerceptualWeightsMissing, ValueError),
                       interrupted="interrupted; the last saved checkpoint is kept (the same command resumes)")


def _run(args) -> int:
    if args.cmd == "train":
        from r2a_utils.transfer.train import train_pose_transfer

        cfg = _config(args)
        res = train_pose_transfer(cfg, args.out, resume=not args.fresh, progress=not args.no_progress)
        last = res.history[-1] if res.history else {}
        if int(os.environ.get("RANK", 0)) == 0:  # under torchrun, one summary, not one per process
            print(json.dumps({"checkpoint": str(res.checkpoint), "step": res.step,
                              "seconds": round(res.seconds, 1), "stopped_early": res.stopped_early, "last": last}))
    elif args.cmd == "eval":
        scores = evaluate(args.weights, args.poses)
        print(json.dumps(scores, indent=1))
        if args.json:
            write_text_atomic(args.json, json.dumps(scores, indent=1))
    elif args.cmd == "export":
        from r2a_utils.transfer.checkpoint import export_generator

        if Path(args.out).resolve() == Path(args.checkpoint).resolve():
            raise ValueError(f"{args.out}: export would replace the checkpoint it reads; give another file")
        metrics = None
        if args.with_eval:
            metrics = evaluate(args.checkpoint)
        print(export_generator(args.checkpoint, args.out, metrics))
    else:
        from r2a_utils.transfer.losses import fetch_vgg19

        print(fetch_vgg19())
    return 0


if __name__ == "__main__":
    sys.exit(main())
