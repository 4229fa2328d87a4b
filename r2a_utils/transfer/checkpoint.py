"""Stage 3 checkpoints: the config, building the networks, loading and saving.

Inference (the GAN renderer) and training both come here, so using a trained generator
never imports the training loop. Files load with ``torch.load(weights_only=True)``; any
file that cannot be used is refused with one ``CheckpointError`` line naming it.

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from r2a_utils.config import StageConfig
from r2a_utils.errors import InputFileError
from r2a_utils.tensors import float_state, half_state, load_weights_file, save_atomic

CHECKPOINT_FORMAT = "r2a-pose-transfer-v1"
# Fields that change the networks: a checkpoint with other values cannot be resumed.
ARCHITECTURE = ("width", "height", "ngf", "n_down", "n_blocks", "ndf", "heatmap_sigma")


class CheckpointError(InputFileError, ValueError):
    """A checkpoint that cannot be used: unreadable, not ours, or from another architecture."""


@dataclasses.dataclass(frozen=True)
class TransferConfig(StageConfig):
    """Model size, data, losses and schedule of the pose-transfer GAN. Saved in checkpoints.

    The default is the CPU config (128x96, one character); ``gpu()`` is the report's size.
    """

    width: int = 96
    height: int = 128
    ngf: int = 16
    n_down: int = 2
    n_blocks: int = 5
    ndf: int = 32
    heatmap_sigma: float = 2.0  # pixels at 128 px canvas height; scaled with the height
    source: str = "character"  # "character" (rendered on the fly) or "dataset" (Stage-1 folder)
    character: str = "sample"  # 'sample', 'seed:N' or a spec JSON; with num_characters > 1, seeds
    num_characters: int = 1  # 1 = per-character mode; more = procedural seeds 0..n-1
    dataset_root: str = ""
    batch_size: int = 8
    steps: int = 2000
    lr: float = 2e-4
    lr_d: float = 2e-4
    l1_weight: float = 10.0
    alpha_weight: float = 5.0
    perceptual_weight: float = 5.0
    adversarial_weight: float = 1.0
    perceptual: str = "anime_pose"  # "vgg19" (needs local weights), "anime_pose" or "none"
    seed: int = 0
    device: str = "auto"
    log_every: int = 25
    checkpoint_every: int = 250
    sample_every: int = 250
    max_minutes: float = 0.0  # stop (and checkpoint) after this much training time; 0 = no limit
    num_threads: int = 0  # torch CPU threads; 0 = torch's choice

    SMOKE_OVERRIDES = {"steps": 4, "batch_size": 2, "ngf": 8, "n_blocks": 2, "ndf": 8, "log_every": 1,
                       "checkpoint_every": 2, "sample_every": 2}

    def gpu(self) -> TransferConfig:
        """The report's size for a Colab GPU: 256x192, wider, longer, VGG19 features. Never
        trained by the kit (no GPU here); the shipped weights are the CPU config's."""
        return self.replace(width=192, height=256, ngf=64, n_down=3, n_blocks=9, ndf=64, heatmap_sigma=4.0,
                            batch_size=16, steps=30000, perceptual="vgg19", checkpoint_every=1000,
                            sample_every=1000, log_every=50)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def build_networks(cfg: TransferConfig):
    """``(generator, appearance discriminator, shape discriminator)`` for a config."""
    from r2a_utils.skeleton import NUM_JOINTS
    from r2a_utils.transfer.models import PATNGenerator, PatchDiscriminator

    gen = PATNGenerator(cfg.ngf, cfg.n_down, cfg.n_blocks)
    d_app = PatchDiscriminator(3 + 3, cfg.ndf)  # (reference, image)
    d_shape = PatchDiscriminator(NUM_JOINTS + 3, cfg.ndf)  # (target pose, image)
    return gen, d_app, d_shape


def sigma_px(cfg: TransferConfig) -> float:
    return cfg.heatmap_sigma * cfg.height / 128 if cfg.heatmap_sigma > 0 else 1.0


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint with ``weights_only=True``; ``CheckpointError`` names the file if unusable."""

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "checkpoint not found")
    try:
        ckpt = load_weights_file(path)
    except ValueError as e:  # not a torch file, truncated, pickled objects
        raise CheckpointError(path, str(e)) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(path, f"not a pose-transfer checkpoint (format "
                                    f"{ckpt.get('format') if isinstance(ckpt, dict) else type(ckpt).__name__!r}, "
                                    f"expected {CHECKPOINT_FORMAT})")
    try:
        ckpt["config_obj"] = TransferConfig.from_dict(ckpt["config"])
    except Exception as e:
        raise CheckpointError(path, f"its config does not fit TransferConfig ({e})") from None
    return ckpt


def load_generator(weights: str | os.PathLike, device: str = "cpu"):
    """``(generator in eval mode, TransferConfig, checkpoint dict)`` from a checkpoint or an
    exported weights file."""
    path = Path(weights)
    ckpt = load_checkpoint(path)
    cfg = ckpt["config_obj"]
    gen, _, _ = build_networks(cfg)
    try:
        gen.load_state_dict(float_state(ckpt["generator"]))
    except (RuntimeError, KeyError) as e:
        raise CheckpointError(path, f"generator weights do not fit its config ({str(e)[:120]})") from None
    return gen.to(device).eval(), cfg, ckpt


def export_generator(checkpoint: str | os.PathLike, out_path: str | os.PathLike,
                     metrics: dict | None = None, half: bool = True) -> Path:
    """Keep only what inference needs (config, generator, history, metrics), fp16 by default."""
    ckpt = load_checkpoint(checkpoint)
    state = half_state(ckpt["generator"]) if half else ckpt["generator"]
    out = Path(out_path)
    save_atomic({"format": CHECKPOINT_FORMAT, "config": ckpt["config"], "step": ckpt["step"],
                  "seconds": ckpt.get("seconds", 0.0), "history": ckpt["history"], "generator": state,
                  "metrics": metrics or {}, "generator_only": True}, out)
    return out
