"""The anime look of the procedural characters (``CharacterSpec.look == 'anime'``): a face
with a small pointed chin and large eyes, hair as volumes (bangs over the forehead, locks
framing the face, long hair, tails), head accessories, wings and capes behind the body,
and props held in the hand.

Everything is placed in the head's own frame (``up`` from the neck to the head, ``side``
towards the character's left), so the head turns and tilts with the pose; loose hair hangs
between the head's direction and gravity. A character's random details (lock lengths, tips)
come from its seed, so they stay the same in every frame.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import numpy as np

from r2a_utils.characters.pen import OUTLINE, Canvas, lighten, shade, unit
from r2a_utils.characters.spec import CharacterSpec

GRAVITY = np.array([0.0, 1.0])
WHITE = (255, 255, 255)


class HeadFrame:
    """Where the head is and how it is turned: centre, ``up``, ``side``, face size, and
    ``turn`` in -1..1 (how far the nose has moved towards the character's left)."""

    def __init__(self, centre: np.ndarray, up: np.ndarray, head_h: float, nose: np.ndarray | None,
                 face_w: float):
        self.c, self.up = centre, up
        self.side = np.array([-up[1], up[0]])
        self.h, self.fw, self.fh = head_h, face_w, head_h * 0.5
        turn = 0.0 if nose is None or np.isnan(nose).any() else float((nose - centre) @ self.side) / face_w
        self.turn = float(np.clip(turn * 1.6, -0.7, 0.7))

    def at(self, x: float, y: float) -> np.ndarray:
        """A point ``x`` face-widths to the side and ``y`` face-half-heights up from the centre."""
        return self.c + self.side * x * self.fw + self.up * y * self.fh

    @property
    def hang(self) -> np.ndarray:
        """Direction loose hair falls: between the head's down and gravity."""
        return unit(-self.up * 0.45 + GRAVITY * 0.55)


def _rng(spec: CharacterSpec, salt: int) -> np.random.Generator:
    return np.random.default_rng([spec.seed, salt])


def back_hair(c: Canvas, spec: CharacterSpec, f: HeadFrame, ol: float) -> None:
    """Hair behind the head and body: the head's hair volume, long hair, tails."""
    col = spec.hair_color
    c.ellipse(f.at(0, 0.15), (f.fw * 1.18, f.fh * 1.12), _angle(f), col, ol)
    rng = _rng(spec, 1)
    length = spec.hair_length * f.h
    if spec.hair_style in ("long", "bob"):
        reach = length if spec.hair_style == "long" else f.h * 0.75
        n = 7
        for i, x in enumerate(np.linspace(-1.05, 1.05, n)):
            root = f.at(x * 0.9, 0.3)
            tip = root + f.hang * reach * rng.uniform(0.85, 1.05) + f.side * x * f.fw * 0.35
            c.strand(root, tip, f.fw * 0.75, col, ol, bend=f.side * x * f.fw * 0.25, w_tip=f.fw * 0.05)
    elif spec.hair_style == "twintails":
        for s in (-1, 1):
            root = f.at(s * 0.95, 0.45)
            tip = root + f.hang * length + f.side * s * f.fw * 0.6
            c.strand(root, tip, f.fw * 0.8, col, ol, bend=f.side * s * f.fw * 0.8, w_tip=f.fw * 0.08)
    elif spec.hair_style == "ponytail":
        root = f.at(0.25, 0.7)
        tip = root + f.hang * length * 0.8 + f.side * f.fw * 0.5
        c.strand(root, tip, f.fw * 0.7, col, ol, bend=f.side * f.fw * 0.7, w_tip=f.fw * 0.06)


def back_hair_seen_from_behind(c: Canvas, spec: CharacterSpec, f: HeadFrame, ol: float) -> None:
    """Seen from behind, long hair and tails cover the back: drawn over the torso."""
    if spec.hair_style in ("long", "twintails", "ponytail"):
        back_hair(c, spec, f, ol)


def head(c: Canvas, spec: CharacterSpec, f: HeadFrame, eyes: tuple[np.ndarray, np.ndarray], front: bool,
         ol: float) -> None:
    """Face, eyes and front hair (or, seen from behind, the back of the head)."""
    col = spec.hair_color
    if spec.accessory == "cat_ears":
        _cat_ears(c, spec, f, ol)
    if not front:
        c.ellipse(f.at(0, 0.1), (f.fw * 1.15, f.fh * 1.1), _angle(f), col, ol)
        _hair_ring(c, spec, f)
        _head_accessory(c, spec, f, ol)
        return
    _face(c, spec, f, ol)
    for s, e in zip((-1, 1), eyes):
        _eye(c, spec, f, e, s, ol)
    mouth = f.at(f.turn * 0.3, -0.62)
    c.line(mouth - f.side * f.fw * 0.09, mouth + f.side * f.fw * 0.09, max(1.0, ol * 0.8), (150, 60, 70))
    if spec.blush:
        for s in (-1, 1):
            c.ellipse(f.at(s * 0.52 + f.turn * 0.2, -0.38), (f.fw * 0.16, f.fh * 0.06), _angle(f), (250, 170, 170))
    _front_hair(c, spec, f, ol)
    _head_accessory(c, spec, f, ol)


def _angle(f: HeadFrame) -> float:
    return float(np.degrees(np.arctan2(f.up[0], -f.up[1])))


def _face(c: Canvas, spec: CharacterSpec, f: HeadFrame, ol: float) -> None:
    """A wide cranium and a small pointed chin, turned with the head."""
    th = np.linspace(0, np.pi, 9)
    top = [f.at(np.cos(t), 0.1 + 0.9 * np.sin(t)) for t in th]
    t = f.turn * 0.35
    lower = [f.at(-0.97, -0.2), f.at(-0.78 + t * 0.5, -0.68), f.at(t, -0.98), f.at(0.78 + t * 0.5, -0.68),
             f.at(0.97, -0.2)]
    c.poly(np.array(top + lower), spec.skin_color, ol)
    c.ellipse(f.at(t * 0.4, -0.9), (f.fw * 0.12, f.fh * 0.03), _angle(f), shade(spec.skin_color, 0.92))


def _eye(c: Canvas, spec: CharacterSpec, f: HeadFrame, e: np.ndarray, s: int, ol: float) -> None:
    """Large anime eye: white, iris in two tones, pupil, highlights, a heavy upper lash line."""
    if np.isnan(e).any():
        e = f.at(s * 0.45 + f.turn * 0.3, -0.2)
    style = spec.eye_style
    ew = f.fw * (0.22 if style != "sparkle" else 0.25) * (1 - 0.35 * max(0.0, -s * f.turn))  # far eye narrower
    eh = f.fh * {"round": 0.34, "sharp": 0.24, "sparkle": 0.4, "calm": 0.28}[style]
    ang = _angle(f)
    up, side = f.up, f.side
    c.ellipse(e, (ew, eh), ang, WHITE)
    c.ellipse(e - up * eh * 0.12, (ew * 0.82, eh * 0.82), ang, spec.eye_color)
    c.ellipse(e + up * eh * 0.3, (ew * 0.82, eh * 0.45), ang, shade(spec.eye_color, 0.6))
    c.ellipse(e - up * eh * 0.05, (ew * 0.38, eh * 0.42), ang, (30, 22, 40))
    c.ellipse(e + up * eh * 0.35 - side * ew * 0.35, (ew * 0.26, ew * 0.26), 0, WHITE)
    if style == "sparkle":
        c.ellipse(e - up * eh * 0.45 + side * ew * 0.3, (ew * 0.14, ew * 0.14), 0, WHITE)
    lash = max(1.0, ol * 1.6)
    inner = -side * s  # towards the nose: the lash line thickens and (sharp eyes) rises that way
    tilt = 0.35 if style == "sharp" else 0.1
    a = e - inner * ew * 1.05 + up * eh * 0.55
    b = e + up * eh * 1.02
    d = e + inner * ew * 1.15 + up * eh * (0.55 + tilt)
    c.line(a, b, lash, OUTLINE)
    c.line(b, d, lash * 1.3, OUTLINE)
    if style == "calm":  # half-closed lid
        c.ellipse(e + up * eh * 0.75, (ew * 1.05, eh * 0.45), ang, spec.skin_color)
        c.line(e - inner * ew + up * eh * 0.35, e + inner * ew * 1.1 + up * eh * 0.4, lash, OUTLINE)
    brow = e + up * eh * 1.45
    c.line(brow - inner * ew * 0.8, brow + inner * ew * 0.8 + up * eh * 0.15, max(1.0, ol * 0.7),
           shade(spec.hair_color, 0.6))


def _front_hair(c: Canvas, spec: CharacterSpec, f: HeadFrame, ol: float) -> None:
    """Bangs over the forehead and locks framing the face, in the character's own cut."""
    col = spec.hair_color
    rng = _rng(spec, 2)
    c.ellipse(f.at(0, 0.55), (f.fw * 1.08, f.fh * 0.5), _angle(f), col, ol)
    spiky = spec.hair_style == "spiky"
    n = 6 if spiky else int(rng.integers(4, 7))
    for x in np.linspace(-0.85, 0.85, n) + f.turn * 0.25:
        root = f.at(x * 0.6, 0.85)
        tip = f.at(x * 1.05 + rng.uniform(-0.1, 0.1), rng.uniform(0.1, 0.3) if not spiky else 0.05)
        c.strand(root, tip, f.fw * 0.5, col, ol * 0.6, bend=f.side * x * f.fw * 0.15)
    if spiky:
        for x in (-1.0, -0.6, 0.6, 1.0):
            base = f.at(x * 0.8, 0.7)
            c.strand(base, base + (f.side * x * 0.6 + f.up) * f.fh * 0.6, f.fw * 0.35, col, ol)
    locks = {"short": 0.3, "spiky": 0.3, "bob": 1.05, "long": 1.6, "twintails": 1.2, "ponytail": 0.9}[spec.hair_style]
    for s in (-1, 1):
        root = f.at(s * 0.95, 0.35)
        tip = root + f.hang * f.fh * locks * 2 + f.side * s * f.fw * 0.1
        c.strand(root, tip, f.fw * (0.45 if spec.hair_style != "bob" else 0.6), col, ol * 0.8,
                 bend=f.side * s * f.fw * 0.12, w_tip=f.fw * 0.04)
    _hair_ring(c, spec, f)


def _hair_ring(c: Canvas, spec: CharacterSpec, f: HeadFrame) -> None:
    """The glossy highlight band across the crown."""
    pts = [f.at(x, 0.62 + 0.18 * np.cos(x * 1.4)) for x in np.linspace(-0.7, 0.7, 6)]
    for a, b in zip(pts[:-1], pts[1:]):
        c.line(a, b, max(1.0, f.fh * 0.07), lighten(spec.hair_color, 0.45))


def _cat_ears(c: Canvas, spec: CharacterSpec, f: HeadFrame, ol: float) -> None:
    for s in (-1, 1):
        base_a, base_b = f.at(s * 0.35, 0.85), f.at(s * 0.95, 0.55)
        tip = f.at(s * 0.95, 1.55)
        c.poly(np.array([base_a, tip, base_b]), spec.hair_color, ol)
        c.poly(np.array([base_a * 0.7 + tip * 0.3, tip * 0.75 + (base_a + base_b) * 0.125, base_b * 0.7 + tip * 0.3]),
               (250, 180, 190))


def _head_accessory(c: Canvas, spec: CharacterSpec, f: HeadFrame, ol: float) -> None:
    acc = spec.accent_color
    if spec.accessory == "bow":
        knot = f.at(0.55, 0.9)
        for s in (-1, 1):
            c.poly(np.array([knot, knot + (f.side * s * 1.0 + f.up * 0.45) * f.fw * 0.55,
                             knot + (f.side * s * 1.0 - f.up * 0.35) * f.fw * 0.55]), acc, ol)
        c.ellipse(knot, (f.fw * 0.12, f.fw * 0.12), 0, shade(acc), ol)
    elif spec.accessory == "hat":
        brim = f.at(0, 0.75)
        if spec.seed % 2:  # witch hat
            c.ellipse(brim, (f.fw * 1.9, f.fh * 0.3), _angle(f), spec.bottom_color, ol)
            c.poly(np.array([f.at(-0.75, 0.85), f.at(0.55, 2.8) + f.side * f.fw * 0.3, f.at(0.75, 0.85)]),
                   spec.bottom_color, ol)
        else:  # beret
            c.ellipse(f.at(0.15, 0.95), (f.fw * 1.2, f.fh * 0.42), _angle(f) + 8, spec.bottom_color, ol)
        c.line(f.at(-0.7, 0.9), f.at(0.7, 0.9), max(1.0, f.fh * 0.1), acc)


def wings(c: Canvas, spec: CharacterSpec, root: np.ndarray, up: np.ndarray, head_h: float, ol: float) -> None:
    """A pair of feathered wings from between the shoulder blades."""
    side = np.array([-up[1], up[0]])
    col = (250, 250, 252) if spec.seed % 3 else (45, 40, 55)
    for s in (-1, 1):
        for k, (ang, ln) in enumerate(((0.9, 2.4), (0.45, 2.1), (0.05, 1.6))):
            d = unit(side * s * np.cos(ang) + up * np.sin(ang) * 1.2)
            tip = root + d * ln * head_h
            c.strand(root + side * s * head_h * 0.1, tip, head_h * (0.9 - 0.15 * k), col, ol,
                     bend=-up * head_h * 0.35, w_tip=head_h * 0.05)


def cape(c: Canvas, spec: CharacterSpec, rs: np.ndarray, ls: np.ndarray, down: np.ndarray, length: float,
         ol: float) -> None:
    """A cape from the shoulders, widening as it falls."""
    across = ls - rs
    hem = (rs + ls) / 2 + down * length
    pts = [rs - across * 0.1, ls + across * 0.1, hem + across * 0.85, hem - across * 0.85]
    c.shaded_poly(np.array(pts), shade(spec.accent_color, 0.8), ol)


def prop(c: Canvas, spec: CharacterSpec, el: np.ndarray, wr: np.ndarray, limb: float, scale: float,
         ol: float) -> None:
    """What the character holds in its right hand: a staff, a sword or a bag."""
    fore = unit(wr - el)
    hand = wr + fore * limb * 0.3
    across = np.array([-fore[1], fore[0]])
    if across[1] > 0:
        across = -across  # the upward side
    if spec.prop == "staff":
        a, b = hand - across * scale * 0.18, hand + across * scale * 0.45
        c.shaded_capsule(a, b, limb * 0.45, (130, 90, 60), ol)
        c.ellipse(b, (limb * 0.8, limb * 0.8), 0, spec.accent_color, ol)
    elif spec.prop == "sword":
        tip = hand + fore * scale * 0.38
        c.shaded_capsule(hand + fore * limb * 0.5, tip, limb * 0.55, (215, 222, 235), ol)
        c.capsule(hand + across * limb * 0.9 + fore * limb * 0.5, hand - across * limb * 0.9 + fore * limb * 0.5,
                  limb * 0.35, spec.accent_color, ol)
    elif spec.prop == "bag":
        top = hand + GRAVITY * limb * 0.8
        w, h = limb * 2.2, limb * 2.0
        c.line(hand, top, max(1.0, ol), OUTLINE)
        c.shaded_poly(np.array([top + (-w / 2, 0), top + (w / 2, 0), top + (w * 0.6, h), top + (-w * 0.6, h)]),
                      spec.accent_color, ol)
