"""Stage 2b: pose of an anime character image, from a small heatmap network.

Human pose models miss on drawings (big heads, short limbs, flat colours). This network is
trained on Stage 1's procedural characters, which come with exact keypoints, under strong
augmentation (scale, rotation, left/right flips with joint swap, colour jitter, random
backgrounds, occluders). Architecture: a torchvision MobileNetV3-small trunk (no downloaded
weights) up to stride 16, a small feature pyramid back to stride 4, a first heatmap head and
one refinement stage that sees the features and the first heatmaps, in the spirit of the
report's GCCPM (a lightweight convolutional pose machine). Both stages are supervised.

Small trained weights ship in ``r2a_utils/weights/anime_pose.pt`` so inference works
offline; ``train_anime_pose`` reproduces them (``AnimePoseConfig()``, CPU-sized) and a
bigger ``gpu()`` config is there for Colab.

Taught in notebooks/02_pose_estimation.ipynb (anime part) and notebooks/03_normalization.ipynb.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from r2a_utils.characters.motion import Motion, layout_for_character, random_pose
from r2a_utils.characters.render import render_character
from r2a_utils.characters.spec import random_character
from r2a_utils.config import StageConfig, pick_device
from r2a_utils.errors import InputFileError
from r2a_utils.skeleton import FLIP_INDEX, J, JOINTS, NUM_JOINTS, KeypointError, missing_joints, transform_keypoints

WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "anime_pose.pt"
HELD_OUT_SEED = 1_000_000  # characters from this seed on are never trained on
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


class CharacterImageError(InputFileError, ValueError):
    """A character image that cannot be used as given; names the file and what to do."""


@dataclasses.dataclass(frozen=True)
class AnimePoseConfig(StageConfig):
    """Network size, synthetic data and training schedule. Saved inside the weights file."""

    input_size: int = 128  # square input; heatmaps at a quarter of it
    width: int = 64  # channels of the decoder and refinement stage
    sigma: float = 1.5  # heatmap Gaussian, in heatmap cells
    steps: int = 4000
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    num_train_characters: int = 100_000  # seeds 0 .. n-1; the held-out set starts at HELD_OUT_SEED
    device: str = "auto"
    min_confidence: float = 0.25  # below this a joint is reported as not found
    human_model_confidence: float = 0.95  # mediapipe's answer is considered when its body joints average this

    SMOKE_OVERRIDES = {"steps": 6, "batch_size": 4}

    def gpu(self) -> AnimePoseConfig:
        """The Colab/GPU size: larger input, wider decoder, longer schedule."""
        return self.replace(input_size=256, width=96, steps=30000, batch_size=64)


# ---------------------------------------------------------------- network
def _conv(cin: int, cout: int, k: int = 3, dilation: int = 1):
    import torch.nn as nn

    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=dilation * (k // 2), dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def build_model(cfg: AnimePoseConfig):
    """``AnimePoseNet``: image ``(N, 3, S, S)`` -> two heatmap stages ``(N, 18, S/4, S/4)``."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torchvision.models import mobilenet_v3_small

    class AnimePoseNet(nn.Module):
        def __init__(self, width: int):
            super().__init__()
            trunk = mobilenet_v3_small(weights=None).features  # no download: trained from scratch
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


