"""The editing state behind both joints editors (Gradio in the demo app, ipywidgets in the
notebooks), and the ipywidgets editor itself. The file format is in ``joints``.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from r2a_utils.joints import CharacterJoints, inside_allowed, save_joints
from r2a_utils.picture import load_picture
from r2a_utils.skeleton import COLORS, JOINTS, J, NUM_JOINTS, KeypointError, missing_joints


class JointsEditor:
    """Editing state: pick a joint, put it where it belongs, undo, reset to the estimate.

    Both the Gradio editor and the ipywidgets editor drive this class, so they behave the
    same. ``state()`` / ``from_state()`` give a JSON-able dict (what Gradio keeps per user).
    """

    def __init__(self, image_size: tuple[int, int], estimate: np.ndarray | None = None, source: str = "editor",
                 picture: str | None = None):
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.picture = picture  # the picture's path, for editors that redraw it
        self.save_to: str | None = None
        base = np.full((NUM_JOINTS, 3), np.nan, np.float32) if estimate is None else np.array(estimate, np.float32)
        base = base.reshape(NUM_JOINTS, 3)
        self.estimate = base.copy()
        self.keypoints = base.copy()
        self.undo_stack: list[np.ndarray] = []
        self.source = source
        self.selected = self.next_missing() or "neck"

    # state for Gradio ------------------------------------------------
    def state(self) -> dict:
        def enc(k: np.ndarray) -> list:
            return [[None if not np.isfinite(v) else float(v) for v in row] for row in k]
        return {"image_size": list(self.image_size), "estimate": enc(self.estimate), "keypoints": enc(self.keypoints),
                "undo": [enc(k) for k in self.undo_stack[-50:]], "selected": self.selected, "source": self.source,
                "picture": self.picture, "save_to": self.save_to}

    @classmethod
    def from_state(cls, s: dict) -> JointsEditor:
        def dec(rows: list) -> np.ndarray:
            return np.array([[np.nan if v is None else v for v in row] for row in rows], np.float32)
        ed = cls(tuple(s["image_size"]), dec(s["estimate"]), s.get("source", "editor"), s.get("picture"))
        ed.save_to = s.get("save_to")
        ed.keypoints = dec(s["keypoints"])
        ed.undo_stack = [dec(k) for k in s.get("undo", [])]
        ed.selected = s.get("selected", ed.selected)
        return ed

    # editing ---------------------------------------------------------
    def missing(self) -> list[str]:
        return missing_joints(self.keypoints)

    def next_missing(self) -> str | None:
        m = self.missing()
        return m[0] if m else None

    def select(self, name: str) -> None:
        if name not in J:
            raise KeypointError(f"unknown joint {name!r}; names are {', '.join(JOINTS)}")
        self.selected = name

    def place(self, x: float, y: float, name: str | None = None) -> str:
        """Put joint ``name`` (default: the selected one) at (x, y); then propose the next
        missing required joint. Returns the joint that was placed."""
        name = name or self.selected
        self.select(name)
        w, h = self.image_size
        if not inside_allowed(name, x, y, (w, h)):
            raise KeypointError(f"({x:.0f}, {y:.0f}) is outside the {w}x{h} picture")
        self.undo_stack.append(self.keypoints.copy())
        self.keypoints[J[name]] = (float(x), float(y), 1.0)
        self.selected = self.next_missing() or name
        return name

    def remove(self, name: str | None = None) -> None:
        """Mark a joint absent (only optional joints may stay absent in a saved file)."""
        name = name or self.selected
        self.select(name)
        self.undo_stack.append(self.keypoints.copy())
        self.keypoints[J[name]] = np.nan

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        self.keypoints = self.undo_stack.pop()
        return True

    def reset(self) -> None:
        """Back to the estimate (the step is undoable)."""
        self.undo_stack.append(self.keypoints.copy())
        self.keypoints = self.estimate.copy()
        self.selected = self.next_missing() or self.selected

    def joints(self) -> CharacterJoints:
        return CharacterJoints(self.keypoints.copy(), self.image_size, self.source)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the joints file; ``JointsFileError`` says which required joints are still missing."""
        return save_joints(path, self.joints())

    def draw(self, image: np.ndarray) -> np.ndarray:
        """The picture with the skeleton, every joint labelled, the selected one ringed."""
        import cv2

        from r2a_utils.viz import draw_skeleton, to_rgb

        img = to_rgb(image).copy()
        scale = max(img.shape[:2]) / 512
        img = draw_skeleton(img, self.keypoints, thickness=max(2, int(3 * scale)))
        for n in JOINTS:
            x, y = self.keypoints[J[n], :2]
            if np.isfinite(x):
                cv2.putText(img, n.replace("right_", "R ").replace("left_", "L "), (int(x) + 4, int(y) - 4),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.35 * max(1, scale), (40, 40, 40), 1, cv2.LINE_AA)
        x, y = self.keypoints[J[self.selected], :2]
        if np.isfinite(x):
            r = max(8, int(12 * scale))
            cv2.circle(img, (int(x), int(y)), r, COLORS[J[self.selected]], 2, cv2.LINE_AA)
            cv2.circle(img, (int(x), int(y)), r + 2, (0, 0, 0), 1, cv2.LINE_AA)
        return img


