import numpy as np
import pytest

from r2a_utils.metrics import jitter, pck, pck_per_joint
from r2a_utils.skeleton import J, KeypointError, empty_pose


def _pose(T=5):
    k = np.zeros((T, 18, 3), np.float32)
    k[..., 2] = 1
    k[:, :, 0] = np.arange(18) * 10
    k[:, J["neck"], :2] = (50, 0)
    k[:, J["right_hip"], :2] = (40, 100)
    k[:, J["left_hip"], :2] = (60, 100)  # torso size 100
    return k


def test_pck_counts_joints_within_alpha_torso():
    ref = _pose()
    pred = ref.copy()
    pred[:, J["nose"], 0] += 9.9  # inside 0.1 * 100
    pred[:, J["right_wrist"], 0] += 10.1  # outside
    pred[:, J["left_ear"]] = np.nan  # absent: not counted
    per, counts = pck_per_joint(pred, ref, 0.1)
    assert per[J["nose"]] == 1 and per[J["right_wrist"]] == 0 and np.isnan(per[J["left_ear"]])
    assert counts[J["left_ear"]] == 0
    assert pck(pred, ref, 0.1) == pytest.approx(16 / 17)
    assert pck(pred, ref, 0.2) == 1.0
    with pytest.raises(KeypointError, match="no joint"):
        pck(empty_pose(5), ref)


def test_jitter_is_mean_acceleration():
    k = _pose(6)
    assert jitter(k) == 0.0
    k[3, :, 0] += 2.0  # one frame displaced: acceleration 2, 4, 2 around it
    assert jitter(k) == pytest.approx((2 + 4 + 2) / 4)
    with pytest.raises(KeypointError):
        jitter(k[:2])


def test_pckh_counts_unreported_joints_as_misses():
    from r2a_utils.metrics import pckh

    ref = _pose()
    pred = ref.copy()
    pred[:, J["left_ear"]] = np.nan  # silent on one joint: a miss, unlike pck
    score, per = pckh(pred, ref, np.full(5, 100.0), 0.5)
    assert score == pytest.approx(17 / 18) and per[J["left_ear"]] == 0 and per[J["nose"]] == 1
