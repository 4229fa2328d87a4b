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
from r2a_utils.pose.anime.synth import heatmap_targets, synth_sample
from r2a_utils.tensors import float_state, half_state, save_atomic


def train_anime_pose(cfg: AnimePoseConfig = AnimePoseConfig(), out_path: str | os.PathLike | None = None,
                     progress: bool = True, on_log: Callable[[dict], None] | None = None,
                     log_every: int = 50, init_weights: str | os.PathLike | None = None) -> dict:
    """Train the network on procedural characters; save ``{config, model, history}`` to ``out_path``.

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
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(cfg.steps, 2), pct_start=0.1)
    model.train()
    for step in tqdm(range(1, cfg.steps + 1), desc="train anime pose", disable=not progress):
        samples = [synth_sample(rng, cfg) for _ in range(cfg.batch_size)]
        x = to_tensor(np.stack([s[0] for s in samples])).to(device)
        target, weight = heatmap_targets(np.stack([s[1] for s in samples]), cfg)
        target, weight = torch.from_numpy(target).to(device), torch.from_numpy(weight).to(device)
        h1, h2 = model(x)
        loss = sum((((h - target) ** 2).mean(dim=(2, 3)) * weight).mean() for h in (h1, h2)) * 1000
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running.append(loss.item())
        if step % log_every == 0 or step == cfg.steps:
            entry = {"step": first + step, "loss": float(np.mean(running)), "seconds": round(time.time() - t0, 1)}
            history.append(entry)
            running = []
            if on_log is not None:
                on_log(entry)
    model.eval()
    state = half_state(model.state_dict())  # fp16 keeps the shipped file small
    ckpt = {"format": WEIGHTS_FORMAT, "config": cfg.to_dict(), "model": state, "history": history,
            "init_weights": str(init_weights) if init_weights is not None else None}
    if out_path is not None:
        save_atomic(ckpt, out_path)
    return ckpt


