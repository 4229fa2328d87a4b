"""The Gradio demo: upload a dance video and a character picture, get the anime video back.

``build_demo()`` returns the ``gr.Blocks`` app and never starts a server by itself;
``launch_demo(app)`` serves it on 127.0.0.1 only (no share link, telemetry off, upload size
limited). The handler ``run_animation`` is a plain function, so tests call it directly.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

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


def build_demo(max_seconds: float = MAX_VIDEO_SECONDS):
    """The app: inputs on the left, the anime video and the 4-panel composite on the right."""
    import gradio as gr

    from r2a_utils.pipeline import RENDERERS

    def handler(video, character, joints, renderer, smoothing, progress=gr.Progress()):
        return run_animation(video, character, joints, renderer, smoothing, max_seconds, progress)

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
                renderer = gr.Dropdown(list(RENDERERS), value=RENDERERS[0], label="Renderer")
                smoothing = gr.Radio(["savgol", "one_euro", "none"], value="savgol", label="Smoothing")
                go = gr.Button("Animate", variant="primary")
            with gr.Column():
                anime = gr.Video(label="Anime video")
                composite = gr.Video(label="Reference | Real Human | Pose | Anime")
                message = gr.Markdown()
        go.click(handler, [video, character, joints, renderer, smoothing], [anime, composite, message],
                 api_name="animate")
    return app


def launch_demo(app, port: int | None = None, block: bool = False):
    """Serve on 127.0.0.1 only: no share link, uploads capped at ``MAX_UPLOAD``."""
    return app.queue(default_concurrency_limit=1).launch(
        server_name="127.0.0.1", server_port=port, share=False, max_file_size=MAX_UPLOAD,
        prevent_thread_lock=not block, show_error=True, quiet=True)
