"""The main command: python -m r2a_utils animate (./kit animate)."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from r2a_utils.__main__ import main
from r2a_utils.pose.anime import WEIGHTS
from r2a_utils.samples import room_background, sample_character, sample_video
from r2a_utils.video import probe, write_video


def _summary(out):
    files = list(out.glob("*_summary.json"))
    assert len(files) == 1
    return json.loads(files[0].read_text())


def test_animate_embedded_samples_writes_complete_videos(tmp_path, capsys):
    assert main(["animate", "--out", str(tmp_path), "--frames", "12", "--height", "192"]) == 0
    summary = _summary(tmp_path)
    assert summary["frames"] == 12
    for key in ("anime_video", "composite_video"):
        info = probe(summary[key])
        assert info.num_frames == 12 and info.fps == 24
    assert probe(summary["composite_video"]).width > 3 * probe(summary["anime_video"]).width
    assert "anime video:" in capsys.readouterr().out


def test_animate_own_character_with_a_joints_file(tmp_path):
    """Your own picture (here a copy of the embedded one, without transparency) and its joints."""
    src = sample_character()
    rgba = np.asarray(Image.open(src))
    a = rgba[..., 3:4] / 255.0
    Image.fromarray((rgba[..., :3] * a + 255 * (1 - a)).astype(np.uint8)).save(tmp_path / "mine.jpg")
    video = sample_video(num_frames=12)
    assert main(["animate", "--video", str(video), "--character", str(tmp_path / "mine.jpg"),
                 "--character-joints", str(src.with_suffix(".joints.json")), "--height", "192",
                 "--out", str(tmp_path / "out")]) == 0
    assert probe(_summary(tmp_path / "out")["anime_video"]).num_frames == 12


@pytest.mark.skipif(not WEIGHTS.exists(), reason="needs the shipped anime pose weights")
def test_a_run_leaves_the_joints_and_cut_out_it_made_beside_the_videos(tmp_path, capsys):
    """A picture without transparency and no joints file: the run writes the joints it found,
    the cut-out it made and a rig sheet. Given back with --character-joints and
    --character-mask, they animate the same character, and are not written again."""
    from r2a_utils.joints import load_joints
    from r2a_utils.picture import load_mask

    src = sample_character()
    rgba = np.asarray(Image.open(src))
    a = rgba[..., 3:4] / 255.0
    Image.fromarray((rgba[..., :3] * a + 255 * (1 - a)).astype(np.uint8)).save(tmp_path / "mine.png")
    video = sample_video(num_frames=12)
    out = tmp_path / "out"
    assert main(["animate", "--video", str(video), "--character", str(tmp_path / "mine.png"), "--height", "192",
                 "--out", str(out)]) == 0
    files = {k: out / Path(v).name for k, v in _summary(out)["character_files"].items()}
    assert set(files) == {"joints", "mask", "rig"} and all(p.exists() for p in files.values())
    assert "fix them in the joints editor" in capsys.readouterr().out
    size = (rgba.shape[1], rgba.shape[0])
    joints = load_joints(files["joints"], size).keypoints
    truth = load_joints(src.with_suffix(".joints.json"), size).keypoints
    assert np.nanmedian(np.linalg.norm(joints[:14, :2] - truth[:14, :2], axis=1)) < 0.05 * size[1]
    cut, alpha = load_mask(files["mask"], size) > 127, rgba[..., 3] > 127
    assert (cut & alpha).sum() / (cut | alpha).sum() > 0.9  # the cut-out is the character
    sheet = np.asarray(Image.open(files["rig"]))  # three panels side by side, cropped from the run's canvas
    assert sheet.ndim == 3 and sheet.shape[1] > 1.5 * sheet.shape[0] and sheet.shape[0] <= _summary(out)["size"][1]
    again = tmp_path / "again"
    assert main(["animate", "--video", str(video), "--character", str(tmp_path / "mine.png"), "--height", "192",
                 "--character-joints", str(files["joints"]), "--character-mask", str(files["mask"]),
                 "--out", str(again)]) == 0
    assert set(_summary(again)["character_files"]) == {"rig"}
    assert not list(again.glob("*.joints.json")) and not list(again.glob("*.mask.png"))


@pytest.mark.parametrize("case,problem", [("missing", "file not found"), ("empty", "empty"),
                                          ("text", "not a readable video"), ("image", "still image"),
                                          ("nobody", "no person found")])
def test_bad_video_is_one_line_and_leaves_nothing(tmp_path, capsys, case, problem):
    video = tmp_path / f"{case}.mp4"
    if case == "empty":
        video.write_bytes(b"")
    elif case == "text":
        video.write_text("hello")
    elif case == "image":
        Image.new("RGB", (64, 64)).save(video, format="PNG")
    elif case == "nobody":
        write_video(video, [room_background((160, 120))] * 6, 6)
    out = tmp_path / "out"
    assert main(["animate", "--video", str(video), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1].split("\r")[-1]  # after any progress bar
    assert err.startswith("error: ") and str(video) in err and problem in err
    assert not out.exists() or list(out.iterdir()) == []


def test_bad_character_picture(tmp_path, capsys):
    pic = tmp_path / "char.png"
    pic.write_text("not an image")
    assert main(["animate", "--character", str(pic), "--out", str(tmp_path / "out")]) == 1
    assert "char.png: not a readable image" in capsys.readouterr().err


@pytest.mark.skipif(not WEIGHTS.exists(), reason="shipped anime pose weights not present")
def test_character_without_a_pose_asks_for_joints_then_works_with_them(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 300), (240, 240, 240)).save(blank)
    video = str(sample_video(num_frames=12))
    assert main(["animate", "--video", video, "--character", str(blank), "--out", str(tmp_path / "o1")]) == 1
    err = capsys.readouterr().err
    assert "blank.png: no confident pose found" in err and "joints editor" in err
    joints = tmp_path / "blank.joints.json"
    src = json.loads(sample_character().with_suffix(".joints.json").read_text())
    src["image_size"] = [200, 300]  # the sample's joints scaled onto this picture
    src["joints"] = {n: [x * 200 / 256, y * 300 / 384] for n, (x, y) in src["joints"].items()}
    joints.write_text(json.dumps(src))
    # with joints, a blank page still has nothing to cut out: the message asks for a mask
    assert main(["animate", "--video", video, "--character", str(blank), "--character-joints", str(joints),
                 "--height", "192", "--out", str(tmp_path / "o2")]) == 1
    assert "blank.png: nothing but background" in capsys.readouterr().err
    Image.new("L", (200, 300), 255).save(tmp_path / "mask.png")
    assert main(["animate", "--video", video, "--character", str(blank), "--character-joints", str(joints),
                 "--character-mask", str(tmp_path / "mask.png"), "--height", "192", "--out", str(tmp_path / "o2")]) == 0


def test_one_frame_video_gives_a_one_frame_animation(tmp_path):
    from r2a_utils.video import read_frames

    one = write_video(tmp_path / "one.mp4", read_frames(sample_video(num_frames=12))[:1], 24)
    assert main(["animate", "--video", str(one), "--height", "192", "--out", str(tmp_path / "out")]) == 0
    s = _summary(tmp_path / "out")
    assert probe(s["anime_video"]).num_frames == 1 and probe(s["composite_video"]).num_frames == 1


def test_bvh_motion_drives_a_drawing_and_writes_a_gif(tmp_path, shared):
    """Issue 14 acceptance: --motion FILE.bvh with a drawn character, its mask and joints, --gif."""
    folder = shared / "characters" / "drawn_char1"
    joints, out = tmp_path / "c1.joints.json", tmp_path / "out"
    assert main(["joints", "convert", str(folder / "char_cfg.yaml"), "--out", str(joints)]) == 0
    bvh = shared / "bvh" / "fair1" / "wave_hello.bvh"
    assert main(["animate", "--motion", str(bvh), "--character", str(folder / "texture.png"), "--character-mask",
                 str(folder / "mask.png"), "--character-joints", str(joints), "--gif", "--fps", "12",
                 "--max-frames", "18", "--height", "256", "--out", str(out)]) == 0
    s = _summary(out)
    anime, comp = probe(s["anime_video"]), probe(s["composite_video"])
    assert anime.num_frames == comp.num_frames == 18 and float(anime.fps) == 12
    with Image.open(s["gif"]) as gif:
        assert gif.n_frames == 18 and gif.size[1] == 240  # 12 fps is under the GIF's 15 fps cap: every frame
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"wave_hello_texture_{k}" for k in ("anime.mp4", "composite.mp4", "anime.gif", "summary.json", "rig.png"))


def test_a_bad_character_is_refused_before_any_video_work(tmp_path, capsys, monkeypatch):
    """A text file as --character: one line naming it, and the video is never opened."""
    import r2a_utils.pose.track as track
    import r2a_utils.video as video_mod

    def never(*a, **k):
        raise AssertionError("the video was touched before the character was checked")

    monkeypatch.setattr(track, "estimate_video_cached", never)
    monkeypatch.setattr(video_mod, "probe", never)
    (tmp_path / "me.png").write_text("not a picture")
    assert main(["animate", "--video", str(sample_video(num_frames=12)), "--character", str(tmp_path / "me.png"),
                 "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == f"error: {tmp_path / 'me.png'}: not a readable image (UnidentifiedImageError)"
    assert "pose" not in captured.err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,named", [(["--height", "-50"], "--height"), (["--height", "0"], "--height"),
                                        (["--max-frames", "-3"], "--max-frames"), (["--fps", "12"], "--fps"),
                                        (["--motion", "dance.mp4"], "--motion"), (["--frames", "x"], "--frames")])
def test_bad_arguments_are_refused_by_name(tmp_path, capsys, args, named):
    with pytest.raises(SystemExit) as e:
        main(["animate", "--out", str(tmp_path), *args])
    assert e.value.code == 2 and named in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_sigterm_mid_render_leaves_nothing_behind(tmp_path):
    """A run killed with SIGTERM while it writes: one line, exit 130, no part files left."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    video = sample_video(num_frames=240)
    proc = subprocess.Popen([sys.executable, "-m", "r2a_utils", "animate", "--video", str(video), "--out", str(out),
                             "--height", "256"], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "R2A_SMOKE": "0"})
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(".*part*")):  # rendering has started
        time.sleep(0.05)
    assert list(out.glob(".*part*")), "the run never started writing"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "interrupted; nothing written"
    assert not list(out.iterdir())


def test_part_files_of_a_killed_run_are_cleaned_up(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    video, character = sample_video(num_frames=12), sample_character()
    stem = f"{video.stem}_{character.stem}"
    stale = [out / f".{stem}_anime.k3j9x.part.mp4", out / f".{stem}_composite.part.mp4"]
    for p in stale:
        p.write_bytes(b"half a video")
    keep = out / "notes.txt"
    keep.write_text("mine")
    assert main(["animate", "--frames", "12", "--height", "192", "--out", str(out)]) == 0
    assert not any(p.exists() for p in stale) and keep.read_text() == "mine"
    assert not list(out.glob(".*"))
