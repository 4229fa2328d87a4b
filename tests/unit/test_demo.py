"""Gradio demo: handler checks, the mask editor, the real app on loopback called through
gradio_client, and the page in a real browser (headless Chromium)."""
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from r2a_utils.demo import build_demo, check_character, forget_job, launch_demo, plain, run_animation
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
        anime, composite, downloads, message = client.predict(
            handle_file(str(sample_video(num_frames=12))), handle_file(str(character)),
            handle_file(str(character.with_suffix(".joints.json"))), None, None, "warp", "savgol",
            api_name="/animate")
        names = sorted(Path(d).suffix for d in downloads)
        assert names == [".gif", ".json", ".mp4", ".mp4", ".png"], downloads  # the PNG: the rig sheet
        anime = anime["video"] if isinstance(anime, dict) else anime
        assert probe(anime).num_frames == 12
        assert "12 frames" in message
        # step 2 through the API: the given joints file is loaded and re-saved
        out = client.predict(handle_file(str(character)), handle_file(str(character.with_suffix(".joints.json"))),
                             None, api_name="/check_character")
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
    args = special_args(fn, [None, "neck", None, None], None,
                        gr.SelectData(None, {"index": [10, 20], "value": None}))[0]
    assert args[:2] == [None, "neck"] and args[4].index == [10, 20]


# ---------------------------------------------------------------- issue 18: the demo's bad inputs
def test_a_raw_stream_over_the_cap_is_refused(tmp_path):
    """A raw .h264 stream states no duration; it is counted, so the cap holds (0 s before)."""
    import gradio as gr

    from tests.unit.test_bad_inputs import _reencode

    raw = _reencode(sample_video(num_frames=48), tmp_path / "long.h264", fmt="h264", rate=5)  # 9.6 s at 5 fps
    with pytest.raises(gr.Error, match="is 10 s long; this demo takes up to 5 s"):
        run_animation(str(raw), str(sample_character()), max_seconds=5)


def test_errors_show_no_server_paths(tmp_path):
    import gradio as gr

    assert plain(f"{tmp_path}/up/char.png: too small (10x10)") == "char.png: too small (10x10)"
    assert plain("C:\\Users\\me\\x.mp4: empty") == "x.mp4: empty"
    from PIL import Image

    Image.new("RGB", (10, 10)).save(tmp_path / "tiny.png")
    with pytest.raises(gr.Error) as e:
        run_animation(str(sample_video(num_frames=12)), str(tmp_path / "tiny.png"))
    assert "tiny.png: too small" in str(e.value) and str(tmp_path) not in str(e.value)


def test_a_job_folder_is_deleted_once_the_page_has_its_files():
    character = sample_character()
    *_, downloads, _, job = run_animation(str(sample_video(num_frames=12)), str(character),
                                          str(character.with_suffix(".joints.json")))
    assert all(Path(d).exists() for d in downloads) and Path(job).is_dir()
    forget_job(job)
    assert not Path(job).exists()
    forget_job("/")  # only the demo's own folders are ever removed
    assert Path("/").exists()


def test_the_app_deletes_gradio_cache_on_shutdown():
    from r2a_utils.demo import DELETE_CACHE

    assert build_demo().delete_cache == DELETE_CACHE


# ---------------------------------------------------------------- the mask editor
def test_check_character_on_a_figure_cut_at_the_thighs(shared):
    """The garden girl (cut at the thighs; refused before session 9): a whole skeleton, a
    cut-out, and the note says which joints lie beyond the picture's edge."""
    out = check_character(str(shared / "characters" / "anime_girl_garden.png"))
    note, start = out[4], out[6]
    assert "Not sure of" not in note and "Beyond the picture's edge" in note and "left_ankle" in note
    assert start is not None and 0.1 < start.mean() < 0.7


