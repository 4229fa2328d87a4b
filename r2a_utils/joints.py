"""Character joints: the joints file, its checks, and converters from other annotations.
(The editors, Gradio and ipywidgets, are in ``joints_editor``.)

The joints file (``<picture>.joints.json``), version 1::

    {
      "version": 1,
      "image_size": [width, height],          # of the picture the joints belong to
      "joints": {"neck": [x, y], ...},        # OpenPose-18 names, picture pixels (x right, y down)
      "source": "editor"                      # optional: who made it (editor, estimator, char_cfg.yaml, ...)
    }

The 13 body joints (neck, shoulders, elbows, wrists, hips, knees, ankles) are required;
nose, eyes and ears are optional. The torso joints lie in the picture; limb joints may lie
beyond its edge (a picture cut at the thighs: its knees and ankles are below it). ``load_joints`` refuses, with one line naming the file,
malformed JSON, unknown names, missing body joints, points outside the picture and a
picture of another size.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import dataclasses
import json
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from r2a_utils.errors import InputFileError
from r2a_utils.files import write_text_atomic
from r2a_utils.skeleton import (BODY_JOINTS, JOINTS, TORSO_JOINTS, J, NUM_JOINTS, KeypointError, from_anime_drawings,
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
    if not (isinstance(size, list) and len(size) == 2 and all(_number(v) and v >= 1 for v in size)):
        raise JointsFileError(path, f"image_size must be [width, height], two finite numbers of pixels, got {size!r}")
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
                or not all(_number(v) for v in xy)):
            raise JointsFileError(path, f"joint {name} must be [x, y] numbers, got {xy!r}")
        x, y = float(xy[0]), float(xy[1])
        if not inside_allowed(name, x, y, (w, h)):
            where = "outside" if name in TORSO_JOINTS else "too far outside"
            raise JointsFileError(path, f"joint {name} at ({x:.0f}, {y:.0f}) is {where} the {w}x{h} picture")
        kps[J[name]] = (x, y, 1.0)
    out = CharacterJoints(kps, (w, h), str(d.get("source", "")))
    missing = out.missing_required()
    if missing:
        raise JointsFileError(path, f"missing required joint(s) {', '.join(missing)} (only nose, eyes and ears "
                                    f"may be left out)")
    body = kps[[J[n] for n in REQUIRED_JOINTS], :2]
    if np.ptp(body, axis=0).max() < 0.05 * max(w, h):
        raise JointsFileError(path, "the body joints are all at nearly one point; place each where it belongs")
    return out


def _number(v: Any) -> bool:
    """A finite JSON number (``true`` is not 1, ``Infinity`` and ``NaN`` are not numbers)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and bool(np.isfinite(v))


def inside_allowed(name: str, x: float, y: float, image_size: tuple[int, int]) -> bool:
    """Torso joints (neck, shoulders, hips) lie in the picture; a limb joint may lie beyond
    its edge by up to the picture's own size: a picture cut at the thighs has its knees and
    ankles below it, and animates its visible part."""
    w, h = image_size
    if name in TORSO_JOINTS:
        return 0 <= x <= w and 0 <= y <= h
    return -w <= x <= 2 * w and -h <= y <= 2 * h


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
    except RecursionError:
        raise JointsFileError(path, "not a joints file (JSON nested too deeply to read)") from None
    return check_joints(d, path, image_size)


def save_joints(path: str | os.PathLike, joints: CharacterJoints) -> Path:
    """Write a joints file atomically (checked first, so a saved file always loads)."""
    path = Path(path)
    d = joints.to_dict()
    check_joints(json.loads(json.dumps(d)), path)
    return write_text_atomic(path, json.dumps(d, indent=1))


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
                                    f"{textwrap.shorten(str(e), 100, placeholder=' ...')})") from None
    return check_joints(CharacterJoints(kps, size, "char_cfg.yaml").to_dict(), path)


