"""The training-free renderers (mesh, the default, and parts): identity, Stage-1 pairs, no
tearing, the cut-out, bad input."""
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from r2a_utils.characters import builtin_dance, layout_for_character
from r2a_utils.metrics import ssim
from r2a_utils.skeleton import J, KeypointError
from r2a_utils.render import MeshRenderer, PartsRenderer, RendererError, character_mask, make_renderer
from r2a_utils.render.bones import LIMB_PARTS
from r2a_utils.render.layers import joined_fill, on_bones, split_layers
from r2a_utils.render.quality import notch_share, pieces, stage1_pair, tear_report

RENDERERS = [MeshRenderer, PartsRenderer]


def _pair(seed=2, t=20, size=(192, 256), look="classic"):
    """Reference = the character in A-pose; target = a dance pose on the same canvas; truth = its render."""
    ref, kps, tgt, depth, truth = stage1_pair(seed, t, look, size)
    return ref, kps, tgt, truth, depth


def _white(rgba):
    a = rgba[..., 3:4] / 255.0
    return (rgba[..., :3] * a + 255 * (1 - a)).astype(np.uint8)


@pytest.mark.parametrize("cls", RENDERERS)
def test_identity_reproduces_the_picture(cls):
    ref, kps, _, _, _ = _pair()
    out = cls(ref, kps).render(kps)
    assert out.shape == ref.shape and out.dtype == np.uint8
    assert ssim(_white(out), _white(ref)) > 0.97


@pytest.mark.parametrize("cls", RENDERERS)
def test_stage1_pair_and_no_torn_limbs(measured, cls):
    scores = []
    for seed, t in ((2, 20), (5, 28), (9, 36)):
        ref, kps, tgt, truth, depth = _pair(seed, t)
        out = cls(ref, kps).render(tgt, depth)
        scores.append(ssim(_white(out), _white(truth)))
        alpha = out[..., 3] > 127
        # every limb is solid along its bone and at its joints: no gaps where parts meet
        for _, p, c in LIMB_PARTS:
            a, b = tgt[J[p], :2], tgt[J[c], :2]
            pts = a + np.linspace(0, 1, 25)[:, None] * (b - a)
            ix = np.clip(np.round(pts).astype(int), 0, [alpha.shape[1] - 1, alpha.shape[0] - 1])
            assert alpha[ix[:, 1], ix[:, 0]].mean() >= 0.95, (seed, p, c)
    measured(f"{cls.__name__} SSIM vs Stage-1 truth on 3 pairs: {', '.join(f'{s:.3f}' for s in scores)}")
    assert np.mean(scores) > 0.85


def test_mesh_renderer_is_as_close_to_stage1_as_the_part_cutter(measured):
    """On anime-look characters too (long hair, capes, props in the hand): the mesh renderer's
    layers keep them off the arms, so it matches Stage 1 at least as well as rigid parts."""
    scores = {MeshRenderer: [], PartsRenderer: []}
    for i in range(8):
        for look in ("classic", "anime"):
            ref, kps, tgt, truth, depth = _pair(100 + i, 6 + (i * 7) % 40, look=look)
            for cls in scores:
                scores[cls].append(ssim(_white(cls(ref, kps).render(tgt, depth)), _white(truth)))
    mesh, parts = np.mean(scores[MeshRenderer]), np.mean(scores[PartsRenderer])
    measured(f"SSIM vs Stage 1 on 16 pairs (8 classic, 8 anime look): mesh {mesh:.3f}, parts {parts:.3f}")
    assert mesh >= parts - 0.002
    assert mesh >= 0.89  # the bar; 0.878 while the legs hung from the drawn hips


def test_legs_hang_from_the_targets_hips_about_the_drawn_pelvis():
    """Each leg hangs from the target's hip, placed about where the torso layer carries the
    middle of the drawn hips: as the pelvis turns the legs come together (Stage 1 draws them
    so), and they stay under the drawn pelvis wherever the target's hips are. The arms still
    hang from the shoulders the torso carries."""
    from r2a_utils.render.bones import drawn_pose

    ref = _keypoints(_figure_points(right_elbow=(85, 140), right_wrist=(80, 190), left_elbow=(155, 140),
                                    left_wrist=(160, 190)))
    assert np.allclose(drawn_pose(ref, ref)[:, :2], ref[:, :2], equal_nan=True)  # at rest: the picture's joints
    target = ref.copy()
    target[:, :2] += (37.0, -12.0)  # elsewhere on the canvas ...
    mid = (target[J["right_hip"], :2] + target[J["left_hip"], :2]) / 2
    for side in ("right", "left"):  # ... with the hips turned to half their span, the legs hanging straight
        offset = 0.5 * (target[J[f"{side}_hip"], :2] - mid) - (target[J[f"{side}_hip"], :2] - mid)
        for joint in ("hip", "knee", "ankle"):
            target[J[f"{side}_{joint}"], :2] += offset
        target[J[f"{side}_shoulder"], :2] += (3.0, 0.0)  # a shoulder a little off the drawn torso's
    drawn = drawn_pose(ref, target)
    span = lambda k: np.linalg.norm(k[J["right_hip"], :2] - k[J["left_hip"], :2])  # noqa: E731
    assert span(drawn) == pytest.approx(0.5 * span(ref), abs=0.01)
    carried_mid = (ref[J["right_hip"], :2] + ref[J["left_hip"], :2]) / 2 + (37.0, -12.0)
    assert np.allclose((drawn[J["right_hip"], :2] + drawn[J["left_hip"], :2]) / 2, carried_mid, atol=0.01)
    for side in ("right", "left"):
        knee = drawn[J[f"{side}_knee"], :2] - drawn[J[f"{side}_hip"], :2]
        assert np.allclose(knee, target[J[f"{side}_knee"], :2] - target[J[f"{side}_hip"], :2], atol=0.01)
        assert np.allclose(drawn[J[f"{side}_shoulder"], :2], ref[J[f"{side}_shoulder"], :2] + (37.0, -12.0), atol=0.01)


def test_mesh_renderer_keeps_the_figure_whole_on_a_clip(measured):
    """The sample character through the built-in dance: never more pieces than at rest,
    no slits, and fewer notches than the part-cutting renderer."""
    from r2a_utils.joints import load_joints
    from r2a_utils.picture import load_picture
    from r2a_utils.samples import sample_character, sample_character_spec

    pic = load_picture(sample_character())
    rgba, kps, spec = pic.rgba(), load_joints(sample_character().with_suffix(".joints.json")).keypoints, \
        sample_character_spec()
    targets = layout_for_character(builtin_dance(24), spec, (rgba.shape[1], rgba.shape[0])).keypoints
    reports = {}
    for cls in RENDERERS:
        r = cls(rgba, kps)
        reports[cls.__name__] = tear_report((r.render(t) for t in targets), r.render(kps))
    mesh, parts = reports["MeshRenderer"], reports["PartsRenderer"]
    measured(f"sample x built-in dance: notches mesh {100 * mesh['notch_share']:.2f}% / parts "
             f"{100 * parts['notch_share']:.2f}% (rest {100 * mesh['rest_notch_share']:.2f}%); torn mesh "
             f"{mesh['torn']}/{mesh['frames']}")
    assert mesh["torn"] == 0
    assert mesh["notch_share"] < parts["notch_share"]


def test_mesh_renderer_on_a_drawing_with_motion_capture(shared, measured):
    """drawn_char1 x dab.bvh (every 3rd frame): whole in every frame, notches near the picture's own."""
    from r2a_utils.characters.bvh import bvh_to_motion, parse_bvh
    from r2a_utils.normalize import keep_drawn_hip_width, normalize_to_character
    from r2a_utils.joints import load_animated_drawing

    rgba, kps = load_animated_drawing(shared / "characters" / "drawn_char1", room=0.5)
    m = bvh_to_motion(parse_bvh(shared / "bvh" / "fair1" / "dab.bvh"))
    targets = keep_drawn_hip_width(normalize_to_character(m.joints[..., :2], kps), kps)[::3]  # as the pipeline
    r = MeshRenderer(rgba, kps)
    rep = tear_report((r.render(t) for t in targets), r.render(kps))
    measured(f"drawn_char1 x dab (every 3rd frame), mesh: torn {rep['torn']}/{rep['frames']}, notches "
             f"{100 * rep['notch_share']:.2f}% (rest picture {100 * rep['rest_notch_share']:.2f}%)")
    assert rep["torn"] == 0 and rep["notch_share"] < rep["rest_notch_share"] + 0.0025


def test_drawn_char1_at_animated_drawings_size_has_its_notch_level(shared, measured):
    """Issue 15's measure, framed as AnimatedDrawings renders it: drawn_char1 x dab.bvh (every
    3rd frame) at 500x500, the drawing with half its width of room on each side and every pose
    in the frame. AnimatedDrawings measured 0.18% notches; the issue asks for <= 0.25%. The
    drawing must be shrunk by averaging its pixels (``place_image``): bilinear sampling left a
    jagged outline, 0.27%."""
    from r2a_utils.canvas import fit_box, place_image
    from r2a_utils.characters.bvh import bvh_to_motion, parse_bvh
    from r2a_utils.joints import load_animated_drawing
    from r2a_utils.normalize import keep_drawn_hip_width, normalize_to_character

    rgba, kps = load_animated_drawing(shared / "characters" / "drawn_char1", room=0.5)
    m = bvh_to_motion(parse_bvh(shared / "bvh" / "fair1" / "dab.bvh"))
    targets = keep_drawn_hip_width(normalize_to_character(m.joints[..., :2], kps), kps)[::3]  # as the pipeline
    h, w = rgba.shape[0] / 2, rgba.shape[1] / 2  # the drawing's own size (room 0.5 on each side)
    top, left = 0.5 * h, 0.5 * w - w / 2
    xy = np.concatenate([targets[..., :2].reshape(-1, 2), [[left, top], [left + 2 * w, top + h]]])
    place = fit_box((*xy.min(0), *xy.max(0)), (500, 500), 0.03)
    r = MeshRenderer(place_image(rgba, place, (500, 500)), place.apply(kps))
    rep = tear_report((r.render(t) for t in place.apply(targets)), r.render(place.apply(kps)))
    measured(f"drawn_char1 x dab at 500x500 (every 3rd frame): torn {rep['torn']}/{rep['frames']}, notches "
             f"{100 * rep['notch_share']:.3f}% (rest {100 * rep['rest_notch_share']:.3f}%)")
    assert rep["torn"] == 0 and rep["notch_share"] <= 0.0025


