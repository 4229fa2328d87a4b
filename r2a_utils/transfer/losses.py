"""Stage 3 losses: L1, perceptual L1 on a frozen feature network, and the adversarial terms.

Which network gives the perceptual features is part of the training config:

- ``"vgg19"``: torchvision's ImageNet VGG19, L1 on relu1_1, relu2_1 and relu3_1 (PATN
  itself used one layer, relu1_2, with weight 1; see the report-vs-kit table in
  notebooks/04_train_pose_transfer.ipynb). Its weights
  (548 MB) are used only when already in torch's cache (``torch.hub.get_dir()``); a config
  that asks for them when they are absent fails with the path and the command that fetches
  them. There is no silent fallback.
- ``"anime_pose"``: the first three stages of the kit's own first anime pose network
  (``WEIGHTS_V1``, shipped, 845 KB; frozen here so the shipped sample generator's recipe
  stays reproducible when the pose weights move on). Its features are tuned to anime
  characters' parts, which is what the output's shape has to get right; the default for
  the CPU config.
- ``"none"``: L1 and adversarial only (for ablations).

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from r2a_utils.tensors import IMAGENET_MEAN, IMAGENET_STD

PERCEPTUAL_NETWORKS = ("vgg19", "anime_pose", "none")


class PerceptualWeightsMissing(FileNotFoundError):
    """The config asks for a feature network whose weights are not on this machine."""


def vgg19_weights_path() -> Path:
    """Where torchvision keeps the VGG19 ImageNet weights once downloaded."""
    from torchvision.models import VGG19_Weights

    return Path(torch.hub.get_dir()) / "checkpoints" / Path(VGG19_Weights.IMAGENET1K_V1.url).name


def fetch_vgg19() -> Path:
    """Download the VGG19 weights into torch's cache (torchvision checks their hash)."""
    from torchvision.models import VGG19_Weights

    VGG19_Weights.IMAGENET1K_V1.get_state_dict(progress=True, check_hash=True)
    return vgg19_weights_path()


class PerceptualLoss(nn.Module):
    """Mean L1 distance between feature maps of two images in [-1, 1] (frozen network)."""

    def __init__(self, network: str = "anime_pose"):
        super().__init__()
        if network not in PERCEPTUAL_NETWORKS:
            raise ValueError(f"perceptual network {network!r}: choose one of {', '.join(PERCEPTUAL_NETWORKS)}")
        self.network = network
        self.stages = nn.ModuleList()
        if network == "vgg19":
            path = vgg19_weights_path()
            if not path.is_file():
                raise PerceptualWeightsMissing(
                    f"{path}: VGG19 weights not found; the config asks for perceptual='vgg19'. Fetch them "
                    f"with `python -m r2a_utils.transfer fetch-vgg19` (548 MB, needs internet), or "
                    f"train with perceptual='anime_pose'")
            from torchvision.models import vgg19

            features = vgg19(weights=None).features
            features.load_state_dict({k[len("features."):]: v for k, v in
                                      torch.load(path, map_location="cpu", weights_only=True).items()
                                      if k.startswith("features.")})
            self.stages.extend([features[:2], features[2:7], features[7:12]])  # relu1_1, relu2_1, relu3_1
        elif network == "anime_pose":
            from r2a_utils.pose.anime.model import WEIGHTS_V1, load_weights

            trunk = load_weights(WEIGHTS_V1)[1]
            self.stages.extend([trunk.s4[:1], trunk.s4[1:], trunk.s8])  # strides 2, 4, 8
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> PerceptualLoss:
        return super().train(False)  # frozen: batch-norm statistics never move

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if not len(self.stages):
            return output.new_zeros(())
        x = ((output + 1) / 2 - self.mean) / self.std
        y = ((target + 1) / 2 - self.mean) / self.std
        loss = output.new_zeros(())
        for stage in self.stages:
            x, y = stage(x), stage(y)
            loss = loss + F.l1_loss(x, y.detach())
        return loss / len(self.stages)


def gan_loss(scores: torch.Tensor, real: bool) -> torch.Tensor:
    """Least-squares GAN loss (steadier than the log loss at small batch sizes on CPU)."""
    return F.mse_loss(scores, torch.full_like(scores, 1.0 if real else 0.0))
