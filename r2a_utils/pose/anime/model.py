"""The anime pose network: its config, architecture, input and output conventions, weights.

Human pose models miss on drawings (big heads, short limbs, flat colours). This network is
trained on Stage 1's procedural characters (``synth``, ``train``). Architecture: a
MobileNetV3-small trunk (torchvision's layout, no downloaded weights) up to stride 16, a small
feature pyramid back to stride 4, a first heatmap head and one refinement stage that sees
the features and the first heatmaps, in the spirit of the report's GCCPM (a lightweight
convolutional pose machine). Both stages are supervised.

Small trained weights ship in ``r2a_utils/weights/anime_pose.pt`` so inference works
offline.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from r2a_utils.config import StageConfig
from r2a_utils.errors import InputFileError
from r2a_utils.skeleton import NUM_JOINTS
from r2a_utils.tensors import IMAGENET_MEAN, IMAGENET_STD, brief, float_state, load_weights_file

WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "anime_pose.pt"
# The first shipped weights (classic characters, 128 px, no domain randomisation): Table 1's
# "v1" row, and the frozen features of Stage 3's perceptual loss (the shipped sample
# generator was trained with them, so its recipe stays reproducible).
WEIGHTS_V1 = WEIGHTS.with_name("anime_pose_v1.pt")
WEIGHTS_FORMAT = "r2a-anime-pose-v1"
_MEAN = np.array(IMAGENET_MEAN, np.float32)
_STD = np.array(IMAGENET_STD, np.float32)


class AnimeWeightsError(InputFileError, ValueError):
    """An anime pose weights file that cannot be used; names the file."""


@dataclasses.dataclass(frozen=True)
class AnimePoseConfig(StageConfig):
    """Network size, synthetic data and training schedule. Saved inside the weights file."""

    input_size: int = 128  # square input; heatmaps at a quarter of it
    width: int = 64  # channels of the decoder and refinement stage
    sigma: float = 1.5  # heatmap Gaussian, in heatmap cells
    steps: int = 9000
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    num_train_characters: int = 100_000  # seeds 0 .. n-1; the held-out set starts at HELD_OUT_SEED (characters.spec)
    sit_prob: float = 0.15  # share of poses sitting or crouching
    yaw_deg: float = 60.0  # poses turn up to this far from the camera
    back_views: float = 0.0  # share turned any way, back views included (0: measured to hurt, see README)
    crop_fraction: float = 0.12  # share of pictures framed at the thighs or knees
    real_videos: str = ""  # folder of real videos: people with mediapipe's keypoints join the training
    real_fraction: float = 0.12  # share of a batch from real_videos (when given)
    annotated_poses: str = ""  # Anime Drawings Dataset annotations (folder or json): real illustrations' poses
    annotated_fraction: float = 0.4  # share of characters posed from annotated_poses (when given)
    max_minutes: float = 80.0  # stop after this long (0: no limit); the schedule follows steps or time, whichever ends first
    save_every: int = 500  # steps between checkpoints written to the output file
    device: str = "auto"
    min_confidence: float = 0.25  # below this a joint is reported as not found
    human_model_confidence: float = 0.95  # mediapipe's upper body is used when its visibilities average this
    keep_network_confidence: float = 0.6  # joints the network is this sure of keep its answer (merge_poses)

    SMOKE_OVERRIDES = {"steps": 6, "batch_size": 4, "real_videos": "", "annotated_poses": ""}

    def gpu(self) -> AnimePoseConfig:
        """The Colab/GPU size: larger input, wider decoder, longer schedule. Drawing the
        training pictures is CPU work (about 25 ms each at 256 px on one core), so on a
        2-core Colab runtime the time budget, not the step count, usually ends the run."""
        return self.replace(input_size=256, width=96, steps=30000, batch_size=32, max_minutes=120.0)


def _conv(cin: int, cout: int, k: int = 3, dilation: int = 1):
    import torch.nn as nn

    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=dilation * (k // 2), dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


# MobileNetV3-small's first blocks (Howard et al. 2019; torchvision's layout and parameter
# names, so weights trained with torchvision's trunk load unchanged): (kernel, expanded
# channels, out channels, squeeze-excite, hard-swish, stride), input 16 channels
_TRUNK = ((3, 16, 16, True, False, 2), (3, 72, 24, False, False, 2), (3, 88, 24, False, False, 1),
          (5, 96, 40, True, True, 2), (5, 240, 40, True, True, 1), (5, 240, 40, True, True, 1),
          (5, 120, 48, True, True, 1), (5, 144, 48, True, True, 1))


def mobilenet_v3_small_trunk():
    """MobileNetV3-small's stem and first eight inverted-residual blocks (stride 16, 48
    channels), written here rather than imported from torchvision: importing torchvision
    costs ~4 s of start-up (it imports ``torch._dynamo``), and inference needs none of it."""
    import torch.nn as nn

    def conv_bn(cin, cout, k, stride=1, groups=1, act=None):
        layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout, eps=0.001, momentum=0.01)]
        return nn.Sequential(*layers, *([act(inplace=True)] if act else []))

    class SqueezeExcite(nn.Module):
        def __init__(self, channels: int):
            super().__init__()
            squeeze = max(8, int(channels // 4 + 4) // 8 * 8)  # torchvision's _make_divisible(c / 4, 8)
            squeeze += 8 if squeeze < 0.9 * (channels // 4) else 0
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc1, self.fc2 = nn.Conv2d(channels, squeeze, 1), nn.Conv2d(squeeze, channels, 1)
            self.relu, self.scale = nn.ReLU(), nn.Hardsigmoid()

        def forward(self, x):
            return self.scale(self.fc2(self.relu(self.fc1(self.avgpool(x))))) * x

    class InvertedResidual(nn.Module):
        def __init__(self, cin, k, expanded, cout, se, hs, stride):
            super().__init__()
            act = nn.Hardswish if hs else nn.ReLU
            layers = [conv_bn(cin, expanded, 1, act=act)] if expanded != cin else []
            layers.append(conv_bn(expanded, expanded, k, stride, groups=expanded, act=act))
            layers += [SqueezeExcite(expanded)] if se else []
            layers.append(conv_bn(expanded, cout, 1))
            self.block = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = self.block(x)
            return y + x if self.residual else y

    blocks, cin = [conv_bn(3, 16, 3, 2, act=nn.Hardswish)], 16
    for k, expanded, cout, se, hs, stride in _TRUNK:
        blocks.append(InvertedResidual(cin, k, expanded, cout, se, hs, stride))
        cin = cout
    return nn.Sequential(*blocks)


def build_model(cfg: AnimePoseConfig):
    """``AnimePoseNet``: image ``(N, 3, S, S)`` -> two heatmap stages ``(N, 18, S/4, S/4)``."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class AnimePoseNet(nn.Module):
        def __init__(self, width: int):
            super().__init__()
            trunk = mobilenet_v3_small_trunk()  # no downloaded weights: trained from scratch
            self.s4, self.s8, self.s16 = trunk[:2], trunk[2:4], trunk[4:9]
            self.lat4, self.lat8, self.lat16 = (nn.Conv2d(c, width, 1) for c in (16, 24, 48))
            self.fuse = nn.Sequential(_conv(width, width), _conv(width, width))
            self.head1 = nn.Conv2d(width, NUM_JOINTS, 1)
            self.refine = nn.Sequential(_conv(width + NUM_JOINTS, width), _conv(width, width, dilation=2),
                                        _conv(width, width, dilation=4), nn.Conv2d(width, NUM_JOINTS, 1))

        def forward(self, x):
            f4 = self.s4(x)
            f8 = self.s8(f4)
            f16 = self.s16(f8)
            y = self.lat16(f16)
            y = F.interpolate(y, size=f8.shape[-2:], mode="bilinear", align_corners=False) + self.lat8(f8)
            y = F.interpolate(y, size=f4.shape[-2:], mode="bilinear", align_corners=False) + self.lat4(f4)
            y = self.fuse(y)
            h1 = self.head1(y)
            h2 = h1 + self.refine(torch.cat([y, h1], dim=1))
            return h1, h2

    return AnimePoseNet(cfg.width)