def test_a_thin_stroke_folded_over_stays_whole(shared):
    """drawn_char4's arms are single pencil strokes. In frame 144 of dab.bvh a bent arm folds
    its mesh over itself, and the grid cells' empty margins, drawn last, hid the stroke under
    them: a piece of the arm came off. Around folds the mesh renderer draws the triangles
    both ways round and keeps the more opaque (at native frame rates over the six clips:
    9 such frames -> 3, none made worse)."""
    from r2a_utils.characters.bvh import bvh_to_motion, parse_bvh
    from r2a_utils.joints import load_animated_drawing
    from r2a_utils.normalize import keep_drawn_hip_width, normalize_to_character
    from r2a_utils.render.quality import pieces

    rgba, kps = load_animated_drawing(shared / "characters" / "drawn_char4", room=0.5)
    m = bvh_to_motion(parse_bvh(shared / "bvh" / "fair1" / "dab.bvh"))
    r = MeshRenderer(rgba, kps)
    targets = keep_drawn_hip_width(normalize_to_character(m.joints[..., :2], kps), kps)  # as the pipeline
    assert pieces(r.render(targets[144])) == pieces(r.render(kps)) == 1


LEGS = (("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"))


def _keypoints(pts: dict) -> np.ndarray:
    """``(18, 3)`` joints from ``{name: (x, y)}`` (the rest NaN)."""
    kps = np.full((18, 3), np.nan, np.float32)
    for name, p in pts.items():
        kps[J[name]] = (*p, 1)
    return kps


def _figure_points(**joints) -> dict:
    """A standing figure's joints on a 240x320 drawing, ``{name: (x, y)}``, with ``joints``
    (the arms, say) given by the test."""
    pts = {"nose": (120, 50), "neck": (120, 85), "right_shoulder": (95, 92), "left_shoulder": (145, 92),
           "right_hip": (105, 200), "left_hip": (135, 200), "right_knee": (105, 250), "left_knee": (135, 250),
           "right_ankle": (105, 300), "left_ankle": (135, 300)}
    return {**pts, **joints}


def _arm_over_hair():
    """A drawing on white: long yellow hair hanging beside a blue torso, the right arm (red)
    lying over the hair's edge and the torso's side. Returns (picture, joints, arm mask)."""
    img = np.full((320, 240, 3), 255, np.uint8)
    pts = _figure_points(right_elbow=(92, 140), right_wrist=(96, 185), left_elbow=(165, 135), left_wrist=(180, 175),
                         right_hip=(105, 180), left_hip=(135, 180), right_knee=(105, 240), left_knee=(135, 240))
    kps = _keypoints(pts)
    cv2.rectangle(img, (72, 70), (100, 210), (230, 200, 40), -1)  # hair
    cv2.rectangle(img, (95, 85), (145, 185), (40, 60, 200), -1)  # torso
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], (90, 90, 90), 14)
    cv2.line(img, pts["left_shoulder"], pts["left_elbow"], (200, 40, 40), 12)
    cv2.line(img, pts["left_elbow"], pts["left_wrist"], (200, 40, 40), 10)
    cv2.circle(img, pts["nose"], 28, (250, 220, 190), -1)  # head
    arm = np.zeros(img.shape[:2], np.uint8)
    cv2.line(arm, pts["right_shoulder"], pts["right_elbow"], 1, 12)
    cv2.line(arm, pts["right_elbow"], pts["right_wrist"], 1, 10)
    cv2.circle(arm, pts["right_wrist"], 7, 1, -1)
    img[arm > 0] = (200, 40, 40)
    return img, kps, arm > 0


def _near(rgb, colour):
    return np.abs(rgb.astype(int) - colour).sum(-1) < 60


def test_layers_split_the_arm_from_the_hair_it_lies_on():
    img, kps, arm = _arm_over_hair()
    layers = split_layers(img, (img < 250).any(-1), kps)
    found = layers.arms["right"]
    below_root = arm.copy()
    below_root[:100] = False  # the arm's root (around the shoulder) is in both layers
    assert (found & arm).sum() / arm.sum() > 0.9  # the whole arm ...
    beyond = found & ~arm
    beyond[:100] = False
    assert beyond.sum() < 0.3 * arm.sum()  # ... and little of the hair or torso beside it (a rim)
    # behind the arm: the body layer is filled there, in the hair's and the torso's colours
    assert layers.body[below_root].mean() > 0.95
    fill = layers.body_rgb[below_root]
    assert not _near(fill, (200, 40, 40)).any()


NAVY = (25, 30, 70)


def _forearm_on_bodice(sleeve: tuple[int, int, int], forearm_width: int, line_type: int = cv2.LINE_8):
    """A figure whose right forearm (``sleeve``-coloured, ``forearm_width`` wide) lies across a
    navy bodice below a white blouse. Returns (picture, joints, {name: (x, y)})."""
    img = np.full((320, 240, 3), 255, np.uint8)
    pts = _figure_points(right_elbow=(84, 150), right_wrist=(132, 160), left_elbow=(160, 140), left_wrist=(170, 185))
    cv2.rectangle(img, (95, 85), (145, 130), (228, 228, 232), -1)  # blouse
    cv2.rectangle(img, (95, 131), (145, 205), NAVY, -1)  # bodice
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], (90, 90, 90), 14)
    cv2.circle(img, pts["nose"], 28, (250, 220, 190), -1)
    for a, b, width in (("right_shoulder", "right_elbow", 12), ("right_elbow", "right_wrist", forearm_width),
                        ("left_shoulder", "left_elbow", 12), ("left_elbow", "left_wrist", 10)):
        cv2.line(img, pts[a], pts[b], sleeve, width, line_type)
    return img, _keypoints(pts), pts


def test_behind_a_forearm_across_a_dark_bodice_the_body_layer_is_the_bodice(measured):
    """A forearm lying across a navy bodice, below a white blouse: the place it covered is
    filled across the arm, navy from both sides. The nearest pixel that is not ink would be
    the blouse: navy is dark enough to count as ink."""
    navy = NAVY
    img, kps, pts = _forearm_on_bodice((240, 200, 180), 10)
    forearm = np.zeros(img.shape[:2], np.uint8)
    cv2.line(forearm, (100, 152), (125, 158), 1, 6)  # the forearm's middle, over the bodice
    layers = split_layers(img, (img < 250).any(-1), kps)
    under = forearm > 0
    assert layers.arms["right"][under].mean() > 0.9 and layers.body[under].mean() > 0.95
    assert _near(layers.body_rgb[under], navy).mean() > 0.9
    # the arm's layer is the arm (and its rim): the bodice beside it stays the body's
    drawn = np.zeros(img.shape[:2], np.uint8)
    cv2.line(drawn, pts["right_elbow"], pts["right_wrist"], 1, 10 + 2 * 3)
    bodice = _near(img, navy) & (drawn == 0)
    taken = (layers.arms["right"] & bodice).sum()
    measured(f"forearm across a navy bodice: {taken} bodice pixels in the arm's layer ({bodice.sum()} in all)")
    assert taken < 0.02 * bodice.sum()