# ---------------------------------------------------------------- synthetic training data
def _background(rng: np.random.Generator, s: int) -> np.ndarray:
    """Plain, gradient, noisy or cluttered backgrounds, so the net learns the character, not the canvas."""
    kind = rng.integers(4)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    if kind == 0:
        bg = np.broadcast_to(c0, (s, s, 3)).astype(np.float32)
    else:
        t = np.linspace(0, 1, s, dtype=np.float32)[:, None, None]
        bg = (c0 * (1 - t) + c1 * t) * np.ones((s, s, 3), np.float32)
        if rng.random() < 0.5:
            bg = bg.transpose(1, 0, 2).copy()
    if kind == 2:
        bg += rng.normal(0, 18, (s, s, 3)).astype(np.float32)
    if kind == 3:
        for _ in range(rng.integers(3, 9)):
            color = tuple(int(v) for v in rng.integers(0, 256, 3))
            p = rng.integers(0, s, 2)
            if rng.random() < 0.5:
                cv2.circle(bg, tuple(int(v) for v in p), int(rng.integers(4, s // 4)), color, -1)
            else:
                q = p + rng.integers(-s // 3, s // 3, 2)
                cv2.rectangle(bg, tuple(int(v) for v in p), tuple(int(v) for v in q), color, -1)
    return np.clip(bg, 0, 255)


def synth_sample(rng: np.random.Generator, cfg: AnimePoseConfig, seed: int | None = None,
                 augment: bool = True) -> tuple[np.ndarray, np.ndarray, float]:
    """One training image: a procedural character in a random pose, augmented.

    Returns:
        ``(image (S, S, 3) uint8, keypoints (18, 3) in image pixels, head segment px)``; the
        head segment (neck to head centre) is what PCKh is normalized by. Joints pushed out of
        the picture by augmentation have confidence 0.
    """
    s = cfg.input_size
    spec = random_character(int(seed if seed is not None else rng.integers(cfg.num_train_characters)))
    pose = random_pose(rng, spec.rest_pose())
    track = layout_for_character(Motion(pose[None], 24.0, "pose"), spec, (s, s), margin=0.04)
    res = render_character(spec, track.keypoints[0], (s, s), track.scale, track.depth[0])
    rgba = res.rgba.astype(np.float32)
    kps = track.keypoints[0].astype(np.float32).copy()
    head = float(spec.head * track.scale * 0.55)
    if augment:
        zoom = rng.uniform(0.55, 1.05)
        angle = rng.uniform(-25, 25)
        centre = np.array([s / 2, s / 2]) + rng.uniform(-0.15, 0.15, 2) * s
        m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, zoom)
        m[:, 2] += np.array([s / 2, s / 2]) - centre
        rgba = cv2.warpAffine(rgba, m, (s, s), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
        kps = transform_keypoints(kps, m)
        head *= zoom
        if rng.random() < 0.5:
            rgba = rgba[:, ::-1].copy()
            kps = kps[list(FLIP_INDEX)].copy()
            kps[:, 0] = s - 1 - kps[:, 0]
        bg = _background(rng, s)
    else:
        bg = np.full((s, s, 3), 255.0, np.float32)
    a = rgba[..., 3:4] / 255.0
    img = rgba[..., :3] * a + bg * (1 - a)
    if augment:
        img = img * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)  # contrast and brightness
        img = img * rng.uniform(0.85, 1.15, 3)  # colour balance
        if rng.random() < 0.25:
            img = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)  # line art / manga
        if rng.random() < 0.3:  # an occluder over part of the body
            p = kps[rng.integers(NUM_JOINTS), :2]
            half = rng.uniform(0.04, 0.12, 2) * s
            x0, y0 = (p - half).astype(int)
            x1, y1 = (p + half).astype(int)
            img[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = rng.integers(0, 256, 3)
        if rng.random() < 0.3:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.2))
    inside = (kps[:, 0] >= 0) & (kps[:, 0] < s) & (kps[:, 1] >= 0) & (kps[:, 1] < s)
    kps[:, 2] = inside.astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), kps, head


