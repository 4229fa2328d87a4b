"""The PATN-style generator and its two discriminators (Stage 3).

Generator (Zhu et al., "Progressive Pose Attention Transfer", CVPR 2019, as the report uses
it): an image encoder for the reference picture and a pose encoder for the reference and
target pose heatmaps (18 + 18 channels) each bring their input to 1/2**n_down size; a
stack of Pose-Attentional Transfer (PAT) blocks then moves the appearance code towards the
target pose, one block at a time; a decoder turns the code back into an image. Ours also
predicts an alpha channel, so the output composites onto any background like the warp
renderer's.

Discriminators: D_A judges whether (reference, image) show the same character (appearance);
D_S judges whether (target pose, image) agree (shape). Both are PatchGAN classifiers.

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from r2a_utils.skeleton import NUM_JOINTS


def pose_heatmaps(kps: torch.Tensor, size: tuple[int, int], sigma: float) -> torch.Tensor:
    """Gaussian heatmaps ``(N, 18, H, W)`` for keypoints ``(N, 18, 3)`` in pixels of a (W, H) canvas.

    A joint that is absent (NaN, or confidence 0) gives an all-zero channel, the way PATN
    encodes joints OpenPose did not find.
    """
    w, h = size
    k = kps.to(torch.float32)
    present = torch.isfinite(k[..., :2]).all(-1) & (torch.nan_to_num(k[..., 2]) > 0)
    xy = torch.nan_to_num(k[..., :2], nan=-1e4)
    ys = torch.arange(h, dtype=torch.float32, device=k.device).view(1, 1, h, 1)
    xs = torch.arange(w, dtype=torch.float32, device=k.device).view(1, 1, 1, w)
    d2 = (xs - xy[..., 0, None, None]) ** 2 + (ys - xy[..., 1, None, None]) ** 2
    return torch.exp(-d2 / (2 * sigma ** 2)) * present[..., None, None]


def _norm(ch: int) -> nn.Module:
    # Instance norm: the output of one frame never depends on the rest of the batch, so
    # training batches, one-frame inference and DDP shards all behave the same.
    return nn.InstanceNorm2d(ch, affine=True)


def _conv_block(cin: int, cout: int, stride: int = 1, k: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), _norm(cout), nn.ReLU(inplace=True))


class PATBlock(nn.Module):
    """One Pose-Attentional Transfer block.

    The pose stream computes an attention mask ``M = sigmoid(conv_P(F_P))``; the image code
    is updated residually, ``F_S' = F_S + conv_S(F_S) * M``, so the block only changes the
    appearance where the pose says something moves. The pose stream then sees the updated
    image code (concatenated), which is how the original lets the two streams talk.
    """

    def __init__(self, ch: int, pose_in: int):
        super().__init__()
        self.image = nn.Sequential(_conv_block(ch, ch), nn.Conv2d(ch, ch, 3, 1, 1, bias=False), _norm(ch))
        self.pose = nn.Sequential(_conv_block(pose_in, ch), nn.Conv2d(ch, ch, 3, 1, 1, bias=False), _norm(ch))

    def forward(self, f_img: torch.Tensor, f_pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        p = self.pose(f_pose)
        attention = torch.sigmoid(p)
        out = f_img + self.image(f_img) * attention
        return out, torch.cat([p, out], dim=1), attention


class PATNGenerator(nn.Module):
    """(reference RGB, reference pose heatmaps, target pose heatmaps) -> target RGBA.

    Args:
        ngf: channels after the first convolution; doubled at every downsampling.
        n_down: downsampling steps (2 for 128x96, 2-3 for 256x192).
        n_blocks: PAT blocks (the report uses 9 at 256x176; 4-6 suffice at CPU size).
    Returns (forward):
        ``(rgb in [-1, 1] (N, 3, H, W), alpha in [0, 1] (N, 1, H, W))``.
    """

    def __init__(self, ngf: int = 32, n_down: int = 2, n_blocks: int = 5):
        super().__init__()

        def encoder(cin: int, k: int) -> nn.Sequential:
            layers = [nn.Conv2d(cin, ngf, k, 1, k // 2, bias=False), _norm(ngf), nn.ReLU(inplace=True)]
            for i in range(n_down):
                layers.append(_conv_block(ngf * 2 ** i, ngf * 2 ** (i + 1), stride=2))
            return nn.Sequential(*layers)

        ch = ngf * 2 ** n_down
        self.image_encoder = encoder(3, 7)
        # heatmaps are smooth already: a 3x3 first layer sees enough of them, at a fifth of
        # the cost of PATN's 7x7 on 36 channels (the most expensive layer on a CPU otherwise)
        self.pose_encoder = encoder(2 * NUM_JOINTS, 3)
        self.blocks = nn.ModuleList(PATBlock(ch, ch if i == 0 else 2 * ch) for i in range(n_blocks))
        up = []
        for i in range(n_down, 0, -1):
            up += [nn.Upsample(scale_factor=2, mode="nearest"), _conv_block(ngf * 2 ** i, ngf * 2 ** (i - 1))]
        self.decoder = nn.Sequential(*up)
        self.to_rgba = nn.Conv2d(ngf, 4, 7, 1, 3)
        self.attention: list[torch.Tensor] = []  # last forward's masks, for the notebook figure

    def forward(self, reference: torch.Tensor, ref_pose: torch.Tensor,
                target_pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f_img = self.image_encoder(reference)
        f_pose = self.pose_encoder(torch.cat([ref_pose, target_pose], dim=1))
        self.attention = []
        for block in self.blocks:
            f_img, f_pose, att = block(f_img, f_pose)
            self.attention.append(att.detach())
        y = self.to_rgba(self.decoder(f_img))
        return torch.tanh(y[:, :3]), torch.sigmoid(y[:, 3:])


class PatchDiscriminator(nn.Module):
    """PatchGAN: a map of real/fake scores, one per overlapping patch, for a condition + image pair."""

    def __init__(self, cin: int, ndf: int = 32, n_layers: int = 3):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(cin, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        ch = ndf
        for i in range(1, n_layers):
            nxt = min(ndf * 2 ** i, 8 * ndf)
            layers += [nn.Conv2d(ch, nxt, 4, 2 if i < n_layers - 1 else 1, 1, bias=False), _norm(nxt),
                       nn.LeakyReLU(0.2, inplace=True)]
            ch = nxt
        layers.append(nn.Conv2d(ch, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([condition, image], dim=1))


def count_parameters(module: nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def composite_white(rgb: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The RGBA output laid on a white page, in [-1, 1] (what losses and metrics compare)."""
    return rgb * alpha + (1 - alpha)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """``(N, C, H, W)`` in [-1, 1] (or [0, 1] for one channel alpha) -> ``(N, H, W, C)`` uint8."""
    y = x.detach().float().cpu()
    if y.shape[1] == 3:
        y = (y + 1) / 2
    return (y.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def from_uint8(img: np.ndarray) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 -> ``(N, 3, H, W)`` float in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(img)).float().permute(0, 3, 1, 2)
    return x / 127.5 - 1