def normalize_images(images: np.ndarray) -> np.ndarray:
    """``(N, S, S, 3)`` uint8 RGB -> the network's normalized ``(N, 3, S, S)`` float32 input."""
    x = (images.astype(np.float32) / 255.0 - _MEAN) / _STD
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def to_tensor(images: np.ndarray):
    """``normalize_images`` as a torch tensor (training)."""
    import torch

    return torch.from_numpy(normalize_images(images))


def decode_heatmaps(hm: np.ndarray) -> np.ndarray:
    """Heatmaps ``(N, 18, h, w)`` -> keypoints ``(N, 18, 3)`` in input pixels, confidence = peak.

    The peak is refined to sub-cell precision by a quadratic fit through its neighbours.
    """
    n, j, h, w = hm.shape
    flat = hm.reshape(n, j, -1)
    idx = flat.argmax(-1)
    py, px = np.divmod(idx, w)
    out = np.zeros((n, j, 3), np.float32)
    for a in range(n):
        for b in range(j):
            y, x = int(py[a, b]), int(px[a, b])
            m = hm[a, b]
            dx = dy = 0.0
            if 0 < x < w - 1:
                den = m[y, x - 1] - 2 * m[y, x] + m[y, x + 1]
                dx = float(np.clip(0.5 * (m[y, x - 1] - m[y, x + 1]) / den, -0.5, 0.5)) if den < 0 else 0.0
            if 0 < y < h - 1:
                den = m[y - 1, x] - 2 * m[y, x] + m[y + 1, x]
                dy = float(np.clip(0.5 * (m[y - 1, x] - m[y + 1, x]) / den, -0.5, 0.5)) if den < 0 else 0.0
            out[a, b] = (4 * (x + dx) + 1.5, 4 * (y + dy) + 1.5, float(np.clip(m[y, x], 0, 1)))
    return out


def load_weights(path: str | os.PathLike) -> tuple[AnimePoseConfig, object, dict]:
    """``(config, model in eval mode on the CPU, checkpoint)`` from a weights file
    (``weights_only=True``); ``AnimeWeightsError`` names a file that cannot be used."""

    path = Path(path)
    if not path.is_file():
        raise AnimeWeightsError(path, "anime pose weights not found (train them with "
                                      "`python -m r2a_utils.pose.anime train --out FILE`)")
    try:
        ckpt = load_weights_file(path)
    except ValueError as e:
        raise AnimeWeightsError(path, str(e)) from None
    try:
        cfg = AnimePoseConfig.from_dict(ckpt["config"])
        model = build_model(cfg)
        model.load_state_dict(float_state(ckpt["model"]))
    except Exception as e:  # any failure to read it means the same thing to the user
        raise AnimeWeightsError(path, f"not an anime pose checkpoint ({brief(e)})") from None
    return cfg, model.eval(), ckpt
