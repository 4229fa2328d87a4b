"""A character picture, decoded once: RGB, its alpha when it has one, and its box.

Every part of the kit that takes a picture from a user (the pipeline, both renderers, the
anime pose estimator, the joints tools, the demo) reads it through ``load_picture``, so odd
files are handled one way and refused with one message: ``CharacterImageError`` names the
file and the problem.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from r2a_utils.errors import InputFileError

MIN_SIDE = 16  # pixels; smaller pictures are refused
MAX_SIDE = 2048  # longer sides are shrunk to this
ENLARGED_MOST = 2.0  # drawn more than this many times its size on the video, a picture looks soft: a note says so


class CharacterImageError(InputFileError, ValueError):
    """A character image that cannot be used as given; names the file and what to do."""


@dataclasses.dataclass(frozen=True)
class Picture:
    """A decoded picture: ``rgb`` (H, W, 3) ``uint8`` (transparent parts laid on white) and
    ``alpha`` (H, W) ``uint8``, or None when the picture is fully opaque."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    path: Path | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.rgb.shape[1], self.rgb.shape[0]

    def rgba(self) -> np.ndarray:
        """RGBA ``uint8``; opaque everywhere when the picture has no alpha."""
        a = self.alpha if self.alpha is not None else np.full(self.rgb.shape[:2], 255, np.uint8)
        return np.dstack([self.rgb, a])

    def reference(self) -> np.ndarray:
        """What a renderer takes: RGBA when the picture has transparency (its cut-out), else
        RGB (the renderer cuts the character out of its background)."""
        return self.rgba() if self.alpha is not None else self.rgb

    def box(self, pad: float = 0.06) -> tuple[int, int, int, int]:
        """The character's box (see ``foreground_box``)."""
        return foreground_box(self.rgb, self.alpha, pad)


def beyond_edge(kps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Which joints ``(N,)`` of ``kps (N, >=2)`` are placed but lie outside a picture of ``size``
    = (width, height): the parts of a figure the picture cuts off."""
    x, y = kps[:, 0], kps[:, 1]
    w, h = size
    with np.errstate(invalid="ignore"):
        return np.isfinite(x) & np.isfinite(y) & ~((x >= 0) & (x < w) & (y >= 0) & (y < h))


def enlarged_note(kps: np.ndarray, placed: np.ndarray) -> list[str]:
    """A note for the run when the video draws the picture more than ``ENLARGED_MOST`` times
    its size: ``kps`` the character's joints in the picture, ``placed`` the same joints on the
    video's canvas (a scale and a shift of them). Empty when it does not, or cannot be told."""
    ok = np.isfinite(kps[:, :2]).all(1) & np.isfinite(placed[:, :2]).all(1)
    spread = float(np.linalg.norm(kps[ok, :2] - kps[ok, :2].mean(0))) if ok.sum() >= 2 else 0.0
    if spread < 1e-6:
        return []
    scale = float(np.linalg.norm(placed[ok, :2] - placed[ok, :2].mean(0))) / spread
    if scale <= ENLARGED_MOST:
        return []
    return [f"the picture is drawn {scale:.1f} times its size to fill the video's height, so it looks soft: "
            f"a larger picture of the character, or a smaller output height (--height), gives a sharper video"]


def over_background(rgba: np.ndarray, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """RGB ``uint8``: an RGBA picture laid over a flat colour."""
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    return (rgba[..., :3] * a + np.array(background, np.float32) * (1 - a)).astype(np.uint8)


def _open(path: Path) -> Image.Image:
    from PIL import ImageOps, UnidentifiedImageError

    if not path.exists():
        raise CharacterImageError(path, "file not found")
    if path.is_dir():
        raise CharacterImageError(path, "is a folder, not a picture")
    if path.stat().st_size == 0:
        raise CharacterImageError(path, "file is empty (0 bytes)")
    try:
        im = Image.open(path)
        im.load()
    except Image.DecompressionBombError:
        raise CharacterImageError(path, "picture is far too large to decode safely; give one under "
                                        "8000 pixels a side") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise CharacterImageError(path, f"not a readable image ({e.__class__.__name__})") from None
    return ImageOps.exif_transpose(im)


def _from_array(arr: np.ndarray) -> Image.Image:
    a = np.asarray(arr)
    if a.dtype != np.uint8:
        a = np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise CharacterImageError(None, f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got {arr.shape}")
    return Image.fromarray(a)


def load_picture(image: str | os.PathLike | np.ndarray | Image.Image | Picture, max_side: int = MAX_SIDE) -> Picture:
    """Any character picture -> ``Picture``.

    RGBA and LA keep their alpha (laid on white in ``rgb``), palette images with
    transparency likewise; grayscale, CMYK and 16-bit are converted, EXIF rotation applied,
    and huge pictures shrunk so the longer side is at most ``max_side``.
    """
    if isinstance(image, Picture):
        return image
    path = Path(image) if isinstance(image, (str, os.PathLike)) else None
    im = _open(path) if path is not None else _from_array(image) if isinstance(image, np.ndarray) else image
    if im.width < MIN_SIDE or im.height < MIN_SIDE:
        raise CharacterImageError(path, f"too small ({im.width}x{im.height}); give at least {MIN_SIDE} pixels a side")
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
        elif alpha.max() == 0:
            raise CharacterImageError(path, "fully transparent: nothing to see")
        rgb = over_background(rgba)
    else:
        rgb = np.asarray(im.convert("RGB"))  # L, CMYK, YCbCr, F ...
    return Picture(np.ascontiguousarray(rgb), alpha, path)


def load_mask(path: str | os.PathLike, size: tuple[int, int]) -> np.ndarray:
    """A mask picture (white = character) as ``uint8`` 0/255 at ``size`` = (width, height)."""
    m = load_picture(path)
    gray = m.rgb[..., 0] if m.alpha is None else np.minimum(m.rgb[..., 0], m.alpha)
    mask = cv2.resize(gray, size, interpolation=cv2.INTER_NEAREST)
    if not (mask > 127).any():
        raise CharacterImageError(path, "the mask is empty (no white pixels: white marks the character)")
    return np.where(mask > 127, 255, 0).astype(np.uint8)


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
