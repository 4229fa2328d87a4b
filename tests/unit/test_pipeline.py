"""Acceptance runs of the full pipeline on the real sample data (skipped without it)."""
import numpy as np
import pytest

from r2a_utils.pipeline import PipelineConfig, animate, load_animated_drawing
from r2a_utils.video import probe, read_frames


@pytest.mark.parametrize("clip", ["dance_stage", "dance_indoor"])
def test_both_real_videos_with_the_green_dress(shared, tmp_path, clip, measured):
    video = shared / "videos" / f"{clip}.mp4"
    res = animate(video, shared / "characters" / "anime_green_dress.png", tmp_path, PipelineConfig(height=256),
                  progress=False)
    src, anime, comp = probe(video), probe(res.anime_path), probe(res.composite_path)
    assert anime.num_frames == comp.num_frames == src.num_frames and anime.fps == src.fps
    frame = read_frames(res.composite_path, max_frames=1)[0]
    # four panels side by side: the composite is much wider than tall, with three gaps of background
    assert frame.shape[1] > 2.5 * frame.shape[0]
    measured(f"{clip} x anime_green_dress: {res.frames} frames, {res.seconds['total']:.1f} s "
             f"({res.frames / res.seconds['total']:.1f} frames/s end to end incl. pose)")


def test_animated_drawings_folder(shared):
    rgba, kps = load_animated_drawing(shared / "characters" / "drawn_char1")
    assert rgba.shape[2] == 4 and np.isfinite(kps[1:14, :2]).all() and np.isnan(kps[0, 0])  # no face joints
    assert rgba[..., 3].max() == 255 and rgba[..., 3].min() == 0
