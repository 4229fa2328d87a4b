"""Stage 1 paired dataset: write, reload, split, determinism, and failure leaves nothing behind."""
import hashlib
import json

import numpy as np
import pytest

from r2a_utils import skeleton
from r2a_utils.characters import Motion, builtin_dance
from r2a_utils.characters.dataset import (ClipSource, DatasetConfig, DatasetError, PairedDataset, clip_from_motion,
                                          clip_from_video, write_paired_dataset)
from r2a_utils.samples import sample_keypoints, sample_video
from r2a_utils.video import VideoError

CFG = DatasetConfig().smoke().replace(max_frames=6)


@pytest.fixture(scope="module")
def sample_clip():
    video = sample_video(num_frames=12)
    return clip_from_video(video, sample_keypoints(video), name="sample")


def _digest(root):
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def test_write_reload_and_splits(tmp_path, sample_clip):
    dance = builtin_dance(10)
    clips = [sample_clip, clip_from_motion(dance), clip_from_motion(Motion(dance.joints[:8], 24.0, "dance_b"))]
    ds = write_paired_dataset(tmp_path / "ds", clips, CFG.replace(num_characters=4), progress=False)
    again = PairedDataset(tmp_path / "ds")
    assert len(again) == len(ds) == 3 * 4
    assert again.verify() == sum(p.frames for p in again) == 3 * 4 * 6
    s = again.summary()
    # 1 of 4 characters and 1 of 3 clips held out: all four kinds of split appear
    assert (s["train"], s["val_character"], s["val_clip"], s["val_both"]) == (6, 2, 3, 1)
    assert len(again.pairs_in("val")) == 6
    held_chars = {p.character for p in again.pairs_in("val_character")}
    assert held_chars.isdisjoint({p.character for p in again.pairs_in("train")})
    p = next(p for p in again if p.has_real)
    rgba, kps = again.anime_frame(p, 2), again.anime_keypoints(p)
    assert rgba.shape == (CFG.size[1], CFG.size[0], 4) and rgba[..., 3].max() == 255
    assert kps.shape == (6, 18, 3) and np.isfinite(kps[:, :14]).all()
    real = again.real_frame(p, 2)
    assert real.shape[0] == CFG.real_height
    # real keypoints were scaled with the frames: same relative position as in the source video
    src = sample_clip.keypoints[2, :, :2] / np.array([384, 512])
    dst = again.real_keypoints(p)[2, :, :2] / np.array([real.shape[1], real.shape[0]])
    assert np.allclose(src, dst, atol=1e-3)
    assert again.character(p).seed == int(p.character.split("_")[1])
    no_real = next(p for p in again if not p.has_real)
    assert again.real_frame(no_real, 0) is None and again.real_keypoints(no_real) is None
    csv_rows = (tmp_path / "ds" / "manifest.csv").read_text().strip().splitlines()
    assert len(csv_rows) == 1 + len(again)


def test_same_config_gives_identical_files(tmp_path, sample_clip):
    a = write_paired_dataset(tmp_path / "a", [sample_clip], CFG, progress=False)
    b = write_paired_dataset(tmp_path / "b", [sample_clip], CFG, progress=False)
    assert _digest(a.root) == _digest(b.root)
    c = write_paired_dataset(tmp_path / "c", [sample_clip], CFG.replace(first_character_seed=50), progress=False)
    assert _digest(a.root) != _digest(c.root)


def test_refuses_to_overwrite_and_failures_leave_nothing(tmp_path, sample_clip):
    write_paired_dataset(tmp_path / "ds", [sample_clip], CFG, progress=False)
    with pytest.raises(DatasetError, match="already exists"):
        write_paired_dataset(tmp_path / "ds", [sample_clip], CFG, progress=False)
    # keypoints promise more frames than the video has: fails mid-write
    long = np.concatenate([sample_clip.keypoints] * 3)
    broken = ClipSource("broken", Motion(np.concatenate([sample_clip.motion.joints] * 3), 24.0),
                        sample_clip.video, long)
    with pytest.raises(VideoError, match="ended after 12 frames"):
        write_paired_dataset(tmp_path / "broken", [broken], CFG.replace(max_frames=0), progress=False)
    assert not (tmp_path / "broken").exists() and not (tmp_path / "broken.partial").exists()
    with pytest.raises(DatasetError, match="folder names"):
        write_paired_dataset(tmp_path / "x", [clip_from_motion(Motion(
            sample_clip.motion.joints, 24.0, "../escape"))], CFG, progress=False)


def test_keypoints_must_match_the_video(sample_clip):
    with pytest.raises(skeleton.KeypointError, match="12 frames"):
        clip_from_video(sample_clip.video, sample_clip.keypoints[:5])


def test_bad_dataset_folders(tmp_path, sample_clip):
    with pytest.raises(DatasetError, match="no manifest"):
        PairedDataset(tmp_path)
    ds = write_paired_dataset(tmp_path / "ds", [sample_clip], CFG, progress=False)
    (ds.root / "pairs" / ds[0].id / "anime" / "000003.png").unlink()
    with pytest.raises(DatasetError, match="000003.png"):
        ds.verify()
    m = json.loads((ds.root / "manifest.json").read_text())
    m["version"] = 99
    (ds.root / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(DatasetError, match="version 99"):
        PairedDataset(ds.root)
    (ds.root / "manifest.json").write_text("{not json")
    with pytest.raises(DatasetError, match="unreadable manifest"):
        PairedDataset(ds.root)


def test_dance_stage_times_three_characters(tmp_path, shared):
    """The acceptance check: the real clip x 3 characters, written and reloadable."""
    kps = skeleton.read_openpose_folder(shared / "keypoints" / "dance_stage_openpose25")
    clip = clip_from_video(shared / "videos" / "dance_stage.mp4", kps, source="OpenPose BODY_25 reference")
    ds = write_paired_dataset(tmp_path / "dance", [clip], DatasetConfig(num_characters=3), progress=False)
    ds = PairedDataset(ds.root)
    assert len(ds) == 3 and {p.frames for p in ds} == {69}
    assert ds.verify() == 3 * 69
    assert ds.clips["dance_stage"]["video_size"] == [1280, 720]
    for p in ds:
        kp = ds.anime_keypoints(p)
        assert np.isfinite(kp[:, :14, :2]).all()
        inside = (kp[..., 0] >= 0) & (kp[..., 0] < 192) & (kp[..., 1] >= 0) & (kp[..., 1] < 256)
        assert inside[:, :14].all()
