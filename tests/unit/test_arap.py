"""As-rigid-as-possible deformation (render.arap) and the mesh renderer's deform="arap"."""
import numpy as np
import pytest

from r2a_utils.render import MeshRenderer
from r2a_utils.render.arap import Arap, _edges
from r2a_utils.render.mesh import grid_mesh
from r2a_utils.render.quality import stage1_pair


def _strip(h=100, w=30, cell=5):
    """A grid mesh over an upright strip, handles along its top and bottom rows."""
    v, t = grid_mesh(np.ones((h, w), bool), cell)
    top, bottom = np.flatnonzero(v[:, 1] < 1), np.flatnonzero(v[:, 1] > h - 1)
    return v, t, top, bottom


def _rotation(deg):
    a = np.deg2rad(deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def test_edges_of_a_disc_follow_euler():
    v, t, _, _ = _strip()
    edges, opposite = _edges(t)
    assert len(v) - len(edges) + len(t) == 1  # a disc: V - E + F = 1
    border = (opposite[:, 1] < 0).sum()
    assert border == 2 * (20 + 6)  # the strip's outline: 2 x (100/5 + 30/5) cell edges
    assert (opposite[:, 0] >= 0).all()


def test_handles_at_rest_give_the_rest_mesh_and_a_rigid_motion_stays_rigid():
    v, t, top, bottom = _strip()
    pins = np.r_[top, bottom]
    arap = Arap(v, t, pins)
    assert np.abs(arap.solve(v[pins], v) - v).max() < 1e-6
    c = v.mean(0)
    moved = (v - c) @ _rotation(75).T + c + (40, -10)
    out = arap.solve(moved[pins], v)  # the guess is the rest mesh: the handles alone turn it
    assert np.abs(out - moved).max() < 2.0  # (all but the guess's faint pull towards the rest mesh)


def test_bending_keeps_edges_near_their_length():
    v, t, top, bottom = _strip()
    pins = np.r_[top, bottom]
    arap = Arap(v, t, pins)
    target = v[pins].copy()
    elbow = np.array([15.0, 50.0])  # the lower half swings 50 degrees about the strip's middle
    target[len(top):] = (v[bottom] - elbow) @ _rotation(50).T + elbow
    out = arap.solve(target, v)
    edges, _ = _edges(t)
    ratio = np.linalg.norm(out[edges[:, 1]] - out[edges[:, 0]], axis=1) / np.linalg.norm(
        v[edges[:, 1]] - v[edges[:, 0]], axis=1)
    assert abs(np.median(ratio) - 1) < 0.05 and 0.6 < ratio.min() and ratio.max() < 1.4  # the inside of the bend gives
    assert np.abs(out[pins] - target).max() < 0.5  # the handles hold
    # a figure drawn at half size: edges follow the scale
    half = arap.solve(v[pins] * 0.5, v * 0.5, scale=0.5)
    assert np.abs(half - v * 0.5).max() < 1e-6


def test_mesh_renderer_with_arap_reproduces_the_picture_and_follows_a_pose():
    from r2a_utils.metrics import ssim
    from r2a_utils.viz import to_rgb

    ref, kps, tgt, depth, truth = stage1_pair(2, 20)
    r = MeshRenderer(ref, kps, deform="arap")
    assert ssim(to_rgb(r.render(kps)), to_rgb(ref)) > 0.97
    assert ssim(to_rgb(r.render(tgt, depth)), to_rgb(truth)) > 0.85


def test_unknown_deformation_is_refused():
    ref, kps, *_ = stage1_pair(2, 20)
    with pytest.raises(ValueError, match="deform"):
        MeshRenderer(ref, kps, deform="rigid")
