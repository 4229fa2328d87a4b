"""Gradio demo: handler checks, then the real app on loopback called through gradio_client."""
import socket

import pytest

from r2a_utils.demo import build_demo, launch_demo, run_animation
from r2a_utils.joints import load_joints
from r2a_utils.samples import sample_character, sample_video
from r2a_utils.video import probe


def test_handler_rejects_missing_and_too_long_inputs(tmp_path):
    import gradio as gr

    with pytest.raises(gr.Error, match="Upload a video"):
        run_animation(None, str(sample_character()))
    with pytest.raises(gr.Error, match="Upload a picture"):
        run_animation(str(sample_video(num_frames=12)), None)
    with pytest.raises(gr.Error, match="up to 0 s"):
        run_animation(str(sample_video(num_frames=12)), str(sample_character()), max_seconds=0.1)
    bad = tmp_path / "x.mp4"
    bad.write_text("no")
    with pytest.raises(gr.Error, match="cannot be used: not a readable video"):
        run_animation(str(bad), str(sample_character()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_app_on_loopback_through_gradio_client():
    from gradio_client import Client, handle_file

    app = build_demo()
    port = _free_port()
    launch_demo(app, port=port)
    try:
        assert app.local_url.startswith("http://127.0.0.1")
        assert not app.share
        client = Client(app.local_url, verbose=False)
        character = sample_character()
        anime, composite, message = client.predict(
            handle_file(str(sample_video(num_frames=12))), handle_file(str(character)),
            handle_file(str(character.with_suffix(".joints.json"))), "warp", "savgol", api_name="/animate")
        anime = anime["video"] if isinstance(anime, dict) else anime
        assert probe(anime).num_frames == 12
        assert "12 frames" in message
        # the joints editor's start, through the API: the given joints file is loaded and re-saved
        out = client.predict(handle_file(str(character)), handle_file(str(character.with_suffix(".joints.json"))),
                             api_name="/find_joints")
        texts = [o for o in out if isinstance(o, str)]
        assert any("joints from the joints file" in t for t in texts), out
        saved = [o for o in out if isinstance(o, str) and o.endswith(".joints.json")]
        assert saved and load_joints(saved[0], (256, 384)).missing_required() == []
    finally:
        app.close()


def test_picture_clicks_reach_the_editor_with_their_position():
    """Gradio passes click data by the handler's annotation; a string annotation would
    silently drop it (this module uses PEP 563), so check the wiring the browser uses."""
    import gradio as gr
    from gradio.helpers import special_args

    app = build_demo()
    fn = next(f.fn for f in app.fns.values() if getattr(f.fn, "__name__", "") == "on_click")
    args = special_args(fn, [None, "neck"], None, gr.SelectData(None, {"index": [10, 20], "value": None}))[0]
    assert args[:2] == [None, "neck"] and args[2].index == [10, 20]
