"""Issue 18's catalogue of bad inputs, one test per case, through the commands users run.

Every case asserts the same four things: the exit code, one ``error:`` line (or the one
interrupt line), the file named in it, and the folder left exactly as it was (no input
replaced, no half output, no part file). The demo's cases are in ``test_demo.py``.
"""
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from r2a_utils.__main__ import main as kit
from r2a_utils.joints import convert_main as joints_cli
from r2a_utils.pipeline import output_paths
from r2a_utils.pose.anime import WEIGHTS
from r2a_utils.pose.anime.__main__ import main as anime_cli
from r2a_utils.samples import sample_character, sample_video
from r2a_utils.transfer.__main__ import main as transfer_cli


def snapshot(folder):
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(err: str) -> str:
    """The command's own message: stderr minus progress bars, which must be exactly one line."""
    lines = [ln.split("\r")[-1] for ln in err.strip().splitlines()]
    lines = [ln for ln in lines if ln.strip() and not re.search(r"\d+/\d+ \[\d", ln)]
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    return lines[0]


@pytest.fixture
def work(tmp_path):
    """A folder with the sample character, its joints and a short video, as a user has them."""
    shutil.copy(sample_character(), tmp_path / "char.png")
    shutil.copy(sample_character().with_suffix(".joints.json"), tmp_path / "char.joints.json")
    shutil.copy(sample_video(num_frames=12), tmp_path / "dance.mp4")
    return tmp_path


def refused(capsys, folder, run, code, *named):
    """Run a command; assert its exit code, one line naming ``named``, the folder unchanged."""
    before = snapshot(folder)
    rc = run()
    line = one_line(capsys.readouterr().err)
    assert rc == code, line
    assert line.startswith("error: ") or line.startswith("interrupted"), line
    for text in named:
        assert str(text) in line, line
    assert snapshot(folder) == before
    return line


def joints_with(work, **change):
    d = json.loads((work / "char.joints.json").read_text())
    d.update(change)
    return d


# ---------------------------------------------------------------- 1. an input overwritten
def test_an_input_named_like_an_output_is_refused_not_replaced(work, capsys):
    out = work / "out"
    out.mkdir()
    joints = output_paths(out, "dance", "char")["summary"]  # a joints file named like the run's summary
    shutil.copy(work / "char.joints.json", joints)
    line = refused(capsys, work, lambda: kit(["animate", "--video", str(work / "dance.mp4"), "--character",
                                              str(work / "char.png"), "--character-joints", str(joints),
                                              "--out", str(out)]), 1, joints, "would replace an input")
    assert "choose another --out" in line


@pytest.mark.parametrize("args,named", [
    (["train"], "train needs --out"),
    (["train", "--out", str(WEIGHTS)], "would replace an input or the shipped weights"),
])
def test_anime_pose_training_never_writes_over_the_shipped_weights(tmp_path, capsys, args, named):
    before = WEIGHTS.read_bytes()
    with pytest.raises(SystemExit) as e:
        anime_cli(args)
    assert e.value.code == 2 and named in capsys.readouterr().err
    assert WEIGHTS.read_bytes() == before


def test_a_joints_conversion_never_replaces_its_source(tmp_path, capsys):
    src = tmp_path / "data.json"
    src.write_text("[]")
    refused(capsys, tmp_path, lambda: joints_cli(["convert", str(src), "--out", str(src)]), 1, src,
            "would replace an input")
    with pytest.raises(SystemExit) as e:
        joints_cli(["convert", str(src), "--out", str(tmp_path / "x.json"), "--index", "-1"])
    assert e.value.code == 2 and "--index" in capsys.readouterr().err


def test_export_onto_its_own_checkpoint_is_refused(tmp_path, capsys):
    ckpt = tmp_path / "checkpoint.pt"
    ckpt.write_bytes(b"PK not really")
    refused(capsys, tmp_path, lambda: transfer_cli(["export", str(ckpt), str(ckpt)]), 1, ckpt, "would replace")


