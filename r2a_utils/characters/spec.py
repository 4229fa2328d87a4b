"""Procedural anime character: seeded appearance and body proportions, and its rest skeleton.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import colorsys
import dataclasses
from typing import Any

import numpy as np

from r2a_utils.skeleton import J, LIMBS, NUM_JOINTS

HAIR_STYLES = ("short", "bob", "long", "twintails", "ponytail", "spiky")
OUTFITS = ("dress", "skirt", "trousers", "shorts")
SLEEVES = ("long", "short", "none", "puffy")
LOOKS = ("classic", "anime")  # classic: the kit's first characters (round head, cap of hair); anime: below
EYE_STYLES = ("round", "sharp", "sparkle", "calm")
LEGWEAR = ("none", "socks", "thighhighs", "tights")
SHOES = ("shoes", "boots")
ACCESSORIES = ("none", "bow", "hat", "cat_ears", "wings", "cape")
PROPS = ("none", "staff", "sword", "bag")

RGB = tuple[int, int, int]
HELD_OUT_SEED = 1_000_000  # characters and poses drawn from this seed on are never trained on


@dataclasses.dataclass(frozen=True)
class CharacterSpec:
    """Everything that makes one character look the way it does. Lengths are in units of
    the character's standing height (top of head to soles = 1.0).

    ``style='anime'`` draws big eyes and cel shading; ``'human'`` draws a plain, realistically
    proportioned person (used for the embedded sample 'real' video).
    """

    seed: int = 0
    style: str = "anime"
    head_ratio: float = 5.0  # standing height / head height: chibi ~3, tall ~8
    shoulder_width: float = 1.3  # shoulder-to-shoulder distance in head heights
    hip_width: float = 0.85  # hip-to-hip in head heights
    torso_frac: float = 0.42  # neck-to-hip share of the neck-to-ankle height
    arm_frac: float = 1.0  # arm length relative to a typical arm for this torso
    limb_thickness: float = 0.55  # limb width relative to a typical limb for this torso
    hair_style: str = "long"
    hair_color: RGB = (70, 50, 120)
    skin_color: RGB = (255, 224, 205)
    eye_color: RGB = (60, 120, 220)
    top_color: RGB = (240, 240, 250)
    bottom_color: RGB = (60, 80, 160)
    shoe_color: RGB = (120, 60, 40)
    accent_color: RGB = (220, 60, 80)
    outfit: str = "skirt"
    sleeves: str = "short"
    # The anime look (``look='anime'``); the defaults draw the classic characters unchanged.
    look: str = "classic"
    eye_style: str = "round"
    hair_length: float = 1.5  # long back hair below the head centre, in head heights
    skirt_length: float = 0.0  # hem below the hips as a share of the thigh; 0: the outfit's usual
    skirt_flare: float = 0.0  # hem width / hip width; 0: the outfit's usual
    legwear: str = "none"
    legwear_color: RGB = (40, 40, 52)
    shoes: str = "shoes"
    accessory: str = "none"
    prop: str = "none"
    line_width: float = 1.0  # outline width relative to the usual
    blush: bool = False

    @property
    def head(self) -> float:
        """Head height (crown to chin) as a fraction of standing height."""
        return 1.0 / self.head_ratio

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CharacterSpec:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def rest_pose(self) -> np.ndarray:
        """Joint positions ``(18, 3)`` (x, y, z) standing in an A-pose, facing the camera.

        Units: standing height = 1, y down from the crown, x right in the image (so the
        character's right side has smaller x), z towards the camera. Feet at y ~= 0.97.
        """
        h = self.head
        neck_y = 1.08 * h
        ankle_y = 0.965
        hip_y = neck_y + self.torso_frac * (ankle_y - neck_y)
        leg = ankle_y - hip_y
        sw, hw = self.shoulder_width * h / 2, self.hip_width * h / 2
        shoulder_y = neck_y + 0.18 * h
        upper_arm = 0.5 * (hip_y - neck_y) * 1.05 * self.arm_frac + 0.1 * h
        forearm = 0.9 * upper_arm
        p = np.zeros((NUM_JOINTS, 3), dtype=np.float64)
        p[J["neck"]] = (0, neck_y, 0)
        p[J["nose"]] = (0, neck_y - 0.42 * h, 0.3 * h)
        for side, s in (("right", -1), ("left", 1)):
            p[J[f"{side}_shoulder"]] = (s * sw, shoulder_y, 0)
            ang = np.deg2rad(20)
            elbow = p[J[f"{side}_shoulder"]] + upper_arm * np.array([s * np.sin(ang), np.cos(ang), 0])
            p[J[f"{side}_elbow"]] = elbow
            p[J[f"{side}_wrist"]] = elbow + forearm * np.array([s * np.sin(ang * 0.8), np.cos(ang * 0.8), 0])
            p[J[f"{side}_hip"]] = (s * hw, hip_y, 0)
            p[J[f"{side}_knee"]] = (s * hw * 1.05, hip_y + 0.5 * leg, 0)
            p[J[f"{side}_ankle"]] = (s * hw * 1.1, ankle_y, 0)
            p[J[f"{side}_eye"]] = (s * 0.19 * h, neck_y - 0.5 * h, 0.28 * h)
            p[J[f"{side}_ear"]] = (s * 0.42 * h, neck_y - 0.5 * h, 0.0)
        return p

    def bone_lengths(self) -> np.ndarray:
        """Length of every bone in ``skeleton.LIMBS`` (3-D, in standing heights)."""
        p = self.rest_pose()
        return np.array([np.linalg.norm(p[c] - p[pa]) for pa, c in LIMBS])


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0), 1), min(max(v, 0), 1))
    return int(r * 255), int(g * 255), int(b * 255)


def random_character(seed: int, style: str = "anime", look: str = "anime") -> CharacterSpec:
    """A character drawn from seed ``seed``: same seed, same character, pixel for pixel.

    ``look='anime'`` (default) draws the anime-looking characters; ``'classic'`` the kit's
    first, simpler characters (round head, cylinder limbs), exactly as before.
    """
    if look not in LOOKS:
        raise ValueError(f"random_character: look must be one of {', '.join(LOOKS)}, not {look!r}")
    rng = np.random.default_rng(seed)
    u = rng.uniform
    if style == "human":
        skin = [(241, 194, 160), (224, 172, 135), (198, 134, 96), (141, 85, 54)][int(rng.integers(4))]
        return CharacterSpec(
            seed=seed, style="human", head_ratio=u(7.2, 7.8), shoulder_width=u(1.75, 2.0),
            hip_width=u(1.2, 1.4), torso_frac=u(0.42, 0.46), arm_frac=1.0, limb_thickness=u(0.5, 0.6),
            hair_style=str(rng.choice(["short", "bob", "ponytail"])), hair_color=_hsv(u(0.05, 0.1), 0.6, u(0.15, 0.35)),
            skin_color=skin, eye_color=(60, 40, 30), top_color=_hsv(u(0, 1), u(0.4, 0.8), u(0.5, 0.9)),
            bottom_color=_hsv(u(0.55, 0.65), u(0.4, 0.7), u(0.25, 0.5)), shoe_color=(40, 40, 45),
            accent_color=(230, 230, 230), outfit="trousers", sleeves="short",
        )
    if look == "classic":
        return _classic_character(seed, rng)
    head_ratio = float(3.0 + 4.5 * u(0, 1) ** 1.3)  # more chibi and mid than tall
    chibi = (8.0 - head_ratio) / 5.0  # 1 for chibi, 0 for tall
    hair_h = u(0, 1)
    palette_h = u(0, 1)  # outfits in a related palette: a main hue and its neighbours or complement
    outfit = str(rng.choice(OUTFITS, p=[0.3, 0.35, 0.15, 0.2]))
    pick = lambda options, p=None: str(rng.choice(options, p=p))  # noqa: E731
    return CharacterSpec(
        seed=seed, style="anime", head_ratio=head_ratio,
        shoulder_width=u(1.1, 1.6) + 0.3 * (1 - chibi), hip_width=u(0.75, 1.1) + 0.2 * (1 - chibi),
        torso_frac=u(0.38, 0.48) + 0.05 * chibi, arm_frac=u(0.9, 1.1), limb_thickness=u(0.4, 0.65),
        hair_style=pick(HAIR_STYLES, [0.12, 0.14, 0.32, 0.16, 0.16, 0.10]),
        hair_color=_hsv(hair_h, u(0.2, 0.85), u(0.3, 1.0)) if rng.random() < 0.8 else _hsv(0.08, 0.05, u(0.15, 0.97)),
        skin_color=_hsv(u(0.04, 0.08), u(0.08, 0.22), u(0.96, 1.0)),
        eye_color=_hsv(u(0, 1), u(0.6, 1.0), u(0.55, 0.95)),
        top_color=_hsv(palette_h + rng.choice([0, 0.08, 0.5]), u(0.05, 0.7), u(0.75, 1.0)),
        bottom_color=_hsv(palette_h + u(-0.08, 0.08), u(0.3, 0.9), u(0.2, 0.85)),
        shoe_color=_hsv(u(0, 1), u(0.1, 0.7), u(0.12, 0.5)),
        accent_color=_hsv(palette_h + 0.5 + u(-0.1, 0.1), u(0.6, 1.0), u(0.7, 1.0)),
        outfit=outfit, sleeves=pick(SLEEVES, [0.3, 0.3, 0.2, 0.2]),
        look="anime", eye_style=pick(EYE_STYLES), hair_length=u(1.2, 4.5),
        skirt_length=u(0.25, 0.7) if outfit == "skirt" else u(0.6, 1.6), skirt_flare=u(1.15, 1.9),
        legwear=pick(LEGWEAR, [0.35, 0.2, 0.3, 0.15]), legwear_color=_hsv(u(0, 1), u(0, 0.4), u(0.1, 1.0)),
        shoes=pick(SHOES), accessory=pick(ACCESSORIES, [0.3, 0.2, 0.12, 0.12, 0.12, 0.14]),
        prop=pick(PROPS, [0.55, 0.15, 0.15, 0.15]), line_width=u(0.6, 1.8), blush=bool(rng.random() < 0.5),
    )


def _classic_character(seed: int, rng: np.random.Generator) -> CharacterSpec:
    u = rng.uniform
    head_ratio = float(3.0 + 4.5 * u(0, 1) ** 1.3)
    chibi = (8.0 - head_ratio) / 5.0
    hair_h = u(0, 1)
    return CharacterSpec(
        seed=seed, style="anime", head_ratio=head_ratio,
        shoulder_width=u(1.1, 1.6) + 0.3 * (1 - chibi), hip_width=u(0.75, 1.1) + 0.2 * (1 - chibi),
        torso_frac=u(0.38, 0.48) + 0.05 * chibi, arm_frac=u(0.9, 1.1), limb_thickness=u(0.45, 0.7),
        hair_style=str(rng.choice(HAIR_STYLES)),
        hair_color=_hsv(hair_h, u(0.3, 0.9), u(0.35, 1.0)),
        skin_color=_hsv(u(0.04, 0.08), u(0.1, 0.25), u(0.95, 1.0)),
        eye_color=_hsv(u(0, 1), u(0.6, 1.0), u(0.6, 0.95)),
        top_color=_hsv(u(0, 1), u(0.1, 0.8), u(0.6, 1.0)),
        bottom_color=_hsv(u(0, 1), u(0.3, 0.9), u(0.3, 0.9)),
        shoe_color=_hsv(u(0, 1), u(0.2, 0.8), u(0.2, 0.6)),
        accent_color=_hsv(u(0, 1), u(0.6, 1.0), u(0.7, 1.0)),
        outfit=str(rng.choice(OUTFITS)), sleeves=str(rng.choice(SLEEVES[:3])),
    )
