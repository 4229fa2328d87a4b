"""What a run leaves beside its videos so you can check the character and fix it.

- ``<run>_rig.png``, the rig sheet. It has three panels on the renderer's own canvas:
  1. the picture with the joints the run used;
  2. the cut-out, with what moves with each arm tinted (right red, left blue);
  3. the body layer, with the places the arms covered filled in.
  A joint in the wrong place, or a piece of skirt tinted as part of an arm, shows here
  before you watch the video.
- ``<run>.joints.json``: the joints, when the run found them itself (not from a file you gave).
- ``<run>.mask.png``: the cut-out (white = character), when the run made one (the picture has no
  transparency and you gave no mask).

Fix the joints in the joints editor and the cut-out in the mask editor. Then run again with
``--character-joints`` and ``--character-mask``. The run reads those files and does not
write them again.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SHEET_PAD = 0.06  # room around the figure on the rig sheet, a share of its size


def rig_sheet(reference: np.ndarray, keypoints: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """The rig sheet of a character on its canvas (``reference`` RGB or RGBA, its joints
    ``(18, 3)``, and the cut-out when there is no alpha). It shows the joints, the arm
    layers and the body layer as ``render.layers.split_layers`` makes them, so they are the
    ones the mesh renderer draws. The sheet is cropped to the figure and its joints."""
    from r2a_utils.render.base import cut_reference
    from r2a_utils.render.layers import split_layers
    from r2a_utils.viz import draw_skeleton, side_by_side

    rgb, _, kps, cut = cut_reference(reference, keypoints, mask)
    tinted, body = layer_preview(rgb, cut, split_layers(rgb, cut, kps))
    joints = draw_skeleton(np.ascontiguousarray(rgb), kps)
    ys, xs = np.nonzero(cut)
    found = kps[np.isfinite(kps[:, :2]).all(1), :2]
    lo = np.minimum([xs.min(), ys.min()], found.min(0)) if len(found) else np.array([xs.min(), ys.min()])
    hi = np.maximum([xs.max(), ys.max()], found.max(0)) if len(found) else np.array([xs.max(), ys.max()])
    pad = SHEET_PAD * (hi - lo).max()
    h, w = cut.shape
    x0, y0 = (int(max(v, 0)) for v in lo - pad)
    x1, y1 = int(min(hi[0] + pad, w)), int(min(hi[1] + pad, h))
    panels = {"joints": joints, "arm layers": tinted, "body layer": body}
    return side_by_side({k: v[y0:y1, x0:x1] for k, v in panels.items()}, height=y1 - y0)


def layer_preview(rgb: np.ndarray, mask: np.ndarray, layers) -> tuple[np.ndarray, np.ndarray]:
    """Two pictures for looking at a split (``render.layers.Layers``): the cut-out with the
    right arm's layer tinted red and the left's blue, and the body layer alone (its fills
    included) on white."""
    tinted = rgb.astype(np.float32)
    tinted[~mask] = 255
    for side, colour in (("right", (220, 40, 40)), ("left", (40, 80, 230))):
        a = layers.arms[side]
        tinted[a] = 0.45 * tinted[a] + 0.55 * np.array(colour, np.float32)
    body = layers.body_rgb.copy()
    body[~layers.body] = 255
    return tinted.astype(np.uint8), body


def picture_sheet(picture, keypoints: np.ndarray, mask: np.ndarray | None = None, height: int = 384) -> np.ndarray:
    """The rig sheet of a ``Picture`` before any run (the demo's second step). It uses the
    joints ``(18, 3)`` in picture pixels and the cut-out (bool or 0/255; None: the alpha, or
    found in the picture). The picture is shrunk to at most ``height`` pixels high, about
    the size a run draws it at."""
    import cv2

    k = min(1.0, height / picture.size[1])
    size = (max(1, round(picture.size[0] * k)), max(1, round(picture.size[1] * k)))
    reference = cv2.resize(picture.reference(), size, interpolation=cv2.INTER_AREA)
    small = None if mask is None else cv2.resize(np.where(np.asarray(mask) > 0, 255, 0).astype(np.uint8), size,
                                                 interpolation=cv2.INTER_AREA)  # as a run places it
    kps = np.array(keypoints, np.float64)
    kps[:, :2] *= k
    return rig_sheet(reference, kps, small)


def write_rig_files(result, character: str | os.PathLike, out_dir: str | os.PathLike, stem: str, height: int,
                    joints: bool = True, mask: bool = True, sheet: bool = True,
                    source: str = "found by the kit") -> dict[str, Path]:
    """Write the files of ``result`` (an ``AnimationResult`` of ``character``) into ``out_dir``:
    ``<stem>.joints.json`` (when ``joints``), ``<stem>.mask.png`` (when ``mask`` and the run
    made a cut-out) and ``<stem>_rig.png`` (when ``sheet``); ``source`` is written into the
    joints file. The sheet is drawn on the run's canvas, ``height`` pixels high. Every file is
    written whole, and on a failure none of them is left. Returns ``{kind: path}``."""
    import cv2

    from r2a_utils.files import atomic_path
    from r2a_utils.joints import CharacterJoints, save_joints
    from r2a_utils.mask_editor import MaskEditor
    from r2a_utils.picture import load_picture
    from r2a_utils.pipeline import Character, place_on_canvas

    picture = load_picture(character)
    base = Path(out_dir) / stem
    written: dict[str, Path] = {}
    try:
        if joints:
            written["joints"] = save_joints(f"{base}.joints.json",
                                            CharacterJoints(result.character_keypoints, picture.size, source))
        if mask and result.character_mask is not None:
            written["mask"] = MaskEditor(result.character_mask > 127).save(f"{base}.mask.png")
        if sheet:
            staged = place_on_canvas(Character(picture, result.character_keypoints, result.character_mask, stem),
                                     result.target_keypoints, height)
            image = rig_sheet(staged.reference, staged.character_keypoints, staged.mask)
            path = Path(f"{base}_rig.png")
            with atomic_path(path) as tmp:
                if not cv2.imwrite(str(tmp), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
                    raise OSError(f"{path}: could not be written")
            written["rig"] = path
    except BaseException:
        for path in written.values():
            path.unlink(missing_ok=True)
        raise
    return written
