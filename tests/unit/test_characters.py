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