def load_animated_drawing(folder: str | os.PathLike, room: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """An AnimatedDrawings character folder (texture.png, mask.png, char_cfg.yaml) as an RGBA
    picture (mask as alpha) and OpenPose-18 joints converted from its 16-joint skeleton.

    ``room``: transparent margin added on every side, as a share of the picture's width (left,
    right) and height (top, bottom): space for outstretched arms and jumps when a renderer
    draws the motion in the picture's own frame (these drawings touch their edges).
    """
    from r2a_utils.picture import load_mask, load_picture

    folder = Path(folder)
    joints = from_char_cfg(folder / "char_cfg.yaml")
    texture = load_picture(folder / "texture.png")
    mask = load_mask(folder / "mask.png", texture.size)
    rgba, kps = np.dstack([texture.rgb, mask]), joints.keypoints
    if room > 0:
        px, py = round(room * rgba.shape[1]), round(room * rgba.shape[0])
        rgba = np.pad(rgba, ((py, py), (px, px), (0, 0)))
        kps = kps + np.array([px, py, 0], np.float32)
    return rgba, kps


def from_anime_drawings_file(path: str | os.PathLike, index: int = 0,
                             image_size: tuple[int, int] | None = None) -> CharacterJoints:
    """Joints of entry ``index`` of an Anime Drawings Dataset annotation JSON.

    The points are in the pixels of the entry's own ``width`` x ``height``. Given the
    ``image_size`` of the picture they belong to (a copy at another size, as the dataset's
    pictures usually are), they are scaled to it by ``image_size[0] / width``.
    """
    path = Path(path)
    try:
        entries = json.loads(path.read_text())
        entry = entries[index]
        kps = from_anime_drawings(entry["points"])
        size = (int(entry["width"]), int(entry["height"]))
    except (OSError, ValueError, KeyError, IndexError, TypeError, RecursionError) as e:
        raise JointsFileError(path, f"no usable Anime Drawings entry {index} ({e.__class__.__name__})") from None
    if image_size is not None and tuple(image_size) != size:
        kps[:, :2] *= image_size[0] / size[0]
        size = (int(image_size[0]), int(image_size[1]))
    return check_joints(CharacterJoints(kps, size, "anime_drawings").to_dict(), path)


def convert_main(argv: list[str] | None = None) -> int:
    """``python -m r2a_utils joints convert SRC --out OUT.joints.json [--index N]``."""
    import argparse

    from r2a_utils.cli import count, run_command
    from r2a_utils.picture import load_picture

    ap = argparse.ArgumentParser(prog="python -m r2a_utils joints",
                                 description="Character joints files: convert existing annotations, or check one")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="from an AnimatedDrawings char_cfg.yaml or an Anime Drawings Dataset JSON")
    c.add_argument("source")
    c.add_argument("--out", required=True)
    c.add_argument("--index", type=count(0), default=0, help="entry of an Anime Drawings JSON (default 0)")
    c.add_argument("--picture", help="the picture the joints are for (an Anime Drawings entry is scaled to it)")
    k = sub.add_parser("check", help="validate a joints file (against a picture, if given)")
    k.add_argument("joints")
    k.add_argument("--picture")
    a = ap.parse_args(argv)

    def run() -> int:
        if a.cmd == "convert":
            src = Path(a.source)
            if Path(a.out).resolve() in {src.resolve(), *([Path(a.picture).resolve()] if a.picture else [])}:
                raise ValueError(f"{a.out}: --out would replace an input; give another file")
            size = load_picture(a.picture).size if a.picture else None
            joints = (from_char_cfg(src) if src.suffix in (".yaml", ".yml")
                      else from_anime_drawings_file(src, a.index, size))
            print(save_joints(a.out, joints))
        else:
            j = load_joints(a.joints, load_picture(a.picture).size if a.picture else None)
            print(f"{a.joints}: ok, {int(np.isfinite(j.keypoints[:, 0]).sum())} joints for a "
                  f"{j.image_size[0]}x{j.image_size[1]} picture")
        return 0

    return run_command(run, (InputFileError, KeypointError, OSError, ValueError))
