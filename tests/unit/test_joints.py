"""Character joints: file format round trip, one-line errors, converters, the editing state,
both editors' handlers, and the three drawn characters through the CLI with converted joints."""
import json

import numpy as np
import pytest

from r2a_utils.joints import (REQUIRED_JOINTS, JointsFileError, check_joints, convert_main, from_anime_drawings_file,
                              from_char_cfg, load_joints, save_joints)
from r2a_utils.joints_editor import JointsEditor
from r2a_utils.samples import sample_character
from r2a_utils.skeleton import J


def _sample():
    pic = sample_character()
    return pic, load_joints(pic.with_suffix(".joints.json"), (256, 384))


def test_round_trip_is_identical(tmp_path):
    _, j = _sample()
    assert j.missing_required() == [] and j.image_size == (256, 384)
    p = save_joints(tmp_path / "a.joints.json", j)
    back = load_joints(p, (256, 384))
    assert np.allclose(back.keypoints, j.keypoints, equal_nan=True, atol=0.006)
    save_joints(tmp_path / "b.joints.json", back)
    assert (tmp_path / "b.joints.json").read_text() == p.read_text()  # stable: save -> load -> save
    assert not list(tmp_path.glob("*.tmp"))


def _write(tmp_path, d):
    p = tmp_path / "bad.joints.json"
    p.write_text(d if isinstance(d, str) else json.dumps(d))
    return p


def _good():
    return {"version": 1, "image_size": [100, 200],
            "joints": {n: [10 + i, 20 + i] for i, n in enumerate(REQUIRED_JOINTS)}}


