"""Stage 3 training: the GAN training loop, checkpoints that resume, and DDP.

One ``train_pose_transfer(cfg, out_dir)`` call runs the loop on whatever the machine has.
Started through ``torchrun --nproc_per_node N -m r2a_utils.transfer train ...`` it runs as
N DistributedDataParallel processes (NCCL on GPUs, gloo on CPUs); each rank draws its own
batches and rank 0 alone writes checkpoints, samples and logs.

Checkpoints (``out_dir/checkpoint.pt``) hold the config, all three networks, both
optimizers, the step and the loss history; they are written to a temporary file and
renamed, so a run killed at any moment leaves the previous checkpoint intact, and
``resume=True`` continues exactly where it stopped (same batches, same losses).

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from r2a_utils.config import pick_device
from r2a_utils.tensors import save_atomic
from r2a_utils.transfer.checkpoint import (ARCHITECTURE, CHECKPOINT_FORMAT, CheckpointError, TransferConfig,
                                           build_networks, load_checkpoint, sigma_px)

PREVIEW_STEP = 2**40  # the sample grids' batch: a step number training never reaches


@dataclasses.dataclass
class TrainResult:
    checkpoint: Path
    history: list[dict]
    step: int
    seconds: float
    stopped_early: bool


def make_source(cfg: TransferConfig):
    from r2a_utils.transfer.data import CharacterPoses, DatasetPoses, character_spec

    if cfg.source == "dataset":
        if not cfg.dataset_root:
            raise ValueError("TransferConfig.source='dataset' needs dataset_root (a write_paired_dataset folder)")
        return DatasetPoses(cfg.dataset_root, cfg.size, cfg.seed)
    if cfg.source != "character":
        raise ValueError(f"TransferConfig.source={cfg.source!r}: use 'character' or 'dataset'")
    if cfg.num_characters > 1:
        from r2a_utils.characters.spec import random_character

        specs = [random_character(i) for i in range(cfg.num_characters)]
    else:
        specs = [character_spec(cfg.character)]
    return CharacterPoses(specs, cfg.size, cfg.seed)


def _distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) otherwise."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


def to_tensors(batch, cfg: TransferConfig, device: str):
    """A ``data.Batch`` as network inputs on ``device``: images in [-1, 1], heatmaps, alpha."""
    import torch

    from r2a_utils.transfer.models import from_uint8, pose_heatmaps

    s = sigma_px(cfg)
    ref = from_uint8(batch.ref_rgb).to(device)
    tgt = from_uint8(batch.tgt_rgb).to(device)
    alpha = torch.from_numpy(batch.tgt_alpha).float().div(255).unsqueeze(1).to(device)
    ref_pose = pose_heatmaps(torch.from_numpy(batch.ref_kps), cfg.size, s).to(device)
    tgt_pose = pose_heatmaps(torch.from_numpy(batch.tgt_kps), cfg.size, s).to(device)
    return ref, ref_pose, tgt_pose, tgt, alpha


def sample_grid(gen, batch, cfg: TransferConfig, device: str) -> np.ndarray:
    """Rows of reference | target pose | output | ground truth (the report's Figure 9 layout)."""
    import torch

    from r2a_utils.transfer.models import composite_white, to_uint8
    from r2a_utils.viz import draw_skeleton

    ref, ref_pose, tgt_pose, tgt, _ = to_tensors(batch, cfg, device)
    was_training = gen.training
    gen.eval()
    with torch.no_grad():
        rgb, a = gen(ref, ref_pose, tgt_pose)
    gen.train(was_training)
    out = to_uint8(composite_white(rgb, a))
    rows = []
    for i in range(len(out)):
        pose = draw_skeleton(np.full_like(out[i], 255), batch.tgt_kps[i], thickness=2)
        rows.append(np.concatenate([batch.ref_rgb[i], pose, out[i], batch.tgt_rgb[i]], axis=1))
    return np.concatenate(rows, axis=0)


def train_pose_transfer(cfg: TransferConfig, out_dir: str | os.PathLike, resume: bool = True,
                        progress: bool = True, on_log: Callable[[dict], None] | None = None,
                        on_sample: Callable[[int, np.ndarray], None] | None = None) -> TrainResult:
    """Train (or continue training) the pose-transfer GAN; checkpoint into ``out_dir``.

    Args:
        resume: continue from ``out_dir/checkpoint.pt`` when it exists (its architecture
            must match ``cfg``; ``steps`` may be raised to train longer).
        on_log: called on rank 0 with each history entry ``{"step", "seconds", "l1", ...}``.
        on_sample: called on rank 0 with ``(step, grid image)`` every ``sample_every`` steps.
    Returns:
        ``TrainResult`` (checkpoint path, history, last step, training seconds).
    """
    import torch
    import torch.distributed as dist
    from tqdm.auto import tqdm

    from r2a_utils.transfer.losses import PerceptualLoss, gan_loss
    from r2a_utils.transfer.models import composite_white

    rank, world, local_rank = _distributed()
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    if world > 1:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend)
        device = f"cuda:{local_rank}" if backend == "nccl" else "cpu"
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
    else:
        device = pick_device(cfg.device)
    out_dir = Path(out_dir)
    ckpt_path = out_dir / "checkpoint.pt"
    if rank == 0:
        (out_dir / "samples").mkdir(parents=True, exist_ok=True)

    perceptual = PerceptualLoss(cfg.perceptual).to(device)  # fails early, before any training
    torch.manual_seed(cfg.seed)
    gen, d_app, d_shape = build_networks(cfg)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(list(d_app.parameters()) + list(d_shape.parameters()), lr=cfg.lr_d, betas=(0.5, 0.999))
    history: list[dict] = []
    start, seconds_before = 0, 0.0
    if resume and ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        saved = ckpt["config_obj"]
        differ = [k for k in ARCHITECTURE if getattr(saved, k) != getattr(cfg, k)]
        if differ:
            raise CheckpointError(ckpt_path, f"was trained with other {', '.join(differ)} "
                                             f"({', '.join(f'{k}={getattr(saved, k)}' for k in differ)}); "
                                             f"use another out_dir or resume=False")
        gen.load_state_dict(ckpt["generator"])
        d_app.load_state_dict(ckpt["d_appearance"])
        d_shape.load_state_dict(ckpt["d_shape"])
        opt_g.load_state_dict(ckpt["opt_g"])
        opt_d.load_state_dict(ckpt["opt_d"])
        start, history = int(ckpt["step"]), list(ckpt["history"])
        seconds_before = float(ckpt.get("seconds", 0.0))
    gen, d_app, d_shape = gen.to(device), d_app.to(device), d_shape.to(device)
    g_train, da_train, ds_train = gen, d_app, d_shape
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [local_rank] if device.startswith("cuda") else None
        g_train, da_train, ds_train = (DDP(m, device_ids=ids) for m in (gen, d_app, d_shape))
    source = make_source(cfg)
    preview = source.batch(PREVIEW_STEP, 4, rank=0)  # fixed pictures for the sample grids

    def save(step: int, seconds: float) -> None:
        if rank != 0:
            return
        save_atomic({"format": CHECKPOINT_FORMAT, "config": cfg.to_dict(), "step": step, "seconds": seconds,
                      "history": history, "generator": gen.state_dict(), "d_appearance": d_app.state_dict(),
                      "d_shape": d_shape.state_dict(), "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                      "world_size": world, "torch": str(torch.__version__)}, ckpt_path)

    gen.train(), d_app.train(), d_shape.train()
    d_params = list(d_app.parameters()) + list(d_shape.parameters())  # frozen during each generator step
    t0 = time.perf_counter()
    running: dict[str, list[float]] = {}
    step, stopped_early = start, False
    bar = tqdm(range(start, cfg.steps), desc="train pose transfer", initial=start, total=cfg.steps,
               disable=not progress or rank != 0)
    for step_index in bar:
        batch = source.batch(step_index, cfg.batch_size, rank)
        ref, ref_pose, tgt_pose, tgt, alpha = to_tensors(batch, cfg, device)
        rgb, a = g_train(ref, ref_pose, tgt_pose)
        fake = composite_white(rgb, a)
        # discriminators: real pairs vs the generator's (detached) output
        d_real = gan_loss(da_train(ref, tgt), True) + gan_loss(ds_train(tgt_pose, tgt), True)
        d_fake = gan_loss(da_train(ref, fake.detach()), False) + gan_loss(ds_train(tgt_pose, fake.detach()), False)
        loss_d = 0.5 * (d_real + d_fake)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # generator: reconstruction + perceptual + fooling both discriminators (their
        # unwrapped modules, so DDP does not wait for discriminator gradients here)
        for p in d_params:
            p.requires_grad_(False)
        l1 = (fake - tgt).abs().mean()
        l_alpha = (a - alpha).abs().mean()
        l_perc = perceptual(fake, tgt)
        l_adv = gan_loss(d_app(ref, fake), True) + gan_loss(d_shape(tgt_pose, fake), True)
        loss_g = (cfg.l1_weight * l1 + cfg.alpha_weight * l_alpha + cfg.perceptual_weight * l_perc
                  + cfg.adversarial_weight * l_adv)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)
        step = step_index + 1
        for k, v in (("l1", l1), ("alpha", l_alpha), ("perceptual", l_perc), ("adv_g", l_adv), ("d", loss_d)):
            running.setdefault(k, []).append(float(v.detach()))
        elapsed = seconds_before + time.perf_counter() - t0
        out_of_time = cfg.max_minutes > 0 and elapsed - seconds_before >= cfg.max_minutes * 60
        if world > 1 and cfg.max_minutes > 0:  # rank 0's clock decides for all, or they would part ways
            flag = torch.tensor([float(out_of_time)], device=device)
            dist.broadcast(flag, 0)
            out_of_time = bool(flag.item())
        last = step == cfg.steps or out_of_time
        if step % cfg.log_every == 0 or last:
            entry = {"step": step, "seconds": round(elapsed, 2), **{k: float(np.mean(v)) for k, v in running.items()}}
            running = {}
            if world > 1:  # average the logged losses over ranks so the curve describes the whole run
                vals = torch.tensor([entry[k] for k in ("l1", "alpha", "perceptual", "adv_g", "d")])
                dist.all_reduce(vals)
                for k, v in zip(("l1", "alpha", "perceptual", "adv_g", "d"), (vals / world).tolist()):
                    entry[k] = v
            history.append(entry)
            if rank == 0:
                bar.set_postfix(l1=f"{entry['l1']:.3f}", d=f"{entry['d']:.3f}")
                if on_log is not None:
                    on_log(entry)
        if rank == 0 and (step % cfg.sample_every == 0 or last):
            grid = sample_grid(gen, preview, cfg, device)
            from PIL import Image

            Image.fromarray(grid).save(out_dir / "samples" / f"step_{step:06d}.png")
            if on_sample is not None:
                on_sample(step, grid)
        if step % cfg.checkpoint_every == 0 or last:
            save(step, elapsed)
            if world > 1:
                dist.barrier()
        if out_of_time:
            stopped_early = step < cfg.steps
            break
    bar.close()
    seconds = seconds_before + time.perf_counter() - t0
    if step == start and rank == 0 and not ckpt_path.exists():
        save(step, seconds)
    if world > 1 and dist.is_initialized():
        dist.barrier()
    return TrainResult(ckpt_path, history, step, seconds, stopped_early)


