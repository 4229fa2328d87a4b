"""Domain randomisation for the anime pose network: the backgrounds a character is pasted on,
the drawing styles a picture is turned into, and real people from real videos.

The procedural characters are clean vector drawings; real anime pictures are scans,
watercolours, screen tones, JPEGs, line art and busy scenes. Training only on the first
teaches the network the renderer, not the character. So every training picture gets a
random background (flat, gradient, noise, low-frequency colour clouds, a procedural scene,
hand lettering, or a patch of a real video frame away from its person) and a random style
(hue, posterisation, line art only, halftone screen, blur, resolution loss, JPEG).

Real human frames with mediapipe's keypoints as labels (``RealPeople``) are the honest way
to show the network real images: they come from the videos in the kit's data folder, never
from the anime drawings the network is scored on.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from r2a_utils.skeleton import J, JOINTS

_LETTERS = "ABCDEFGHKMNPRSTWXYZ!?#&@"


def _color(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, 3).astype(np.float32)


def clouds(rng: np.random.Generator, s: int, cells: int | None = None) -> np.ndarray:
    """Low-frequency colour noise: watercolour washes, bokeh, blurred scenery."""
    n = int(cells or rng.integers(2, 9))
    small = rng.uniform(0, 255, (n, n, 3)).astype(np.float32)
    return cv2.resize(small, (s, s), interpolation=cv2.INTER_CUBIC)


def scene(rng: np.random.Generator, s: int) -> np.ndarray:
    """A rough procedural scene: sky, ground, buildings or trees, windows, a horizon."""
    sky0, sky1 = _color(rng), _color(rng)
    t = np.linspace(0, 1, s, dtype=np.float32)[:, None, None]
    img = (sky0 * (1 - t) + sky1 * t) * np.ones((s, s, 3), np.float32)
    horizon = int(rng.uniform(0.45, 0.85) * s)
    img[horizon:] = _color(rng) * rng.uniform(0.5, 1.0)
    for _ in range(int(rng.integers(2, 8))):
        x = int(rng.integers(-s // 8, s))
        w, h = int(rng.integers(s // 12, s // 3)), int(rng.integers(s // 8, int(s * 0.7)))
        col = tuple(float(v) for v in _color(rng))
        if rng.random() < 0.5:  # building with windows
            cv2.rectangle(img, (x, horizon - h), (x + w, horizon), col, -1)
            win = tuple(float(v) for v in _color(rng))
            for wy in range(horizon - h + 4, horizon - 6, max(6, h // 6)):
                cv2.rectangle(img, (x + 3, wy), (x + w - 3, wy + max(2, h // 16)), win, -1)
        else:  # tree
            cv2.line(img, (x, horizon), (x, horizon - h // 2), (60, 45, 30), max(1, w // 6))
            cv2.circle(img, (x, horizon - h // 2), max(3, w // 2), col, -1)
    return img


def lettering(img: np.ndarray, rng: np.random.Generator) -> None:
    """Hand lettering and sound effects over the picture, as in manga and fan art (in place)."""
    s = img.shape[0]
    for _ in range(int(rng.integers(1, 5))):
        text = "".join(rng.choice(list(_LETTERS), int(rng.integers(1, 5))))
        scale = rng.uniform(0.6, 2.5) * s / 256
        org = (int(rng.integers(0, s)), int(rng.integers(s // 8, s)))
        col = tuple(float(v) for v in (_color(rng) if rng.random() < 0.5 else np.full(3, rng.uniform(0, 80))))
        cv2.putText(img, text, org, int(rng.choice([0, 2, 3, 6])), scale, col, max(1, int(scale * 2)), cv2.LINE_AA)


def background(rng: np.random.Generator, s: int, frames: list[np.ndarray] | None = None) -> np.ndarray:
    """A random ``(s, s, 3)`` float background; ``frames`` are real backdrops to draw from."""
    kind = rng.choice(["flat", "gradient", "noise", "shapes", "clouds", "scene", "paper", "real"],
                      p=[0.16, 0.12, 0.06, 0.12, 0.16, 0.14, 0.09, 0.15])
    if kind == "real" and not frames:
        kind = "clouds"
    c0, c1 = _color(rng), _color(rng)
    if kind == "flat":
        bg = np.broadcast_to(c0, (s, s, 3)).astype(np.float32).copy()
    elif kind == "paper":  # off-white with fibre noise
        bg = np.full((s, s, 3), rng.uniform(225, 255), np.float32) - np.abs(rng.normal(0, 6, (s, s, 1)))
        bg = np.repeat(bg, 3, axis=2) if bg.shape[2] == 1 else bg
    elif kind == "clouds":
        bg = clouds(rng, s)
    elif kind == "scene":
        bg = scene(rng, s)
    elif kind == "real":
        f = frames[int(rng.integers(len(frames)))]
        k = s / min(f.shape[:2]) * rng.uniform(1.0, 2.0)
        g = cv2.resize(f, (max(s, round(f.shape[1] * k)), max(s, round(f.shape[0] * k))))
        y, x = int(rng.integers(0, g.shape[0] - s + 1)), int(rng.integers(0, g.shape[1] - s + 1))
        bg = g[y:y + s, x:x + s].astype(np.float32)
    else:
        t = np.linspace(0, 1, s, dtype=np.float32)[:, None, None]
        bg = (c0 * (1 - t) + c1 * t) * np.ones((s, s, 3), np.float32)
        if rng.random() < 0.5:
            bg = bg.transpose(1, 0, 2).copy()
        if kind == "noise":
            bg += rng.normal(0, 18, (s, s, 3)).astype(np.float32)
        if kind == "shapes":
            for _ in range(int(rng.integers(3, 12))):
                col = tuple(float(v) for v in _color(rng))
                p = rng.integers(0, s, 2)
                if rng.random() < 0.5:
                    cv2.circle(bg, (int(p[0]), int(p[1])), int(rng.integers(4, s // 4)), col, -1)
                else:
                    q = p + rng.integers(-s // 3, s // 3, 2)
                    cv2.rectangle(bg, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), col, -1)
    if rng.random() < 0.2:
        lettering(bg, rng)
    return np.clip(bg, 0, 255).astype(np.float32)


def line_art(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Only the drawing's lines, dark on paper: dark pixels and colour edges become ink."""
    gray = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(gray, 40, 120) > 0
    ink = (gray < rng.uniform(50, 90)) | edges
    paper = rng.uniform(220, 255)
    out = np.where(ink[..., None], rng.uniform(0, 60), paper).astype(np.float32)
    return np.repeat(out, 3, axis=2) if out.shape[2] == 1 else out


