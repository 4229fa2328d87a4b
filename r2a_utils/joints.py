"""Character joints: the joints file, its checks, converters, and the editing state behind
both joints editors (Gradio in the demo app, ipywidgets in notebooks 02/05).

The joints file (``<picture>.joints.json``), version 1::

    {
      "version": 1,
      "image_size": [width, height],          # of the picture the joints belong to
      "joints": {"neck": [x, y], ...},        # OpenPose-18 names, picture pixels (x right, y down)
      "source": "editor"                      # optional: who made it (editor, estimator, char_cfg.yaml, ...)
    }

The 13 body joints (neck, shoulders, elbows, wrists, hips, knees, ankles) are required;
nose, eyes and ears are optional. ``load_joints`` refuses, with one line naming the file,
malformed JSON, unknown names, missing body joints, points outside the picture and a
picture of another size.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from r2a_utils.errors import InputFileError
from r2a_utils.skeleton import (BODY_JOINTS, COLORS, JOINTS, J, NUM_JOINTS, KeypointError, from_anime_drawings,
                                from_animated_drawings, missing_joints)

JOINTS_VERSION = 1
REQUIRED_JOINTS = BODY_JOINTS  # a joints file must have these; nose, eyes and ears are optional


class JointsFileError(InputFileError, KeypointError):
    """A joints file that cannot be used; the message names the file and the problem."""


@dataclasses.dataclass
class CharacterJoints:
    """Joints ``(18, 3)`` (NaN where absent) of a picture of ``image_size`` = (width, height)."""

    keypoints: np.ndarray
    image_size: tuple[int, int]
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        joints = {n: [round(float(x), 2), round(float(y), 2)]
                  for n, (x, y, _) in zip(JOINTS, self.keypoints) if np.isfinite(x) and np.isfinite(y)}
        d: dict[str, Any] = {"version": JOINTS_VERSION, "image_size": [int(v) for v in self.image_size],
                             "joints": joints}
        if self.source:
            d["source"] = self.source
        return d

    def missing_required(self) -> list[str]:
        return missing_joints(self.keypoints)


def check_joints(d: Any, path: str | os.PathLike | None = None,
                 image_size: tuple[int, int] | None = None) -> CharacterJoints:
    """Validate a parsed joints file; ``JointsFileError`` with one line for the first problem."""
    if not isinstance(d, dict):
        raise JointsFileError(path, f"expected a JSON object with version, image_size and joints, got "
                                    f"{type(d).__name__}")
    if d.get("version") != JOINTS_VERSION:
        raise JointsFileError(path, f"version {d.get('version')!r} is not {JOINTS_VERSION}")
    size = d.get("image_size")
    if (not isinstance(size, list) or len(size) != 2 or not all(isinstance(v, (int, float)) for v in size)
            or min(size) <= 0):
        raise JointsFileError(path, f"image_size must be [width, height] in pixels, got {size!r}")
    w, h = int(size[0]), int(size[1])
    if image_size is not None and (w, h) != tuple(image_size):
        raise JointsFileError(path, f"the joints were made for a {w}x{h} picture, but this picture is "
                                    f"{image_size[0]}x{image_size[1]}; make them again in the joints editor")
    joints = d.get("joints")
    if not isinstance(joints, dict):
        raise JointsFileError(path, "'joints' must be an object of joint name -> [x, y]")
    unknown = sorted(set(joints) - set(JOINTS))
    if unknown:
        raise JointsFileError(path, f"unknown joint name(s) {', '.join(unknown)}; names are {', '.join(JOINTS)}")
    kps = np.full((NUM_JOINTS, 3), np.nan, np.float32)
    for name, xy in joints.items():
        if (not isinstance(xy, (list, tuple)) or len(xy) != 2
                or not all(isinstance(v, (int, float)) and np.isfinite(v) for v in xy)):
            raise JointsFileError(path, f"joint {name} must be [x, y] numbers, got {xy!r}")
        x, y = float(xy[0]), float(xy[1])
        if not (0 <= x <= w and 0 <= y <= h):
            raise JointsFileError(path, f"joint {name} at ({x:.0f}, {y:.0f}) is outside the {w}x{h} picture")
        kps[J[name]] = (x, y, 1.0)
    out = CharacterJoints(kps, (w, h), str(d.get("source", "")))
    missing = out.missing_required()
    if missing:
        raise JointsFileError(path, f"missing required joint(s) {', '.join(missing)} (only nose, eyes and ears "
                                    f"may be left out)")
    return out


def load_joints(path: str | os.PathLike, image_size: tuple[int, int] | None = None) -> CharacterJoints:
    """Read and check a joints file (pass the picture's ``image_size`` to check it matches)."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise JointsFileError(path, "joints file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise JointsFileError(path, f"cannot be read ({e.__class__.__name__})") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise JointsFileError(path, f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    return check_joints(d, path, image_size)


def save_joints(path: str | os.PathLike, joints: CharacterJoints) -> Path:
    """Write a joints file atomically (checked first, so a saved file always loads)."""
    path = Path(path)
    d = joints.to_dict()
    check_joints(json.loads(json.dumps(d)), path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(d, indent=1))
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------- converters
def from_char_cfg(path: str | os.PathLike) -> CharacterJoints:
    """Joints from an AnimatedDrawings ``char_cfg.yaml`` (its 16-joint skeleton, width, height)."""
    import yaml

    path = Path(path)
    try:
        cfg = yaml.safe_load(path.read_text())
        size = (int(cfg["width"]), int(cfg["height"]))
        kps = from_animated_drawings(cfg["skeleton"])
    except FileNotFoundError:
        raise JointsFileError(path, "file not found") from None
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as e:
        raise JointsFileError(path, f"not an AnimatedDrawings char_cfg.yaml ({e.__class__.__name__}: "
                                    f"{str(e).splitlines()[0][:100]})") from None
    return check_joints(CharacterJoints(kps, size, "char_cfg.yaml").to_dict(), path)


def from_anime_drawings_file(path: str | os.PathLike, index: int = 0,
                             image_size: tuple[int, int] | None = None) -> CharacterJoints:
    """Joints of entry ``index`` of an Anime Drawings Dataset annotation JSON.

    The dataset does not store image sizes; give ``image_size`` (else the size is read from
    the entry's image file when it is next to the JSON, else taken from the points' extent).
    """
    path = Path(path)
    try:
        entries = json.loads(path.read_text())
        entry = entries[index]
        kps = from_anime_drawings(entry["points"])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
        raise JointsFileError(path, f"no usable Anime Drawings entry {index} ({e.__class__.__name__})") from None
    if image_size is None:
        img = path.parent / str(entry.get("file_name", ""))
        if img.is_file():
            from PIL import Image

            with Image.open(img) as im:
                image_size = im.size
        else:
            xy = kps[np.isfinite(kps[:, 0]), :2]
            image_size = (int(np.ceil(xy[:, 0].max())) + 1, int(np.ceil(xy[:, 1].max())) + 1)
    return check_joints(CharacterJoints(kps, tuple(image_size), "anime_drawings").to_dict(), path)


def convert_main(argv: list[str] | None = None) -> int:
    """``python -m r2a_utils joints convert SRC --out OUT.joints.json [--index N]``."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m r2a_utils joints",
                                 description="Character joints files: convert existing annotations, or check one")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="from an AnimatedDrawings char_cfg.yaml or an Anime Drawings Dataset JSON")
    c.add_argument("source")
    c.add_argument("--out", required=True)
    c.add_argument("--index", type=int, default=0, help="entry of an Anime Drawings JSON (default 0)")
    k = sub.add_parser("check", help="validate a joints file (against a picture, if given)")
    k.add_argument("joints")
    k.add_argument("--picture")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "convert":
            src = Path(a.source)
            joints = from_char_cfg(src) if src.suffix in (".yaml", ".yml") else from_anime_drawings_file(src, a.index)
            print(save_joints(a.out, joints))
        else:
            size = None
            if a.picture:
                from r2a_utils.pose.anime import load_character_image

                rgb, _ = load_character_image(a.picture)
                size = (rgb.shape[1], rgb.shape[0])
            j = load_joints(a.joints, size)
            print(f"{a.joints}: ok, {int(np.isfinite(j.keypoints[:, 0]).sum())} joints for a "
                  f"{j.image_size[0]}x{j.image_size[1]} picture")
    except (InputFileError, KeypointError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------- editing (both editors)
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
        if not (0 <= x <= w and 0 <= y <= h):
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
    from r2a_utils.pose.anime import AnimePoseEstimator, load_character_image

    rgb, _ = load_character_image(picture)
    with AnimePoseEstimator() as est:
        kps = est.estimate_image(rgb)
    return rgb, kps


def joints_widget(picture: str | os.PathLike, estimate: np.ndarray | None = None,
                  save_to: str | os.PathLike | None = None):
    """The notebook joints editor (ipywidgets): pick a joint, move it with x/y sliders, undo,
    reset, save. Returns ``(widget, editor)``; ``editor.joints()`` has the current joints."""
    import io

    import ipywidgets as widgets
    from PIL import Image

    from r2a_utils.pose.anime import load_character_image

    rgb, _ = load_character_image(picture)
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