def test_a_white_sleeves_soft_edge_does_not_grey_the_bodice_behind_it(measured):
    """A painted picture: a white sleeve lies across a navy bodice and its edges are soft (a
    few pixels mix white and navy). Behind the arm the bodice is navy: its colour is read a
    little beyond the arm's edge, not at the first body pixel, which is the mix (the garden
    girl's forearm left a grey band across her bodice)."""
    navy = NAVY
    img, kps, _ = _forearm_on_bodice((244, 244, 248), 12, cv2.LINE_AA)  # a white sleeve
    mask = (img < 250).any(-1)
    img = cv2.GaussianBlur(img, (0, 0), 1.2)  # painted, soft edges
    forearm = np.zeros(img.shape[:2], np.uint8)
    cv2.line(forearm, (100, 152), (125, 158), 1, 6)  # the forearm's middle, over the bodice
    layers = split_layers(img, mask, kps)
    under = forearm > 0
    assert layers.arms["right"][under].mean() > 0.9 and layers.body[under].mean() > 0.95
    fill = layers.body_rgb[under].astype(int)
    grey = (fill.sum(-1) > 3 * 90).mean()  # lighter than the navy by far: white mixed in
    # nor does the sleeve leave a faint outline of itself: the body's pixels along its edge are
    # that mix too, and are filled
    arm = layers.arms["right"]
    edge = layers.body & ~arm & (cv2.dilate(arm.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    edge[:, :100] = edge[:, 140:] = False
    edge[:140] = edge[200:] = False  # inside the bodice (its own edge is mixed with the white around it)
    faint = (layers.body_rgb[edge].astype(int).sum(-1) > 3 * 90).mean()
    measured(f"white sleeve's soft edge on a navy bodice: {100 * grey:.0f}% of the fill under the forearm greyed, "
             f"{100 * faint:.0f}% of the {edge.sum()} body pixels along the sleeve's edge")
    assert _near(layers.body_rgb[under], navy).mean() > 0.9 and faint < 0.1


def test_a_staff_in_the_hand_goes_with_the_arm(measured):
    """A dark area the arm's band reaches into goes back to the body when it is the body's (a
    bodice, a skirt), not when the hand holds it: a staff sticks out of the figure and
    crosses the body's bones (``render.props``). Stage 1 pair 115 (anime look) holds a staff
    across her thighs in A-pose and raises it in the dance: when the staff was given back it
    stayed at her thigh (SSIM 0.855; carried: 0.872)."""
    ref, kps, tgt, truth, depth = _pair(115, 6 + (15 * 7) % 40, look="anime")
    score = ssim(_white(MeshRenderer(ref, kps).render(tgt, depth)), _white(truth))
    measured(f"Stage 1 pair 115 (a staff in the hand) vs the mesh renderer: SSIM {score:.3f}")
    assert score > 0.865


def _bag_in_hand(hair: bool = False, both: bool = False):
    """Arms down on white, outlined in black, over a pleated red skirt: the right hand holds a
    green bag hanging beside the skirt (``hair``: a yellow lock of hair, of a piece with the
    hair on the head, hangs by the left hand; ``both``: the left hand holds the bag too).
    Returns (picture, joints, bag mask)."""
    img = np.full((320, 240, 3), 255, np.uint8)
    left = dict(left_elbow=(125, 165), left_wrist=(94, 200)) if both else dict(left_elbow=(150, 145),
                                                                               left_wrist=(156, 190))
    pts = _figure_points(right_elbow=(90, 145), right_wrist=(84, 190), **left)
    kps = _keypoints(pts)
    black, skin = (20, 20, 20), (240, 200, 180)
    if hair:
        cv2.rectangle(img, (92, 22), (190, 60), (230, 200, 40), -1)
        cv2.rectangle(img, (165, 22), (190, 215), (230, 200, 40), -1)
        cv2.rectangle(img, (92, 22), (190, 215), black, 2)
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], black, 18)
        cv2.line(img, pts[a], pts[b], (200, 200, 210), 14)
    cv2.rectangle(img, (95, 85), (145, 180), black, -1)
    cv2.rectangle(img, (97, 87), (143, 178), (60, 90, 200), -1)  # blouse
    skirt = np.array([[97, 178], [143, 178], [160, 232], [80, 232]], np.int32)
    cv2.fillPoly(img, [skirt], (200, 40, 50))
    cv2.polylines(img, [skirt], True, black, 2)
    for x in (100, 120, 140):  # pleats: lines with the skirt's colour on both sides
        cv2.line(img, (x + (x - 120) // 6, 180), (x + (x - 120) // 2, 230), black, 1)
    cv2.circle(img, pts["nose"], 28, black, -1)
    cv2.circle(img, pts["nose"], 26, (250, 220, 190), -1)
    bag = np.zeros(img.shape[:2], np.uint8)
    cv2.rectangle(bag, (50, 205), (78, 240), 1, -1)
    cv2.rectangle(img, (48, 203), (80, 242), black, -1)
    img[bag > 0] = (60, 200, 60)
    cv2.line(img, (56, 203), pts["right_wrist"], black, 2)  # the handle
    cv2.line(img, (72, 203), pts["right_wrist"], black, 2)
    for side in ("right", "left"):
        for a, b, width in ((f"{side}_shoulder", f"{side}_elbow", 12), (f"{side}_elbow", f"{side}_wrist", 10)):
            cv2.line(img, pts[a], pts[b], black, width + 4)
            cv2.line(img, pts[a], pts[b], skin, width)
        cv2.circle(img, pts[f"{side}_wrist"], 8, black, -1)
        cv2.circle(img, pts[f"{side}_wrist"], 6, skin, -1)
    return img, kps, bag > 0


def test_a_bag_in_the_hand_goes_with_the_arm(measured):
    """A bag hanging from the hand beside the skirt is of a piece with neither the arm's band
    nor anything cut off from the body: it is a thing of its own (its colour stops at the line
    around it) that touches the hand and lies nearer the hand's bone than any other
    (``props.held_props``). Raised, the arm takes it along; the skirt's pleats by the hands,
    a lock of hair hanging by the other hand and a bag both hands hold stay with the body."""
    img, kps, bag = _bag_in_hand()
    layers = split_layers(img, (img < 250).any(-1), kps)
    carried = layers.arms["right"][bag].mean()
    skirt = _near(img, (200, 40, 50))
    measured(f"a bag in the hand: {carried:.0%} of it in the arm's layer; "
             f"skirt in the arms' layers: {(skirt & (layers.arms['right'] | layers.arms['left'])).sum()} px")
    assert carried > 0.95
    assert (skirt & (layers.arms["right"] | layers.arms["left"])).sum() < 0.02 * skirt.sum()  # the wrists' rims
    raised = kps.copy()
    raised[J["right_elbow"], :2], raised[J["right_wrist"], :2] = (55, 105), (40, 145)  # held out from the body
    out = MeshRenderer(img, kps, mask=(img < 250).any(-1).astype(np.uint8) * 255).render(raised)
    green = _near(out[..., :3], (60, 200, 60)) & (out[..., 3] > 127)
    measured(f"the arm held out: {green[bag].sum()} green px left where the bag was, {green.sum()} in all")
    assert green[bag].sum() < 0.05 * bag.sum() and green.sum() > 0.8 * bag.sum()  # not left at the hip: with the hand
    img, kps, _ = _bag_in_hand(hair=True)
    layers = split_layers(img, (img < 250).any(-1), kps)
    lock = _near(img, (230, 200, 40))
    assert (lock & layers.arms["left"]).sum() < 0.02 * lock.sum()
    img, kps, bag = _bag_in_hand(both=True)  # in both hands: neither hand alone carries it
    layers = split_layers(img, (img < 250).any(-1), kps)
    assert (layers.arms["right"] | layers.arms["left"])[bag].mean() < 0.5


def test_a_figure_drawn_smaller_is_not_aliased():
    """Drawn at 0.4 of its size, a picture of one-pixel stripes comes out an even grey: the
    sources are blurred before bilinear sampling skips pixels (a shrinking figure's line art
    used to break into dots; SSIM vs Stage 1, whose dance poses are 0.6-0.75 of the A-pose's
    size, 0.873 / 0.861 -> 0.875 / 0.865)."""
    ref, kps, *_ = _pair(3, 10)
    stripes = ref.copy()
    stripes[::2, :, :3] = 0
    stripes[1::2, :, :3] = 255
    r = MeshRenderer(stripes, kps)
    centre = np.nanmean(kps[:, :2], axis=0)
    small = kps.copy()
    small[:, :2] = centre + 0.4 * (kps[:, :2] - centre)
    out = r.render(small)
    torso = np.zeros(out.shape[:2], np.uint8)
    quad = small[[J["right_shoulder"], J["left_shoulder"], J["left_hip"], J["right_hip"]], :2]
    cv2.fillPoly(torso, [np.round(centre + 0.6 * (quad - centre)).astype(np.int32)], 1)
    grey = out[torso > 0, :3].astype(float).mean(-1)
    assert grey.std() < 30, f"stripes aliased: grey std {grey.std():.0f}"
    from r2a_utils.render.mesh import BLUR_CACHE

    for f in np.linspace(0.1, 1.0, 12):  # a figure shrinking through many sizes: memory stays bounded
        r.render(np.concatenate([centre + f * (kps[:, :2] - centre), kps[:, 2:]], axis=1))
    assert len(r._blurred) <= BLUR_CACHE + 1


def _outlined_head_and_arms(img: np.ndarray, pts: dict) -> None:
    """Draw a round head and skin-coloured arms outlined in black on ``img`` at the joints ``pts``."""
    black, skin = (20, 20, 20), (240, 200, 180)
    cv2.circle(img, pts["nose"], 28, black, -1)
    cv2.circle(img, pts["nose"], 26, (250, 220, 190), -1)
    for side in ("left", "right"):
        for a, b, width in ((f"{side}_shoulder", f"{side}_elbow", 12), (f"{side}_elbow", f"{side}_wrist", 10)):
            cv2.line(img, pts[a], pts[b], black, width + 4)
            cv2.line(img, pts[a], pts[b], skin, width)


def _hand_on_dress():
    """A figure in a green dress on white, outlined in black, its right hand resting on the
    dress's side at the hip (akimbo). Returns (picture, joints)."""
    img = np.full((320, 240, 3), 255, np.uint8)
    pts = _figure_points(right_elbow=(62, 150), right_wrist=(92, 196), left_elbow=(168, 140), left_wrist=(172, 188))
    black, skin, green = (20, 20, 20), (240, 200, 180), (110, 150, 100)
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], black, 18)
        cv2.line(img, pts[a], pts[b], skin, 14)
    dress = np.array([(100, 85), (140, 85), (165, 260), (75, 260)], np.int32)
    cv2.fillPoly(img, [dress], black)
    cv2.fillPoly(img, [dress + [[2, 2], [-2, 2], [-2, -2], [2, -2]]], green)
    _outlined_head_and_arms(img, pts)
    return img, _keypoints(pts)


