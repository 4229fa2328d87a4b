import json

import pytest

from r2a_utils.__main__ import main
from r2a_utils.samples import room_background, sample_video
from r2a_utils.video import probe, write_video


def test_animate_embedded_sample_writes_complete_videos(tmp_path, capsys):
    assert main(["animate", "--out", str(tmp_path), "--frames", "12"]) == 0
    summary = json.loads((tmp_path / "sample_summary.json").read_text())
    assert summary["frames"] == 12
    for key in ("anime_video", "composite_video"):
        info = probe(summary[key])
        assert info.num_frames == 12 and info.fps == 24
    assert probe(summary["composite_video"]).width > 3 * probe(summary["anime_video"]).width
    assert "procedural character" in capsys.readouterr().out


def test_animate_a_video_runs_pose_and_smoothing(tmp_path):
    video = sample_video(num_frames=12)
    assert main(["animate", "--video", str(video), "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / f"{video.stem}_summary.json").read_text())
    assert summary["stages_run"][:2] == ["stage2a_human_pose", "stage2a_smoothing_savgol"]
    assert probe(summary["anime_video"]).num_frames == 12


@pytest.mark.parametrize("case,problem", [("missing", "file not found"), ("empty", "empty"),
                                          ("text", "not a readable video"), ("nobody", "no person found")])
def test_animate_bad_video_is_one_line_and_leaves_nothing(tmp_path, capsys, case, problem):
    video = tmp_path / f"{case}.mp4"
    if case == "empty":
        video.write_bytes(b"")
    elif case == "text":
        video.write_text("hello")
    elif case == "nobody":
        write_video(video, [room_background((160, 120))] * 6, 6)
    out = tmp_path / "out"
    assert main(["animate", "--video", str(video), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1].split("\r")[-1]  # after any progress bar
    assert err.startswith("error: ") and str(video) in err and problem in err
    assert not out.exists() or list(out.iterdir()) == []


def test_animate_own_character_says_not_built_yet(tmp_path, capsys):
    assert main(["animate", "--video", "x.mp4", "--character", "c.png", "--out", str(tmp_path)]) == 3
    assert "not built yet" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
