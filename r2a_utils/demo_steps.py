"""The demo's handlers, one per step of the page (``demo.build_demo`` wires them): plain
functions that tests call directly. Errors are ``gr.Error`` with one plain sentence.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

MAX_UPLOAD = "200mb"
MAX_VIDEO_SECONDS = 180.0
DELETE_CACHE = (600, 3600)  # every 10 minutes, files older than an hour; all of them at shutdown
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s\\/:'\"()]+)+[\\/]([^\s\\/:'\"()]+)")


def plain(message: str) -> str:
    """An error for the page: one line, every path cut to its file name (no server paths)."""
    return _PATH.sub(r"\1", " ".join(str(message).split()))


def _job_dir() -> Path:
    # Gradio may only hand back files from its temp dir or the system temp dir
    root = Path(os.environ.get("GRADIO_TEMP_DIR", tempfile.gettempdir())) / "r2a-demo" / uuid.uuid4().hex[:12]
    root.mkdir(parents=True, exist_ok=True)
    return root


@functools.lru_cache(maxsize=1)
def _edit_dir() -> Path:
    """This server's folder for joints files saved while editing; removed when it stops."""
    import atexit

    d = _job_dir().parent / f"edits-{os.getpid()}"
    d.mkdir(parents=True, exist_ok=True)
    atexit.register(shutil.rmtree, d, True)
    return d


def forget_job(job: str | None) -> None:
    """Delete a finished job's folder (the page already holds Gradio's copies of its files)."""
    if job and Path(job).name and "r2a-demo" in Path(job).parts:
        shutil.rmtree(job, ignore_errors=True)


# ---------------------------------------------------------------- step 1: examples
def examples() -> list[list[str | None]]:
    """Rows of (video, character, joints, mask): the embedded sample, then real data if present."""
    from r2a_utils.samples import sample_character, sample_video

    character = sample_character()
    rows = [[str(sample_video(num_frames=48)), str(character), str(character.with_suffix(".joints.json")), None]]
    data = _real_data()
    if data is not None:
        from r2a_utils.joints import from_char_cfg, save_joints
        from r2a_utils.samples import cache_dir

        folder = data / "characters" / "drawn_char1"
        joints = cache_dir() / "demo" / "drawn_char1.joints.json"
        if not joints.exists():
            save_joints(joints, from_char_cfg(folder / "char_cfg.yaml"))
        rows.append([str(data / "videos" / "dance_stage.mp4"), str(folder / "texture.png"), str(joints),
                     str(folder / "mask.png")])
    return rows


def _real_data() -> Path | None:
    from r2a_utils.data import default_mirror

    for root in (default_mirror(), Path(__file__).resolve().parents[2] / "shared" / "data"):
        if root and (root / "videos" / "dance_stage.mp4").exists() and (root / "characters" / "drawn_char1").is_dir():
            return root
    return None


# ---------------------------------------------------------------- step 2: check the character
@functools.lru_cache(maxsize=4)
def _picture(path: str):
    """The character picture, decoded once per editing session, not on every click
    (uploads are new files, so the path names the content)."""
    from r2a_utils.picture import load_picture

    pic = load_picture(path)
    pic.rgb.setflags(write=False)
    return pic


def _editor_outputs(ed, note: str = ""):
    """(overlay, state, selected joint, joints file or None, message) after any edit."""
    pic = _picture(ed.picture)
    missing = ed.missing()
    path = None
    if not missing:
        ed.save_to = ed.save_to or str(_edit_dir() / f"{uuid.uuid4().hex[:8]}-{Path(ed.picture).stem}.joints.json")
        path = str(ed.save(ed.save_to))
        msg = note or "All body joints placed; **Animate** uses them."
    else:
        msg = note or f"Click where the **{ed.selected.replace('_', ' ')}** is. Still missing: {', '.join(missing)}."
    return ed.draw(pic.rgb), ed.state(), ed.selected, path, msg


def _editor(state: dict | None):
    import gradio as gr

    from r2a_utils.joints_editor import JointsEditor

    if not state:
        raise gr.Error("Upload a character picture first.")
    return JointsEditor.from_state(state)