def test_check_character_notes_legs_drawn_folded(tmp_path):
    """A picture whose joints fold a knee past a right angle (sitting, kneeling) is named in
    step 2's note, before any animating; the sample's straight legs get no such note."""
    import json

    joints = sample_character().with_suffix(".joints.json")
    assert "folded" not in check_character(str(sample_character()), str(joints))[4]
    data = json.loads(joints.read_text())
    hip, knee = np.array(data["joints"]["right_hip"]), np.array(data["joints"]["right_knee"])
    data["joints"]["right_ankle"] = (knee + (hip - knee) * 0.9 + [25.0, 0.0]).tolist()  # the shin folded up
    (tmp_path / "sitting.joints.json").write_text(json.dumps(data))
    note = check_character(str(sample_character()), str(tmp_path / "sitting.joints.json"))[4]
    assert "legs folded" in note and "right knee at" in note


def test_check_character_shows_the_cut_out_and_an_edit_changes_the_mask(tmp_path):
    """A picture without transparency: the cut-out is found, shown, and a cyan stroke removes."""
    from PIL import Image

    from r2a_utils.mask_editor import REMOVE_RGB, mask_from_editor
    from r2a_utils.picture import load_picture, over_background

    pic = load_picture(sample_character())
    Image.fromarray(over_background(pic.rgba())).save(tmp_path / "flat.png")
    out = check_character(str(tmp_path / "flat.png"), str(sample_character().with_suffix(".joints.json")))
    value, start = out[5], out[6]
    assert start.shape == (384, 256) and 0.05 < start.mean() < 0.6
    assert np.mean(start == (pic.alpha > 127)) > 0.97  # the cut-out matches the true alpha
    assert value["background"].shape[:2] == (384, 256)
    stroke = np.zeros((384, 256, 4), np.uint8)
    stroke[:192] = (*REMOVE_RGB, 255)  # remove the top half
    edited = mask_from_editor({**value, "layers": [stroke]}, start)
    assert not edited[:192].any() and np.array_equal(edited[192:], start[192:])
    *_, downloads, _, job = run_animation(str(sample_video(num_frames=12)), str(tmp_path / "flat.png"),
                                          str(sample_character().with_suffix(".joints.json")),
                                          mask_edit={**value, "layers": [stroke]}, mask_start=start)
    saved = [d for d in downloads if d.endswith(".mask.png")]
    from r2a_utils.picture import load_mask

    assert saved and np.array_equal(load_mask(saved[0], (256, 384)) > 127, edited)
    forget_job(job)


def test_mask_editor_state_and_widget(tmp_path):
    from r2a_utils.mask_editor import MaskEditor, MaskFileError, mask_widget

    m = np.zeros((60, 40), bool)
    m[10:50, 10:30] = True
    m[25:30, 18:22] = False  # a hole
    ed = MaskEditor(m)
    ed.fill_holes()
    assert ed.mask[27, 20] and ed.mask.sum() == 800
    ed.paint(5, 5, 1, keep=True)
    assert ed.mask[5, 5]
    ed.grow(-2)
    assert not ed.mask[5, 5]
    assert ed.undo() and ed.undo() and ed.undo() and np.array_equal(ed.mask, m)
    ed.paint(20, 30, 100, keep=False)
    with pytest.raises(MaskFileError, match="empty"):
        ed.save(tmp_path / "m.png")
    ed.reset()
    assert ed.save(tmp_path / "m.png").exists()
    widget, wed = mask_widget(sample_character(), np.ones((384, 256), bool), tmp_path / "w.png")
    assert wed.share() == 1.0 and len(widget.children) >= 5


# ---------------------------------------------------------------- the page in a real browser
CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or \
    "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"BROWSER TEST SKIPPED: no Chromium at {CHROMIUM} / {CHROMEDRIVER} "
                    f"(./kit test installs Debian's chromium and chromium-driver where it can)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    o = webdriver.ChromeOptions()
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--window-size=1400,2400", f"--user-data-dir={tmp_path / 'profile'}"):
        o.add_argument(a)
    o.binary_location = CHROMIUM
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    yield driver
    driver.quit()


