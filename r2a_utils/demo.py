"""The Gradio demo: upload a dance video and a character picture, get the anime video back.

``build_demo()`` returns the ``gr.Blocks`` app and never starts a server by itself;
``launch_demo(app)`` serves it on 127.0.0.1 only (no share link, telemetry off, upload size
limited). The handlers (``run_animation`` and the joints editor's ``editor_*``) are plain
functions, so tests call them directly.

The joints editor: "Find joints" shows the character with its estimated skeleton; pick a
joint (the next missing one is proposed) and click where it belongs; undo and reset to the
estimate. Once every body joint is placed, the joints file is saved and put in the joints
input, so the next "Animate" uses it.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import functools
import os
import tempfile
import uuid
from pathlib import Path

import numpy as np

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

MAX_UPLOAD = "200mb"
MAX_VIDEO_SECONDS = 180.0


def _out_dir() -> Path:
    # Gradio may only hand back files from its temp dir or the system temp dir
    root = Path(os.environ.get("GRADIO_TEMP_DIR", tempfile.gettempdir())) / "r2a-demo" / uuid.uuid4().hex[:12]
    root.mkdir(parents=True, exist_ok=True)
    return root


def run_animation(video: str | None, character: str | None, joints: str | None = None, renderer: str = "warp",
                  smoothing: str = "savgol", max_seconds: float = MAX_VIDEO_SECONDS, progress=None):
    """Gradio handler: returns (anime video path, composite video path, message); bad input
    raises ``gr.Error`` with a one-line message the user sees."""
    import gradio as gr

    from r2a_utils.pipeline import PipelineConfig, animate
    from r2a_utils.video import VideoError, probe

    if not video:
        raise gr.Error("Upload a video of a person dancing first.")
    if not character:
        raise gr.Error("Upload a picture of the character (PNG with transparency works best).")
    try:
        info = probe(video)
    except VideoError as e:
        raise gr.Error(f"The video cannot be used: {e.problem}.") from None
    if info.duration_s > max_seconds:
        raise gr.Error(f"The video is {info.duration_s:.0f} s long; this demo takes up to {max_seconds:.0f} s. "
                       f"Trim it, or run the command line (./kit animate), which has no limit.")
    report = (lambda f, stage: progress(f, desc=stage)) if progress is not None else None
    try:
        res = animate(video, character, _out_dir(), PipelineConfig(renderer=renderer, smoothing=smoothing),
                      character_joints_file=joints or None, progress=False, on_progress=report)
    except (OSError, ValueError, RuntimeError) as e:
        raise gr.Error(str(e).replace(str(Path(video).parent) + os.sep, "")) from None
    msg = f"{res.frames} frames at {res.fps:.2f} fps in {res.seconds['total']:.1f} s."
    if res.notes:
        msg += " " + " ".join(f"Note: {n}." for n in res.notes)
    return str(res.anime_path), str(res.composite_path), msg


# ---------------------------------------------------------------- joints editor handlers
@functools.lru_cache(maxsize=4)
def _picture(path: str) -> np.ndarray:
    """The character picture as RGB, decoded once per editing session, not on every click
    (uploads are new files, so the path names the content)."""
    from r2a_utils.picture import load_picture

    rgb = load_picture(path).rgb
    rgb.setflags(write=False)
    return rgb


def _editor_outputs(ed, note: str = ""):
    """(overlay, state, selected joint, joints file or None, message) after any edit."""
    rgb = _picture(ed.picture)
    missing = ed.missing()
    path = None
    if not missing:
        ed.save_to = ed.save_to or str(_out_dir() / f"{Path(ed.picture).stem}.joints.json")
        path = str(ed.save(ed.save_to))
        msg = note or f"All body joints placed; saved and used for the next animation ({Path(path).name})."
    else:
        msg = note or f"Click where the **{ed.selected.replace('_', ' ')}** is. Still missing: {', '.join(missing)}."
    return ed.draw(rgb), ed.state(), ed.selected, path, msg


def _editor(state: dict | None):
    import gradio as gr

    from r2a_utils.joints_editor import JointsEditor

    if not state:
        raise gr.Error("Upload a character picture and press 'Find joints' first.")
    return JointsEditor.from_state(state)


def editor_start(character: str | None, joints: str | None = None):
    """Start editing: from the given joints file, else from the anime pose network's estimate."""
    import gradio as gr

    from r2a_utils.errors import InputFileError
    from r2a_utils.joints import load_joints
    from r2a_utils.joints_editor import JointsEditor
    from r2a_utils.skeleton import KeypointError

    if not character:
        raise gr.Error("Upload a picture of the character first.")
    try:
        rgb = _picture(str(character))
        size = (rgb.shape[1], rgb.shape[0])
        if joints:
            kps, source = load_joints(joints, size).keypoints, "joints file"
        else:
            from r2a_utils.joints_editor import estimate_for_editor

            _, kps = estimate_for_editor(rgb)
            source = "anime pose network"
    except (InputFileError, KeypointError, OSError, ValueError) as e:
        raise gr.Error(str(e)) from None
    ed = JointsEditor(size, kps, picture=str(character))
    found = int(np.isfinite(kps[:, 0]).sum())
    out = _editor_outputs(ed)
    return out[:4] + (f"{found} joints from the {source}. " + out[4],)


