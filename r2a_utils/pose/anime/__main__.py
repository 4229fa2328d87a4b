"""``python -m r2a_utils.pose.anime train|eval|export``: reproduce, score or export the anime
pose weights (export: the ONNX twin that runs without torch, ``pose.anime.export``).

Exit codes: 0 done, 1 a file that cannot be used (one line naming it), 2 bad arguments,
130 interrupted (the weights file is written only at the end, whole).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from r2a_utils.cli import run_command


def main(argv: list[str] | None = None) -> int:
    from r2a_utils.config import ConfigError
    from r2a_utils.errors import InputFileError
    from r2a_utils.pose.anime.estimator import AnimePoseEstimator
    from r2a_utils.pose.anime.evaluate import evaluate_procedural
    from r2a_utils.pose.anime.model import WEIGHTS, AnimePoseConfig

    ap = argparse.ArgumentParser(prog="python -m r2a_utils.pose.anime")
    ap.add_argument("cmd", choices=["train", "eval", "export"])
    ap.add_argument("--out", help="where train writes the weights (required for train; never the shipped file)")
    ap.add_argument("--weights", default=None, help="weights to evaluate or export (default: the shipped ones)")
    ap.add_argument("--config", default=None, help="YAML of AnimePoseConfig keys to change")
    ap.add_argument("--gpu-config", action="store_true", help="the bigger Colab/GPU schedule")
    ap.add_argument("--init", default=None, help="start training from these weights (fine-tuning)")
    ap.add_argument("--real-videos", default=None, metavar="DIR",
                    help="train: a folder of real videos; its people (mediapipe's keypoints as labels) join the "
                         "training, and its frames give backdrops (the shipped weights used ../shared/data/videos)")
    ap.add_argument("--annotated-poses", default=None, metavar="PATH",
                    help="train: Anime Drawings Dataset annotations (a folder with train.json/val.json, or a json); "
                         "real illustrations' poses drive a share of the characters (the development drawings "
                         "are always left out)")
    ap.add_argument("--drawings", help="eval: a folder of real anime drawings to score on (Table 1)")
    ap.add_argument("--annotations", help="eval: their Anime Drawings Dataset json (data.json or test.json)")
    ap.add_argument("--predictions", action="append", default=[], metavar="CSV",
                    help="eval: also score another system's predictions on the drawings (the original project's "
                         "CSV: file name, then x, y of the dataset's 21 joints; may be given more than once)")
    a = ap.parse_args(argv)
    if bool(a.drawings) != bool(a.annotations):
        ap.error("--drawings and --annotations go together")
    if a.predictions and not a.drawings:
        ap.error("--predictions needs --drawings and --annotations")
    if a.cmd == "train" and not a.out:
        ap.error("train needs --out FILE (the shipped weights are never overwritten)")
    if a.out and Path(a.out).resolve() in {Path(p).resolve() for p in (WEIGHTS, a.init, a.weights) if p}:
        ap.error(f"--out {a.out} would replace an input or the shipped weights; give another file")

    def run() -> int:
        if a.cmd == "train":
            from r2a_utils.pose.anime.train import train_anime_pose

            cfg = AnimePoseConfig()
            cfg = cfg.gpu() if a.gpu_config else cfg
            cfg = cfg.overlay(a.config) if a.config else cfg
            if a.real_videos:
                if not Path(a.real_videos).is_dir():
                    raise ConfigError(f"--real-videos {a.real_videos}: not a folder")
                cfg = cfg.replace(real_videos=str(a.real_videos))
            if a.annotated_poses:
                if not Path(a.annotated_poses).exists():
                    raise ConfigError(f"--annotated-poses {a.annotated_poses}: no such file or folder")
                cfg = cfg.replace(annotated_poses=str(a.annotated_poses))
            ckpt = train_anime_pose(cfg, a.out, on_log=lambda e: print(json.dumps(e), flush=True), init_weights=a.init)
            print(f"saved {a.out} after {ckpt['history'][-1]['seconds']} s")
        if a.cmd in ("train", "export"):
            from r2a_utils.pose.anime.export import export_twin

            try:
                print(f"wrote {export_twin(a.out or a.weights or WEIGHTS)} (runs without torch)")
            except ImportError as e:
                if a.cmd == "export":
                    raise ConfigError(str(e)) from None
                print(f"no ONNX twin written ({e}); the weights run with torch")
            if a.cmd == "export":
                return 0
        weights = a.out if a.cmd == "train" else (a.weights or WEIGHTS)
        if a.drawings:
            from r2a_utils.pose.anime.evaluate import print_table_1, table_1

            print_table_1(table_1(a.drawings, a.annotations, weights, a.predictions), f"drawings in {a.drawings}")
            return 0
        with AnimePoseEstimator(weights) as est:
            res = evaluate_procedural(est)
        print(f"PCKh@0.5 on 200 held-out procedural characters: {res['pckh']:.3f}")
        return 0

    return run_command(run, (InputFileError, ConfigError, ValueError, OSError),
                       interrupted="interrupted; no weights written")


if __name__ == "__main__":
    raise SystemExit(main())
