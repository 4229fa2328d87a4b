"""Acceptance runs of the full pipeline on the real sample data (skipped without it)."""
import numpy as np
import pytest
from PIL import Image

from r2a_utils.joints import load_animated_drawing
from r2a_utils.pipeline import PipelineConfig, animate
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
    roomy, moved = load_animated_drawing(shared / "characters" / "drawn_char1", room=0.5)
    h, w = rgba.shape[:2]
    assert roomy.shape[:2] == (h + 2 * round(0.5 * h), w + 2 * round(0.5 * w))
    py, px = round(0.5 * h), round(0.5 * w)
    assert (roomy[py:py + h, px:px + w] == rgba).all() and roomy[:py, :, 3].max() == 0
    assert np.allclose(moved[1:14, :2] - kps[1:14, :2], (px, py))


def test_picture_without_transparency_leaves_its_background_behind(tmp_path):
    """A character on a grey page: the grey must not travel with the body parts."""
    from PIL import Image

    from r2a_utils.samples import sample_character, sample_video

    src = sample_character()
    rgba = np.asarray(Image.open(src))
    a = rgba[..., 3:4] / 255.0
    grey = np.array([200, 200, 200])
    Image.fromarray((rgba[..., :3] * a + grey * (1 - a)).astype(np.uint8)).save(tmp_path / "on_grey.png")
    res = animate(sample_video(num_frames=12), tmp_path / "on_grey.png", tmp_path / "out",
                  PipelineConfig(height=192, max_frames=6), character_joints_file=src.with_suffix(".joints.json"),
                  progress=False)
    frame = read_frames(res.anime_path)[3].astype(int)
    greyish = (np.abs(frame - grey).sum(-1) < 20).mean()
    assert greyish < 0.02, f"{100 * greyish:.1f}% of the frame is the picture's grey background"


def test_gan_renderer_through_the_pipeline_and_cli(tmp_path):
    from r2a_utils.__main__ import main
    from r2a_utils.samples import sample_character, sample_video

    pic, video = sample_character(), sample_video(num_frames=12)
    res = animate(video, pic, tmp_path, PipelineConfig(renderer="gan", height=192),
                  character_joints_file=pic.with_suffix(".joints.json"), progress=False)
    assert probe(res.anime_path).num_frames == 12 and any("GAN renderer" in n for n in res.notes)
    frame = read_frames(res.anime_path, max_frames=1)[0]
    assert (frame.astype(int).sum(-1) < 600).mean() > 0.03  # a character was drawn on the white page
    assert main(["animate", "--renderer", "gan", "--frames", "12", "--out", str(tmp_path / "cli"), "--no-audio",
                 "--height", "192", "--gan-weights", str(tmp_path / "missing.pt")]) == 1
    assert not list((tmp_path / "cli").glob("*.mp4"))


@pytest.mark.parametrize("lean", [60, -90])
def test_the_canvas_holds_the_whole_figure_not_only_its_joints(lean):
    """Hair, ears and hands reach beyond the joints: a figure leaning far over must still be
    whole on the canvas, not cut by its edge."""
    from r2a_utils.pipeline import load_character, place_on_canvas
    from r2a_utils.render import make_renderer
    from r2a_utils.samples import sample_character
    from r2a_utils.skeleton import J

    pic = sample_character()
    char = load_character(pic, pic.with_suffix(".joints.json"))
    k = char.keypoints.astype(np.float64)
    feet = (k[J["right_ankle"], :2] + k[J["left_ankle"], :2]) / 2  # lean over from the feet
    c, s = np.cos(np.radians(lean)), np.sin(np.radians(lean))
    target = k.copy()
    target[:, :2] = (k[:, :2] - feet) @ np.array([[c, s], [-s, c]]) + feet
    staged = place_on_canvas(char, target[None], 256)
    alpha = make_renderer("warp", staged.reference, staged.character_keypoints, staged.mask).render(
        staged.targets[0])[..., 3] > 127
    assert alpha.any()
    assert not (alpha[0].any() or alpha[-1].any() or alpha[:, 0].any() or alpha[:, -1].any())