def editor_click(state: dict | None, joint: str | None, evt=None):
    """A click on the picture: put ``joint`` (the dropdown's) where the click was."""
    import gradio as gr

    from r2a_utils.skeleton import KeypointError

    ed = _editor(state)
    if evt is None or evt.index is None:
        raise gr.Error("No click position received.")
    x, y = evt.index[:2]
    try:
        placed = ed.place(float(x), float(y), joint or ed.selected)
    except KeypointError as e:
        raise gr.Error(str(e)) from None
    out = _editor_outputs(ed)
    return out[:4] + (f"Placed {placed.replace('_', ' ')} at ({x}, {y}). " + out[4],)


def editor_select(state: dict | None, joint: str):
    ed = _editor(state)
    ed.select(joint)
    return _editor_outputs(ed)


def editor_undo(state: dict | None):
    ed = _editor(state)
    note = "" if ed.undo() else "Nothing to undo."
    return _editor_outputs(ed, note)


def editor_reset(state: dict | None):
    ed = _editor(state)
    ed.reset()
    return _editor_outputs(ed, "Back to the estimate. ")


def build_demo(max_seconds: float = MAX_VIDEO_SECONDS):
    """The app: inputs on the left, the anime video and the 4-panel composite on the right."""
    import gradio as gr

    from r2a_utils.pipeline import RENDERERS
    from r2a_utils.skeleton import JOINTS

    def handler(video, character, joints, renderer, smoothing, progress=gr.Progress()):
        return run_animation(video, character, joints, renderer, smoothing, max_seconds, progress)

    def on_click(state, joint, evt: gr.SelectData):
        return editor_click(state, joint, evt)

    # this module's annotations are strings (PEP 563); Gradio finds the click data by the real type
    on_click.__annotations__["evt"] = gr.SelectData

    with gr.Blocks(title="Real2Animation", analytics_enabled=False) as app:
        gr.Markdown("# Real2Animation\nA real dance video + one character picture → the character dancing. "
                    f"Videos up to {max_seconds:.0f} s; everything runs on this machine.")
        with gr.Row():
            with gr.Column():
                video = gr.Video(label="Real video (one person, whole body in view)", sources=["upload"])
                character = gr.Image(label="Character picture (standing, front view)", type="filepath",
                                     image_mode="RGBA", sources=["upload"])
                joints = gr.File(label="Character joints JSON (optional; use when the pose is not found)",
                                 file_types=[".json"], type="filepath")
                renderer = gr.Dropdown(list(RENDERERS), value="warp", label="Renderer",
                                       info="warp: any character, no training; gan: the Stage-3 network "
                                            "(its shipped weights know only the embedded character)")
                smoothing = gr.Radio(["savgol", "one_euro", "none"], value="savgol", label="Smoothing")
                go = gr.Button("Animate", variant="primary")
            with gr.Column():
                anime = gr.Video(label="Anime video")
                composite = gr.Video(label="Reference | Real Human | Pose | Anime")
                message = gr.Markdown()
        with gr.Accordion("Character joints: see them, fix them by hand", open=False):
            gr.Markdown("Press **Find joints**, pick a joint and click where it belongs on the picture. When every "
                        "body joint is placed the joints file is saved and used by **Animate**.")
            with gr.Row():
                with gr.Column(scale=3):
                    edit_view = gr.Image(label="Click to place the selected joint", type="numpy",
                                         interactive=False, sources=[])
                with gr.Column(scale=1):
                    find = gr.Button("Find joints")
                    joint = gr.Dropdown(list(JOINTS), value="neck", label="Joint to place")
                    undo = gr.Button("Undo")
                    reset = gr.Button("Reset to estimate")
                    edit_msg = gr.Markdown()
            editor_state = gr.State(None)
        outs = [edit_view, editor_state, joint, joints, edit_msg]
        go.click(handler, [video, character, joints, renderer, smoothing], [anime, composite, message],
                 api_name="animate")
        find.click(editor_start, [character, joints], outs, api_name="find_joints")
        edit_view.select(on_click, [editor_state, joint], outs)
        joint.input(editor_select, [editor_state, joint], outs)
        undo.click(editor_undo, [editor_state], outs)
        reset.click(editor_reset, [editor_state], outs)
    return app


def launch_demo(app, port: int | None = None, block: bool = False):
    """Serve on 127.0.0.1 only: no share link, uploads capped at ``MAX_UPLOAD``."""
    return app.queue(default_concurrency_limit=1).launch(
        server_name="127.0.0.1", server_port=port, share=False, max_file_size=MAX_UPLOAD,
        prevent_thread_lock=not block, show_error=True, quiet=True)