def _js_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_in_a_real_browser_an_example_and_animate_give_a_playing_video(browser, tmp_path):
    """Two clicks from an empty page to a finished animation, in headless Chromium; then a
    bad upload shows its one-sentence error. No JavaScript errors allowed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    app = build_demo()
    launch_demo(app, port=_free_port())
    try:
        browser.get(app.local_url)
        wait = WebDriverWait(browser, 90)
        rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.tr-body"))
        rows[0].click()  # click 1: the embedded sample fills video, character and joints
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#skeleton img"))
        assert "joints from the joints file" in browser.find_element(By.ID, "character-note").text
        browser.find_element(By.ID, "animate").click()  # click 2
        duration = wait.until(lambda d: d.execute_script(
            "const v = document.querySelector('#anime-video video');"
            "return v && v.src && v.readyState >= 1 && v.duration > 0 ? v.duration : null;"))
        assert duration == pytest.approx(2.0, abs=0.1)  # 48 frames at 24 fps
        assert "48 frames" in browser.find_element(By.ID, "message").text
        browser.save_screenshot(str(tmp_path / "animated.png"))
        assert not _js_errors(browser)
        # a bad upload: a text file as the character picture
        bad = tmp_path / "notes.png"
        bad.write_text("not a picture")
        upload = browser.find_element(By.CSS_SELECTOR, "#character input[type=file]") if browser.find_elements(
            By.CSS_SELECTOR, "#character input[type=file]") else None
        if upload is None:  # a filled image shows a clear button first
            for b in browser.find_elements(By.CSS_SELECTOR, "#character button"):
                if (b.get_attribute("aria-label") or "").lower() in ("clear", "remove image"):
                    b.click()
                    break
            upload = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#character input[type=file]"))
        upload.send_keys(str(bad))
        toast = wait.until(lambda d: [t.text for t in d.find_elements(By.CSS_SELECTOR, ".toast-body") if t.text])
        text = " ".join(toast)
        assert "notes.png: not a readable image" in text, text
        assert "/tmp/" not in text and max(len(line) for line in text.splitlines()) < 120, repr(text)
        browser.save_screenshot(str(tmp_path / "bad_upload.png"))
    finally:
        app.close()


def test_show_the_rig_draws_the_layers_with_the_edited_joints_and_cut_out(tmp_path):
    """Step 2's *Show the rig*: the rig sheet with the editor's joints and the cut-out as
    edited (erasing the right arm from the cut-out narrows the figure the sheet shows); a
    missing body joint is named instead."""
    import gradio as gr
    from PIL import Image

    from r2a_utils.demo import rig_preview
    from r2a_utils.mask_editor import REMOVE_RGB
    from r2a_utils.picture import load_picture, over_background
    from r2a_utils.skeleton import J

    pic = load_picture(sample_character())
    Image.fromarray(over_background(pic.rgba())).save(tmp_path / "flat.png")
    joints = sample_character().with_suffix(".joints.json")
    out = check_character(str(tmp_path / "flat.png"), str(joints))
    state, value, start = out[1], out[5], out[6]
    sheet = rig_preview(state, value, start)
    assert sheet.ndim == 3 and sheet.shape[1] > 1.5 * sheet.shape[0]
    kps = load_joints(joints, pic.size).keypoints
    x0 = int(np.nanmin(kps[[J["right_elbow"], J["right_wrist"]], 0])) + 2  # the right arm's outer half
    stroke = np.zeros((*start.shape, 4), np.uint8)
    stroke[:, :x0] = (*REMOVE_RGB, 255)
    narrower = rig_preview(state, {**value, "layers": [stroke]}, start)
    assert narrower.shape[0] == sheet.shape[0] and narrower.shape[1] < sheet.shape[1] - 6
    state["keypoints"][J["left_knee"]] = [None, None, None]
    with pytest.raises(gr.Error, match="still missing: left_knee"):
        rig_preview(state, value, start)