def test_a_character_drawn_kneeling_keeps_its_legs_unless_asked(tmp_path):
    """retarget: legs the picture draws folded keep the picture's pose (``keep_drawn_legs``,
    its geometry tested in test_normalize) and the run's notes say so; folded_legs="follow"
    gives them the motion's legs; a wrong setting is refused by the config."""
    import json

    from r2a_utils.config import ConfigError
    from r2a_utils.normalize import keep_drawn_legs
    from r2a_utils.pipeline import load_character, retarget, track_motion
    from r2a_utils.samples import sample_character, sample_video

    data = json.loads(sample_character().with_suffix(".joints.json").read_text())
    hip, knee = np.array(data["joints"]["right_hip"]), np.array(data["joints"]["right_knee"])
    data["joints"]["right_ankle"] = (knee + (hip - knee) * 0.9 + [25.0, 0.0]).tolist()  # the shin folded up
    (tmp_path / "kneeling.joints.json").write_text(json.dumps(data))
    char = load_character(sample_character(), tmp_path / "kneeling.joints.json")
    motion = track_motion(sample_video(num_frames=12), PipelineConfig(), progress=False)
    kept, notes = retarget(motion, char)
    followed, follow_notes = retarget(motion, char, "follow")
    assert np.allclose(kept, keep_drawn_legs(followed, char.keypoints), equal_nan=True)
    assert not np.allclose(kept, followed, equal_nan=True)
    assert any("keep the picture's pose" in n for n in notes) and any("stretches" in n for n in follow_notes)
    with pytest.raises(ConfigError, match="folded_legs"):
        PipelineConfig(folded_legs="stretch")


def test_a_character_that_fails_stops_the_tracking_and_its_own_error_is_raised(tmp_path, monkeypatch):
    """animate finds the character while the video is tracked (stages 1 and 2 at once); a
    character that fails stops the tracking at its next frame, its error is the one raised,
    and no half-done track goes into the pose cache."""
    import time

    from r2a_utils import pipeline
    from r2a_utils.picture import CharacterImageError
    from r2a_utils.pose.human import HumanPoseConfig, HumanPoseEstimator
    from r2a_utils.pose.track import pose_cache_path
    from r2a_utils.samples import sample_character, sample_video

    video = sample_video(num_frames=48)
    pose_cache_path(video, HumanPoseConfig()).unlink(missing_ok=True)
    tracked, track = [], HumanPoseEstimator.track

    def counting(self, frames, *args, **kwargs):
        for found in track(self, frames, *args, **kwargs):
            tracked.append(found)
            yield found

    def failing(*args, **kwargs):
        deadline = time.monotonic() + 60
        while not tracked and time.monotonic() < deadline:  # fail once tracking is under way
            time.sleep(0.005)
        raise CharacterImageError(sample_character(), "no confident pose found")

    monkeypatch.setattr(HumanPoseEstimator, "track", counting)
    monkeypatch.setattr(pipeline, "load_character", failing)
    with pytest.raises(CharacterImageError, match="no confident pose"):
        pipeline.animate(video, sample_character(), tmp_path, progress=False)
    assert 0 < len(tracked) < 24
    assert not pose_cache_path(video, HumanPoseConfig()).exists()
    assert not list(tmp_path.iterdir())


def test_the_rig_sheet_is_drawn_on_the_runs_own_canvas(tmp_path):
    """``write_rig_files`` places the character again from the run's result: the canvas must
    be the one the run rendered on (same size, same joints), so the sheet's layers are the
    renderer's. A sheet has its three panels; the embedded character's joints and alpha are
    given, so no joints file and no cut-out are written."""
    from r2a_utils.picture import load_picture
    from r2a_utils.pipeline import Character, place_on_canvas
    from r2a_utils.rig_files import write_rig_files
    from r2a_utils.samples import sample_character, sample_video

    character = sample_character()
    res = animate(sample_video(num_frames=12), character, tmp_path, PipelineConfig(height=192),
                  character_joints_file=character.with_suffix(".joints.json"), progress=False)
    pic = load_picture(character)
    staged = place_on_canvas(Character(pic, res.character_keypoints, res.character_mask, "c"), res.target_keypoints, 192)
    assert staged.size == res.size
    written = write_rig_files(res, character, tmp_path, "run", 192, joints=False, mask=True)
    assert set(written) == {"rig"}  # the picture has alpha: the run made no cut-out
    sheet = np.asarray(Image.open(written["rig"]))
    assert sheet.shape[0] <= res.size[1] and sheet.shape[1] > 1.5 * sheet.shape[0]


def test_rig_files_leave_nothing_when_one_fails(tmp_path, monkeypatch):
    """The joints file is written first; when the sheet then fails, it goes too."""
    import r2a_utils.rig_files as rig_files
    from r2a_utils.pipeline import AnimationResult
    from r2a_utils.samples import sample_character

    from r2a_utils.joints import load_joints

    character = sample_character()

    joints = load_joints(character.with_suffix(".joints.json")).keypoints
    res = AnimationResult(tmp_path / "a.mp4", None, 1, 24.0, (256, 384), [], {}, joints, joints[None])

    def broken(*a, **k):
        raise RuntimeError("no sheet")

    monkeypatch.setattr(rig_files, "rig_sheet", broken)
    with pytest.raises(RuntimeError, match="no sheet"):
        rig_files.write_rig_files(res, character, tmp_path, "run", 192)
    assert not list(tmp_path.iterdir())
