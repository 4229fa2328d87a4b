import numpy as np

from r2a_utils import viz
from r2a_utils.skeleton import J, empty_pose


def test_draw_skeleton_paints_limbs_and_skips_absent():
    img = np.zeros((100, 100, 3), np.uint8)
    kps = empty_pose()
    kps[J["neck"]] = (50, 20, 1)
    kps[J["right_shoulder"]] = (30, 22, 1)
    out = viz.draw_skeleton(img, kps)
    assert out[21, 40].sum() > 0 and img.sum() == 0  # drawn on a copy
    assert out[80, 80].sum() == 0


def test_side_by_side_four_panels():
    panels = {k: np.full((h, w, 3), 100, np.uint8) for k, (w, h) in
              zip(viz.PANEL_ORDER, [(50, 100), (200, 100), (200, 100), (60, 120)])}
    row = viz.side_by_side(panels, height=64)
    assert row.shape[0] == 64 and row.shape[1] % 2 == 0
    assert row.shape[1] >= 32 + 128 + 128 + 32


def test_image_grid_and_rgba():
    rgba = np.zeros((10, 10, 4), np.uint8)
    assert (viz.to_rgb(rgba) == 255).all()  # transparent -> white
    g = viz.image_grid([np.zeros((10, 20, 3), np.uint8)] * 5, ncols=2)
    assert g.shape == (3 * 14 + 4, 2 * 24 + 4, 3)


def test_live_image_redraws_when_a_control_changes():
    import ipywidgets as widgets
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from r2a_utils.viz import live_image

    slider = widgets.IntSlider(value=10, min=1, max=50)
    box = live_image(lambda n: np.full((n, 20, 3), 128, np.uint8), {"n": slider})
    view = box.children[1]
    first = bytes(view.value)
    assert first.startswith(b"\x89PNG")
    slider.value = 30
    assert bytes(view.value) != first

    def figure(k):
        fig, ax = plt.subplots()
        ax.plot([0, k])
        return fig

    box = live_image(figure, {"k": widgets.IntSlider(value=2)})
    assert bytes(box.children[1].value).startswith(b"\x89PNG") and not plt.get_fignums()  # drawn, then closed


def test_a_long_label_is_shrunk_to_fit_not_cut_off():
    """The dark band behind a caption ends inside the picture, so the text is not cut off."""
    img = np.full((400, 120, 3), 255, np.uint8)
    out = viz.label(img, "neck-outward normalized, foreshortening kept")
    assert (out[3, :4] < 60).all()  # the band starts at the left edge
    assert (out[3, -2:] == 255).all()  # and ends before the right one