# ---------------------------------------------------------------- 4. no hang: ranges checked by argparse
@pytest.mark.parametrize("cli,args,named", [
    (transfer_cli, ["train", "--out", "x", "--steps", "0"], "--steps"),
    (transfer_cli, ["train", "--out", "x", "--max-minutes", "nan"], "--max-minutes"),
    (transfer_cli, ["eval", "--poses", "-1"], "--poses"),
    (kit, ["animate", "--fps", "1e9", "--motion", "a.bvh"], "--fps"),
])
def test_numbers_out_of_range_are_refused_by_name(tmp_path, capsys, monkeypatch, cli, args, named):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        cli(args)
    assert e.value.code == 2 and named in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- 5. half results
def test_a_failure_writing_the_composite_leaves_nothing(work, capsys, monkeypatch):
    """Disk full while the composite is closed: the finished anime video goes too."""
    import errno

    import r2a_utils.video as video

    close = video.VideoWriter.close

    def full(self):
        if "composite" in str(self.path):
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        return close(self)

    monkeypatch.setattr(video.VideoWriter, "close", full)
    refused(capsys, work, lambda: kit(["animate", "--video", str(work / "dance.mp4"), "--height", "128",
                                       "--out", str(work)]), 1, "No space left", "composite")


def test_a_failure_writing_the_summary_removes_the_videos(work, capsys, monkeypatch):
    import r2a_utils.__main__ as cli

    def full(path, text):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(cli, "write_text_atomic", full)
    refused(capsys, work, lambda: kit(["animate", "--video", str(work / "dance.mp4"), "--height", "128",
                                       "--out", str(work)]), 1, "summary.json")


def test_ctrl_c_is_one_line_and_exit_130(work, capsys, monkeypatch):
    import r2a_utils.pipeline as pipeline

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "render_and_write", interrupted)
    line = refused(capsys, work, lambda: kit(["animate", "--video", str(work / "dance.mp4"), "--out", str(work)]),
                   130)
    assert line == "interrupted; nothing written"


# ---------------------------------------------------------------- 6-7. invalid joints, tracebacks
@pytest.mark.parametrize("name,content,problem", [
    ("bools", lambda w: joints_with(w, joints={**joints_with(w)["joints"], "neck": [True, True]}), "must be [x, y]"),
    ("one_point", lambda w: joints_with(w, joints={k: [99, 99] for k in joints_with(w)["joints"]}),
     "nearly one point"),
    ("infinity", lambda w: json.dumps(joints_with(w)).replace('"image_size": [256', '"image_size": [Infinity'),
     "two finite numbers"),
    ("nan", lambda w: json.dumps(joints_with(w)).replace('"image_size": [256', '"image_size": [NaN'),
     "two finite numbers"),
    ("deep", lambda w: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
@pytest.mark.parametrize("command", ["animate", "joints check"])
def test_bad_joints_files_are_one_line(work, capsys, name, content, problem, command):
    bad = work / f"{name}.joints.json"
    text = content(work)
    bad.write_text(text if isinstance(text, str) else json.dumps(text))
    if command == "animate":
        run = lambda: kit(["animate", "--video", str(work / "dance.mp4"), "--character", str(work / "char.png"),  # noqa: E731
                           "--character-joints", str(bad), "--out", str(work / "out")])
    else:
        run = lambda: joints_cli(["check", str(bad), "--picture", str(work / "char.png")])  # noqa: E731
    refused(capsys, work, run, 1, bad, problem)


@pytest.mark.parametrize("command", ["animate", "joints check"])
def test_a_decompression_bomb_is_one_line(work, capsys, command):
    bomb = work / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # 400 megapixels in a small file
    run = ((lambda: kit(["animate", "--character", str(bomb), "--out", str(work / "out")])) if command == "animate"
           else (lambda: joints_cli(["check", str(work / "char.joints.json"), "--picture", str(bomb)])))
    refused(capsys, work, run, 1, bomb, "too large to decode safely")


@pytest.mark.parametrize("content,problem", [(b"junk", "not a PyTorch weights file"),
                                             (b"PK\x03\x04truncated", "damaged PyTorch file")])
@pytest.mark.parametrize("command", [["eval", "--weights"], ["train", "--out", "new.pt", "--init"]])
def test_bad_anime_pose_weights_are_one_line(tmp_path, capsys, monkeypatch, content, problem, command):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(content)
    refused(capsys, tmp_path, lambda: anime_cli([*command, str(bad)]), 1, bad, problem)


def test_pickled_objects_are_refused_not_run(tmp_path, capsys):
    import pickle

    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps(shutil.rmtree))  # a legacy pickle naming a function
    refused(capsys, tmp_path, lambda: transfer_cli(["eval", "--weights", str(bad)]), 1, bad, "beyond weights")


@pytest.mark.parametrize("args,named", [(["eval", "--weights", "missing.pt"], "missing.pt: checkpoint not found"),
                                        (["train", "--out", "run", "--smoke", "--config", "cfg.yaml"], "cfg.yaml")])
def test_training_cli_bad_files_exit_1_like_the_main_cli(tmp_path, capsys, monkeypatch, args, named):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg.yaml").write_text("just a string")
    refused(capsys, tmp_path, lambda: transfer_cli(args), 1, named)


# ---------------------------------------------------------------- 8. unclear lines
def test_the_too_small_message_states_the_real_limit(work, capsys):
    Image.new("RGB", (10, 10)).save(work / "tiny.png")
    refused(capsys, work, lambda: kit(["animate", "--character", str(work / "tiny.png"), "--out", str(work / "o")]),
            1, "tiny.png", "at least 16 pixels")


def test_a_bad_out_is_found_before_the_pose_run(work, capsys, monkeypatch):
    import r2a_utils.pose.track as track

    def never(*a, **k):
        raise AssertionError("the pose run started before --out was checked")

    monkeypatch.setattr(track, "estimate_video_cached", never)
    (work / "taken").write_text("a file, not a folder")
    refused(capsys, work, lambda: kit(["animate", "--video", str(work / "dance.mp4"),
                                       "--out", str(work / "taken" / "sub")]), 1, "taken", "is a file")


def test_a_truncated_video_error_is_on_its_own_line(tmp_path, capsys, shared):
    """The damage is found mid-file, while the pose bar is drawn: the error starts its own line."""
    data = (shared / "videos/dance_stage.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    refused(capsys, tmp_path, lambda: kit(["animate", "--video", str(cut), "--height", "128",
                                              "--out", str(tmp_path / "out")]), 1, cut)
    assert not (tmp_path / "out").exists()