def halftone(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A manga screen tone: grey levels become dots of a regular screen."""
    s = img.shape[0]
    gray = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    period = rng.uniform(3, 6)
    y, x = np.mgrid[0:s, 0:s].astype(np.float32)
    screen = (np.sin(x * 2 * np.pi / period) * np.sin(y * 2 * np.pi / period) + 1) / 2
    out = np.where(gray > screen * 0.9 + 0.05, 255.0, 20.0).astype(np.float32)
    out = np.where(gray < 0.2, 20.0, out)
    return np.repeat(out[..., None], 3, axis=2)


def restyle(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random drawing-style and camera damage on a float RGB picture."""
    r = rng.random()
    if r < 0.08:
        img = line_art(img, rng)
    elif r < 0.13:
        img = halftone(img, rng)
    elif r < 0.3:
        img = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)  # greyscale / manga
    if rng.random() < 0.35:  # hue and saturation
        hsv = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(0, 180)) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.4, 1.4), 0, 255)
        img = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    img = img * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)  # contrast and brightness
    img = img * rng.uniform(0.85, 1.15, 3)  # colour balance
    if rng.random() < 0.15:  # posterise
        q = rng.uniform(32, 85)
        img = np.floor(np.clip(img, 0, 255) / q) * q + q / 2
    if rng.random() < 0.25:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.3))
    if rng.random() < 0.2:  # resolution loss
        s = img.shape[0]
        k = rng.uniform(0.35, 0.7)
        img = cv2.resize(cv2.resize(img, (max(8, int(s * k)),) * 2, interpolation=cv2.INTER_AREA), (s, s))
    if rng.random() < 0.15:
        img = img + rng.normal(0, rng.uniform(3, 12), img.shape).astype(np.float32)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", np.clip(img, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY,
                                                                               int(rng.integers(15, 80))])
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED).astype(np.float32)
    return img


class RealPeople:
    """Real video frames for training: people with mediapipe's keypoints as labels, and
    backdrops cut from the same frames away from the person.

    Built from every video in ``folder`` (mediapipe's results are cached by
    ``estimate_video_cached``). Only frames where mediapipe is confident about all 14 body
    joints are kept; crops are stored at most ``max_side`` pixels high, so memory stays small.
    """

    def __init__(self, folder: str | os.PathLike, max_side: int = 320, min_confidence: float = 0.6,
                 every: int = 2):
        from r2a_utils.pose.track import estimate_video_cached
        from r2a_utils.video import VideoReader

        self.crops: list[tuple[np.ndarray, np.ndarray]] = []
        self.backdrops: list[np.ndarray] = []
        body = [J[n] for n in JOINTS[:14]]
        videos = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".mp4", ".mov", ".avi", ".webm"))
        for video in videos:
            track = estimate_video_cached(video)
            with VideoReader(video) as reader:
                for t, frame in enumerate(reader):
                    if t % every or t >= len(track.keypoints):
                        continue
                    kps = track.keypoints[t].copy()
                    if np.isnan(kps[body, :2]).any() or np.nanmin(kps[body, 2]) < min_confidence:
                        continue
                    self._add(frame, kps, max_side)

    def _add(self, frame: np.ndarray, kps: np.ndarray, max_side: int) -> None:
        h, w = frame.shape[:2]
        pts = kps[~np.isnan(kps[:, 0]), :2]
        (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
        pad = 0.25 * max(x1 - x0, y1 - y0)
        x0, y0 = int(max(0, x0 - pad)), int(max(0, y0 - pad))
        x1, y1 = int(min(w, x1 + pad)), int(min(h, y1 + pad))
        k = min(1.0, max_side / max(1, max(x1 - x0, y1 - y0)))
        crop = cv2.resize(frame[y0:y1, x0:x1], (max(1, round((x1 - x0) * k)), max(1, round((y1 - y0) * k))),
                          interpolation=cv2.INTER_AREA)
        local = kps.copy()
        local[:, 0] = (local[:, 0] - x0) * k
        local[:, 1] = (local[:, 1] - y0) * k
        self.crops.append((crop, local))
        for a, b in ((0, x0), (x1, w)):  # backdrop strips beside the person
            if b - a >= h // 3:
                strip = frame[:, a:b]
                kb = min(1.0, max_side / max(strip.shape[:2]))
                self.backdrops.append(cv2.resize(strip, (max(1, round(strip.shape[1] * kb)),
                                                         max(1, round(strip.shape[0] * kb)))))

    def __len__(self) -> int:
        return len(self.crops)
