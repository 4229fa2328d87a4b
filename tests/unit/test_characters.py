import numpy as np
import pytest

from r2a_utils.characters import builtin_dance, layout_for_character, motion_from_keypoints, random_character, render_character
from r2a_utils.skeleton import COLORS, LIMBS, bone_lengths


def test_same_seed_same_pixels_and_seeds_differ():
    m = builtin_dance(8)
    imgs = []
    for seed in range(12):
        spec = random_character(seed)
        tr = layout_for_character(m, spec, (96, 128))
        a = render_character(spec, tr.keypoints[3], (96, 128), tr.scale, tr.depth[3]).rgba
        b = render_character(random_character(seed), tr.keypoints[3], (96, 128), tr.scale, tr.depth[3]).rgba
        assert np.array_equal(a, b)
        assert a[..., 3].mean() > 10  # something was drawn
        imgs.append(a.astype(np.int16))
    for i in range(12):
        for j in range(i + 1, 12):
            assert np.abs(imgs[i] - imgs[j]).mean() > 3, (i, j)


def test_rendered_joints_land_within_half_a_pixel():
    spec = random_character(5)
    m = builtin_dance(16)
    size = (384, 512)
    tr = layout_for_character(m, spec, size)
    for t in (0, 9):
        res = render_character(spec, tr.keypoints[t], size, tr.scale, tr.depth[t], draw_joints=True)
        rgb = res.rgba[..., :3].astype(int)
        for j, color in enumerate(COLORS):
            if j >= 14:  # eyes/ears markers touch the nose's at this size; nose checked
                continue
            ys, xs = np.nonzero((np.abs(rgb - np.array(color)).sum(-1) == 0) & (res.rgba[..., 3] == 255))
            assert len(xs) >= 5, j
            centroid = np.array([xs.mean(), ys.mean()])
            # pixel centres are at integer coordinates in OpenCV's convention
            assert np.linalg.norm(centroid - tr.keypoints[t, j, :2]) < 0.5, (t, j)


def test_bone_lengths_follow_the_character_proportions():
    rng = np.random.default_rng(0)
    real = rng.uniform(100, 400, (6, 18, 3))  # arbitrary 2-D 'video' keypoints
    real[..., 2] = 1
    m = motion_from_keypoints(real, 24.0)
    for seed in (0, 3, 9):
        spec = random_character(seed)
        tr = layout_for_character(m, spec, (256, 384))
        got = bone_lengths(tr.keypoints) / tr.scale
        want = spec.bone_lengths()
        assert np.allclose(got, want[None], rtol=1e-4, atol=1e-5)


def test_render_rejects_missing_body_joints():
    spec = random_character(0)
    kps = np.full((18, 3), np.nan)
    with pytest.raises(ValueError, match="missing body joints"):
        render_character(spec, kps, (64, 64), 50.0)


def test_specs_cover_the_range_of_proportions():
    ratios = [random_character(s).head_ratio for s in range(200)]
    assert min(ratios) < 3.5 and max(ratios) > 7.0
    assert len({random_character(s).hair_style for s in range(50)}) >= 5
    assert len(LIMBS) == len(random_character(0).bone_lengths())


def test_anime_look_covers_its_wardrobe_and_classic_is_kept():
    """Issue 16: the default characters are anime-looking and varied; ``look='classic'``
    still draws the kit's first characters (the demo's sample is one, with its weights)."""
    from r2a_utils.characters.spec import ACCESSORIES, EYE_STYLES, LEGWEAR, PROPS, SLEEVES
    from r2a_utils.samples import sample_character_spec

    many = [random_character(s) for s in range(300)]
    assert {c.look for c in many} == {"anime"}
    for attr, options in (("eye_style", EYE_STYLES), ("legwear", LEGWEAR), ("accessory", ACCESSORIES),
                          ("prop", PROPS), ("sleeves", SLEEVES)):
        assert {getattr(c, attr) for c in many} == set(options), attr
    assert min(c.line_width for c in many) < 0.8 and max(c.line_width for c in many) > 1.5
    classic = random_character(7, look="classic")
    assert classic.look == "classic" and classic == sample_character_spec()
    assert (classic.hair_style, classic.outfit, classic.sleeves) == ("long", "shorts", "none")  # as before
    with pytest.raises(ValueError, match="look must be one of"):
        random_character(0, look="manga")


def _head_box_pixels(spec, pose, size=(256, 256)):
    from r2a_utils.characters import Motion

    tr = layout_for_character(Motion(pose[None], 24.0, "p"), spec, size, margin=0.04)
    rgba = render_character(spec, tr.keypoints[0], size, tr.scale, tr.depth[0]).rgba
    head = spec.head * tr.scale
    k = tr.keypoints[0]
    cx, cy = k[1, 0], k[1, 1] - 0.6 * head  # above the neck
    y0, y1 = int(cy - 0.5 * head), int(cy + 0.5 * head)
    x0, x1 = int(cx - 0.5 * head), int(cx + 0.5 * head)
    return rgba[max(0, y0):y1, max(0, x0):x1]


def test_front_view_shows_eyes_and_back_view_shows_hair():
    """Seen from the front the face shows the eyes' colour; turned away, the head is all hair."""
    spec = random_character(12)
    rest = spec.rest_pose()
    turned = rest.copy()
    neck = rest[1]
    ry = np.array([[-1, 0, 0], [0, 1, 0], [0, 0, -1]], float)  # 180 degrees about the vertical
    turned = (rest - neck) @ ry.T + neck
    front = _head_box_pixels(spec, rest)
    back = _head_box_pixels(spec, turned)
    like = lambda px, c: int(((np.abs(px[..., :3].astype(int) - c).sum(-1) < 30) & (px[..., 3] == 255)).sum())  # noqa: E731
    eyes = lambda px: like(px, spec.eye_color)  # noqa: E731
    hair = lambda px: like(px, spec.hair_color)  # noqa: E731
    assert eyes(front) > 20 and eyes(back) == 0
    assert hair(back) > 1.5 * hair(front)


def test_random_poses_sit_and_crouch():
    from r2a_utils.characters import random_pose
    from r2a_utils.skeleton import J

    spec = random_character(3)
    rest = spec.rest_pose()
    thigh = np.linalg.norm(rest[J["right_knee"]] - rest[J["right_hip"]])
    rng = np.random.default_rng(0)
    standing = [random_pose(rng, rest, sit_prob=0.0) for _ in range(40)]
    sitting = [random_pose(rng, rest, sit_prob=1.0) for _ in range(40)]
    proj = lambda ps: np.mean([abs(p[J["right_knee"], 1] - p[J["right_hip"], 1]) for p in ps]) / thigh  # noqa: E731
    assert proj(sitting) < 0.55 < proj(standing)  # thighs towards the camera look short
    for p in sitting:  # bones keep their lengths (the dance pose's knee-bend depth cue aside)
        assert abs(np.linalg.norm(p[J["right_knee"]] - p[J["right_hip"]]) / thigh - 1) < 0.05
