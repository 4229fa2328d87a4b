"""Drawing primitives for the procedural characters: sub-pixel capsules, polygons, ellipses
and tapered strands on an RGBA canvas, with the cel-shading rule (a shade tone on the side
away from the light, the lit base colour, a dark outline).

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

SHIFT = 4
_ONE = 1 << SHIFT
OUTLINE = (40, 30, 45)
LIGHT_DIR = np.array([-0.6, -0.8])  # light from the upper left of the image


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(p[0] * _ONE)), int(round(p[1] * _ONE))


def _rgba(c: tuple[int, int, int]) -> tuple[int, int, int, int]:
    return int(c[0]), int(c[1]), int(c[2]), 255


def shade(c: tuple[int, int, int], k: float = 0.78) -> tuple[int, int, int]:
    """The cel shade tone: darker and a little cooler than the base colour."""
    r, g, b = c
    return int(r * k * 0.95), int(g * k * 0.97), int(min(255, b * k + 12))


def lighten(c: tuple[int, int, int], k: float = 0.35) -> tuple[int, int, int]:
    """The highlight tone: the colour moved ``k`` of the way to white."""
    return tuple(int(v + (255 - v) * k) for v in c)


class Canvas:
    """RGBA image plus sub-pixel drawing helpers for capsules, polygons and ellipses.

    ``tones=3`` adds a highlight patch on the lit side of shaded polygons (the anime look)."""

    def __init__(self, size: tuple[int, int], tones: int = 2):
        w, h = size
        self.img = np.zeros((h, w, 4), dtype=np.uint8)
        self.tones = tones

    def capsule(self, a: np.ndarray, b: np.ndarray, width: float, color, outline: float = 0.0) -> None:
        if outline > 0:
            self._capsule(a, b, width + 2 * outline, OUTLINE)
        self._capsule(a, b, width, color)

    def _capsule(self, a, b, width, color) -> None:
        r = max(width / 2.0, 0.5)
        cv2.line(self.img, _pt(a), _pt(b), _rgba(color), max(1, int(round(width))), cv2.LINE_AA, SHIFT)
        cv2.circle(self.img, _pt(a), int(round(r * _ONE)), _rgba(color), -1, cv2.LINE_AA, SHIFT)
        cv2.circle(self.img, _pt(b), int(round(r * _ONE)), _rgba(color), -1, cv2.LINE_AA, SHIFT)

    def shaded_capsule(self, a, b, width, color, outline) -> None:
        """Outline, then shade tone, then the lit base offset towards the light."""
        self.chain([(a, b, width, color)], outline)

    def chain(self, segments: list[tuple[np.ndarray, np.ndarray, float, tuple[int, int, int]]],
              outline: float) -> None:
        """A limb of several capsules: every outline first, then shade and lit fills, so the
        joints inside the limb show no seams."""
        for a, b, w, _ in segments:
            self._capsule(a, b, w + 2 * outline, OUTLINE)
        for a, b, w, col in segments:
            self._capsule(a, b, w, shade(col))
            d = b - a
            n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-6)
            if n @ LIGHT_DIR < 0:
                n = -n
            self._capsule(a + n * w * 0.18, b + n * w * 0.18, w * 0.62, col)

    def poly(self, pts: np.ndarray, color, outline: float = 0.0) -> None:
        p = np.round(np.asarray(pts) * _ONE).astype(np.int32).reshape(-1, 1, 2)
        if outline > 0:
            cv2.polylines(self.img, [p], True, _rgba(OUTLINE), max(1, int(round(2 * outline))), cv2.LINE_AA, SHIFT)
        cv2.fillPoly(self.img, [p], _rgba(color), cv2.LINE_AA, SHIFT)

    def shaded_poly(self, pts: np.ndarray, color, outline: float) -> None:
        """Polygon with a shade band: the base colour shrunk towards the lit side."""
        pts = np.asarray(pts, dtype=np.float64)
        self.poly(pts, shade(color), outline)
        c = pts.mean(axis=0)
        span = np.ptp(pts, axis=0).max()
        lit = c + (pts - c) * 0.8 + LIGHT_DIR * span * 0.06
        self.poly(lit, color)
        if self.tones == 3:
            self.poly(c + (pts - c) * 0.3 + LIGHT_DIR * span * 0.22, lighten(color, 0.25))

    def ellipse(self, c, axes, angle_deg, color, outline: float = 0.0, fill: bool = True) -> None:
        ax = (int(round(max(axes[0], 0.5) * _ONE)), int(round(max(axes[1], 0.5) * _ONE)))
        if outline > 0:
            oax = (ax[0] + int(outline * _ONE), ax[1] + int(outline * _ONE))
            cv2.ellipse(self.img, _pt(c), oax, angle_deg, 0, 360, _rgba(OUTLINE), -1, cv2.LINE_AA, SHIFT)
        cv2.ellipse(self.img, _pt(c), ax, angle_deg, 0, 360, _rgba(color), -1 if fill else max(1, int(outline)),
                    cv2.LINE_AA, SHIFT)

    def dot(self, c, radius: float, color) -> None:
        """A filled, hard-edged disc (joint markers in check figures)."""
        cv2.circle(self.img, _pt(c), int(round(radius * _ONE)), _rgba(color), -1, cv2.LINE_8, SHIFT)

    def line(self, a, b, width: float, color) -> None:
        """A plain anti-aliased stroke (creases, pleats, lashes)."""
        cv2.line(self.img, _pt(a), _pt(b), _rgba(color), max(1, int(round(width))), cv2.LINE_AA, SHIFT)

    def strand(self, root, tip, w_root: float, color, outline: float = 0.0, bend=None, w_tip: float = 0.0,
               n: int = 6) -> np.ndarray:
        """A tapered lock (hair, tails, cape edges): width ``w_root`` at ``root`` narrowing to
        ``w_tip`` at ``tip`` along a quadratic curve pulled by ``bend`` (an offset of its middle).
        Drawn shade-then-lit like the other parts; returns the polygon."""
        root, tip = np.asarray(root, float), np.asarray(tip, float)
        mid = (root + tip) / 2 + (np.zeros(2) if bend is None else np.asarray(bend, float))
        t = np.linspace(0, 1, n)[:, None]
        curve = (1 - t) ** 2 * root + 2 * (1 - t) * t * mid + t ** 2 * tip
        d = np.gradient(curve, axis=0)
        normal = np.stack([-d[:, 1], d[:, 0]], 1) / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-9)
        half = (w_root + (w_tip - w_root) * t) / 2
        pts = np.concatenate([curve + normal * half, (curve - normal * half)[::-1]])
        self.shaded_poly(pts, color, outline)
        return pts


def unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else np.array([0.0, -1.0])