def estimate_for_editor(picture: str | os.PathLike | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(RGB picture, estimated joints)`` to start an editor from: the anime pose network's
    answer (joints it is not sure about are absent, for the user to place)."""
    from r2a_utils.pose.anime import AnimePoseEstimator

    pic = load_picture(picture)
    with AnimePoseEstimator() as est:
        kps = est.estimate_image(pic)
    return pic.rgb, kps


def joints_widget(picture: str | os.PathLike, estimate: np.ndarray | None = None,
                  save_to: str | os.PathLike | None = None):
    """The notebook joints editor (ipywidgets): pick a joint, move it with x/y sliders, undo,
    reset, save. Returns ``(widget, editor)``; ``editor.joints()`` has the current joints."""
    import io

    import ipywidgets as widgets
    from PIL import Image

    rgb = load_picture(picture).rgb
    h, w = rgb.shape[:2]
    if estimate is None:
        rgb, estimate = estimate_for_editor(picture)
    ed = JointsEditor((w, h), estimate)
    save_to = Path(save_to) if save_to else Path(str(picture)).with_suffix(".joints.json")
    view = widgets.Image(format="png", layout=widgets.Layout(max_width="480px"))
    pick = widgets.Dropdown(options=list(JOINTS), value=ed.selected, description="joint")
    xs = widgets.IntSlider(0, 0, w, description="x", continuous_update=False)
    ys = widgets.IntSlider(0, 0, h, description="y", continuous_update=False)
    undo, reset, save = widgets.Button(description="undo"), widgets.Button(description="reset to estimate"), \
        widgets.Button(description=f"save {save_to.name}", button_style="primary")
    msg = widgets.HTML()
    syncing = {"on": False}

    def refresh(note: str = "") -> None:
        buf = io.BytesIO()
        Image.fromarray(ed.draw(rgb)).save(buf, format="PNG")
        view.value = buf.getvalue()
        syncing["on"] = True
        pick.value = ed.selected
        x, y = ed.keypoints[J[ed.selected], :2]
        xs.value, ys.value = (int(x), int(y)) if np.isfinite(x) else (w // 2, h // 2)
        syncing["on"] = False
        missing = ed.missing()
        msg.value = note or (f"missing: {', '.join(missing)}" if missing else "all body joints placed")

    def on_pick(change) -> None:
        if not syncing["on"]:
            ed.select(change["new"])
            refresh()

    def on_slide(_change) -> None:
        if not syncing["on"]:
            ed.place(xs.value, ys.value, pick.value)
            ed.select(pick.value)  # sliders keep working on the same joint
            refresh()

    def on_save(_b) -> None:
        try:
            refresh(f"saved {ed.save(save_to)}")
        except KeypointError as e:
            refresh(f"<b>not saved</b>: {e}")

    pick.observe(on_pick, names="value")
    xs.observe(on_slide, names="value")
    ys.observe(on_slide, names="value")
    undo.on_click(lambda _b: (ed.undo(), refresh()))
    reset.on_click(lambda _b: (ed.reset(), refresh()))
    save.on_click(on_save)
    refresh()
    return widgets.VBox([view, pick, xs, ys, widgets.HBox([undo, reset, save]), msg]), ed
