"""Headless cel-shaded renderer: a ``CharacterSpec`` drawn in any OpenPose-18 pose, RGBA.

Each body part is attached to bones of the canonical skeleton and drawn as flat colour,
a darker shade tone on the side away from the light, and a dark outline. Parts are
painted back to front by depth, so limbs pass in front of or behind the torso per pose.
All drawing is sub-pixel (OpenCV ``shift``), so joints land where they are asked to.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from r2a_utils.characters import look
from r2a_utils.characters.pen import OUTLINE, Canvas, shade, unit
from r2a_utils.characters.spec import CharacterSpec
from r2a_utils.picture import over_background
from r2a_utils.skeleton import COLORS, J, NUM_JOINTS, as_keypoints, missing_joints

@dataclasses.dataclass(frozen=True)
class RenderResult:
    """An RGBA frame and the exact keypoints ``(18, 3)`` of the character in it."""

    rgba: np.ndarray
    keypoints: np.ndarray

    def on_background(self, color: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
        """RGB image with the character composited over a flat colour."""
        return over_background(self.rgba, color)


def render_character(spec: CharacterSpec, keypoints: np.ndarray, size: tuple[int, int], scale: float,
                     depth: np.ndarray | None = None, draw_joints: bool = False) -> RenderResult:
    """Draw ``spec`` posed at ``keypoints`` on a transparent ``size`` = (width, height) canvas.

    Args:
        keypoints: ``(18, 3)`` pixels; body joints (neck, shoulders, elbows, wrists, hips,
            knees, ankles) are required, face joints optional (missing nose -> seen from behind).
        scale: pixels per standing height of the character (sets head and limb size).
        depth: optional ``(18,)`` depth per joint, larger = nearer the camera; decides which
            limbs pass in front of the torso. Without it, limbs face the way the body faces.
        draw_joints: paint OpenPose-coloured joint markers on top (for checks and figures).
    Returns:
        ``RenderResult`` with the RGBA image and the keypoints it was drawn at.
    """
    kps = as_keypoints(keypoints)
    if kps.shape != (NUM_JOINTS, 3):
        raise ValueError(f"render_character: one pose (18, 3) expected, got {kps.shape}")
    missing = missing_joints(kps)
    if missing:
        raise ValueError(f"render_character: missing body joints {', '.join(missing)}")
    P = kps[:, :2].astype(np.float64)
    canvas = Canvas(size, tones=3 if spec.look == "anime" else 2)
    parts = _parts(spec, P, scale, depth)
    for _, draw in sorted(parts, key=lambda item: item[0]):
        draw(canvas)
    if draw_joints:
        for i in range(NUM_JOINTS):
            if not np.isnan(P[i]).any():
                canvas.dot(P[i], 2.5, COLORS[i])
    return RenderResult(canvas.img, kps)


def _parts(spec: CharacterSpec, P: np.ndarray, scale: float,
           depth: np.ndarray | None) -> list[tuple[float, Callable[[Canvas], None]]]:
    """Every drawable part as (depth, draw function); painted in increasing depth."""
    g = lambda n: P[J[n]]  # noqa: E731
    head_h = spec.head * scale
    torso_len = np.linalg.norm((g("right_hip") + g("left_hip")) / 2 - g("neck"))
    limb = spec.limb_thickness * 0.3 * max(torso_len, 0.15 * scale)
    ol = (max(0.8, 0.012 * scale) if spec.style == "anime" else max(0.5, 0.006 * scale)) * spec.line_width
    facing = float(g("left_shoulder")[0] - g("right_shoulder")[0])  # > 0: facing the camera
    has_face = not np.isnan(P[J["nose"]]).any()
    front = facing >= 0 and has_face

    def z(*names: str) -> float:
        if depth is None:
            return 0.0
        return float(np.nanmean([depth[J[n]] for n in names]))

    parts: list[tuple[float, Callable[[Canvas], None]]] = []
    arm_default = 1.0 if front else -1.0
    # -------- hair behind the body (long styles)
    up = unit(g("neck") - (g("right_hip") + g("left_hip")) / 2)
    if has_face:
        up = unit(unit(g("nose") - g("neck")) * 0.6 + up * 0.4)
    head_c = g("neck") + up * head_h * 0.55
    anime = spec.look == "anime"
    if anime:
        frame = look.HeadFrame(head_c, up, head_h, P[J["nose"]] if has_face else None, head_h * 0.47)
        parts.append((-50.0, lambda c: look.back_hair(c, spec, frame, ol)))
        if not front:
            parts.append((2.0, lambda c: look.back_hair_seen_from_behind(c, spec, frame, ol)))
        down = unit((g("right_hip") + g("left_hip")) / 2 - g("neck"))
        if spec.accessory == "wings":
            parts.append((-60.0 if front else 2.5,
                          lambda c: look.wings(c, spec, g("neck") + down * limb * 1.5, -down, head_h, ol)))
        if spec.accessory == "cape":
            length = np.linalg.norm(g("right_knee") - g("neck")) * 1.05
            parts.append((-45.0 if front else 2.2,
                          lambda c: look.cape(c, spec, g("right_shoulder"), g("left_shoulder"), down, length, ol)))
    else:
        parts.append((-50.0, lambda c: _back_hair(c, spec, head_c, up, head_h, ol)))
    # -------- legs
    for side in ("right", "left"):
        hip, knee, ank = g(f"{side}_hip"), g(f"{side}_knee"), g(f"{side}_ankle")
        zl = z(f"{side}_knee", f"{side}_ankle") if depth is not None else -2.0
        parts.append((zl - 10.0 if depth is None else zl - 0.3 * abs(zl) - 0.01,
                      lambda c, hip=hip, knee=knee, ank=ank: _leg(c, spec, hip, knee, ank, limb, ol)))
    # -------- torso, skirt, neck
    parts.append((0.0, lambda c: _torso(c, spec, P, limb, ol)))
    parts.append((0.1, lambda c: _neck(c, spec, g("neck"), head_c, up, head_h, limb, ol)))
    # -------- arms
    for side in ("right", "left"):
        sh, el, wr = g(f"{side}_shoulder"), g(f"{side}_elbow"), g(f"{side}_wrist")
        za = z(f"{side}_elbow", f"{side}_wrist") - z("neck", "right_hip", "left_hip") if depth is not None \
            else arm_default
        za = za * 5.0 + (0.5 if za >= 0 else -0.5)
        parts.append((za, lambda c, sh=sh, el=el, wr=wr: _arm(c, spec, sh, el, wr, limb, ol)))
        if anime and side == "right" and spec.prop != "none":
            parts.append((za + 0.01, lambda c, el=el, wr=wr: look.prop(c, spec, el, wr, limb, scale, ol)))
    # -------- head on top
    if anime:
        eyes = (P[J["right_eye"]], P[J["left_eye"]])
        parts.append((3.0, lambda c: look.head(c, spec, frame, eyes, front, ol)))
    else:
        parts.append((3.0, lambda c: _head(c, spec, P, head_c, up, head_h, front, ol)))
    return parts


def _leg(c: Canvas, spec: CharacterSpec, hip, knee, ank, limb, ol) -> None:
    skin, bottom = spec.skin_color, spec.bottom_color
    covered = spec.outfit == "trousers"
    d = unit(ank - knee)
    toe = ank + d * limb * 0.45 + np.array([0.0, limb * 0.25])
    segs = [(hip, knee, limb * 1.45, bottom if covered else skin),
            (knee, ank, limb * 1.15, bottom if covered else skin)]
    wear = spec.legwear_color
    if spec.legwear == "tights" and not covered:
        segs = [(hip, knee, limb * 1.45, wear), (knee, ank, limb * 1.15, wear)]
    elif spec.legwear == "thighhighs" and not covered:
        top = knee + (hip - knee) * 0.4
        segs += [(top, knee, limb * 1.4, wear), (knee, ank, limb * 1.17, wear)]
    elif spec.legwear == "socks":
        segs.append((ank + (knee - ank) * 0.3, ank, limb * 1.2, wear))
    if spec.outfit == "shorts":
        segs.append((hip, hip + (knee - hip) * 0.45, limb * 1.65, bottom))
    if spec.shoes == "boots":
        segs.append((ank + (knee - ank) * 0.45, ank, limb * 1.35, spec.shoe_color))
    segs.append((ank, toe, limb * 1.3, spec.shoe_color))
    c.chain(segs, ol)


def _arm(c: Canvas, spec: CharacterSpec, sh, el, wr, limb, ol) -> None:
    skin, sleeve = spec.skin_color, spec.top_color
    hand = wr + unit(wr - el) * limb * 0.3
    segs = [(sh, el, limb * 1.05, skin), (el, wr, limb * 0.92, skin), (wr, hand, limb * 1.15, skin)]
    if spec.sleeves == "short":
        segs.append((sh, sh + (el - sh) * 0.55, limb * 1.4, sleeve))
    elif spec.sleeves == "long":
        segs += [(sh, el, limb * 1.3, sleeve), (el, el + (wr - el) * 0.85, limb * 1.2, sleeve)]
    elif spec.sleeves == "puffy":
        segs += [(sh, sh + (el - sh) * 0.3, limb * 1.75, sleeve)]
    c.chain(segs, ol)


def _torso(c: Canvas, spec: CharacterSpec, P: np.ndarray, limb, ol) -> None:
    g = lambda n: P[J[n]]  # noqa: E731
    rs, ls, rh, lh, nk = g("right_shoulder"), g("left_shoulder"), g("right_hip"), g("left_hip"), g("neck")
    mid_h = (rh + lh) / 2
    down = unit(mid_h - nk)
    waist_r = rs + (rh - rs) * 0.62
    waist_l = ls + (lh - ls) * 0.62
    waist_c = (waist_r + waist_l) / 2
    narrow = 0.82 if spec.style == "anime" else 0.92
    waist_r = waist_c + (waist_r - waist_c) * narrow
    waist_l = waist_c + (waist_l - waist_c) * narrow
    out = lambda p, k: p + unit(p - (rs + ls + rh + lh) / 4) * limb * k  # noqa: E731
    hip_r, hip_l = out(rh, 0.55), out(lh, 0.55)
    top = [out(rs, 0.45), nk - down * limb * 0.1, out(ls, 0.45)]
    # lower garment first (trousers/shorts seat), then the top
    if spec.outfit in ("trousers", "shorts"):
        c.shaded_poly(np.array([waist_r, waist_l, hip_l + down * limb * 0.6, hip_r + down * limb * 0.6]),
                      spec.bottom_color, ol)
    c.shaded_poly(np.array(top + [waist_l, hip_l, hip_r, waist_r]), spec.top_color, ol)
    if spec.outfit in ("skirt", "dress"):
        leg_len = np.linalg.norm(g("right_knee") - rh)
        hem = spec.skirt_length or (0.55 if spec.outfit == "skirt" else 1.05)
        flare = spec.skirt_flare or (1.35 if spec.outfit == "skirt" else 1.55)
        across = hip_l - hip_r
        hem_c = (waist_r + waist_l) / 2 + down * (np.linalg.norm(mid_h - waist_c) + leg_len * hem)
        hem_r, hem_l = hem_c - across / 2 * flare, hem_c + across / 2 * flare
        col = spec.bottom_color if spec.outfit == "skirt" else spec.top_color
        c.shaded_poly(np.array([waist_r, waist_l, hem_l, hem_r]), col, ol)
        if spec.look == "anime":  # pleats
            for k in (0.25, 0.5, 0.75):
                c.line(waist_r + (waist_l - waist_r) * k, hem_r + (hem_l - hem_r) * k, max(1.0, ol * 0.6),
                       shade(col, 0.6))
        c.capsule(waist_r, waist_l, limb * 0.35, spec.accent_color)  # belt / sash
    # collar accent
    c.capsule(top[0] * 0.3 + nk * 0.7, top[2] * 0.3 + nk * 0.7, limb * 0.3, spec.accent_color)


def _neck(c: Canvas, spec: CharacterSpec, neck, head_c, up, head_h, limb, ol) -> None:
    c.shaded_capsule(neck + up * limb * 0.2, neck + up * head_h * 0.3, limb * 0.85, spec.skin_color, ol)


def _back_hair(c: Canvas, spec: CharacterSpec, head_c, up, head_h, ol) -> None:
    side = np.array([-up[1], up[0]])
    col = spec.hair_color
    if spec.hair_style in ("long",):
        pts = [head_c + side * head_h * 0.55 + up * head_h * 0.1, head_c - side * head_h * 0.55 + up * head_h * 0.1,
               head_c - side * head_h * 0.62 - up * head_h * 1.5, head_c + side * head_h * 0.62 - up * head_h * 1.5]
        c.shaded_poly(np.array(pts), col, ol)
    elif spec.hair_style == "twintails":
        for s in (-1, 1):
            root = head_c + side * s * head_h * 0.5 + up * head_h * 0.15
            tip = root + side * s * head_h * 0.35 - up * head_h * 1.3
            c.shaded_capsule(root, tip, head_h * 0.32, col, ol)
    elif spec.hair_style == "ponytail":
        root = head_c + up * head_h * 0.25
        c.shaded_capsule(root, root - up * head_h * 1.0 + side * head_h * 0.15, head_h * 0.28, col, ol)


def _head(c: Canvas, spec: CharacterSpec, P: np.ndarray, head_c, up, head_h, front: bool, ol) -> None:
    ang = float(np.degrees(np.arctan2(up[0], -up[1])))
    side = np.array([-up[1], up[0]])
    face_w, face_h = head_h * (0.47 if spec.style == "anime" else 0.4), head_h * 0.5
    col = spec.hair_color
    if not front:  # seen from behind: all hair
        c.ellipse(head_c, (face_w * 1.12, face_h * 1.05), ang, col, ol)
        return
    c.ellipse(head_c, (face_w, face_h), ang, spec.skin_color, ol)
    # hair cap and bangs over the upper half of the face
    crown = head_c + up * face_h * 0.35
    c.ellipse(crown, (face_w * 1.1, face_h * 0.72), ang, col, ol)
    for k in (-0.55, 0.0, 0.55):
        tip = head_c + side * face_w * k + up * face_h * (0.05 if spec.hair_style != "spiky" else -0.15)
        base = crown + side * face_w * k * 1.3
        c.capsule(base, tip, face_w * 0.45, col)
    if spec.hair_style == "spiky":
        for k in (-1.0, -0.5, 0.5, 1.0):
            base = crown + side * face_w * k * 0.8
            c.capsule(base, base + (side * k * 0.5 + up) * face_h * 0.45, face_w * 0.22, col, ol)
    if spec.hair_style == "bob":
        for s in (-1, 1):
            c.shaded_capsule(head_c + side * s * face_w * 0.95 + up * face_h * 0.3,
                             head_c + side * s * face_w * 0.9 - up * face_h * 0.55, face_w * 0.35, col, ol)
    # eyes: where the face joints are, else on the face ellipse
    for s, name in ((-1, "right_eye"), (1, "left_eye")):
        e = P[J[name]]
        if np.isnan(e).any():
            e = head_c + side * s * face_w * 0.45 - up * face_h * 0.15
        if spec.style == "anime":
            c.ellipse(e, (face_w * 0.2, face_h * 0.26), ang, (255, 255, 255), ol * 0.8)
            c.ellipse(e - up * face_h * 0.02, (face_w * 0.15, face_h * 0.21), ang, spec.eye_color)
            c.ellipse(e - up * face_h * 0.04, (face_w * 0.08, face_h * 0.11), ang, OUTLINE)
            c.ellipse(e + (side * -0.5 + up) * face_h * 0.07, (face_w * 0.05, face_w * 0.05), 0, (255, 255, 255))
        else:
            c.ellipse(e, (face_w * 0.12, face_h * 0.06), ang, (250, 250, 250))
            c.ellipse(e, (face_w * 0.06, face_h * 0.055), ang, spec.eye_color)
            c.capsule(e - side * face_w * 0.14 + up * face_h * 0.14, e + side * face_w * 0.14 + up * face_h * 0.16,
                      face_h * 0.03, spec.hair_color)
    mouth = head_c - up * face_h * 0.55
    c.capsule(mouth - side * face_w * 0.12, mouth + side * face_w * 0.12, max(1.0, face_h * 0.04), (170, 60, 70))
    if spec.style == "human":
        nose = P[J["nose"]]
        c.capsule(nose + up * face_h * 0.1, nose - up * face_h * 0.08, max(1.0, face_w * 0.08),
                  shade(spec.skin_color, 0.85))