def check_character(character: str | None, joints: str | None = None, mask: str | None = None):
    """Step 2, run as soon as a picture arrives: its skeleton (from the joints file, else the
    anime pose network) and its cut-out. Returns the joints editor's outputs, then the mask
    editor's value and the cut-out it starts from."""
    import gradio as gr

    from r2a_utils.errors import InputFileError
    from r2a_utils.joints import load_joints
    from r2a_utils.joints_editor import JointsEditor
    from r2a_utils.mask_editor import editor_value, starting_mask
    from r2a_utils.normalize import folded_legs_note
    from r2a_utils.render.cutout import RendererError
    from r2a_utils.picture import beyond_edge
    from r2a_utils.skeleton import JOINTS, KeypointError

    if not character:
        return None, None, "neck", joints, "", None, None
    try:
        pic = _picture(str(character))
        if joints:
            kps, source = load_joints(joints, pic.size).keypoints, "the joints file"
        else:
            from r2a_utils.pose.anime import AnimePoseEstimator

            with AnimePoseEstimator() as est:
                kps = est.estimate_image(pic)
                source = "the anime pose network" + ("" if est.last_source == "anime network"
                                                     else " merged with mediapipe's human model")
        ed = JointsEditor(pic.size, kps, picture=str(character))
        complete = not ed.missing()
        cut = starting_mask(pic, kps if complete else None, mask) if (mask or pic.alpha is not None
                                                                       or complete) else None
    except (InputFileError, KeypointError, RendererError, OSError, ValueError) as e:
        raise gr.Error(plain(e)) from None
    found = int(np.isfinite(kps[:, 0]).sum())
    out = _editor_outputs(ed)
    unsure = ed.missing()
    beyond = [n for n, cut_off in zip(JOINTS[:14], beyond_edge(kps[:14], pic.size)) if cut_off]
    note = (f"{found} joints from {source}. " + ("" if not unsure else
            f"Not sure of: {', '.join(unsure)}; place them by clicking. ")
            + ("" if not beyond else f"Beyond the picture's edge (a figure cut off there): {', '.join(beyond)}. ")
            + out[4])
    if cut is None:
        note += " The cut-out appears once the body joints are placed."
    folded = folded_legs_note(kps, size=pic.size)
    if folded:
        note += f" Note: {folded[0].upper()}{folded[1:]}."
    value = editor_value(pic.rgb, cut) if cut is not None else None
    return out[:4] + (note, value, cut)


def editor_click(state: dict | None, joint: str | None, evt=None):
    """A click on the picture: put ``joint`` (the dropdown's) where the click was. (The page
    adds the cut-out when the last missing joint is placed: ``cutout_when_complete``.)"""
    import gradio as gr

    from r2a_utils.skeleton import KeypointError

    ed = _editor(state)
    if evt is None or evt.index is None:
        raise gr.Error("No click position received.")
    x, y = evt.index[:2]
    try:
        placed = ed.place(float(x), float(y), joint or ed.selected)
    except KeypointError as e:
        raise gr.Error(plain(e)) from None
    out = _editor_outputs(ed)
    return out[:4] + (f"Placed {placed.replace('_', ' ')} at ({x}, {y}). " + out[4],)


def cutout_when_complete(state: dict | None, start: np.ndarray | None, mask: str | None = None):
    """(mask editor value, cut-out) once every body joint is placed and there is no cut-out
    yet, else None (the page leaves the editor as it is)."""
    from r2a_utils.joints_editor import JointsEditor
    from r2a_utils.mask_editor import editor_value, starting_mask

    if not state or start is not None:
        return None
    ed = JointsEditor.from_state(state)
    if ed.missing():
        return None
    pic = _picture(ed.picture)
    cut = starting_mask(pic, ed.keypoints, mask)
    return editor_value(pic.rgb, cut), cut


def editor_select(state: dict | None, joint: str):
    ed = _editor(state)
    ed.select(joint)
    return _editor_outputs(ed)


def editor_undo(state: dict | None):
    ed = _editor(state)
    return _editor_outputs(ed, "" if ed.undo() else "Nothing to undo.")


def editor_reset(state: dict | None):
    ed = _editor(state)
    ed.reset()
    return _editor_outputs(ed, "Back to the estimate. ")