def test_a_hand_resting_on_a_dress_leaves_the_dress_behind():
    """The hand's reach is a disc wider than the wrist (an open hand); resting on a dress's
    hip it took a block of the dress, which flew with the hand (anime_green_dress). The
    pixels of the hand in the colour of the body beyond it, not the arm's, stay with the body
    (``layers.body_under_hand``): 391 green pixels by the hand before, none now."""
    img, kps = _hand_on_dress()
    layers = split_layers(img, (img < 250).any(-1), kps)
    by_hand = layers.arms["right"].copy()
    by_hand[:185] = False
    assert _near(img[by_hand], (110, 150, 100)).sum() <= 20
    assert _near(img[by_hand], (240, 200, 180)).sum() >= 50  # the hand itself stays with the arm


def _mitt_on_thigh(legging: bool = False):
    """Arms down on white, outlined in black: the right hand wears a brown mitt lying on the
    right thigh (26824, a pitcher's glove on her thighs), its wrist on the mitt's rim;
    ``legging``: the legs are in the mitt's brown. Returns (picture, joints, mitt mask)."""
    img = np.full((320, 240, 3), 255, np.uint8)
    legs = dict(right_knee=(105, 272), left_knee=(135, 272), right_ankle=(105, 312), left_ankle=(135, 312))
    pts = _figure_points(right_elbow=(86, 150), right_wrist=(100, 212), left_elbow=(162, 140), left_wrist=(168, 185),
                         **legs)
    black, skin, brown = (20, 20, 20), (240, 200, 180), (80, 55, 40)
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], black, 20)
        cv2.line(img, pts[a], pts[b], brown if legging else skin, 16)
    cv2.rectangle(img, (95, 85), (145, 195), black, -1)
    cv2.rectangle(img, (97, 87), (143, 193), (230, 230, 235), -1)  # shirt
    _outlined_head_and_arms(img, pts)
    mitt = np.zeros(img.shape[:2], np.uint8)
    cv2.ellipse(mitt, (102, 236), (20, 22), 0, 0, 360, 1, -1)
    cv2.ellipse(img, (102, 236), (22, 24), 0, 0, 360, black, -1)
    img[mitt > 0] = brown
    cv2.line(img, (84, 232), (120, 232), (60, 40, 30), 1)  # its stitching
    return img, _keypoints(pts), mitt > 0


def test_a_mitt_on_the_hand_goes_with_the_arm(measured):
    """A dark area the hand is drawn in, which the body's bones do not run along, is worn by
    the hand (a glove, a mitt: ``props._worn``): it goes with the arm even where it lies over
    the thigh, nearer the thigh's bone than the hand's, and the thigh behind it is filled in
    its own colour. Before, the arm's band took the mitt's middle and the body kept its sides,
    filled brown: 26824's glove left a brown smear on her thighs. Legs in the mitt's brown
    make one dark area with it, along the legs' bones: it stays with the body."""
    img, kps, mitt = _mitt_on_thigh()
    layers = split_layers(img, (img < 250).any(-1), kps)
    carried = layers.arms["right"][mitt].mean()
    behind = mitt & layers.body
    behind[:218] = False  # below the wrist
    brown = _near(layers.body_rgb[behind], (80, 55, 40)).mean()
    measured(f"a mitt on the thigh: {carried:.0%} of it in the arm's layer, {brown:.0%} of the body behind it brown")
    assert carried > 0.95 and brown < 0.05  # before: 60% carried, 95% brown
    img, kps, mitt = _mitt_on_thigh(legging=True)
    layers = split_layers(img, (img < 250).any(-1), kps)
    legging = _near(img, (80, 55, 40)) & ~mitt
    assert (layers.arms["right"] & legging).sum() < 0.01 * legging.sum()


def test_a_fill_apart_from_the_body_is_dropped():
    """What is filled behind an arm joins the body; a piece of fill touching nothing of it
    would float beside the figure when the arm moves (1001467 at 352 px: a line of fill between
    her tail ribbon's tip and her torso tore 13 frames of 69)."""
    body = np.zeros((40, 40), bool)
    body[10:30, 20:30] = True
    fill = np.zeros_like(body)
    fill[15:25, 15:20] = True  # against the body's side
    fill[5, 2:12] = True  # a line apart
    joined = joined_fill(body, fill)
    assert joined[15:25, 15:20].all() and not joined[5].any()


def test_specks_apart_from_the_arm_are_dropped_from_its_layer():
    """An arm's layer keeps the pieces its bones run through and drops specks apart from them
    (the skirt seen between the garden girl's fingers, which her hand does not touch: they
    floated beside her moving arms, 3 specks of 1-14 px at 384 px); a larger piece apart (a
    thing the hand holds, drawn apart from it) stays."""
    arm = np.zeros((100, 100), bool)
    cv2.line(arm.view(np.uint8), (20, 20), (60, 70), 1, 9)
    arm[80:83, 20:22] = True  # a speck
    arm[5:15, 80:90] = True  # a piece of 2% of the figure, smaller than the arm
    chain = [(np.array([20.0, 20.0]), np.array([40.0, 45.0])), (np.array([40.0, 45.0]), np.array([60.0, 70.0]))]
    kept = on_bones(arm, chain, figure=5000)
    assert kept[45, 40] and kept[10, 85] and not kept[80:83, 20:22].any()


def test_hands_under_the_chin_leave_the_face_to_the_body():
    """Forearms folded up to the chin (1201191): the hand beyond the wrist has the face's
    colour, and used to take the lower face into the arm's layer; in motion the face tore.
    Before the face, a hand keeps only its palm."""
    img = np.full((320, 240, 3), 255, np.uint8)
    skin, ink = (250, 220, 190), (40, 30, 30)
    pts = _figure_points(right_elbow=(86, 160), right_wrist=(108, 72), left_elbow=(154, 160), left_wrist=(132, 72))
    kps = _keypoints(pts)
    cv2.rectangle(img, (92, 88), (148, 205), (228, 228, 232), -1)  # blouse
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], (90, 90, 90), 14)
    cv2.circle(img, pts["nose"], 30, ink, -1)
    cv2.circle(img, pts["nose"], 28, skin, -1)  # the face
    for side in ("right", "left"):
        for a, b in ((f"{side}_shoulder", f"{side}_elbow"), (f"{side}_elbow", f"{side}_wrist")):
            cv2.line(img, pts[a], pts[b], ink, 14)
            cv2.line(img, pts[a], pts[b], skin, 10)
    layers = split_layers(img, (img < 250).any(-1), kps)
    yy, xx = np.mgrid[0:320, 0:240]
    face = np.hypot(xx - 120, yy - 50) < 28
    for side in ("right", "left"):
        w, e = np.array(pts[f"{side}_wrist"]), np.array(pts[f"{side}_elbow"])
        face &= np.hypot(xx - w[0], yy - w[1]) > 0.15 * np.linalg.norm(w - e) + 6  # the palms (and their rim)
    taken = (layers.arms["right"] | layers.arms["left"]) & face
    assert layers.arms["right"].any() and layers.arms["left"].any()
    assert taken.sum() < 0.05 * face.sum(), f"{taken.sum()} of the face's {face.sum()} pixels went with the hands"


