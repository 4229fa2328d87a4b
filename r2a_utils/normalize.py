"""Stage 2b: body-proportion normalization — the real person's skeleton on the character's body.

A real adult has about 1:7.5 head-to-body proportions; an anime character may have 1:3.
Feeding the person's skeleton straight to the renderer stretches the character. The
report's method scales the real skeleton's bones one after another **outward from the
neck** (shoulders and hips, then elbows and knees, then wrists and ankles, then the head)
to the character's bone lengths, keeping each bone's direction, and then places the result
on the character's picture.

``normalize_to_character`` does that. Its ``keep_foreshortening`` option (default on)
scales each bone by the *ratio* character length / real length, where the real length is
the bone's near-full length over the clip, so a forearm pointing at the camera stays short
instead of being stretched back to full length. Two simpler baselines are here for the
comparison in notebook 03: one global scale, and per-bone ratios taken from the first frame.

All functions take real keypoints ``(T, 18, 3)`` in video pixels and the character's
keypoints ``(18, 3)`` in its picture (standing, front view) and return ``(T, 18, 3)`` in
the character picture's pixels, with frame 0's neck on the character's neck.

Taught in notebooks/03_normalization.ipynb.
"""
from __future__ import annotations

import numpy as np

from r2a_utils.skeleton import (BODY_JOINTS, FLIP_INDEX, J, LIMBS, NUM_JOINTS, TORSO_JOINTS, KeypointError,
                                as_keypoints, bone_lengths, elbow_angles, knee_angles, missing_joints, rescale_bones)

_PARTNER = {k: next(m for m, (p2, c2) in enumerate(LIMBS) if (FLIP_INDEX[p], FLIP_INDEX[c]) == (p2, c2))
            for k, (p, c) in enumerate(LIMBS)}  # each bone's mirror image (itself for the neck-nose)
_BODY = list(range(12))  # the limb bones: neck-shoulders, neck-hips, arms, legs (not the face)


