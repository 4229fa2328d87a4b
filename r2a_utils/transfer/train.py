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


LOSS_NAMES = ("l1", "alpha", "perceptual", "adv_g", "d")


@dataclasses.dataclass
class GANState:
    """The three networks and two optimizers of a run (and their DDP wrappers when distributed)."""

    gen: object
    d_app: object
    d_shape: object
    opt_g: object
    opt_d: object
    wrapped: tuple = ()  # (generator, D_A, D_S) as trained: DDP-wrapped, or the networks themselves
    d_params: tuple = ()  # the discriminators' parameters, frozen during each generator update

    def state_dict(self) -> dict:
        return {"generator": self.gen.state_dict(), "d_appearance": self.d_app.state_dict(),
                "d_shape": self.d_shape.state_dict(), "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load_state_dict(self, ckpt: dict) -> None:
        self.gen.load_state_dict(ckpt["generator"])
        self.d_app.load_state_dict(ckpt["d_appearance"])
        self.d_shape.load_state_dict(ckpt["d_shape"])
        self.opt_g.load_state_dict(ckpt["opt_g"])
        self.opt_d.load_state_dict(ckpt["opt_d"])


def gan_step(state: GANState, tensors: tuple, perceptual, cfg: TransferConfig) -> dict[str, float]:
    """One training step: the discriminators, then the generator. Returns the losses.

    D_A judges (reference, image) pairs and D_S (target pose, image) pairs; both learn real
    pairs from the generator's (detached) output with the least-squares GAN loss. The
    generator then minimises ``l1_weight * L1 + alpha_weight * L1(alpha) + perceptual_weight
    * perceptual + adversarial_weight * (fooling D_A and D_S)``.
    """
    from r2a_utils.transfer.losses import gan_loss
    from r2a_utils.transfer.models import composite_white

    ref, ref_pose, tgt_pose, tgt, alpha = tensors
    g_train, da_train, ds_train = state.wrapped
    rgb, a = g_train(ref, ref_pose, tgt_pose)
    fake = composite_white(rgb, a)
    # discriminators: real pairs vs the generator's (detached) output
    d_real = gan_loss(da_train(ref, tgt), True) + gan_loss(ds_train(tgt_pose, tgt), True)
    d_fake = gan_loss(da_train(ref, fake.detach()), False) + gan_loss(ds_train(tgt_pose, fake.detach()), False)
    loss_d = 0.5 * (d_real + d_fake)
    state.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    state.opt_d.step()
    # generator: reconstruction + perceptual + fooling both discriminators (their unwrapped
    # modules, frozen, so DDP does not wait for discriminator gradients here)
    for p in state.d_params:
        p.requires_grad_(False)
    l1 = (fake - tgt).abs().mean()
    l_alpha = (a - alpha).abs().mean()
    l_perc = perceptual(fake, tgt)
    l_adv = gan_loss(state.d_app(ref, fake), True) + gan_loss(state.d_shape(tgt_pose, fake), True)
    loss_g = (cfg.l1_weight * l1 + cfg.alpha_weight * l_alpha + cfg.perceptual_weight * l_perc
              + cfg.adversarial_weight * l_adv)
    state.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    state.opt_g.step()
    for p in state.d_params:
        p.requires_grad_(True)
    return dict(zip(LOSS_NAMES, (float(v.detach()) for v in (l1, l_alpha, l_perc, l_adv, loss_d))))


def _start_process(cfg: TransferConfig) -> tuple[int, int, int, str]:
    """(rank, world size, local rank, device); joins the process group under torchrun."""
    import torch
    import torch.distributed as dist

    rank, world, local_rank = _distributed()
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    if world == 1:
        return rank, world, local_rank, pick_device(cfg.device)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend)
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    return rank, world, local_rank, (f"cuda:{local_rank}" if backend == "nccl" else "cpu")


def _new_state(cfg: TransferConfig) -> GANState:
    import torch

    torch.manual_seed(cfg.seed)
    gen, d_app, d_shape = build_networks(cfg)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(list(d_app.parameters()) + list(d_shape.parameters()), lr=cfg.lr_d, betas=(0.5, 0.999))
    return GANState(gen, d_app, d_shape, opt_g, opt_d)


