"""The character's cut-out, seen and fixed by hand: the mask editor's state, its Gradio
conversions and its ipywidgets form. (The joints editor is in ``joints_editor``.)

The mask is what the renderer moves: white = character, black = background. It starts as
the picture's alpha, or, for a picture without transparency, as the automatic cut-out
(``render.cutout.character_mask``: paper background by colour, busy ones by GrabCut). Where
that is wrong (a strip of background carried along, a hand cut off), the user paints or
erases, and the mask is saved as a PNG that ``--character-mask`` takes.

In the Gradio app the cut-out is tinted magenta on the picture in ``gr.ImageEditor``; a
magenta brush adds to it, a cyan brush removes (the eraser takes back strokes). In a notebook, ``mask_widget`` places a
round brush with sliders. Both end in ``MaskEditor.save``.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from r2a_utils.errors import InputFileError
from r2a_utils.picture import Picture, load_mask, load_picture

ADD_RGB = (255, 0, 255)  # brush colours in the Gradio editor: magenta adds to the character,
REMOVE_RGB = (0, 200, 255)  # cyan removes
MAX_UNDO = 50


class MaskFileError(InputFileError, ValueError):
    """A mask that cannot be used or saved; names the file and the problem."""


def starting_mask(picture: Picture, keypoints: np.ndarray | None = None,
                  mask_file: str | os.PathLike | None = None) -> np.ndarray:
    """The mask an editor starts from ``(H, W)`` bool: the given mask file, else the picture's
    alpha, else the automatic cut-out around ``keypoints`` (what the renderer would use)."""
    from r2a_utils.render.cutout import character_mask

    given = load_mask(mask_file, picture.size) if mask_file else None
    return character_mask(picture.rgb, picture.alpha, keypoints, given)


class MaskEditor:
    """Editing state of one mask: paint and erase discs, grow, shrink, fill holes, undo, reset."""

    def __init__(self, mask: np.ndarray):
        self.start = np.asarray(mask) > (127 if np.asarray(mask).dtype == np.uint8 else 0)
        self.mask = self.start.copy()
        self._undo: list[np.ndarray] = []

    @property
    def size(self) -> tuple[int, int]:
        return self.mask.shape[1], self.mask.shape[0]

    def _push(self) -> None:
        self._undo = (self._undo + [self.mask.copy()])[-MAX_UNDO:]

    def set(self, mask: np.ndarray) -> None:
        """Replace the mask (from the Gradio editor's layers); undoable."""
        if mask.shape != self.mask.shape:
            raise ValueError(f"mask is {mask.shape[1]}x{mask.shape[0]}, the picture {self.size[0]}x{self.size[1]}")
        self._push()
        self.mask = mask.astype(bool)

    def paint(self, x: float, y: float, radius: float, keep: bool = True) -> None:
        """A round brush at (x, y): ``keep`` adds to the character, else erases."""
        self._push()
        m = self.mask.astype(np.uint8)
        cv2.circle(m, (int(round(x)), int(round(y))), max(1, int(round(radius))), 1 if keep else 0, -1)
        self.mask = m.astype(bool)

    def grow(self, pixels: int) -> None:
        """Grow (``pixels`` > 0) or shrink (< 0) the outline by a few pixels."""
        if pixels == 0:
            return
        self._push()
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(pixels) + 1,) * 2)
        op = cv2.dilate if pixels > 0 else cv2.erode
        self.mask = op(self.mask.astype(np.uint8), k).astype(bool)

    def fill_holes(self) -> None:
        """Fill every background region the character encloses (not reachable from the border)."""
        self._push()
        m = self.mask.astype(np.uint8)
        n, labels = cv2.connectedComponents(1 - m, connectivity=4)
        border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])))
        holes = np.isin(labels, [i for i in range(1, n) if i not in border]) & (m == 0)
        self.mask = self.mask | holes

    def undo(self) -> bool:
        if not self._undo:
            return False
        self.mask = self._undo.pop()
        return True

    def reset(self) -> None:
        self._push()
        self.mask = self.start.copy()

    def share(self) -> float:
        """Fraction of the picture that is character."""
        return float(self.mask.mean())

    def save(self, path: str | os.PathLike) -> Path:
        """The mask as a PNG (white = character), written whole; an empty mask is refused."""
        from PIL import Image

        from r2a_utils.files import atomic_path

        path = Path(path)
        if not self.mask.any():
            raise MaskFileError(path, "the mask is empty: paint the character before saving")
        with atomic_path(path) as tmp:
            Image.fromarray(np.where(self.mask, 255, 0).astype(np.uint8)).save(tmp, format="PNG")
        return path

    def draw(self, rgb: np.ndarray, brush: tuple[float, float, float] | None = None) -> np.ndarray:
        """The picture tinted as in the Gradio editor (``tint``), the outline, and the brush."""
        out = tint(rgb, self.mask)
        contours, _ = cv2.findContours(self.mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        width = max(1, round(max(self.size) / 300))
        cv2.drawContours(out, contours, -1, ADD_RGB, width, cv2.LINE_AA)
        if brush is not None:
            x, y, r = brush
            cv2.circle(out, (int(x), int(y)), max(1, int(r)), (0, 160, 255), width, cv2.LINE_AA)
        return out


# ---------------------------------------------------------------- Gradio's ImageEditor
def editor_value(rgb: np.ndarray, mask: np.ndarray) -> dict:
    """A ``gr.ImageEditor`` value: the picture with its cut-out tinted magenta as background;
    the user's strokes go on a layer above (magenta adds, cyan removes)."""
    return {"background": tint(rgb, mask), "layers": [], "composite": None}


def tint(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The picture with the character tinted magenta and the background greyed out."""
    out = rgb.astype(np.float32)
    out[mask] = 0.6 * out[mask] + 0.4 * np.array(ADD_RGB, np.float32)
    out[~mask] = 0.4 * out[~mask] + 0.6 * 200
    return out.astype(np.uint8)


def mask_from_editor(value: dict | None, start: np.ndarray) -> np.ndarray:
    """``start`` with the user's strokes applied: magenta strokes add, cyan strokes remove.
    Layers at another size (a scaled canvas) are resized to the mask's."""
    mask = np.asarray(start, bool).copy()
    if not value:
        return mask
    h, w = mask.shape
    for layer in value.get("layers") or []:
        if layer is None:
            continue
        a = np.asarray(layer)
        if a.ndim != 3 or a.shape[2] != 4:
            continue
        if a.shape[:2] != (h, w):
            a = cv2.resize(a, (w, h), interpolation=cv2.INTER_NEAREST)
        drawn = a[..., 3] > 0
        rgb = a[..., :3].astype(np.int32)
        near = {c: np.abs(rgb - np.array(c)).sum(axis=2) for c in (ADD_RGB, REMOVE_RGB)}
        mask |= drawn & (near[ADD_RGB] <= near[REMOVE_RGB])
        mask &= ~(drawn & (near[REMOVE_RGB] < near[ADD_RGB]))
    return mask


# ---------------------------------------------------------------- the notebook's widget
def mask_widget(picture: str | os.PathLike, mask: np.ndarray, save_to: str | os.PathLike | None = None):
    """The notebook mask editor (ipywidgets): place a round brush with x/y/size sliders, then
    paint or erase; grow, shrink, fill holes, undo, reset, save. Returns ``(widget, editor)``."""
    import io

    import ipywidgets as widgets
    from PIL import Image

    rgb = load_picture(picture).rgb
    h, w = rgb.shape[:2]
    ed = MaskEditor(mask)
    save_to = Path(save_to) if save_to else Path(str(picture)).with_suffix(".mask.png")
    view = widgets.Image(format="png", layout=widgets.Layout(max_width="480px"))
    xs = widgets.IntSlider(w // 2, 0, w, description="x", continuous_update=False)
    ys = widgets.IntSlider(h // 2, 0, h, description="y", continuous_update=False)
    rs = widgets.IntSlider(max(4, w // 30), 1, max(8, w // 4), description="brush", continuous_update=False)
    buttons = {name: widgets.Button(description=name) for name in
               ("paint", "erase", "grow", "shrink", "fill holes", "undo", "reset")}
    save = widgets.Button(description=f"save {save_to.name}", button_style="primary")
    msg = widgets.HTML()

    def refresh(note: str = "") -> None:
        buf = io.BytesIO()
        Image.fromarray(ed.draw(rgb, (xs.value, ys.value, rs.value))).save(buf, format="PNG")
        view.value = buf.getvalue()
        msg.value = note or f"character: {100 * ed.share():.1f}% of the picture"

    def on_save(_b) -> None:
        try:
            refresh(f"saved {ed.save(save_to)}")
        except MaskFileError as e:
            refresh(f"<b>not saved</b>: {e}")

    actions = {"paint": lambda: ed.paint(xs.value, ys.value, rs.value, True),
               "erase": lambda: ed.paint(xs.value, ys.value, rs.value, False),
               "grow": lambda: ed.grow(2), "shrink": lambda: ed.grow(-2), "fill holes": ed.fill_holes,
               "undo": ed.undo, "reset": ed.reset}
    for name, b in buttons.items():
        b.on_click(lambda _b, act=actions[name]: (act(), refresh()))
    for s in (xs, ys, rs):
        s.observe(lambda _c: refresh(), names="value")
    save.on_click(on_save)
    refresh()
    rows = [widgets.HBox([buttons[n] for n in ("paint", "erase", "grow", "shrink")]),
            widgets.HBox([buttons[n] for n in ("fill holes", "undo", "reset")] + [save])]
    return widgets.VBox([view, xs, ys, rs, *rows, msg]), ed