def _check(real: np.ndarray, character: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    real = as_keypoints(real, "real keypoints")
    if real.ndim == 2:
        real = real[None]
    character = as_keypoints(character, "character keypoints")
    if character.shape != (NUM_JOINTS, 3):
        raise KeypointError(f"character keypoints: one pose (18, 3) expected, got {character.shape}")
    missing = missing_joints(character, TORSO_JOINTS)
    if missing:
        raise KeypointError(f"character keypoints: missing {', '.join(missing)} (fix them in the joints editor "
                            f"or a joints JSON file)")
    if np.isnan(real[:, J["neck"], :2]).all():
        raise KeypointError("real keypoints: the neck is never found, so there is nothing to anchor the body to")
    return real, character


def reference_lengths(real: np.ndarray, percentile: float = 90.0) -> np.ndarray:
    """Each bone's near-full length over a clip ``(len(LIMBS),)``.

    Foreshortening only ever shortens a bone in the picture, so take a high percentile of its
    2-D length; and a body is symmetric, so a left bone is as long as its right partner
    (this helps when one arm points at the camera all clip long).
    """
    with np.errstate(all="ignore"):
        lengths = bone_lengths(np.asarray(real, np.float64))
        ref = np.array([np.nanpercentile(lengths[:, k], percentile) if np.isfinite(lengths[:, k]).any()
                        else np.nan for k in range(len(LIMBS))])
    for k, partner in _PARTNER.items():
        ref[k] = np.nanmax([ref[k], ref[partner]]) if np.isfinite([ref[k], ref[partner]]).any() else np.nan
    return ref


def _character_lengths(character: np.ndarray, real_ref: np.ndarray) -> np.ndarray:
    """Character bone lengths; a bone the character picture lacks (e.g. ears) borrows the
    median character/real ratio of the bones it has."""
    char = bone_lengths(character.astype(np.float64))
    ratio = np.nanmedian(char / real_ref)
    return np.where(np.isfinite(char), char, real_ref * ratio)


def _body_height(lengths: np.ndarray) -> float:
    """Neck -> hip -> knee -> ankle path from bone lengths (the longer side)."""
    idx = {(LIMBS[k][0], LIMBS[k][1]): k for k in range(len(LIMBS))}
    sides = []
    for side in ("right", "left"):
        path = [(J["neck"], J[f"{side}_hip"]), (J[f"{side}_hip"], J[f"{side}_knee"]),
                (J[f"{side}_knee"], J[f"{side}_ankle"])]
        sides.append(sum(lengths[idx[p]] for p in path))
    return float(np.nanmax(sides))


def _place(real: np.ndarray, posed: np.ndarray, character: np.ndarray, scale: float) -> np.ndarray:
    """Move the neck-anchored skeletons so frame 0's neck is on the character's neck; the neck
    then follows the real neck's path, scaled to the character's size."""
    neck = real[:, J["neck"], :2].astype(np.float64)
    first = neck[np.flatnonzero(np.isfinite(neck[:, 0]))[0]]
    path = (neck - first) * scale + character[J["neck"], :2]
    out = np.full(real.shape, np.nan, np.float32)
    out[..., :2] = posed[..., :2] - posed[:, J["neck"]][:, None, :2] + path[:, None]
    out[..., 2] = real[..., 2]
    out[np.isnan(out[..., :2]).any(-1)] = np.nan
    return out


def normalize_to_character(real_kps: np.ndarray, character_kps: np.ndarray,
                           keep_foreshortening: bool = True) -> np.ndarray:
    """The report's method: rescale bones outward from the neck to the character's lengths.

    Args:
        real_kps: ``(T, 18, 3)`` (or one pose) in video pixels, NaN where absent.
        character_kps: ``(18, 3)`` of the character standing in its picture.
        keep_foreshortening: scale each bone by character / real near-full length (so bones
            seen end-on stay short); False gives every bone the character's full length.
    Returns:
        ``(T, 18, 3)`` in the character picture's pixels.
    """
    real, character = _check(real_kps, character_kps)
    ref = reference_lengths(real)
    char = _character_lengths(character, ref)
    if keep_foreshortening:
        lengths = bone_lengths(real.astype(np.float64)) * (char / ref)
    else:
        lengths = np.broadcast_to(char, (len(real), len(LIMBS)))
    posed = rescale_bones(real[..., :2], lengths)
    return _place(real, posed, character, _body_height(char) / _body_height(ref))


def normalize_global_scale(real_kps: np.ndarray, character_kps: np.ndarray) -> np.ndarray:
    """Baseline: one scale for the whole body (character height / person height)."""
    real, character = _check(real_kps, character_kps)
    ref = reference_lengths(real)
    k = _body_height(_character_lengths(character, ref)) / _body_height(ref)
    posed = real[..., :2].astype(np.float64) * k
    return _place(real, posed, character, k)


def normalize_first_frame_ratios(real_kps: np.ndarray, character_kps: np.ndarray) -> np.ndarray:
    """Baseline: per-bone ratios character / real measured on the first frame only."""
    real, character = _check(real_kps, character_kps)
    first = bone_lengths(real[0].astype(np.float64))
    ref = reference_lengths(real)
    first = np.where(np.isfinite(first), first, ref)
    char = _character_lengths(character, ref)
    lengths = bone_lengths(real.astype(np.float64)) * (char / first)
    posed = rescale_bones(real[..., :2], lengths)
    return _place(real, posed, character, _body_height(char) / _body_height(first))


def normalize_report_style(real_kps: np.ndarray, character_kps: np.ndarray) -> np.ndarray:
    """The report's ``kps_Normalize``, as far as it is described: four limb ratios (upper
    arm, forearm, thigh, shin; each the character's length over the person's, the two
    sides averaged) measured on one frame (the first with every body joint), applied to
    both sides of every frame; the torso and head take the body-height ratio. Its rotation
    of the head is not reproduced (the report does not say how it was chosen)."""
    real, character = _check(real_kps, character_kps)
    ref = reference_lengths(real)
    char = _character_lengths(character, ref)
    whole = np.flatnonzero(np.isfinite(real[:, [J[n] for n in BODY_JOINTS], 0]).all(1))
    one = bone_lengths(real[whole[0] if len(whole) else 0].astype(np.float64))
    one = np.where(np.isfinite(one) & (one > 0), one, ref)
    k = _body_height(char) / _body_height(one)
    ratio = np.full(len(LIMBS), k)
    for pairs in _LIMB_GROUPS.values():
        idx = [LIMBS.index((J[a], J[b])) for a, b in pairs]
        ratio[idx] = np.mean(char[idx] / one[idx])
    lengths = bone_lengths(real.astype(np.float64)) * ratio
    return _place(real, rescale_bones(real[..., :2], lengths), character, k)


_LIMB_GROUPS = {  # the four limb ratios of the report's normalization, both sides
    "upper arm": (("right_shoulder", "right_elbow"), ("left_shoulder", "left_elbow")),
    "forearm": (("right_elbow", "right_wrist"), ("left_elbow", "left_wrist")),
    "thigh": (("right_hip", "right_knee"), ("left_hip", "left_knee")),
    "shin": (("right_knee", "right_ankle"), ("left_knee", "left_ankle")),
}


def hold_missing_frames(targets: np.ndarray, rest: np.ndarray) -> tuple[np.ndarray, int]:
    """Frames without a whole torso hold the previous pose (the first ones: ``rest``).

    Returns ``(poses (T, 18, 3), how many frames were held)``; a renderer needs a body in
    every frame, and holding still reads better than a character that vanishes.
    """
    out = np.array(targets, np.float32, copy=True)
    torso = [J[n] for n in TORSO_JOINTS]
    usable = np.isfinite(out[:, torso, :2]).all(axis=(1, 2))
    for i in np.flatnonzero(~usable):
        out[i] = out[i - 1] if i > 0 else rest
    return out, int((~usable).sum())


NORMALIZERS = {
    "neck-outward, foreshortening kept": lambda r, c: normalize_to_character(r, c, keep_foreshortening=True),
    "neck-outward, full lengths": lambda r, c: normalize_to_character(r, c, keep_foreshortening=False),
    "global scale": normalize_global_scale,
    "first-frame ratios": normalize_first_frame_ratios,
    "report-style: four limb ratios": normalize_report_style,
}


def score_normalization(pred: np.ndarray, truth: np.ndarray, character_height: float) -> dict[str, float]:
    """How far a normalized skeleton is from the ground truth (Stage 1's retargeted character).

    Returns:
        ``keypoint_error``: mean joint distance as a share of the character's height;
        ``bone_length_error``: mean |predicted - true| / true bone length over the 12 limb bones
            (neck-shoulders, neck-hips, arms, legs; face bones are too small to measure well).
    """
    pred, truth = np.asarray(pred, np.float64), np.asarray(truth, np.float64)
    if pred.shape != truth.shape:
        raise KeypointError(f"score_normalization: shapes differ, {pred.shape} vs {truth.shape}")
    d = np.linalg.norm(pred[..., :14, :2] - truth[..., :14, :2], axis=-1)
    lp, lt = bone_lengths(pred)[..., _BODY], bone_lengths(truth)[..., _BODY]
    ok = np.isfinite(lp) & np.isfinite(lt) & (lt > 1e-6)
    return {"keypoint_error": float(np.nanmean(d) / character_height),
            "bone_length_error": float(np.mean(np.abs(lp[ok] - lt[ok]) / lt[ok]))}


def normalization_ground_truth(motion, spec, size: tuple[int, int] = (384, 512)):
    """A test case with a known answer, from Stage 1.

    The real skeleton is ``motion`` as seen by the camera (its own proportions); the truth
    is the same motion retargeted in 3-D onto ``spec`` and projected (what the renderer
    draws); the character picture is ``spec`` standing flat in an A-pose at the same scale.

    Returns:
        ``(real (T, 18, 3), character (18, 3), truth (T, 18, 3), character_height_px)``.
    """
    from r2a_utils.characters.motion import layout_a_pose, layout_for_character

    track = layout_for_character(motion, spec, size)
    real = np.empty(motion.joints.shape, np.float32)
    real[..., :2] = motion.joints[..., :2] * 400.0 + 300.0  # any camera scale: normalizers must not care
    real[..., 2] = 1.0
    real[np.isnan(motion.joints).any(-1)] = np.nan
    a_pose = layout_a_pose(spec, size)
    character = a_pose.keypoints[0].copy()
    # same pixels per unit height as the truth, and neck on the truth's first neck
    character[:, :2] = (character[:, :2] - character[J["neck"], :2]) * (track.scale / a_pose.scale) \
        + track.keypoints[0, J["neck"], :2]
    return real, character, track.keypoints.astype(np.float32), float(track.scale)


FOLDED_KNEE = 90.0  # degrees: a leg bent more than a right angle at the knee is drawn folded
FOLDED_LEGS = ("keep", "follow")  # what retargeting does with legs drawn folded or cut off (``keep_drawn_legs``)


def folded_legs_note(character_kps: np.ndarray, folded_legs: str = "keep",
                     size: tuple[int, int] | None = None) -> str | None:
    """A note on the legs the ``folded_legs`` setting acts on, saying what it does with them:
    legs drawn folded (a knee bent past ``FOLDED_KNEE``: sitting, kneeling) and, given the
    picture's ``size`` (width, height), legs it cuts off above the knee (the knee beyond its
    edge: the picture shows thighs, or a skirt over them, and the joints below are guesses).
    "keep" keeps them as drawn (``keep_drawn_legs``); "follow" gives them the motion's, which a
    warp gets by stretching a folded leg, or by swinging what covers cut-off thighs with the
    motion's legs (a skirt fans out sideways). None when neither kind is there."""
    from r2a_utils.picture import beyond_edge

    cut_off = beyond_edge(np.asarray(character_kps), size) if size is not None else np.zeros(NUM_JOINTS, bool)
    cut = [side for side in ("right", "left") if cut_off[J[f"{side}_knee"]]]
    folded = {side: a for side, a in knee_angles(character_kps).items()
              if a < FOLDED_KNEE and not cut_off[[J[f"{side}_knee"], J[f"{side}_ankle"]]].any()}
    said = []
    if folded:
        legs = " and ".join(f"{side} knee at {a:.0f} degrees" for side, a in folded.items())
        said.append(f"the character is drawn with its legs folded ({legs}; a straight leg is 180)")
    if cut:
        said.append(f"the picture cuts off the {' and '.join(cut)} leg{'s' * (len(cut) > 1)} above the knee")
    if not said:
        return None
    drawn = "; ".join(said)
    if folded_legs == "keep":
        return (f"{drawn}: its legs keep the picture's pose and move with the hips while the upper body follows "
                f"the motion (folded_legs='follow', or --folded-legs follow, gives them the motion's legs"
                f"{', stretched out of the drawn ones' if folded else ''}); a full-body picture standing with straight "
                f"legs animates best")
    return (f"{drawn}: the warp {'stretches' if folded else 'swings'} the picture's legs into the motion's, so "
            f"{'sitting or kneeling pictures come out distorted' if folded else 'a skirt over them fans out'}; "
            f"a full-body picture standing with straight legs animates best")


def keep_drawn_legs(targets: np.ndarray, character_kps: np.ndarray) -> np.ndarray:
    """The character's legs as the picture draws them, in every frame: each knee and ankle
    keeps its place relative to its hip in the picture, turned by how far the torso leans
    from the picture's (the angle of the mid-hip -> neck line), and hangs from the motion's
    hip. For pictures drawn sitting or kneeling (``folded_legs_note``): the warp cannot
    unfold a leg drawn over itself, so the figure dances with its upper body instead
    (16 dev drawings x dance_stage: 1201191, kneeling, 0.99 -> 0.25 of its frames torn;
    1084303 and 12843 lose the strips of skirt their stretched legs pulled out). For
    pictures cut off above the knees, the skirt or thighs they show stay as drawn under the
    hips instead of fanning out sideways with the motion's legs.

    ``targets``: normalized poses ``(T, 18, 3)`` in the picture's pixels; returns a copy."""
    return _keep_drawn(targets, character_kps, "hip", ("knee", "ankle"), ("right", "left"))


HIPS_TURN = 0.7  # the narrowest share of the drawn hips' span a turning pelvis shows
SIDE_ON = 0.25  # hips closer than this share of their near-full span: their direction is noise


def _half_hips(k: np.ndarray) -> np.ndarray:
    """Half the vector from the left hip to the right ``(..., 2)``."""
    k = np.asarray(k, np.float64)
    return (k[..., J["right_hip"], :2] - k[..., J["left_hip"], :2]) / 2


def _spine(k: np.ndarray) -> np.ndarray:
    """The mid-hip -> neck vectors ``(..., 2)``."""
    k = np.asarray(k, np.float64)
    return k[..., J["neck"], :2] - (k[..., J["right_hip"], :2] + k[..., J["left_hip"], :2]) / 2


def _across_spine(k: np.ndarray) -> np.ndarray:
    """Unit vectors across the spine ``(..., 2)``, towards the right hip of a figure facing the camera."""
    up = _spine(k)
    across = np.stack([up[..., 1], -up[..., 0]], -1)
    return across / np.maximum(np.linalg.norm(across, axis=-1, keepdims=True), 1e-6)


def keep_drawn_hip_width(targets: np.ndarray, character_kps: np.ndarray, percentile: float = 90.0) -> np.ndarray:
    """The hips as wide apart as the picture draws them when the performer faces the camera,
    narrower as the pelvis turns: each frame's hip span (left hip -> right hip, about their
    middle) is scaled so that its near-full length over the clip (the ``percentile`` of its
    length, as ``reference_lengths``) is the drawn span, and never under ``HIPS_TURN`` of
    it; hips seen side on (closer than ``SIDE_ON`` of the near-full span, their direction
    noise) lie across the spine, the right hip on the picture's side. The legs move with
    their hip.

    The neck-outward rescaling keeps the neck -> hip bones' directions, so the hips' span is
    the performer's angle at the character's lengths: on dance_indoor the sample character's
    came out 0.77 of its drawn span, on the BVH clips drawn_char1's 0.5-0.8 and drawn_char2's
    1.1-1.7. The warping renderers hang the legs from the target's hips (``render.bones``),
    so they would stand closer together or further apart than drawn. Stage 1's ground truth
    keeps the directions (``normalization_ground_truth``); this is for a character picture.

    ``targets``: normalized poses ``(T, 18, 3)``; returns a copy (unchanged without hips)."""
    out = np.array(targets, np.float32, copy=True)
    rh, lh = J["right_hip"], J["left_hip"]
    mid, half = (out[:, rh, :2] + out[:, lh, :2]) / 2, _half_hips(out)
    span = np.linalg.norm(half, axis=1)
    drawn = float(np.linalg.norm(_half_hips(character_kps)))
    if not np.isfinite(span).any() or not np.isfinite(drawn):
        return out
    full = float(np.nanpercentile(span, percentile))
    if full < 1e-6:
        return out
    # a flat drawing shows a turn only so far: the hips come no closer than HIPS_TURN of the drawn span
    scale = np.maximum(drawn / full, HIPS_TURN * drawn / np.maximum(span, 1e-6))[:, None]
    # hips seen nearly one behind the other (a performer side on) point anywhere: across the
    # spine then, the right hip on the side the picture draws it (no flipping from frame to frame)
    drawn_side = np.sign((_half_hips(character_kps) * _across_spine(character_kps)).sum()) or 1.0
    unsure = (span < SIDE_ON * full)[:, None]
    half = np.where(unsure, drawn_side * _across_spine(out) * np.maximum(span, 1e-6)[:, None], half)
    for side, sign in (("right", 1.0), ("left", -1.0)):
        shift = mid + sign * half * scale - out[:, J[f"{side}_hip"], :2]
        for joint in ("hip", "knee", "ankle"):
            out[:, J[f"{side}_{joint}"], :2] += shift
    return out


FOLDED_ELBOW = 30.0  # degrees: an arm bent tighter than this hides its upper arm behind the forearm


def keep_folded_arms(targets: np.ndarray, character_kps: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Arms the picture draws folded tight (the elbow under ``FOLDED_ELBOW``: hands at the
    chin, the upper arm hidden behind the forearm) keep the picture's pose, hanging from the
    motion's shoulder and turned with the torso, as ``keep_drawn_legs`` keeps folded legs: a
    warp cannot show an upper arm the picture does not draw, and the unfolded forearm came
    off the shoulder (1201191, 16 dev drawings x dance_stage). Returns the poses and a note
    (None when no arm is folded so)."""
    folded = {side: a for side, a in elbow_angles(character_kps).items() if a < FOLDED_ELBOW}
    if not folded:
        return targets, None
    arms = " and ".join(f"{side} elbow at {a:.0f} degrees" for side, a in folded.items())
    return (_keep_drawn(targets, character_kps, "shoulder", ("elbow", "wrist"), tuple(folded)),
            f"the character is drawn with its arms folded tight ({arms}; a straight arm is 180): they keep "
            f"the picture's pose and move with the shoulders (a warp cannot show the hidden upper arm)")


def _keep_drawn(targets: np.ndarray, character_kps: np.ndarray, root: str, limb: tuple[str, ...],
                sides: tuple[str, ...]) -> np.ndarray:
    """``targets`` with the ``limb`` joints of ``sides`` at their places relative to ``root``
    in the picture, turned by how far the torso leans from the picture's; returns a copy."""
    out = np.array(targets, np.float32, copy=True)
    ref = np.asarray(character_kps, np.float64)

    def lean(k: np.ndarray) -> np.ndarray:
        up = _spine(k)
        return np.arctan2(up[..., 1], up[..., 0])

    turn = np.nan_to_num(lean(out) - lean(ref))  # (T,)
    cos, sin = np.cos(turn), np.sin(turn)
    for side in sides:
        base = J[f"{side}_{root}"]
        for n in limb:
            j = J[f"{side}_{n}"]
            dx, dy = ref[j, :2] - ref[base, :2]
            if not np.isfinite(dx * dy):
                continue
            out[:, j, 0] = out[:, base, 0] + (cos * dx - sin * dy)
            out[:, j, 1] = out[:, base, 1] + (sin * dx + cos * dy)
            out[:, j, 2] = np.where(np.isfinite(out[:, base, 0]), 1.0, np.nan)
    return out
