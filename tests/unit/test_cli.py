import json

from r2a_utils.__main__ import main
from r2a_utils.video import probe


def test_animate_embedded_sample_writes_complete_videos(tmp_path, capsys):
    assert main(["animate", "--out", str(tmp_path), "--frames", "12"]) == 0
    summary = json.loads((tmp_path / "sample_summary.json").read_text())
    assert summary["frames"] == 12
    for key in ("anime_video", "composite_video"):
        info = probe(summary[key])
        assert info.num_frames == 12 and info.fps == 24
    assert probe(summary["composite_video"]).width > 3 * probe(summary["anime_video"]).width
    assert "Stage 1 only" in capsys.readouterr().out


def test_animate_own_inputs_says_not_built_yet(tmp_path, capsys):
    assert main(["animate", "--video", "x.mp4", "--character", "c.png", "--out", str(tmp_path)]) == 3
    assert "not built yet" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
