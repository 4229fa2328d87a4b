"""What an arm's layer gives back to the body: the dark areas it reached into that are the
body's (a navy bodice under a white forearm, a black skirt under a hand), not a prop it
holds (a staff, a bag, a glove).

``render.layers`` cuts each arm out of the picture as a band around its bones. Where a light
arm lies on a dark body, the band's walks across the arm run on into the dark area beside it,
and the arm would carry pieces of bodice or skirt away. The dark areas wider than a line are
found (an opening of the ink), and one the band reached into goes back to the body when

- most of it lies outside the band (the band only reached into it);
- the arm's bones do not run through it (it is not a dark sleeve of one piece with a jacket);
- it is not a held prop: a prop sticks out of the figure (most of it lies within a line's
  width or two of the cut-out's edge) and crosses the body's bones instead of running along
  them (under ``PROP_BONES`` of the spine's and legs' sample points lie on it).

What giving back leaves apart from the arm's bones and root goes to the body too: an arm's
layer stays one piece along its bones.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np

from r2a_utils.render.reach import LEG_BONES, bone_points, line_width
from r2a_utils.skeleton import J

ALONG_ARM = 0.2  # share of the arm's bone points in a dark area that make it the arm's own (a sleeve)
PROP_RIM = 0.5  # share of a dark area near the cut-out's edge above which it sticks out like a held prop
PROP_BONES = 0.1  # share of the body's bone points a held prop may cover (it crosses them)


def give_back_dark_body(arms: dict[str, np.ndarray], roots: dict[str, np.ndarray], wide: np.ndarray,
                        mask: np.ndarray, chains: dict, kps: np.ndarray) -> np.ndarray:
    """Takes the body's dark areas out of ``arms`` (``{side: bool mask}``, changed in place;
    ``roots`` their shoulder parts, ``chains`` their bones) and returns them: ``wide`` marks
    the dark areas wider than a line, ``mask`` the cut-out, ``kps`` the joints (18, 3)."""
    given = np.zeros_like(mask)
    n, labels = cv2.connectedComponents(wide.astype(np.uint8), connectivity=8)
    if n <= 1:
        return given
    anywhere = arms["right"] | arms["left"]
    body = mask & ~anywhere
    outside = np.bincount(labels[body], minlength=n)
    near_edge = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3) <= 2 * line_width(mask.shape)
    rim = np.bincount(labels[body & near_edge], minlength=n)
    k = kps[:, :2].astype(np.float64)
    spine = (k[J["neck"]], (k[J["right_hip"]] + k[J["left_hip"]]) / 2)
    bones = bone_points([spine] + [(k[J[a]], k[J[b]]) for a, b in LEG_BONES], mask.shape)
    bones = bones[body[bones[:, 1], bones[:, 0]]]
    on_bones = np.bincount(labels[bones[:, 1], bones[:, 0]], minlength=n)
    prop = (rim > PROP_RIM * np.maximum(outside, 1)) & (on_bones < PROP_BONES * max(len(bones), 1))
    for side, chain in chains.items():
        if not arms[side].any():
            continue
        inside = np.bincount(labels[arms[side]], minlength=n)
        arm_bones = bone_points(chain[:2], mask.shape)
        along = np.bincount(labels[arm_bones[:, 1], arm_bones[:, 0]], minlength=n)
        back = np.isin(labels, [i for i in range(1, n) if inside[i] and outside[i] > inside[i]
                                and along[i] < ALONG_ARM * len(arm_bones) and not prop[i]])
        if not (back & arms[side]).any():
            continue
        given |= back & arms[side]
        _, left = cv2.connectedComponents(((arms[side] | roots[side]) & ~back).astype(np.uint8), connectivity=8)
        on = left[arm_bones[:, 1], arm_bones[:, 0]]
        arms[side] &= np.isin(left, on[on > 0])
    return given
