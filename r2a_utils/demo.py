"""The Gradio demo: a dance video and a character picture in, the character dancing out.

One page, three steps:
  1. **Video and character.** Upload both, or click an example (the kit's embedded sample,
     made on first start, and real ones when ``../shared/data`` or ``R2A_MIRROR`` has them).
  2. **Check the character.** As soon as a picture arrives it is shown with its skeleton
     (click to move a joint; the joints the estimator is unsure of are named) and its
     cut-out in a mask editor (a magenta brush adds, a cyan one removes). *Show the rig*
     draws what moves with each arm with those joints and that cut-out.
  3. **Animate.** A progress bar by stage, the anime video, the 4-panel composite and the
     downloads (MP4s, GIF, the joints JSON and the mask PNG used, and the rig sheet: the joints
     and layers the renderer drew, ``rig_files``).

``build_demo()`` returns the ``gr.Blocks`` app and never starts a server by itself;
``launch_demo(app)`` serves it on 127.0.0.1 only (no share link, telemetry off, uploads
capped). Every handler is a plain function, so tests call them directly; errors reach the
page as one sentence without server paths. A job's files are deleted once the page has its
copies, and Gradio's own cache when the server stops (``delete_cache``).

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

from r2a_utils.demo_steps import (DELETE_CACHE, MAX_UPLOAD, MAX_VIDEO_SECONDS, check_character,  # noqa: F401
                                  cutout_when_complete, editor_click, editor_reset, editor_select, editor_undo,
                                  examples, forget_job, plain, rig_preview,  # (sets GRADIO_ANALYTICS_ENABLED)
                                  run_animation)


# ---------------------------------------------------------------- the page
def _picture_input(**kwargs):
    """A ``gr.Image`` that hands an undecodable upload to the handlers, which name the problem
    in one plain sentence, instead of failing in Gradio's own preprocessing (a long message
    with server paths)."""
    import gradio as gr

    class PictureInput(gr.Image):
        is_template = True  # drawn by the browser as a plain Image

        def preprocess(self, payload):
            try:
                return super().preprocess(payload)
            except Exception:
                return str(payload.path) if payload is not None else None

    return PictureInput(**kwargs)


def build_demo(max_seconds: float = MAX_VIDEO_SECONDS):
    """The three-step page (see the module's docstring)."""
    import gradio as gr

    from r2a_utils.mask_editor import ADD_RGB, REMOVE_RGB
    from r2a_utils.pipeline import RENDERERS
    from r2a_utils.skeleton import JOINTS

    def animate_handler(video, character, joints, mask_edit, mask, start, renderer, smoothing,
                        progress=gr.Progress()):
        return run_animation(video, character, joints, renderer, smoothing, max_seconds, progress, mask_edit, mask,
                             start)

    def on_click(state, joint, start, mask_file, evt: gr.SelectData):
        out = editor_click(state, joint, evt)
        cut = cutout_when_complete(out[1], start, mask_file)
        return out + ((gr.update(), gr.update()) if cut is None else cut)

    # this module's annotations are strings (PEP 563); Gradio finds the click data by the real type
    on_click.__annotations__["evt"] = gr.SelectData
    add, remove = ("#{:02x}{:02x}{:02x}".format(*c) for c in (ADD_RGB, REMOVE_RGB))

    with gr.Blocks(title="Real2Animation", analytics_enabled=False, delete_cache=DELETE_CACHE) as app:
        gr.Markdown("# Real2Animation\nA real dance video + one character picture → the character dancing. "
                    f"Videos up to {max_seconds:.0f} s; everything runs on this machine.")
        gr.Markdown("## 1 · Video and character")
        with gr.Row():
            video = gr.Video(label="Real video (one person, whole body in view)", sources=["upload"])
            character = _picture_input(label="Character picture (standing, front view)", type="filepath",
                                       image_mode="RGBA", sources=["upload"], elem_id="character")
        with gr.Accordion("Optional: a joints file and a mask you already have", open=False):
            with gr.Row():
                joints = gr.File(label="Character joints JSON", file_types=[".json"], type="filepath")
                mask = gr.File(label="Character mask PNG (white = character)", file_types=["image"],
                               type="filepath")
        gr.Examples(examples(), [video, character, joints, mask], label="Examples: click one, then Animate")
        gr.Markdown("## 2 · Check the character\nThe skeleton: pick a joint and click where it belongs. "
                    "The cut-out: what moves with the body (tinted magenta); a magenta brush adds, a cyan brush "
                    "removes.")
        with gr.Row():
            with gr.Column(scale=3):
                edit_view = gr.Image(label="Skeleton (click to place the selected joint)", type="numpy",
                                     interactive=False, sources=[], elem_id="skeleton")
                with gr.Row():
                    joint = gr.Dropdown(list(JOINTS), value="neck", label="Joint to place", scale=2)
                    undo = gr.Button("Undo", scale=1)
                    reset = gr.Button("Reset to estimate", scale=1)
                edit_msg = gr.Markdown(elem_id="character-note")
            with gr.Column(scale=3):
                mask_edit = gr.ImageEditor(label="Cut-out (magenta brush adds, cyan brush removes)", type="numpy",
                                           image_mode="RGBA", sources=[], transforms=[], format="png",
                                           layers=False, brush=gr.Brush(colors=[add, remove], default_color=add,
                                                                        color_mode="fixed"),
                                           eraser=gr.Eraser(), elem_id="mask-editor")
        with gr.Accordion("What moves with each arm (the rig the renderer will use)", open=False):
            show_rig = gr.Button("Show the rig")
            rig_view = gr.Image(label="Joints | arm layers (right red, left blue) | body layer, filled behind the arms",
                                type="numpy", interactive=False, sources=[], elem_id="rig")
        editor_state, mask_start = gr.State(None), gr.State(None)
        gr.Markdown("## 3 · Animate")
        with gr.Row():
            renderer = gr.Dropdown(list(RENDERERS), value="warp", label="Renderer",
                                   info="warp: any character, no training; gan: the Stage-3 network "
                                        "(its shipped weights know only the embedded character)")
            smoothing = gr.Radio(["savgol", "one_euro", "none"], value="savgol", label="Smoothing")
        go = gr.Button("Animate", variant="primary", elem_id="animate")
        with gr.Row():
            anime = gr.Video(label="Anime video", elem_id="anime-video")
            composite = gr.Video(label="Reference | Real Human | Pose | Anime")
        message = gr.Markdown(elem_id="message")
        downloads = gr.File(label="Downloads", file_count="multiple", interactive=False)
        job = gr.State(None)

        editor_outs = [edit_view, editor_state, joint, joints, edit_msg]
        check = dict(fn=check_character, inputs=[character, joints, mask],
                     outputs=editor_outs + [mask_edit, mask_start])
        character.change(**check, api_name="check_character")
        mask.change(**check, api_name=False)
        go.click(animate_handler, [video, character, joints, mask_edit, mask, mask_start, renderer, smoothing],
                 [anime, composite, downloads, message, job], api_name="animate").then(
            forget_job, [job], None, api_name=False, show_progress="hidden")
        edit_view.select(on_click, [editor_state, joint, mask_start, mask], editor_outs + [mask_edit, mask_start])
        joint.input(editor_select, [editor_state, joint], editor_outs)
        undo.click(editor_undo, [editor_state], editor_outs)
        reset.click(editor_reset, [editor_state], editor_outs)
        show_rig.click(rig_preview, [editor_state, mask_edit, mask_start], [rig_view], api_name="rig")
    return app


def launch_demo(app, port: int | None = None, block: bool = False):
    """Serve on 127.0.0.1 only: no share link, uploads capped at ``MAX_UPLOAD``."""
    return app.queue(default_concurrency_limit=1).launch(
        server_name="127.0.0.1", server_port=port, share=False, max_file_size=MAX_UPLOAD,
        prevent_thread_lock=not block, show_error=False, quiet=True)  # gr.Error texts only: no tracebacks


def launch_in_notebook(app, previous=None, height: int = 1400):
    """Serve ``app`` from a notebook on a free port and show it: inline through Colab's proxy
    on Colab (a localhost URL would not reach the browser there), else its local URL. A
    ``previous`` app (an earlier run of the same cell) is closed first, so re-running the
    cell never fails on a taken port."""
    import sys

    if previous is not None:
        previous.close()
    launch_demo(app)  # port None: Gradio takes the first free one from 7860
    port = int(app.local_url.rstrip("/").rsplit(":", 1)[1])
    if "google.colab" in sys.modules:
        from google.colab import output  # type: ignore[import-not-found]

        output.serve_kernel_port_as_iframe(port, height=height)
    else:
        print(f"demo running at {app.local_url} (app.close() stops it)")
    return app