def _reencode(src, dest, fmt=None, rate=None, times=None):
    """Copy ``src``'s frames to ``dest``: a raw stream (``fmt='h264'``) or a variable frame rate."""
    from fractions import Fraction

    import av

    from r2a_utils.video import read_frames

    frames = read_frames(src)
    with av.open(str(dest), "w", format=fmt) as o:
        s = o.add_stream("libx264", rate=rate or 24)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        if times is not None:
            s.codec_context.time_base = Fraction(1, 1000)
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            if times is not None:
                vf.pts, vf.time_base = int(times[i]), Fraction(1, 1000)
            for p in s.encode(vf):
                o.mux(p)
        for p in s.encode():
            o.mux(p)
    return dest


def test_a_raw_stream_keeps_its_own_frame_rate_and_says_so(work, capsys):
    """A .h264 stream has no container duration: its 5 fps is read from the stream, not guessed 25."""
    from r2a_utils.video import probe

    raw = _reencode(work / "dance.mp4", work / "dance.h264", fmt="h264", rate=5)
    info = probe(raw)
    assert float(info.fps) == 5 and info.num_frames == 12 and info.duration_s == pytest.approx(12 / 5)
    assert kit(["animate", "--video", str(raw), "--height", "128", "--out", str(work / "out")]) == 0
    out = capsys.readouterr().out
    assert "raw stream" in out and "at 5.00 fps" in out
    anime = next((work / "out").glob("*_anime.mp4"))
    assert float(probe(anime).fps) == 5


def test_a_variable_frame_rate_is_noted(work, capsys):
    times = np.concatenate([np.arange(6) * 33, 6 * 33 + np.arange(6) * 100])
    vfr = _reencode(work / "dance.mp4", work / "vfr.mp4", rate=30, times=times)
    assert kit(["animate", "--video", str(vfr), "--height", "128", "--out", str(work / "out")]) == 0
    assert "variable frame rate" in capsys.readouterr().out