def _to_tensor(images: np.ndarray):
    import torch

    x = (images.astype(np.float32) / 255.0 - _MEAN) / _STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def _heatmaps(kps: np.ndarray, cfg: AnimePoseConfig) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian targets ``(N, 18, S/4, S/4)`` and a per-joint weight (0 outside the image)."""
    hs = cfg.input_size // 4
    g = np.arange(hs, dtype=np.float32)
    cx = (kps[..., 0] - 1.5) / 4  # heatmap cell i covers input pixels 4i .. 4i + 3
    cy = (kps[..., 1] - 1.5) / 4
    hx = np.exp(-((g[None, None, :] - cx[..., None]) ** 2) / (2 * cfg.sigma ** 2))
    hy = np.exp(-((g[None, None, :] - cy[..., None]) ** 2) / (2 * cfg.sigma ** 2))
    maps = hy[..., :, None] * hx[..., None, :]
    return maps.astype(np.float32), kps[..., 2].astype(np.float32)


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


# ---------------------------------------------------------------- training
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
        start = torch.load(init_weights, map_location="cpu", weights_only=True)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in start["model"].items()})
        history = list(start.get("history", []))
        first = history[-1]["step"] if history else 0
        t0 -= history[-1]["seconds"] if history else 0
    model = model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(cfg.steps, 2), pct_start=0.1)
    model.train()
    for step in tqdm(range(1, cfg.steps + 1), desc="train anime pose", disable=not progress):
        samples = [synth_sample(rng, cfg) for _ in range(cfg.batch_size)]
        x = _to_tensor(np.stack([s[0] for s in samples])).to(device)
        target, weight = _heatmaps(np.stack([s[1] for s in samples]), cfg)
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
    state = {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
             for k, v in model.state_dict().items()}  # fp16 keeps the shipped file small
    ckpt = {"format": "r2a-anime-pose-v1", "config": cfg.to_dict(), "model": state, "history": history,
            "init_weights": str(init_weights) if init_weights is not None else None}
    if out_path is not None:
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_suffix(".tmp")
        torch.save(ckpt, tmp)
        os.replace(tmp, out_path)
    return ckpt


# ---------------------------------------------------------------- input hygiene
def load_character_image(image: str | os.PathLike | np.ndarray | Image.Image, max_side: int = 2048,
                         background: tuple[int, int, int] = (255, 255, 255)) -> tuple[np.ndarray, np.ndarray | None]:
    """Any character picture -> ``(RGB uint8, alpha or None)``.

    RGBA and LA are composited on white (alpha kept for cut-outs), palette images with
    transparency likewise, grayscale / CMYK / 16-bit converted, EXIF rotation applied, and
    huge images shrunk so the longer side is at most ``max_side``.
    """
    from PIL import ImageOps, UnidentifiedImageError

    path = None
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.exists():
            raise CharacterImageError(path, "file not found")
        if path.stat().st_size == 0:
            raise CharacterImageError(path, "file is empty (0 bytes)")
        try:
            im = Image.open(path)
            im.load()
        except (UnidentifiedImageError, OSError) as e:
            raise CharacterImageError(path, f"not a readable image ({e.__class__.__name__})") from None
        im = ImageOps.exif_transpose(im)
    elif isinstance(image, np.ndarray):
        arr = image
        if arr.dtype != np.uint8:
            arr = np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[..., 0]
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
            raise CharacterImageError(None, f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got {image.shape}")
        im = Image.fromarray(arr)
    else:
        im = image
    if im.width < 16 or im.height < 16:
        raise CharacterImageError(path, f"too small ({im.width}x{im.height}); give at least 64 pixels a side")
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float32)
        im = Image.fromarray((a / max(a.max(), 1) * 255).astype(np.uint8))
    if im.mode == "LA":
        im = im.convert("RGBA")
    if max(im.size) > max_side:
        k = max_side / max(im.size)
        im = im.resize((max(1, round(im.width * k)), max(1, round(im.height * k))), Image.LANCZOS)
    alpha = None
    if im.mode == "RGBA":
        rgba = np.asarray(im)
        alpha = rgba[..., 3].copy()
        if alpha.min() == 255:
            alpha = None
        a = rgba[..., 3:4].astype(np.float32) / 255.0
        rgb = (rgba[..., :3] * a + np.array(background) * (1 - a)).astype(np.uint8)
    else:
        rgb = np.asarray(im.convert("RGB"))  # L, CMYK, YCbCr, F ...
    if alpha is not None and alpha.max() == 0:
        raise CharacterImageError(path, "fully transparent: nothing to see")
    return np.ascontiguousarray(rgb), alpha


def foreground_box(rgb: np.ndarray, alpha: np.ndarray | None = None, pad: float = 0.06) -> tuple[int, int, int, int]:
    """Box ``(x0, y0, x1, y1)`` around the character: from alpha, or from pixels that differ
    from the border colour (plain backgrounds); the whole image when neither works."""
    h, w = rgb.shape[:2]
    if alpha is not None:
        mask = alpha > 16
    else:
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.int16)
        bg = np.median(border, axis=0)
        spread = np.abs(border - bg).sum(1)
        if np.percentile(spread, 80) > 40:  # busy border: not a plain background
            return 0, 0, w, h
        mask = np.abs(rgb.astype(np.int16) - bg).sum(2) > 40
        mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    ys, xs = np.nonzero(mask)
    if len(xs) < 0.002 * h * w:
        return 0, 0, w, h
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    p = int(pad * max(x1 - x0, y1 - y0))
    return max(0, x0 - p), max(0, y0 - p), min(w, x1 + p), min(h, y1 + p)


# ---------------------------------------------------------------- inference
class AnimePoseEstimator:
    """The trained network behind ``estimate(images) -> (N, 18, 3)`` (same interface as the
    human estimator); ``estimate_image`` takes a file or array and handles odd inputs."""

    def __init__(self, weights: str | os.PathLike | None = None, device: str = "auto", flip_test: bool = True,
                 use_human_model: bool = True):
        import torch

        self.flip_test = flip_test
        self.use_human_model = use_human_model
        self._human = None
        self.last_source = None
        path = Path(weights) if weights is not None else WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"{path}: anime pose weights not found; train them with "
                                    f"r2a_utils.pose.anime.train_anime_pose (notebook 03)")
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
            self.cfg = AnimePoseConfig.from_dict(ckpt["config"])
            model = build_model(self.cfg)
            model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["model"].items()})
        except Exception as e:  # any failure to read it means the same thing to the user
            raise ValueError(f"{path}: not a usable anime pose checkpoint ({e.__class__.__name__}: "
                             f"{str(e)[:120]})") from None
        self.device = pick_device(device)
        self.model = model.to(self.device).eval()
        self.history = ckpt.get("history", [])
        self.path = path

    def close(self) -> None:
        """Release the mediapipe graph used for the human-model check (if one was started)."""
        if self._human is not None:
            self._human.close()
            self._human = None

    def __enter__(self) -> AnimePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, images: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """Keypoints ``(N, 18, 3)`` for square RGB images of the network's input size."""
        import torch

        batch = np.stack([np.asarray(i) for i in images])
        s = self.cfg.input_size
        if batch.shape[1:] != (s, s, 3):
            raise ValueError(f"estimate: expected (N, {s}, {s}, 3) RGB, got {batch.shape}; "
                             f"use estimate_image for arbitrary pictures")
        with torch.inference_mode():
            x = _to_tensor(batch).to(self.device)
            _, h2 = self.model(x)
            if self.flip_test:  # average with the mirrored picture's heatmaps, left/right swapped back
                _, hf = self.model(torch.flip(x, dims=[3]))
                h2 = (h2 + torch.flip(hf, dims=[3])[:, list(FLIP_INDEX)]) / 2
        kps = decode_heatmaps(h2.float().cpu().numpy())
        kps[kps[..., 2] < self.cfg.min_confidence] = np.nan
        return kps

    def estimate_image(self, image: str | os.PathLike | np.ndarray | Image.Image,
                       use_human_model: bool | None = None) -> np.ndarray:
        """Pose ``(18, 3)`` of the character in any picture, in that picture's pixels.

        The character is cut to its box (alpha or plain background) and letterboxed to the
        network's square input; absent joints are NaN. With ``use_human_model`` (default: the
        estimator's setting) mediapipe's human model also looks at the picture, and its answer
        wins when it is confident and plausible: it is the better model for drawings with
        near-human proportions, ours for stylised (big-head, short-limb) characters.
        """
        rgb, alpha = load_character_image(image)
        box = foreground_box(rgb, alpha)
        x0, y0, x1, y1 = box
        crop = rgb[y0:y1, x0:x1]
        s = self.cfg.input_size
        k = s / max(crop.shape[:2])
        nw, nh = max(1, round(crop.shape[1] * k)), max(1, round(crop.shape[0] * k))
        canvas = np.full((s, s, 3), 255, np.uint8)
        ox, oy = (s - nw) // 2, (s - nh) // 2
        canvas[oy:oy + nh, ox:ox + nw] = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
        kps = self.estimate(canvas[None])[0]
        kps[:, 0] = (kps[:, 0] - ox) / k + x0
        kps[:, 1] = (kps[:, 1] - oy) / k + y0
        self.last_source = "anime network"
        if self.use_human_model if use_human_model is None else use_human_model:
            human = self._human_pose(rgb)
            if human is not None and plausible_standing_pose(human, box) and _legs_agree(human, kps):
                self.last_source = "mediapipe human model"
                return human
        return kps

    def _human_pose(self, rgb: np.ndarray) -> np.ndarray | None:
        """mediapipe on the picture, or None when it is not confident about the whole body."""
        from r2a_utils.pose.human import HumanPoseEstimator

        if self._human is None:
            self._human = HumanPoseEstimator()
        kps = self._human.estimate_images([rgb])[0]
        body = [J[n] for n in JOINTS[:14]]
        conf = kps[body, 2]
        if np.isnan(conf).any() or conf.mean() < self.cfg.human_model_confidence:
            return None
        return kps