@pytest.mark.parametrize("change,problem", [
    (lambda d: "{ not json", "not valid JSON (line 1"),
    (lambda d: [1, 2], "expected a JSON object"),
    (lambda d: {**d, "version": 7}, "version 7 is not 1"),
    (lambda d: {**d, "image_size": [100]}, "image_size must be"),
    (lambda d: '{"version": 1, "image_size": [Infinity, 200], "joints": {}}', "two finite numbers of pixels"),
    (lambda d: '{"version": 1, "image_size": [NaN, 200], "joints": {}}', "two finite numbers of pixels"),
    (lambda d: {**d, "image_size": [True, 200]}, "two finite numbers of pixels"),
    (lambda d: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (lambda d: {**d, "joints": {**d["joints"], "tail": [1, 2]}}, "unknown joint name(s) tail"),
    (lambda d: {**d, "joints": {k: v for k, v in d["joints"].items() if k != "left_knee"}},
     "missing required joint(s) left_knee"),
    (lambda d: {**d, "joints": {**d["joints"], "neck": [150, 20]}}, "joint neck at (150, 20) is outside the 100x200"),
    (lambda d: {**d, "joints": {**d["joints"], "neck": "here"}}, "joint neck must be [x, y]"),
    (lambda d: {**d, "joints": {**d["joints"], "neck": [True, True]}}, "joint neck must be [x, y]"),
    (lambda d: {**d, "joints": {k: [50, 50] for k in d["joints"]}}, "all at nearly one point"),
    (lambda d: {**d, "joints": {**d["joints"], "left_ankle": [50, 450]}}, "left_ankle at (50, 450) is too far outside"),
])
def test_bad_files_give_one_line_errors(tmp_path, change, problem):
    p = _write(tmp_path, change(_good()))
    with pytest.raises(JointsFileError) as e:
        load_joints(p)
    msg = str(e.value)
    assert msg.startswith(str(p)) and problem in msg and "\n" not in msg


def test_wrong_picture_size_and_missing_file(tmp_path):
    p = _write(tmp_path, _good())
    assert load_joints(p, (100, 200)).image_size == (100, 200)
    with pytest.raises(JointsFileError, match="made for a 100x200 picture, but this picture is 300x600"):
        load_joints(p, (300, 600))
    with pytest.raises(JointsFileError, match="joints file not found"):
        load_joints(tmp_path / "nope.json")


def test_optional_joints_may_be_absent():
    d = _good()
    d["joints"]["nose"] = [50, 10]
    j = check_joints(d)
    assert np.isfinite(j.keypoints[J["nose"], 0]) and np.isnan(j.keypoints[J["left_ear"], 0])


def test_editor_place_undo_reset_and_propose_next_missing(tmp_path):
    _, j = _sample()
    est = j.keypoints.copy()
    est[J["left_wrist"]] = np.nan
    est[J["right_ankle"]] = np.nan
    ed = JointsEditor((256, 384), est)
    assert ed.selected == "left_wrist" and ed.missing() == ["left_wrist", "right_ankle"]
    with pytest.raises(JointsFileError, match="missing required joint"):
        ed.save(tmp_path / "x.json")
    ed.place(200, 200)
    assert ed.selected == "right_ankle"  # the next missing one is proposed
    ed.place(100, 370)
    assert ed.missing() == []
    ed.place(120, 60, "neck")
    assert ed.keypoints[J["neck"], :2].tolist() == [120, 60]
    ed.undo()
    assert np.allclose(ed.keypoints[J["neck"]], j.keypoints[J["neck"]])
    with pytest.raises(Exception, match="outside the 256x384 picture"):
        ed.place(300, 10)
    again = JointsEditor.from_state(json.loads(json.dumps(ed.state())))  # what Gradio keeps
    assert np.array_equal(again.keypoints, ed.keypoints, equal_nan=True) and len(again.undo_stack) == 2
    again.reset()
    assert np.array_equal(again.keypoints, est, equal_nan=True)
    assert ed.draw(np.zeros((384, 256, 3), np.uint8)).shape == (384, 256, 3)


def test_gradio_click_handler_moves_a_joint_and_saves_the_file(tmp_path, monkeypatch):
    import gradio as gr

    from r2a_utils.demo import check_character, editor_click, editor_reset, editor_undo

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    pic, j = _sample()
    view, state, selected, path, msg, mask_value, cut = check_character(str(pic), str(pic.with_suffix(".joints.json")))
    assert view.shape == (384, 256, 3) and path and "joints file" in msg
    assert cut.shape == (384, 256) and mask_value["background"].shape[:2] == (384, 256)
    evt = gr.SelectData(None, {"index": [140, 95], "value": None})
    view, state, selected, path, msg = editor_click(state, "right_elbow", evt)
    saved = json.loads(open(path).read())
    assert saved["joints"]["right_elbow"] == [140, 95] and "Placed right elbow at (140, 95)" in msg
    assert load_joints(path, (256, 384)).missing_required() == []
    view, state, _, path, msg = editor_undo(state)
    assert json.loads(open(path).read())["joints"]["right_elbow"] != [140, 95]
    view, state, _, path, _ = editor_click(state, "right_elbow", evt)
    view, state, _, path, msg = editor_reset(state)
    assert "Back to the estimate" in msg
    with pytest.raises(gr.Error, match="Upload a character picture first"):
        editor_click(None, "neck", evt)
    with pytest.raises(gr.Error, match="outside"):
        editor_click(state, "neck", gr.SelectData(None, {"index": [999, 5], "value": None}))


def test_gradio_start_without_joints_uses_the_estimator(tmp_path, monkeypatch):
    from r2a_utils.demo import check_character

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    pic, _ = _sample()
    view, state, selected, path, msg, _, _ = check_character(str(pic), None)
    assert "from the anime pose network" in msg and state["picture"] == str(pic)


def test_ipywidgets_editor_uses_the_same_state(tmp_path):
    from r2a_utils.joints_editor import joints_widget

    pic, j = _sample()
    box, ed = joints_widget(pic, j.keypoints, save_to=tmp_path / "w.joints.json")
    pick, xs = box.children[1], box.children[2]
    pick.value = "left_knee"
    xs.value = 150
    assert ed.keypoints[J["left_knee"], 0] == 150
    box.children[4].children[2].click()  # save
    assert load_joints(tmp_path / "w.joints.json").keypoints[J["left_knee"], 0] == 150
    box.children[4].children[0].click()  # undo
    assert ed.keypoints[J["left_knee"], 0] != 150


def test_anime_drawings_converter(tmp_path):
    entry = {"file_name": "x.png", "points": {"neck": [50, 40], "head": [50, 20], "nose_tip": [50, 30],
                                              **{k: [40 + i, 60 + 5 * i] for i, k in enumerate(
                                                  ["arm_right", "elbow_right", "wrist_right", "arm_left", "elbow_left",
                                                   "wrist_left", "leg_right", "knee_right", "ankle_right", "leg_left",
                                                   "knee_left", "ankle_left"])}}, "width": 60, "height": 130}
    p = tmp_path / "ann.json"
    p.write_text(json.dumps([entry]))
    own = from_anime_drawings_file(p, 0)
    assert own.image_size == (60, 130) and own.keypoints[J["neck"], :2].tolist() == [50, 40]  # the entry's own size
    j = from_anime_drawings_file(p, 0, image_size=(120, 260))  # a copy at twice the size
    assert j.image_size == (120, 260) and j.missing_required() == [] and j.keypoints[J["neck"], :2].tolist() == [100, 80]
    with pytest.raises(JointsFileError, match="no usable Anime Drawings entry 3"):
        from_anime_drawings_file(p, 3)
    assert convert_main(["convert", str(p), "--out", str(tmp_path / "o.joints.json")]) == 0
    assert load_joints(tmp_path / "o.joints.json").source == "anime_drawings"


def test_char_cfg_converter_rejects_bad_files(tmp_path):
    bad = tmp_path / "char_cfg.yaml"
    bad.write_text("width: 10\n")
    with pytest.raises(JointsFileError, match="not an AnimatedDrawings char_cfg.yaml"):
        from_char_cfg(bad)
    assert convert_main(["convert", str(bad), "--out", str(tmp_path / "o.json")]) == 1


@pytest.mark.parametrize("name", ["drawn_char1", "drawn_char2", "drawn_char4"])
def test_drawn_characters_through_the_cli_with_converted_joints(tmp_path, shared, name, monkeypatch, measured):
    """Acceptance: joints converted from char_cfg.yaml, and the anime pose network never runs."""
    from PIL import Image

    from r2a_utils.__main__ import main
    from r2a_utils.pose import anime
    from r2a_utils.samples import sample_video
    from r2a_utils.video import probe

    folder = shared / "characters" / name
    joints = tmp_path / f"{name}.joints.json"
    assert main(["joints", "convert", str(folder / "char_cfg.yaml"), "--out", str(joints)]) == 0
    texture = np.asarray(Image.open(folder / "texture.png").convert("RGB"))
    mask = np.asarray(Image.open(folder / "mask.png").convert("L"))
    picture = tmp_path / f"{name}.png"
    Image.fromarray(np.dstack([texture, np.where(mask > 127, 255, 0).astype(np.uint8)])).save(picture)
    assert main(["joints", "check", str(joints), "--picture", str(picture)]) == 0

    def no_estimator(*a, **k):
        raise AssertionError("the anime pose network must not run when joints are given")

    monkeypatch.setattr(anime.AnimePoseEstimator, "__init__", no_estimator)
    out = tmp_path / "out"
    video = sample_video(num_frames=12)
    assert main(["animate", "--video", str(video), "--character", str(picture), "--character-joints", str(joints),
                 "--out", str(out), "--no-audio", "--height", "256"]) == 0
    anime_mp4 = out / f"{video.stem}_{name}_anime.mp4"
    assert probe(anime_mp4).num_frames == 12
    measured(f"{name}: char_cfg.yaml -> joints file -> CLI animate, 12/12 frames, no estimator")


def test_anime_drawings_entries_fit_their_own_pictures(tmp_path, shared):
    """Each dev drawing's annotation converts and checks against the drawing itself."""
    from r2a_utils.picture import load_picture

    entries = json.loads((shared / "anime_drawings_dataset" / "data.json").read_text())
    index = {e["file_name"].rsplit("/", 1)[-1].split(".")[0]: i for i, e in enumerate(entries)}
    pictures = sorted((shared / "anime_drawings_dev").iterdir())
    for pic in pictures:
        out = tmp_path / f"{pic.stem}.joints.json"
        assert convert_main(["convert", str(shared / "anime_drawings_dataset" / "data.json"), "--index",
                             str(index[pic.stem]), "--picture", str(pic), "--out", str(out)]) == 0
        assert convert_main(["check", str(out), "--picture", str(pic)]) == 0
        assert load_joints(out, load_picture(pic).size).missing_required() == []


def test_a_picture_cut_at_the_thighs_animates_its_visible_part(tmp_path):
    """Knees and ankles below the picture's edge are allowed; the visible part is animated whole."""
    from PIL import Image

    from r2a_utils.__main__ import main
    from r2a_utils.render.quality import pieces
    from r2a_utils.samples import sample_video
    from r2a_utils.video import read_frames

    pic, j = _sample()
    cut = int(j.keypoints[J["right_knee"], 1] - 20)  # just above the knees
    Image.open(pic).crop((0, 0, 256, cut)).save(tmp_path / "cut.png")
    d = j.to_dict()
    d["image_size"] = [256, cut]
    (tmp_path / "cut.joints.json").write_text(json.dumps(d))
    partial = load_joints(tmp_path / "cut.joints.json", (256, cut))
    assert partial.keypoints[J["left_ankle"], 1] > cut  # below the picture, and accepted
    assert main(["animate", "--video", str(sample_video(num_frames=12)), "--character", str(tmp_path / "cut.png"),
                 "--character-joints", str(tmp_path / "cut.joints.json"), "--height", "192", "--no-audio",
                 "--out", str(tmp_path / "out")]) == 0
    frames = read_frames(next((tmp_path / "out").glob("*_anime.mp4")))
    assert len(frames) == 12
    alpha = np.stack([(f.astype(int).sum(-1) < 740).astype(np.uint8) * 255 for f in frames])  # drawn pixels
    assert all(pieces(a) == 1 for a in alpha)
