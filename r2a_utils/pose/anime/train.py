"""Training the anime pose network on synthetic pictures (``synth``); the shipped weights
are reproduced by ``python -m r2a_utils.pose.anime train`` (see the README).

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from r2a_utils.config import pick_device
from r2a_utils.pose.anime.model import WEIGHTS_FORMAT, AnimePoseConfig, build_model, load_weights, to_tensor
from r2a_utils.pose.anime.annotated import AnnotatedPoses
from r2a_utils.pose.anime.augment import RealPeople
from r2a_utils.pose.anime.synth import heatmap_targets, synth_sample
from r2a_utils.tensors import float_state, half_state, save_atomic


def train_anime_pose(cfg: AnimePoseConfig = AnimePoseConfig(), out_path: str | os.PathLike | None = None,
                     progress: bool = True, on_log: Callable[[dict], None] | None = None,
                     log_every: int = 50, init_weights: str | os.PathLike | None = None) -> dict:
    """Train the network on procedural characters (and real people when ``cfg.real_videos``
    names a folder of videos; poses of real illustrations when ``cfg.annotated_poses`` names
    Anime Drawings Dataset annotations); save ``{config, model, history}`` to ``out_path`` every
    ``cfg.save_every`` steps and at the end (or when ``cfg.max_minutes`` runs out).

    Returns the checkpoint dict. ``on_log`` gets ``{"step", "loss", "seconds"}`` every
    ``log_every`` steps (the notebook draws a live loss curve with it). ``init_weights``
    starts from an earlier checkpoint of the same architecture (fine-tuning); its history is
    kept, continued after its last step.
    """
    import torch
    from tqdm.auto import tqdm

    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    device = pick_device(cfg.device)
    model = build_model(cfg)
    history, t0, running, first = [], time.time(), [], 0
    if init_weights is not None:
        _, start_model, start = load_weights(init_weights)
        model.load_state_dict(float_state(start_model.state_dict()))
        history = list(start.get("history", []))
        first = history[-1]["step"] if history else 0
        t0 -= history[-1]["seconds"] if history else 0
    model = model.to(device)
    real = RealPeople(cfg.real_videos) if cfg.real_videos else None
    if real is not None and progress:
        print(f"real people: {len(real)} frames from {cfg.real_videos} ({len(real.backdrops)} backdrops)")
    poses = AnnotatedPoses(cfg.annotated_poses) if cfg.annotated_poses else None
    if poses is not None and progress:
        print(f"poses of real illustrations: {len(poses)} from {cfg.annotated_poses} (development drawings left out)")
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    started = time.time()

    def checkpoint() -> dict:
        state = half_state(model.state_dict())  # fp16 keeps the shipped file small
        ckpt = {"format": WEIGHTS_FORMAT, "config": cfg.to_dict(), "model": state, "history": history,
                "init_weights": str(init_weights) if init_weights is not None else None}
        if out_path is not None:
            save_atomic(ckpt, out_path)
        return ckpt

    model.train()
    for step in tqdm(range(1, cfg.steps + 1), desc="train anime pose", disable=not progress):
        samples = [synth_sample(rng, cfg, real=real, poses=poses) for _ in range(cfg.batch_size)]
        x = to_tensor(np.stack([s[0] for s in samples])).to(device)
        target, weight = heatmap_targets(np.stack([s[1] for s in samples]), cfg)
        target, weight = torch.from_numpy(target).to(device), torch.from_numpy(weight).to(device)
        h1, h2 = model(x)
        loss = sum((((h - target) ** 2).mean(dim=(2, 3)) * weight).mean() for h in (h1, h2)) * 1000
        for group in opt.param_groups:
            group["lr"] = learning_rate(cfg, step, time.time() - started)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running.append(loss.item())
        out_of_time = progress_of(cfg, step + 1, time.time() - started) > 1.0
        if step % log_every == 0 or step == cfg.steps or out_of_time:
            entry = {"step": first + step, "loss": float(np.mean(running)), "seconds": round(time.time() - t0, 1)}
            history.append(entry)
            running = []
            if on_log is not None:
                on_log(entry)
        if out_of_time or step % cfg.save_every == 0 or step == cfg.steps:
            model.eval()
            ckpt = checkpoint()  # a whole, usable file at every save: an interrupted run keeps its last
            model.train()
        if out_of_time:
            break
    model.eval()
    return ckpt


def progress_of(cfg: AnimePoseConfig, step: int, seconds: float) -> float:
    """How far training is, 0..1: by steps, or by time when ``cfg.max_minutes`` runs out first."""
    by_time = seconds / (60 * cfg.max_minutes) if cfg.max_minutes > 0 else 0.0
    return max((step - 1) / max(cfg.steps - 1, 1), by_time)


def learning_rate(cfg: AnimePoseConfig, step: int, seconds: float, warmup: float = 0.05) -> float:
    """Linear warm-up, then cosine decay to zero, over ``progress_of``: on a slow or busy
    machine a time-capped run still ends with its learning rate annealed."""
    p = min(progress_of(cfg, step, seconds), 1.0)
    if p < warmup:
        return cfg.lr * max(p / warmup, 0.02)
    return cfg.lr * 0.5 * (1 + np.cos(np.pi * (p - warmup) / (1 - warmup)))