def _resume(state: GANState, ckpt_path: Path, cfg: TransferConfig) -> tuple[int, list[dict], float]:
    """Load a checkpoint of the same architecture into ``state``: (step, history, seconds)."""
    ckpt = load_checkpoint(ckpt_path)
    saved = ckpt["config_obj"]
    differ = [k for k in ARCHITECTURE if getattr(saved, k) != getattr(cfg, k)]
    if differ:
        raise CheckpointError(ckpt_path, f"was trained with other {', '.join(differ)} "
                                         f"({', '.join(f'{k}={getattr(saved, k)}' for k in differ)}); "
                                         f"use another --out, or --fresh to start over")
    state.load_state_dict(ckpt)
    return int(ckpt["step"]), list(ckpt["history"]), float(ckpt.get("seconds", 0.0))


def _wrap(state: GANState, world: int, local_rank: int, device: str) -> None:
    state.gen, state.d_app, state.d_shape = (m.to(device) for m in (state.gen, state.d_app, state.d_shape))
    state.wrapped = (state.gen, state.d_app, state.d_shape)
    state.d_params = tuple(p for m in (state.d_app, state.d_shape) for p in m.parameters())
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [local_rank] if device.startswith("cuda") else None
        state.wrapped = tuple(DDP(m, device_ids=ids) for m in state.wrapped)
    for m in state.wrapped:
        m.train()


def _log_entry(running: dict[str, list[float]], step: int, elapsed: float, world: int) -> dict:
    """The history entry for the steps since the last one; losses averaged over ranks so the
    curve describes the whole run."""
    entry = {"step": step, "seconds": round(elapsed, 2), **{k: float(np.mean(v)) for k, v in running.items()}}
    if world > 1:
        import torch
        import torch.distributed as dist

        vals = torch.tensor([entry[k] for k in LOSS_NAMES])
        dist.all_reduce(vals)
        entry.update(zip(LOSS_NAMES, (vals / world).tolist()))
    return entry


def _out_of_time(cfg: TransferConfig, trained_seconds: float, world: int, device: str) -> bool:
    """Past ``max_minutes``? Rank 0's clock decides for all, or the ranks would part ways."""
    out = cfg.max_minutes > 0 and trained_seconds >= cfg.max_minutes * 60
    if world > 1 and cfg.max_minutes > 0:
        import torch
        import torch.distributed as dist

        flag = torch.tensor([float(out)], device=device)
        dist.broadcast(flag, 0)
        out = bool(flag.item())
    return out


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
    from PIL import Image
    from tqdm.auto import tqdm

    from r2a_utils.transfer.losses import PerceptualLoss

    rank, world, local_rank, device = _start_process(cfg)
    out_dir = Path(out_dir)
    ckpt_path = out_dir / "checkpoint.pt"
    if rank == 0:
        (out_dir / "samples").mkdir(parents=True, exist_ok=True)
    perceptual = PerceptualLoss(cfg.perceptual).to(device)  # fails early, before any training
    state = _new_state(cfg)
    start, history, seconds_before = _resume(state, ckpt_path, cfg) if resume and ckpt_path.exists() else (0, [], 0.0)
    _wrap(state, world, local_rank, device)
    source = make_source(cfg)
    preview = source.batch(PREVIEW_STEP, 4, rank=0)  # fixed pictures for the sample grids

    def save(step: int, seconds: float) -> None:
        if rank == 0:
            save_atomic({"format": CHECKPOINT_FORMAT, "config": cfg.to_dict(), "step": step, "seconds": seconds,
                         "history": history, **state.state_dict(), "world_size": world,
                         "torch": str(torch.__version__)}, ckpt_path)

    t0 = time.perf_counter()
    running: dict[str, list[float]] = {}
    step, stopped_early = start, False
    bar = tqdm(range(start, cfg.steps), desc="train pose transfer", initial=start, total=cfg.steps,
               disable=not progress or rank != 0)
    for step_index in bar:
        losses = gan_step(state, to_tensors(source.batch(step_index, cfg.batch_size, rank), cfg, device),
                          perceptual, cfg)
        step = step_index + 1
        for k, v in losses.items():
            running.setdefault(k, []).append(v)
        elapsed = seconds_before + time.perf_counter() - t0
        out_of_time = _out_of_time(cfg, elapsed - seconds_before, world, device)
        last = step == cfg.steps or out_of_time
        if step % cfg.log_every == 0 or last:
            history.append(_log_entry(running, step, elapsed, world))
            running = {}
            if rank == 0:
                bar.set_postfix(l1=f"{history[-1]['l1']:.3f}", d=f"{history[-1]['d']:.3f}")
                if on_log is not None:
                    on_log(history[-1])
        if rank == 0 and (step % cfg.sample_every == 0 or last):
            grid = sample_grid(state.gen, preview, cfg, device)
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