def rig_preview(state: dict | None, mask_edit: dict | None = None, mask_start: np.ndarray | None = None):
    """Step 2's *What moves with each arm* button: the rig sheet (``rig_files``) of the
    picture with the editor's joints and the cut-out as edited: what moves with each arm,
    and the body layer filled behind the arms."""
    import gradio as gr

    from r2a_utils.mask_editor import mask_from_editor
    from r2a_utils.render.cutout import RendererError
    from r2a_utils.rig_files import picture_sheet
    from r2a_utils.skeleton import KeypointError

    ed = _editor(state)
    missing = ed.missing()
    if missing:
        raise gr.Error(f"Place every body joint first (still missing: {', '.join(missing)}).")
    pic = _picture(ed.picture)
    mask = mask_from_editor(mask_edit, mask_start) if mask_start is not None else None
    try:
        return picture_sheet(pic, ed.keypoints, mask)
    except (RendererError, KeypointError, ValueError) as e:
        raise gr.Error(plain(e)) from None


# ---------------------------------------------------------------- step 3: animate
def run_animation(video: str | None, character: str | None, joints: str | None = None, renderer: str = "warp",
                  smoothing: str = "savgol", max_seconds: float = MAX_VIDEO_SECONDS, progress=None,
                  mask_edit: dict | None = None, mask: str | None = None, mask_start: np.ndarray | None = None):
    """Gradio handler: (anime video, composite video, downloads, message, job folder).
    Bad input raises ``gr.Error`` with one plain sentence."""
    import gradio as gr

    from r2a_utils.errors import InputFileError
    from r2a_utils.pipeline import PipelineConfig, animate
    from r2a_utils.rig_files import write_rig_files
    from r2a_utils.video import VideoError, probe

    if not video:
        raise gr.Error("Upload a video of a person dancing first (or click an example).")
    if not character:
        raise gr.Error("Upload a picture of the character (PNG with transparency works best).")
    try:
        info = probe(video)
    except VideoError as e:
        raise gr.Error(f"The video cannot be used: {plain(e.problem)}.") from None
    if info.duration_s > max_seconds:
        raise gr.Error(f"The video is {info.duration_s:.0f} s long; this demo takes up to {max_seconds:.0f} s. "
                       f"Trim it, or run the command line (./kit animate), which has no limit.")
    if not 1 <= float(info.fps) <= 240:
        raise gr.Error(f"The video's frame rate ({float(info.fps):.2f} fps) is not plausible; re-save it as MP4.")
    job = _job_dir()
    report = (lambda f, stage: progress(f, desc=stage)) if progress is not None else None
    try:
        mask = _edited_mask(character, mask_edit, mask_start, job) or mask
        cfg = PipelineConfig(renderer=renderer, smoothing=smoothing, gif=True)
        res = animate(video, character, job, cfg, character_joints_file=joints or None, character_mask=mask or None,
                      progress=False, on_progress=report)
        # the joints used (to download and edit) and the rig sheet: the joints and layers the renderer drew
        files = write_rig_files(res, character, job, Path(character).stem, cfg.height, mask=False,
                                sheet=renderer == "warp", source="demo")
    except (InputFileError, OSError, ValueError, RuntimeError) as e:
        forget_job(str(job))
        raise gr.Error(plain(e)) from None
    downloads = [str(p) for p in (res.anime_path, res.composite_path, res.gif_path, files["joints"], mask,
                                  files.get("rig")) if p]
    msg = f"{res.frames} frames at {res.fps:.2f} fps in {res.seconds['total']:.1f} s."
    if res.notes:
        msg += " " + " ".join(f"Note: {plain(n)}." for n in res.notes)
    return str(res.anime_path), str(res.composite_path), downloads, msg, str(job)


def _edited_mask(character: str, value: dict | None, start: np.ndarray | None, job: Path) -> str | None:
    """The checked (and maybe edited) cut-out as a PNG in the job folder; None when there is
    none, or when it is exactly the picture's own transparency."""
    from r2a_utils.mask_editor import MaskEditor, mask_from_editor

    if start is None:
        return None
    pic = _picture(str(character))
    m = mask_from_editor(value, start)
    if m.shape != (pic.size[1], pic.size[0]) or (pic.alpha is not None and np.array_equal(m, pic.alpha > 127)):
        return None
    return str(MaskEditor(m).save(job / f"{Path(character).stem}.mask.png"))
