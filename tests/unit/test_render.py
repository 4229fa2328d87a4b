"""Training-free warp renderer: identity, Stage-1 pairs, joints that hold together, bad input."""
import numpy as np
import pytest

from r2a_utils.characters import Motion, builtin_dance, layout_for_character, random_character, render_character
from r2a_utils.metrics import ssim
from r2a_utils.skeleton import J, KeypointError
from r2a_utils.render import RendererError, WarpRenderer, character_mask
from r2a_utils.render.warp import LIMB_PARTS


def _a_pose(spec, size=(192, 256)):
    rest = spec.rest_pose()
    rest[:, 2] = 0.0
    return layout_for_character(Motion(rest[None], 24.0, "a_pose"), spec, size)


def _pair(seed=2, t=20, size=(192, 256)):
    """Reference = the character in A-pose; target = a dance pose on the same canvas; truth = its render."""
    spec = random_character(seed)
    ref_track = _a_pose(spec, size)
    ref = render_character(spec, ref_track.keypoints[0], size, ref_track.scale, ref_track.depth[0]).rgba
    dance = layout_for_character(builtin_dance(48), spec, size)
    tgt = dance.keypoints[t]
    truth = render_character(spec, tgt, size, dance.scale, dance.depth[t]).rgba
    return ref, ref_track.keypoints[0], tgt, truth, dance.depth[t]


def _white(rgba):
    a = rgba[..., 3:4] / 255.0
    return (rgba[..., :3] * a + 255 * (1 - a)).astype(np.uint8)


def test_identity_reproduces_the_picture():
    ref, kps, _, _, _ = _pair()
    out = WarpRenderer(ref, kps).render(kps)
    assert out.shape == ref.shape and out.dtype == np.uint8
    assert ssim(_white(out), _white(ref)) > 0.97


def test_stage1_pair_and_no_torn_limbs(measured):
    scores = []
    for seed, t in ((2, 20), (5, 28), (9, 36)):
        ref, kps, tgt, truth, depth = _pair(seed, t)
        out = WarpRenderer(ref, kps).render(tgt, depth)
        scores.append(ssim(_white(out), _white(truth)))
        alpha = out[..., 3] > 127
        # every limb is solid along its bone and at its joints: no gaps where parts meet
        for _, p, c in LIMB_PARTS:
            a, b = tgt[J[p], :2], tgt[J[c], :2]
            pts = a + np.linspace(0, 1, 25)[:, None] * (b - a)
            ix = np.clip(np.round(pts).astype(int), 0, [alpha.shape[1] - 1, alpha.shape[0] - 1])
            assert alpha[ix[:, 1], ix[:, 0]].mean() >= 0.95, (seed, p, c)
    measured(f"warp SSIM vs Stage-1 truth on 3 pairs: {', '.join(f'{s:.3f}' for s in scores)}")
    assert np.mean(scores) > 0.80


def test_mask_from_plain_background_by_grabcut():
    ref, kps, _, _, _ = _pair()
    mask = character_mask(_white(ref), None, kps)
    truth = ref[..., 3] > 127
    iou = (mask & truth).sum() / (mask | truth).sum()
    assert iou > 0.85


def test_bad_inputs():
    ref, kps, tgt, _, _ = _pair()
    bad = kps.copy()
    bad[J["left_elbow"]] = np.nan
    with pytest.raises(KeypointError, match="left_elbow"):
        WarpRenderer(ref, bad)
    with pytest.raises(RendererError, match="mask is"):
        WarpRenderer(ref[..., :3], kps, mask=np.zeros((10, 10), np.uint8))
    wr = WarpRenderer(ref, kps)
    no_torso = tgt.copy()
    no_torso[J["neck"]] = np.nan
    with pytest.raises(KeypointError, match="neck"):
        wr.render(no_torso)
    no_arm = tgt.copy()
    no_arm[J["right_wrist"]] = np.nan  # a lost limb is left out, the rest is drawn
    assert wr.render(no_arm)[..., 3].any()