def _bent_arm(small: bool = False):
    """A drawing on white: a green dress, the left upper arm hanging down its side and the
    forearm bent out and up to a fist (as anime_green_dress holds hers); ``small``: a figure
    twice as tall whose arms are small beside it (the forearm as long as 4% of its height).
    Returns (picture, joints)."""
    if small:
        img = np.full((640, 240, 3), 255, np.uint8)
        pts = _figure_points(right_elbow=(90, 125), right_wrist=(88, 155), left_elbow=(150, 128),
                             left_wrist=(168, 110), right_hip=(108, 190), left_hip=(132, 190), right_knee=(108, 400),
                             left_knee=(132, 400), right_ankle=(108, 610), left_ankle=(132, 610))
        dress, legs, widths, fist = ((96, 85), (144, 200)), 16, (8, 7, 8, 6), 6
    else:
        img = np.full((320, 240, 3), 255, np.uint8)
        pts = _figure_points(right_elbow=(85, 140), right_wrist=(80, 185), left_elbow=(152, 165),
                             left_wrist=(196, 118), right_hip=(105, 180), left_hip=(135, 180), right_knee=(105, 240),
                             left_knee=(135, 240))
        dress, legs, widths, fist = ((95, 85), (145, 190)), 14, (12, 10, 12, 10), 9
    cv2.rectangle(img, *dress, (60, 130, 60), -1)
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], (90, 90, 90), legs)
    for (a, b), width in zip((("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
                              ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist")), widths):
        cv2.line(img, pts[a], pts[b], (240, 200, 180), width)
    cv2.circle(img, pts["left_wrist"], fist, (240, 200, 180), -1)  # the fist
    cv2.circle(img, pts["nose"], 28, (250, 220, 190), -1)
    return img, _keypoints(pts)


def test_a_small_bent_arm_unfolds_whole(measured):
    """A tall figure's small arm drawn bent (the forearm up to a fist, as anime_green_dress
    holds hers), unfolded straight out: its mesh is skinned with a fall-off of at most
    ``ARM_SKIN_TAU`` of its shorter bone, so the forearm keeps its width. With the figure's
    (4% of its height, here as long as the forearm) the upper arm's map blended into the
    forearm and pinched it to a bent line (0 px wide three quarters along it)."""
    img, kps = _bent_arm(small=True)
    straight = kps.copy()
    shoulder, elbow, wrist = (kps[J[f"left_{n}"], :2] for n in ("shoulder", "elbow", "wrist"))
    straight[J["left_elbow"], :2] = shoulder + (np.linalg.norm(elbow - shoulder), 0)
    straight[J["left_wrist"], :2] = straight[J["left_elbow"], :2] + (np.linalg.norm(wrist - elbow), 0)
    solid = MeshRenderer(img, kps, size=(320, 640)).render(straight)[..., 3] > 127
    e, w = straight[J["left_elbow"], :2], straight[J["left_wrist"], :2]
    y = int(round(e[1]))
    widths = [int(solid[y - 12:y + 12, int(round(e[0] + q * (w[0] - e[0])))].sum()) for q in (0.25, 0.5, 0.75)]
    measured(f"a small bent arm unfolded: forearm {widths} px wide at 1/4, 1/2, 3/4 (drawn 6)")
    assert min(widths) >= 3


def test_an_arm_seen_in_pieces_stays_in_the_body():
    """Joints a little off a forearm (here the elbow placed halfway up the upper arm, as the
    pose network put anime_green_dress's) lay the forearm's bone over the background: the band
    around it holds the fist but not the forearm. Such an arm gets no layer of its own (it is
    skinned with the body), so a raised arm keeps its fist."""
    img, kps = _bent_arm()
    mask = (img < 250).any(-1)
    assert split_layers(img, mask, kps).arms["left"].any()  # true joints: the arm has its layer
    off = kps.copy()
    off[J["left_elbow"], :2] = (149, 125)
    assert not split_layers(img, mask, off).arms["left"].any()
    raised = off.copy()
    raised[J["left_elbow"], :2] = (185, 80)
    raised[J["left_wrist"], :2] = (215, 40)
    r = MeshRenderer(img, off)
    assert pieces(r.render(raised)) == 1
    # the run's summary says so, and where to look (anime_green_dress's arms pull her dress up)
    assert MeshRenderer(img, kps).notes == [] and "the left arm got no layer" in r.notes[0]
    assert "joints editor" in r.notes[0]


@pytest.mark.parametrize("cls", RENDERERS)
def test_raising_an_arm_leaves_the_hair_it_lay_on(cls):
    """The mesh renderer raises the arm alone: the hair stays where it hung, the place the arm
    covered is filled. (The part-cutting renderer takes the hair up with the arm: xfail.)"""
    img, kps, arm = _arm_over_hair()
    tgt = kps.copy()
    tgt[J["right_elbow"], :2] = (60, 70)
    tgt[J["right_wrist"], :2] = (40, 30)
    out = cls(img, kps).render(tgt)
    solid = out[..., 3] > 127
    hair = _near(out[..., :3], (230, 200, 40)) & solid
    hung = np.zeros_like(hair)
    hung[70:211, 72:101] = True
    if cls is PartsRenderer:
        pytest.xfail("the part-cutting renderer carries the hair with the arm")
    assert (hair & hung).sum() / (hung & ~arm).sum() > 0.9
    assert (hair & ~hung).sum() < 0.05 * hung.sum()
    assert solid[arm & (np.arange(arm.shape[0])[:, None] > 110)].mean() > 0.95  # no hole where the arm was
    assert pieces(out) == 1


def test_real_drawings_with_true_joints_stay_whole(shared, measured):
    """Plain-background drawings from the dev set with their ground-truth joints, animated
    with the real dance (OpenPose keypoints of dance_stage): at most 10% torn frames. ARAP
    on the same meshes used to tear more (it folds long skirts between the legs); since
    session 15's cut-out and placement fixes the benchmark measures them about even (plain
    4% / 4%, busy 2% / 3% over three heights), so here skinning must not be worse than ARAP
    by more than one frame in 36 on average (18 frames a drawing). Skinning stays the
    default for drawn_char1 (whole in every frame, ARAP not), fewer notches and speed."""
    from r2a_utils.joints import from_anime_drawings_file, save_joints
    from r2a_utils.picture import load_picture
    from r2a_utils.pipeline import MotionSource, load_character, place_on_canvas, retarget
    from r2a_utils.skeleton import read_openpose_folder

    data = shared / "anime_drawings_dataset" / "data.json"
    entries = json.loads(data.read_text())
    index = {e["file_name"].rsplit("/", 1)[-1].split(".")[0]: i for i, e in enumerate(entries)}
    dance = MotionSource(read_openpose_folder(shared / "keypoints" / "dance_stage_openpose25")[::4], 6.0,
                         "dance_stage", [])
    shares, arap = {}, {}
    for stem in ("1001467", "1154359", "13127", "1804844"):
        path = next((shared / "anime_drawings_dev").glob(stem + ".*"))
        joints = save_joints(tmp := Path(tempfile.mkdtemp()) / f"{stem}.joints.json",
                             from_anime_drawings_file(data, index[stem], load_picture(path).size))
        char = load_character(path, joints)
        staged = place_on_canvas(char, retarget(dance, char)[0], 256)
        for deform, store in (("lbs", shares), ("arap", arap)):
            r = MeshRenderer(staged.reference, staged.character_keypoints, staged.mask, deform=deform)
            store[stem] = tear_report((r.render(t) for t in staged.targets),
                                      r.render(staged.character_keypoints))["torn_share"]
        tmp.unlink()
    measured("real drawings x dance_stage, torn frames: " + ", ".join(f"{k} {v:.2f}" for k, v in shares.items())
             + "; with ARAP: " + ", ".join(f"{k} {v:.2f}" for k, v in arap.items()))
    assert np.mean(list(shares.values())) <= 0.10
    assert np.mean(list(shares.values())) <= np.mean(list(arap.values())) + 1 / 36


def test_busy_background_drawings_with_true_joints_stay_whole(shared, measured):
    """Two busy-background dev drawings that used to tear at 384 px: 26824 (GrabCut's clean-up
    dropped the shirt's shading, the sky's grey-blue, and the torso hung on a thread: 26% of
    frames) and 1149571 (a hair tip joined by a one-pixel line floated off: 80%)."""
    from r2a_utils.joints import from_anime_drawings_file, save_joints
    from r2a_utils.picture import load_picture
    from r2a_utils.pipeline import MotionSource, load_character, place_on_canvas, retarget
    from r2a_utils.skeleton import read_openpose_folder

    data = shared / "anime_drawings_dataset" / "data.json"
    entries = json.loads(data.read_text())
    index = {e["file_name"].rsplit("/", 1)[-1].split(".")[0]: i for i, e in enumerate(entries)}
    dance = MotionSource(read_openpose_folder(shared / "keypoints" / "dance_stage_openpose25")[::4], 6.0,
                         "dance_stage", [])
    shares = {}
    for stem in ("26824", "1149571"):
        path = next((shared / "anime_drawings_dev").glob(stem + ".*"))
        joints = save_joints(tmp := Path(tempfile.mkdtemp()) / f"{stem}.joints.json",
                             from_anime_drawings_file(data, index[stem], load_picture(path).size))
        char = load_character(path, joints)
        tmp.unlink()
        if stem == "26824":  # the cut-out holds the whole torso
            quad = char.keypoints[[J["right_shoulder"], J["left_shoulder"], J["left_hip"], J["right_hip"]], :2]
            torso = cv2.fillPoly(np.zeros(char.mask.shape, np.uint8), [np.round(quad).astype(np.int32)], 1) > 0
            assert (char.mask[torso] > 127).mean() > 0.98  # the shirt was cut: 0.92
        staged = place_on_canvas(char, retarget(dance, char)[0], 384)
        r = MeshRenderer(staged.reference, staged.character_keypoints, staged.mask)
        shares[stem] = tear_report((r.render(t) for t in staged.targets),
                                   r.render(staged.character_keypoints))["torn_share"]
    measured("busy drawings x dance_stage at 384 px, torn frames: "
             + ", ".join(f"{k} {v:.2f}" for k, v in shares.items()))
    # 26824's remaining torn frames (2 of 18) are small slits where the glove meets the knees
    assert max(shares.values()) <= 0.15


def test_a_piece_hanging_by_a_hairline_is_dropped():
    """A small blob joined to the figure by a one-pixel line (a hair tip) is dropped, the line
    kept; the same blob on a neck three pixels wide, or a large piece on a hairline, stays."""
    from r2a_utils.render.base import drop_hairline_pieces

    fig = np.zeros((120, 120), bool)
    fig[20:100, 20:70] = True  # the figure: 4000 px
    hung = fig.copy()
    hung[50, 70:90] = True  # a one-pixel line
    hung[45:52, 90:96] = True  # a 42 px tip (1% of the figure: 40 px)
    out = drop_hairline_pieces(hung, share=0.02)
    assert not out[45:52, 91:96].any() and out[50, 70:88].all() and (out[fig]).all()
    neck = fig.copy()
    neck[49:52, 70:90] = True
    neck[45:52, 90:96] = True
    assert (drop_hairline_pieces(neck, share=0.02) == neck).all()
    big = hung.copy()
    big[30:60, 90:115] = True  # 750 px on the same line
    assert (drop_hairline_pieces(big, share=0.02) == big).all()


def test_the_arm_reaches_past_a_muscle_line_but_not_into_the_torso():
    """A line drawn inside an arm (a muscle, a fold: the arm's colour again beyond it) is
    crossed; the arm's outline against a torso of another colour is not."""
    from r2a_utils.render.reach import across_width

    rgb = np.full((200, 300, 3), 255, np.uint8)
    mask = np.zeros((200, 300), bool)
    mask[60:160, 40:260] = True
    rgb[60:160, 40:260] = (240, 200, 180)  # skin: the arm runs along y=80, its underside down to y=130
    rgb[100:102, 40:260] = (90, 50, 40)  # a muscle line inside it, 20 px below the bone
    rgb[130:133, 40:260] = (30, 30, 30)  # the arm's outline
    rgb[133:160, 40:260] = (230, 120, 30)  # an orange torso beyond it
    a, b = np.array([50.0, 80.0]), np.array([250.0, 80.0])
    below = across_width(rgb, mask, a, b, 100)[0]  # the side of (-dy, dx): +y here
    assert np.allclose(below, 53.5, atol=1.5), below  # to the outline's far side (y=133), past the muscle line
    rgb[102:160, 40:260] = (230, 120, 30)  # now the line is the arm's outline: the walk stops there
    assert np.allclose(across_width(rgb, mask, a, b, 100)[0], 22.5, atol=1.5)


def test_the_hand_goes_on_past_a_line_across_it():
    """A sleeve's cuff is drawn as a line at the wrist, and the hand beyond it is another
    colour: the hand still goes with the arm, up to where the cut-out ends."""
    from r2a_utils.render.layers import _arm_chain

    rgb = np.full((200, 300, 3), 255, np.uint8)
    mask = np.zeros((200, 300), bool)
    mask[90:110, 50:232] = True  # shoulder at x=50, elbow 110, wrist 170, fingertips 231
    rgb[90:110, 50:172] = (235, 235, 240)  # white sleeve
    rgb[90:110, 172:175] = (30, 30, 30)  # the cuff's line
    rgb[90:110, 175:232] = (240, 200, 180)  # skin
    kps = np.full((18, 3), np.nan)
    kps[J["right_shoulder"]] = (50, 100, 1)
    kps[J["right_elbow"]] = (110, 100, 1)
    kps[J["right_wrist"]] = (170, 100, 1)
    (_, _), (_, wrist), (_, tip) = _arm_chain(rgb, mask, kps, "right")
    assert tip[0] - wrist[0] >= 0.4 * 60  # the hand's share of the forearm, past the line


def test_quality_measures_see_a_tear():
    solid = np.zeros((100, 60, 4), np.uint8)
    solid[10:90, 20:40] = 255
    torn = solid.copy()
    torn[49:52] = 0  # a cut across the body: two pieces
    notched = solid.copy()
    notched[40:60, 20:23] = 0  # a wedge in the outline
    assert pieces(solid) == 1 and pieces(torn) == 2
    assert notch_share(notched) > notch_share(solid) == 0.0
    assert tear_report([torn], solid)["torn"] == 1 and tear_report([solid], solid)["torn"] == 0


def _figure_with_arm_down() -> tuple[np.ndarray, np.ndarray]:
    """A torso with the right arm hanging along it, the hand against the hip: a slit of
    background the pose closes. The left arm is held out."""
    rgba = np.zeros((460, 340, 4), np.uint8)
    rgba[100:400, 100:200] = 255  # torso
    cv2.circle(rgba, (150, 70), 32, (255, 255, 255, 255), -1)  # head
    rgba[100:115, 70:100] = 255  # right shoulder
    rgba[100:340, 70:94] = 255  # right arm, 6 px from the torso
    rgba[320:340, 70:100] = 255  # right hand on the hip
    rgba[105:125, 200:300] = 255  # left arm, held out
    return rgba, _keypoints({"nose": (150, 70), "neck": (150, 100), "right_shoulder": (100, 108),
                             "right_elbow": (82, 220), "right_wrist": (82, 330), "left_shoulder": (195, 110),
                             "left_elbow": (250, 115), "left_wrist": (300, 115), "right_hip": (115, 395),
                             "left_hip": (185, 395)})


def test_a_slit_the_pose_closes_is_told_from_a_tear():
    from r2a_utils.render.quality import hole_area, pose_made

    figure, kps = _figure_with_arm_down()
    rest = figure.copy()
    rest[100:340, 70:100] = 0  # at rest the arm is elsewhere: no slit
    slit = (figure[..., 3] == 0) & (np.arange(340) >= 94)[None] & (np.arange(340) < 100)[None]
    slit &= (np.arange(460) >= 115)[:, None] & (np.arange(460) < 320)[:, None]
    assert pose_made(slit, figure[..., 3] > 0, kps)  # hand on the hip
    torn = figure.copy()
    torn[200:260, 140:146] = 0  # a slit inside the torso
    assert not pose_made((torn[..., 3] == 0) & (figure[..., 3] > 0), torn[..., 3] > 0, kps)
    assert hole_area(figure) > 0 and hole_area(figure, pose=kps) == 0 < hole_area(torn, pose=kps)
    strict = tear_report([figure, torn], rest)
    split = tear_report([figure, torn], rest, poses=[kps, kps], rest_pose=kps)
    assert (strict["torn"], split["torn"], split["enclosed"]) == (2, 1, 1)
    assert (split["torn_frames"], split["pose_closed_frames"]) == ([1], [0])  # which frames, for contact sheets
    from r2a_utils.render.quality import tear_view

    blue, magenta = (40, 80, 255), (230, 0, 230)
    view, torn_view = tear_view(figure, kps), tear_view(torn, kps)
    assert (view[slit] == blue).all() and not (view == magenta).all(-1).any()
    assert (torn_view[200:260, 140:146] == magenta).all() and (torn_view[slit] == blue).all()


def test_the_parts_the_renderer_drew_tell_a_slit_between_one_line_strokes():
    """A stick figure's arm is a single line: drawn along the torso, its pixels lie nearer the
    torso's bones than its own, so by distance the slit between them looks like a slit in the
    torso. The part the renderer drew at each pixel (``render_with_owners``) tells them apart."""
    from r2a_utils.render.bones import PARTS
    from r2a_utils.render.quality import pose_made

    figure, kps = _figure_with_arm_down()
    kps[J["right_elbow"], 0] = kps[J["right_wrist"], 0] = 120  # the arm's bone drawn inside the torso's outline
    slit = (figure[..., 3] == 0) & (np.arange(340) >= 94)[None] & (np.arange(340) < 100)[None]
    slit &= (np.arange(460) >= 115)[:, None] & (np.arange(460) < 320)[:, None]
    solid = figure[..., 3] > 0
    assert not pose_made(slit, solid, kps)  # every pixel around it is nearest the torso
    owners = np.where(solid, PARTS.index("torso"), -1).astype(np.int8)
    owners[100:340, 70:94] = PARTS.index("right_forearm")  # as the renderer drew them
    owners[320:340, 70:100] = PARTS.index("right_forearm")
    assert pose_made(slit, solid, kps, owners=owners)
    torn = owners.copy()
    torn[:, :] = np.where(solid, PARTS.index("torso"), -1)  # all one part around it: a tear
    assert not pose_made(slit, solid, kps, owners=torn)
    ref, ref_kps, tgt, _, depth = _pair()  # the renderer's own map: a part wherever the figure is
    r = MeshRenderer(ref, ref_kps)
    frame, seen = r.render_with_owners(tgt, depth)
    shown = frame[..., 3] > 127
    assert np.array_equal(frame, r.render(tgt, depth))
    assert (seen[shown] >= 0).mean() > 0.99 and (seen[frame[..., 3] == 0] == -1).all()


def test_drawn_pose_hangs_the_limbs_from_the_drawn_torso():
    """A drawing whose arms join the torso low down: the target's shoulders are moved to where
    the torso carries them, and the arms with them (``bones.drawn_pose``)."""
    from r2a_utils.render.bones import drawn_pose

    _, kps = _figure_with_arm_down()
    kps[J["right_shoulder"]] = (120, 200, 1)  # drawn low, as AnimatedDrawings' children do
    target = kps.copy()
    target[J["right_shoulder"], :2] = (60, 100)  # a performer's shoulder, out to the side
    target[J["right_elbow"], :2] = (40, 160)
    drawn = drawn_pose(kps, target)
    assert np.allclose(drawn[J["right_shoulder"], :2], (120, 200))
    assert np.allclose(drawn[J["right_elbow"], :2] - drawn[J["right_shoulder"], :2], (-20, 60))
    assert np.allclose(drawn[J["neck"]], target[J["neck"]])


def _legs_together() -> tuple[np.ndarray, np.ndarray]:
    """A figure standing with its legs pressed together, one dark line drawn between them."""
    rgba = np.zeros((220, 140, 4), np.uint8)
    rgba[20:95, 40:100] = (120, 180, 220, 255)  # shirt
    rgba[95:200, 44:96] = (240, 200, 180, 255)  # legs
    rgba[95:200, 68:72] = (40, 30, 30, 255)  # the line between them
    cv2.circle(rgba, (70, 12), 10, (250, 220, 200, 255), -1)
    return rgba, _keypoints({"nose": (70, 12), "neck": (70, 22), "right_shoulder": (46, 26), "left_shoulder": (94, 26),
                             "right_elbow": (46, 55), "left_elbow": (94, 55), "right_wrist": (46, 85),
                             "left_wrist": (94, 85), "right_hip": (57, 95), "left_hip": (83, 95),
                             "right_knee": (57, 145), "left_knee": (83, 145), "right_ankle": (57, 195),
                             "left_ankle": (83, 195)})


def test_legs_drawn_together_come_apart_without_stripes():
    """Spreading legs drawn side by side opens a clean gap between them (``render.seams``),
    not the line between them stretched into stripes; at rest the picture is unchanged."""
    from r2a_utils.render import seams

    rgba, kps = _legs_together()
    spread = kps.copy()
    spread[J["right_knee"], :2], spread[J["right_ankle"], :2] = (40, 140), (22, 190)
    spread[J["left_knee"], :2], spread[J["left_ankle"], :2] = (100, 140), (118, 190)
    r = MeshRenderer(rgba, kps)
    assert seams.cut_rows(r.layers.body, rgba[..., :3], kps) is not None
    out = r.render(spread)
    between = out[150:195, 66:74, 3]  # below the crotch, between the spread legs
    assert (between > 40).mean() < 0.05
    rest = r.render(kps)
    assert np.abs(rest.astype(int) - rgba.astype(int)).max(-1)[rgba[..., 3] > 0].mean() < 8
    # legs crossed in the picture (shins swapped): the line between them is not where they part
    crossed = kps.copy()
    crossed[J["right_ankle"], :2], crossed[J["left_ankle"], :2] = (83, 195), (57, 195)
    assert seams.side_by_side(kps) and not seams.side_by_side(crossed)
    # a skirt over both legs, drawn without a line between them, is not cut
    skirt = rgba.copy()
    skirt[95:200, 44:96] = (90, 60, 160, 255)
    assert seams.cut_rows(MeshRenderer(skirt, kps).layers.body, skirt[..., :3], kps) is None


def test_mask_from_plain_background_by_grabcut():
    ref, kps, _, _, _ = _pair()
    mask = character_mask(_white(ref), None, kps)
    truth = ref[..., 3] > 127
    iou = (mask & truth).sum() / (mask | truth).sum()
    assert iou > 0.85


def test_grabcut_on_a_large_picture_is_cut_small_and_scaled_back():
    """A picture larger than GRABCUT_SIDE (here 4x the test pair, 768x1024) is cut at that size:
    the mask comes back at the picture's size and still fits the figure."""
    from r2a_utils.render.cutout import GRABCUT_SIDE, grabcut_cutout

    ref, kps, _, _, _ = _pair()
    big = cv2.resize(_white(ref), None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    assert max(big.shape[:2]) > GRABCUT_SIDE
    mask = grabcut_cutout(big, kps * np.array([4, 4, 1]))
    truth = cv2.resize(ref[..., 3], None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST) > 127
    assert mask.shape == truth.shape and (mask & truth).sum() / (mask | truth).sum() > 0.85


def test_paper_cutout_keeps_the_space_between_arm_and_body():
    """A figure on a plain page with an arm on its hip: the enclosed page stays out of the cut-out."""
    ref, kps, _, _, _ = _pair()
    page = _white(ref)
    mask = character_mask(page, None, kps)
    truth = ref[..., 3] > 127
    assert (mask & truth).sum() / (mask | truth).sum() > 0.9


def test_a_shaded_page_is_cut_by_its_own_shading():
    """A figure photographed on paper: the page darkens from one corner to the other, so it is
    not one colour; the cut-out follows the shading instead of falling back to GrabCut."""
    from r2a_utils.render.cutout import plain_background, shaded_page

    ref, kps, _, _, _ = _pair()
    h, w = ref.shape[:2]
    v, u = np.mgrid[0:h, 0:w]
    page = np.clip(235 - 90 * (u / w) * (v / h) - 30 * (v / h) ** 2, 0, 255)[..., None] * np.array([1.0, 0.97, 0.88])
    a = ref[..., 3:4] / 255.0
    picture = (ref[..., :3] * a + page * (1 - a)).astype(np.uint8)
    assert not plain_background(picture) and shaded_page(picture) is not None
    mask, truth = character_mask(picture, None, kps), ref[..., 3] > 127
    assert (mask & truth).sum() / (mask | truth).sum() > 0.9


def test_a_picture_framed_on_the_page_is_cut_inside_its_frame():
    """A checked panel drawn on the paper behind the figure (the legs hang below it): the
    paper's colour is flooded away, but the panel stays as a block around the figure, and
    GrabCut on the whole picture, whose likely figure is the skeleton's box, keeps it too.
    GrabCut inside the block, learning the panel's colours from its parts far from the bones,
    drops it."""
    img = np.full((360, 260, 3), 250, np.uint8)
    yy, xx = np.mgrid[0:360, 0:260]
    panel = np.zeros((360, 260), bool)
    panel[15:255, 8:252] = True
    check = ((yy // 8 + xx // 8) % 2).astype(bool)
    img[panel & check], img[panel & ~check] = (225, 200, 195), (240, 220, 215)
    pts = {"nose": (130, 70), "neck": (130, 105), "right_shoulder": (105, 112), "left_shoulder": (155, 112),
           "right_elbow": (70, 150), "right_wrist": (35, 185), "left_elbow": (190, 150), "left_wrist": (225, 185),
           "right_hip": (115, 205), "left_hip": (145, 205), "right_knee": (110, 265), "left_knee": (150, 265),
           "right_ankle": (108, 330), "left_ankle": (152, 330)}
    kps = _keypoints(pts)
    fig = np.zeros((360, 260), np.uint8)
    cv2.circle(fig, pts["nose"], 32, 1, -1)
    cv2.rectangle(fig, (103, 100), (157, 215), 1, -1)
    for a, b in (("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"), ("left_shoulder", "left_elbow"),
                 ("left_elbow", "left_wrist"), *LEGS):
        cv2.line(fig, pts[a], pts[b], 1, 16)
    fig = fig > 0
    img[fig] = (230, 140, 140)  # a pink dress, near the panel's colours
    img[fig & (yy < 100)] = (250, 215, 190)  # the face
    img[fig & ~(cv2.erode(fig.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)] = (30, 30, 30)  # its outline
    m = character_mask(img, None, kps)
    assert (m & fig).sum() / (m | fig).sum() > 0.9


def test_scenery_behind_the_figure_is_cut_away_with_the_person_segmentation():
    """A figure before sky and lawn with a board of its dress's colour behind its side, inside
    the skeleton's box. GrabCut alone, whose likely figure is that box, keeps the board (its
    colour is the figure's); mediapipe's person segmentation rules the board out, so it
    starts as background and GrabCut drops it."""
    from r2a_utils.render.cutout import grabcut_cutout, not_a_person

    ref, kps, _, _, _ = _pair()
    h, w = ref.shape[:2]
    truth = ref[..., 3] > 127
    scene = np.zeros((h, w, 3), np.float32)
    scene[:] = (120, 180, 235)
    scene[int(0.6 * h):] = (70, 140, 60)
    right = int(np.nonzero(truth.any(0))[0].max())
    scene[int(0.25 * h):int(0.8 * h), right - 25:right + 8] = np.median(ref[..., :3][truth], axis=0)
    scene += np.random.default_rng(0).normal(0, 4, scene.shape)
    a = ref[..., 3:4] / 255.0
    picture = np.clip(ref[..., :3] * a + scene * (1 - a), 0, 255).astype(np.uint8)
    iou = lambda m: (m & truth).sum() / (m | truth).sum()  # noqa: E731
    assert not_a_person(picture, kps) is not None  # the segmentation sees this figure
    assert iou(grabcut_cutout(picture, kps, person=False)) < 0.8
    assert iou(character_mask(picture, None, kps)) > 0.95


def test_an_enclosed_piece_of_a_colour_the_border_lacks_is_the_figures():
    """GrabCut can keep a cape's outline and drop its inside. A piece the figure encloses whose
    colours are nowhere on the picture's border goes back in; a gap showing the border's sky stays out."""
    from r2a_utils.render.cutout import _restore_enclosed

    rgb = np.zeros((120, 100, 3), np.uint8)
    rgb[:] = (120, 180, 235)  # sky
    rgb[20:100, 10:45] = (150, 40, 170)  # inside of a purple cape
    m = np.zeros((120, 100), bool)
    m[15:105, 5:95] = True
    m[20:100, 10:45] = False  # the cape's inside, dropped
    m[20:100, 55:90] = False  # a gap showing the sky
    out = _restore_enclosed(m, rgb)
    assert out[20:100, 10:45].all() and not out[20:100, 55:90].any()


def test_specks_in_a_grabcut_figure_are_filled_and_gaps_stay():
    """A dot or a highlight GrabCut gave to the background is a speck in the figure (it would
    stretch into a slit as the mesh moves); a gap of a few hundred pixels stays open."""
    from r2a_utils.render.cutout import SPECK, fill_small_holes

    m = np.zeros((200, 200), bool)
    m[10:190, 10:190] = True
    m[50:54, 50:54] = False  # 16 px: a speck
    m[100:140, 60:70] = False  # 400 px, over SPECK of the figure: a gap
    out = fill_small_holes(m, share=SPECK)
    assert 16 < SPECK * m.sum() < 400
    assert out[50:54, 50:54].all() and not out[100:140, 60:70].any()


def test_the_fighters_hair_on_a_shaded_page(shared):
    """anime_fighter_plain: black hair above the raised arms on a shaded page with lettering.
    GrabCut, seeded on the bones, lost the hair; the shaded-page cut-out keeps it."""
    from r2a_utils.picture import load_picture
    from r2a_utils.pose.anime import AnimePoseEstimator

    pic = load_picture(shared / "characters" / "anime_fighter_plain.jpeg")
    kps = AnimePoseEstimator().estimate_image(pic)
    mask = character_mask(pic.rgb, None, kps)
    nose, neck = kps[J["nose"], :2], kps[J["neck"], :2]
    head = 1.5 * np.linalg.norm(nose - neck)
    x0, x1 = int(nose[0] - head), int(nose[0] + head)
    y0, y1 = int(nose[1] - 1.5 * head), int(nose[1])
    hair = pic.rgb[y0:y1, x0:x1].max(-1) < 60  # black strokes around the face
    assert hair.sum() > 500 and mask[y0:y1, x0:x1][hair].mean() > 0.9


def test_a_page_that_is_not_one_colour_gives_way_to_grabcut(shared, measured):
    """Two dev drawings on a 'plain' page that is not one colour (a sky; lettering joined to
    the figure): the colour-distance cut-out takes a block around the figure, GrabCut does not."""
    from r2a_utils.joints import from_anime_drawings_file
    from r2a_utils.picture import load_picture
    from r2a_utils.render.cutout import paper_cutout

    data = shared / "anime_drawings_dataset" / "data.json"
    index = {e["file_name"].rsplit("/", 1)[-1].split(".")[0]: i for i, e in enumerate(json.loads(data.read_text()))}
    for stem in ("1826828", "994026"):
        pic = load_picture(next((shared / "anime_drawings_dev").glob(stem + ".*")))
        kps = from_anime_drawings_file(data, index[stem], pic.size).keypoints
        page, found = paper_cutout(pic.rgb, kps), character_mask(pic.rgb, None, kps)
        measured(f"{stem}: page cut-out {page.mean():.2f} of the picture, the cut-out used {found.mean():.2f}")
        assert found.mean() < 0.35 < page.mean()
        assert (found & ~page).sum() < 0.02 * found.sum()  # a part of the page's cut-out, not another shape


@pytest.mark.parametrize("cls", RENDERERS)
def test_bad_inputs(cls):
    ref, kps, tgt, _, _ = _pair()
    bad = kps.copy()
    bad[J["left_elbow"]] = np.nan
    with pytest.raises(KeypointError, match="left_elbow"):
        cls(ref, bad)
    with pytest.raises(RendererError, match="mask is"):
        cls(ref[..., :3], kps, mask=np.zeros((10, 10), np.uint8))
    with pytest.raises(RendererError, match="not available"):
        make_renderer("nonsense", ref, kps)
    wr = cls(ref, kps)
    no_torso = tgt.copy()
    no_torso[J["neck"]] = np.nan
    with pytest.raises(KeypointError, match="neck"):
        wr.render(no_torso)
    no_arm = tgt.copy()
    no_arm[J["right_wrist"]] = np.nan  # a lost limb is left out, the rest is drawn
    assert wr.render(no_arm)[..., 3].any()


def _hand_on_black_skirt(outline: tuple[int, int, int], painted: bool = True, hand: tuple[int, int] = (116, 204)):
    """A white sleeve outlined in ``outline``, its hand (centred at ``hand``) lying on a black
    skirt with the skirt showing between the fingers; ``painted``: edges soft, else crisp line
    art. Returns (picture, joints, skirt-coloured pixels, the arm's outline between the root
    and the hand)."""
    img = np.full((320, 240, 3), 255, np.uint8)
    pts = _figure_points(right_elbow=(88, 150), right_wrist=(hand[0] - 4, hand[1] - 9))
    kps = _keypoints(pts)
    black, sleeve, skin = (22, 28, 48), (236, 236, 240), (245, 210, 190)
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], (200, 200, 210), 16)
    cv2.rectangle(img, (95, 85), (145, 150), (230, 225, 225), -1)  # blouse
    cv2.rectangle(img, (92, 150), (150, 235), black, -1)  # skirt
    cv2.circle(img, pts["nose"], 28, (250, 220, 190), -1)
    cv2.line(img, pts["left_shoulder"], (150, 190), sleeve, 12)
    outer, inner = np.zeros(img.shape[:2], np.uint8), np.zeros(img.shape[:2], np.uint8)
    for a, b in (("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist")):
        cv2.line(outer, pts[a], pts[b], 1, 16)
        cv2.line(inner, pts[a], pts[b], 1, 12)
    cv2.circle(outer, hand, 11, 1, -1)
    cv2.circle(inner, hand, 9, 2, -1)  # the hand, lying on the skirt
    img[outer > 0], img[inner == 1], img[inner == 2] = outline, sleeve, skin
    img = cv2.GaussianBlur(img, (3, 3), 0) if painted else img
    for dx in (-4, 0, 4):  # the skirt seen between the fingers
        cv2.line(img, (hand[0] + dx, hand[1] - 4), (hand[0] + dx, hand[1] + 6), black, 1)
    skirt = np.abs(img.astype(int) - black).sum(-1) < 45
    ring = (outer > 0) & (inner == 0)
    ring[:110] = ring[195:] = False  # the root (in both layers); the hand (the band stops at the wrist's colour)
    return img, kps, skirt, ring


def test_a_hand_on_a_black_skirt_leaves_the_skirt_behind(measured):
    """A white sleeve outlined in grey, its hand lying on a black skirt with the skirt showing
    between the fingers (the garden girl): the skirt's soft rim by the forearm and the specks
    between the fingers are the skirt's colour, not the arm's lines, and stay with the body
    (``props.dark_body_rim``); the sleeve keeps its grey outline. Outlined in the skirt's own
    black (line art), the arm keeps all its lines: there the rim is not told from them."""
    img, kps, skirt, ring = _hand_on_black_skirt((130, 128, 136))
    arm = split_layers(img, (img < 250).any(-1), kps).arms["right"]
    outline = ring & (img.sum(-1) > 300)  # grey, not blurred into the skirt
    carried, kept = int((arm & skirt).sum()), (arm & outline).sum() / max(outline.sum(), 1)
    measured(f"a hand on a black skirt: {carried} skirt pixels in the arm's layer, {kept:.0%} of its outline kept")
    assert carried < 20 and kept > 0.75
    img, kps, skirt, ring = _hand_on_black_skirt((22, 28, 48), painted=False)
    arm = split_layers(img, (img < 250).any(-1), kps).arms["right"]
    kept = (arm & ring).sum() / ring.sum()
    measured(f"line art outlined in the skirt's black: {kept:.0%} of its outline kept")
    assert kept > 0.65  # as before the rule (68%: by the skirt the outline is one dark area with it); 61% without


def test_skirt_seen_between_fingers_beyond_the_skirts_edge_goes_with_the_hand(measured):
    """The same hand lying at the skirt's edge, half of it beyond: the specks of skirt between
    its fingers inside the skirt stay with the body, where it is filled behind the hand, but
    those beyond the skirt's edge would float there when the hand is raised (the garden girl's
    ragged bits beside her skirt): they go with the hand."""
    img, kps, skirt, _ = _hand_on_black_skirt((130, 128, 136), hand=(93, 204))
    mask = (img < 250).any(-1)
    layers = split_layers(img, mask, kps)
    beyond = np.zeros(skirt.shape, bool)
    beyond[185:225, :91] = True  # left of the skirt's edge (x = 92), by the hand
    floating = int((layers.body & beyond).sum())
    pieces = [cv2.connectedComponents(m.astype(np.uint8), connectivity=8)[0] - 1 for m in (layers.body, mask)]
    measured(f"a hand at the skirt's edge: {floating} body pixels beyond the skirt by the hand, "
             f"{pieces[0]} body pieces (the picture: {pieces[1]}, the head drawn apart)")
    assert floating == 0 and pieces[0] == pieces[1]
    assert (layers.arms["right"] & skirt & beyond).any()  # the specks there went with the hand


def test_forearms_folded_over_the_whole_chest_leave_the_torso_behind(measured):
    """Forearms held up side by side before the chest, covering it from edge to edge, the
    hands at the chin (1201191): the body goes on across neither arm (the figure's edge is
    beyond each), so the chest was not filled, and raised arms left a gap between the head
    and the waist. The torso's middle is behind whatever arm lies on it
    (``behind.torso_core``), filled with the blouse seen between and below the arms."""
    img = np.full((320, 240, 3), 255, np.uint8)
    skin, ink = (250, 220, 190), (40, 30, 30)
    pts = _figure_points(right_shoulder=(104, 92), left_shoulder=(136, 92), right_elbow=(106, 178),
                         right_wrist=(110, 96), left_elbow=(134, 178), left_wrist=(130, 96))
    kps = _keypoints(pts)
    cv2.rectangle(img, (100, 88), (140, 205), (228, 228, 232), -1)  # blouse
    for a, b in LEGS:
        cv2.line(img, pts[a], pts[b], (90, 90, 90), 14)
    cv2.circle(img, pts["nose"], 30, ink, -1)
    cv2.circle(img, pts["nose"], 28, skin, -1)
    for side in ("right", "left"):
        for a, b in ((f"{side}_shoulder", f"{side}_elbow"), (f"{side}_elbow", f"{side}_wrist")):
            cv2.line(img, pts[a], pts[b], ink, 20)
        for a, b in ((f"{side}_shoulder", f"{side}_elbow"), (f"{side}_elbow", f"{side}_wrist")):
            cv2.line(img, pts[a], pts[b], skin, 16)
    mask = (img < 250).any(-1)
    layers = split_layers(img, mask, kps)
    chest = np.zeros_like(mask)
    chest[110:160, 108:133] = True
    filled = layers.body[chest].mean()
    blouse = np.abs(layers.body_rgb[chest].astype(int) - (228, 228, 232)).sum(-1) < 40
    measured(f"forearms over the whole chest: {filled:.0%} of the chest in the body layer, "
             f"{blouse.mean():.0%} of it blouse-coloured")
    assert filled > 0.8 and blouse.mean() > 0.5  # (the rest takes the neck's skin, the nearest body colour)