def _legs_agree(a: np.ndarray, b: np.ndarray, tolerance: float = 0.15) -> bool:
    """Do two estimates put hips, knees and ankles within ``tolerance`` of the nose-to-ankle span?"""
    legs = [J[f"{s}_{n}"] for s in ("right", "left") for n in ("hip", "knee", "ankle")]
    height = np.nanmax(a[:14, 1]) - np.nanmin(a[:14, 1])
    d = np.linalg.norm(a[legs, :2] - b[legs, :2], axis=-1)
    return bool(np.isfinite(d).all() and height > 0 and (d <= tolerance * height).all())


def plausible_standing_pose(kps: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """A sanity check for a character picture's pose: every body joint inside the character's
    box, head above neck above hips above ankles, shoulders and hips on the sides they should be
    (left/right may both be mirrored, as in a back view, but not crossed one way and not the other)."""
    x0, y0, x1, y1 = box
    body = kps[:14, :2]
    if np.isnan(body).any():
        return False
    pad = 0.05 * max(x1 - x0, y1 - y0)
    if ((body[:, 0] < x0 - pad) | (body[:, 0] > x1 + pad) | (body[:, 1] < y0 - pad) | (body[:, 1] > y1 + pad)).any():
        return False
    y = lambda n: kps[J[n], 1]  # noqa: E731
    mid_hip = (y("right_hip") + y("left_hip")) / 2
    ankles = (y("right_ankle") + y("left_ankle")) / 2
    if not (y("nose") < y("neck") < mid_hip < ankles):
        return False
    shoulders = np.sign(kps[J["left_shoulder"], 0] - kps[J["right_shoulder"], 0])
    hips = np.sign(kps[J["left_hip"], 0] - kps[J["right_hip"], 0])
    return bool(shoulders == hips != 0)


def require_confident_pose(kps: np.ndarray, path: str | os.PathLike | None = None,
                           required: Sequence[str] = ("neck", "right_shoulder", "left_shoulder", "right_hip",
                                                      "left_hip")) -> np.ndarray:
    """Raise ``CharacterImageError`` pointing to a joints file when body joints are missing."""
    missing = missing_joints(kps, required)
    if missing:
        raise CharacterImageError(path, f"no confident pose found (missing {', '.join(missing)}); place the "
                                        f"joints in the joints editor (demo app: 'Character joints'; notebooks: "
                                        f"r2a_utils.joints.joints_widget) and pass the saved joints file")
    return kps


# ---------------------------------------------------------------- evaluation
def procedural_test_set(n: int = 200, cfg: AnimePoseConfig = AnimePoseConfig(), seed: int = 12345):
    """``n`` held-out characters (seeds from ``HELD_OUT_SEED``) in random poses, augmented like
    training (backgrounds, scale, rotation, occluders). Returns images, keypoints, head sizes."""
    rng = np.random.default_rng(seed)
    samples = [synth_sample(rng, cfg, seed=HELD_OUT_SEED + i) for i in range(n)]
    return (np.stack([s[0] for s in samples]), np.stack([s[1] for s in samples]),
            np.array([s[2] for s in samples], np.float32))


def evaluate_procedural(estimator, n: int = 200, alpha: float = 0.5, seed: int = 12345,
                        input_size: int | None = None) -> dict:
    """PCKh@alpha on ``n`` held-out procedural characters.

    ``estimator`` is anything with ``estimate(images) -> (N, 18, 3)`` or that function itself
    (e.g. ``HumanPoseEstimator().estimate_images`` for the mediapipe baseline).
    """
    from r2a_utils.metrics import pckh

    cfg = getattr(estimator, "cfg", AnimePoseConfig())
    cfg = cfg.replace(input_size=input_size) if input_size else cfg
    estimate = estimator.estimate if hasattr(estimator, "estimate") else estimator
    images, gt, head = procedural_test_set(n, cfg, seed)
    gt = gt.copy()
    gt[gt[..., 2] <= 0] = np.nan  # joints pushed out of the picture are not scored
    preds = np.concatenate([estimate(images[i:i + 50]) for i in range(0, n, 50)])
    score, per_joint = pckh(preds, gt, head, alpha)
    found = ~np.isnan(preds[..., 0]) & ~np.isnan(gt[..., 0])
    return {"pckh": score, "per_joint": per_joint.tolist(),
            "found": float(found.sum() / (~np.isnan(gt[..., 0])).sum()), "images": n}


def load_anime_drawings(json_path: str | os.PathLike) -> list[dict]:
    """Anime Drawings Dataset annotations (train/val/test json) in the kit's layout.

    Each entry: ``file_name`` (``data/images/<post id>.jpg`` upstream), ``keypoints`` ``(18, 3)``
    and ``head`` ``(2,)`` in the pixels of the image shrunk to fit 800x600 (the dataset's
    convention), and that ``size``. Eyes and ears are not annotated and stay NaN.
    """
    from r2a_utils.skeleton import anime_drawings_head, from_anime_drawings

    path = Path(json_path)
    try:
        entries = json.loads(path.read_text())
        return [{"file_name": e["file_name"], "keypoints": from_anime_drawings(e["points"]),
                 "head": anime_drawings_head(e["points"]), "size": (int(e["width"]), int(e["height"]))}
                for e in entries]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise KeypointError(f"{path}: not an Anime Drawings Dataset annotation file ({e.__class__.__name__}: {e})") from None


def evaluate_anime_drawings(estimator, entries: list[dict], images_root: str | os.PathLike,
                            alpha: float = 0.5) -> dict:
    """PCKh@alpha on the Anime Drawings Dataset images found under ``images_root``.

    The head segment is the annotated head-neck distance, as in the dataset's paper. Images
    are looked up by ``file_name`` (and by its base name); missing ones are counted, not scored.
    """
    from r2a_utils.metrics import pckh

    root = Path(images_root)
    preds, gts, heads, missing = [], [], [], 0
    for e in entries:
        f = next((c for c in (root / e["file_name"], root / Path(e["file_name"]).name) if c.exists()), None)
        if f is None:
            missing += 1
            continue
        rgb, _ = load_character_image(f)
        k = e["size"][0] / rgb.shape[1]  # annotations live in the image shrunk to fit 800x600
        pred = estimator.estimate_image(rgb)
        pred[:, :2] *= k
        preds.append(pred)
        gts.append(e["keypoints"])
        heads.append(np.linalg.norm(e["head"] - e["keypoints"][J["neck"], :2]))
    if not preds:
        return {"pckh": float("nan"), "images": 0, "missing": missing}
    return {"pckh": pckh(np.stack(preds), np.stack(gts), np.array(heads), alpha)[0], "images": len(preds),
            "missing": missing}


def main(argv: list[str] | None = None) -> int:
    """``python -m r2a_utils.pose.anime train|eval``: reproduce or score the shipped weights."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m r2a_utils.pose.anime")
    ap.add_argument("cmd", choices=["train", "eval"])
    ap.add_argument("--out", default=str(WEIGHTS), help="where train writes the weights")
    ap.add_argument("--weights", default=None, help="weights to evaluate (default: the shipped ones)")
    ap.add_argument("--config", default=None, help="YAML of AnimePoseConfig keys to change")
    ap.add_argument("--gpu-config", action="store_true", help="the bigger Colab/GPU schedule")
    ap.add_argument("--init", default=None, help="start training from these weights (fine-tuning)")
    a = ap.parse_args(argv)
    if a.cmd == "train":
        cfg = AnimePoseConfig()
        cfg = cfg.gpu() if a.gpu_config else cfg
        cfg = cfg.overlay(a.config) if a.config else cfg
        ckpt = train_anime_pose(cfg, a.out, on_log=lambda e: print(json.dumps(e), flush=True), init_weights=a.init)
        print(f"saved {a.out} after {ckpt['history'][-1]['seconds']} s")
    res = evaluate_procedural(AnimePoseEstimator(a.out if a.cmd == "train" else a.weights))
    print(f"PCKh@0.5 on 200 held-out procedural characters: {res['pckh']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
