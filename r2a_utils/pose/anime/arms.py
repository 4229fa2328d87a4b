r"""Which of two arms to believe: the one the picture shows.

The anime network and mediapipe's human model sometimes put an arm in different places, and
``merge_poses`` keeps the network's arm wherever the network is sure of it. Sure is not right:
on ``characters/anime_green_dress.png`` the network places both elbows on the dress's edge,
30-40 pixels inside her arms, and mediapipe places them on her arms. The picture can tell
them apart. Walk across each bone of an arm, both ways, from points along it
(``render.reach.across_width``): along a drawn arm the walks end at the arm's edges; along a
line through a dress they run on. The share of walks that end,

.. math:: s = \frac{\#\{\text{walks that meet the limb's edge}\}}{\#\{\text{walks}\}},

is the test the renderer uses to give an arm a layer of its own (``render.layers.SEEN_SHARE``).
An arm that fails it moves with the body's mesh and pulls the body along: the green dress's
raised arms lifted her dress like wings.

So (``arms_the_picture_shows``): where the two arms differ, the one the picture shows more
(a larger :math:`s`) is kept, mediapipe's only when it passes the test.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import numpy as np

from r2a_utils.skeleton import J

ARM = ("shoulder", "elbow", "wrist")
SAME_PLACE = 0.1  # share of the arm's length within which two models' joints are the same place


def arm_seen(rgb: np.ndarray, mask: np.ndarray, kps: np.ndarray, side: str) -> float:
    """The share of walks across the arm's two bones that meet its edge (0 when a joint is
    missing or the arm is under 4 pixels long): ``render.layers.arm_band``'s test."""
    from r2a_utils.render.layers import WIDTH_SHARE
    from r2a_utils.render.reach import across_width

    s, e, w = (kps[J[f"{side}_{n}"], :2].astype(np.float64) for n in ARM)
    length = _arm_length(kps, side)
    if not length >= 4:  # a joint missing (NaN), or too short to walk across
        return 0.0
    reach = WIDTH_SHARE[1] * length
    return float(np.isfinite(np.stack([across_width(rgb, mask, a, b, reach) for a, b in ((s, e), (e, w))])).mean())


def _arm_length(kps: np.ndarray, side: str) -> float:
    """Upper arm plus forearm, in pixels (NaN when a joint is missing)."""
    s, e, w = (kps[J[f"{side}_{n}"], :2].astype(np.float64) for n in ARM)
    return float(np.linalg.norm(e - s) + np.linalg.norm(w - e))


def differing_arms(merged: np.ndarray, human: np.ndarray) -> list[str]:
    """The sides whose arm the two poses place differently: a shoulder, elbow or wrist more
    than ``SAME_PLACE`` of the arm's length apart, or present in one pose only."""
    out = []
    for side in ("right", "left"):
        idx = [J[f"{side}_{n}"] for n in ARM]
        a, b = merged[idx, :2].astype(np.float64), human[idx, :2].astype(np.float64)
        if np.isnan(b).any():
            continue
        apart = np.linalg.norm(a - b, axis=1)
        length = _arm_length(human, side)
        if np.isnan(apart).any() or (apart > SAME_PLACE * length).any():
            out.append(side)
    return out


def arms_the_picture_shows(rgb: np.ndarray, mask: np.ndarray, merged: np.ndarray, human: np.ndarray,
                           sides: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """``merged`` ``(18, 3)`` with each arm (of ``sides``, default both) replaced by ``human``'s
    arm when the picture shows that one more (``arm_seen``: more of the walks across it meet
    its edges) and it passes the renderer's test (``SEEN_SHARE``); and the sides replaced.
    ``human`` names left and right as ``merged`` does; ``mask`` is the character's cut-out
    ``(H, W)`` bool."""
    from r2a_utils.render.layers import SEEN_SHARE

    out, taken = merged.copy(), []
    for side in sides if sides is not None else ["right", "left"]:
        seen = arm_seen(rgb, mask, merged, side)
        if seen == 1.0:
            continue
        if arm_seen(rgb, mask, human, side) > max(seen, SEEN_SHARE):
            idx = [J[f"{side}_{n}"] for n in ARM]
            out[idx] = human[idx]
            taken.append(side)
    return out, taken
