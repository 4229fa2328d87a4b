"""Stage 2a: mediapipe human pose on the embedded samples and on the real clips."""
import time

import numpy as np
import pytest
from PIL import Image

from r2a_utils import skeleton as sk
from r2a_utils.characters.clip import render_clip
from r2a_utils.characters.motion import motion_from_keypoints
from r2a_utils.characters.spec import random_character
from r2a_utils.metrics import jitter, pck
from r2a_utils.pose import HumanPoseConfig, HumanPoseEstimator, PoseError, PoseTrack, estimate_video_cached
from r2a_utils.pose.track import pose_cache_path
from r2a_utils.samples import room_background, sample_group_video, sample_keypoints, sample_video
from r2a_utils.smoothing import smooth_keypoints
from r2a_utils.video import VideoError, probe, read_frames, write_video


@pytest.fixture(scope="module")
def estimator():
    with HumanPoseEstimator() as est:
        yield est


def test_sample_person_found_in_every_frame(estimator, measured):
    video = sample_video(num_frames=24)
    track = estimator.estimate_video(video, progress=False)
    assert len(track) == 24 and track.found.all() and track.people_seen == 1
    assert track.size == (384, 512) and track.fps == 24
    score = pck(track.keypoints, sample_keypoints(video))
    measured(f"PCK@0.1 vs the sample's exact keypoints = {score:.3f}")
    # the renderer's joint centres are not mediapipe's anatomical ones (hips, ears): 0.84 measured
    assert score >= 0.75
    same = estimator.estimate(read_frames(video), fps=24)
    assert same.shape == (24, 18, 3)
    assert np.allclose(same, track.keypoints, equal_nan=True, atol=1e-3)


def test_frames_without_a_person_are_nan_and_flagged(estimator, tmp_path):
    frames = read_frames(sample_video(num_frames=24))
    empty = room_background((384, 512))
    for t in range(8, 16):
        frames[t] = empty
    video = write_video(tmp_path / "gap.mp4", frames, 24)
    track = estimator.estimate_video(video, progress=False)
    assert (track.status[8:16] == "no_person").all() and track.found[:8].all()
    assert np.isnan(track.keypoints[8:16]).all()
    assert any("no pose in 8 of 24 frames" in n for n in track.notes)
    smoothed = smooth_keypoints(track.keypoints, track.fps)  # 8 frames > a quarter second at 24 fps
    assert np.isnan(smoothed[8:16]).all() and np.isfinite(smoothed[:8, :14]).all()


def test_no_person_at_all_is_a_clear_error(estimator, tmp_path):
    video = write_video(tmp_path / "empty_room.mp4", [room_background((320, 240))] * 10, 10)
    with pytest.raises(PoseError, match=r"empty_room.mp4: no person found in any of its 10 frames"):
        estimator.estimate_video(video, progress=False)
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(VideoError, match="notes.mp4"):
        estimator.estimate_video(bad, progress=False)


def test_several_people_follow_the_largest_and_say_so(estimator):
    video = sample_group_video(num_frames=24)
    both = sample_keypoints(video)  # (T, 2, 18, 3), the larger person first
    track = estimator.estimate_video(video, progress=False)
    assert track.found.all() and track.people_seen == 2
    assert "several people" in track.notes[0]
    centre = np.nanmean(track.keypoints[:, :, :2], axis=1)
    nearest = [np.argmin([np.linalg.norm(centre[t] - np.nanmean(both[t, p, :, :2], axis=0)) for p in range(2)])
               for t in range(len(track))]
    assert nearest == [0] * len(track)  # never hops to the other person


def test_odd_sized_frames(estimator):
    frames = [np.asarray(Image.fromarray(f).resize((203, 301))) for f in read_frames(sample_video(num_frames=24))[:6]]
    kps = estimator.estimate(frames, fps=24)
    assert kps.shape == (6, 18, 3) and np.isfinite(kps[:, :14, 0]).mean() > 0.9
    with pytest.raises(ValueError, match="frame 0: expected RGB"):
        estimator.estimate([frames[0][..., 0]])


def test_cache_reuses_results_keyed_by_content_and_settings(tmp_path):
    video = sample_video(num_frames=24)
    first = estimate_video_cached(video, progress=False)
    path = pose_cache_path(video, HumanPoseConfig())
    assert path.exists()
    t0 = time.perf_counter()
    again = estimate_video_cached(video, progress=False)
    assert time.perf_counter() - t0 < 1.0
    assert np.array_equal(first.keypoints, again.keypoints, equal_nan=True)
    assert pose_cache_path(video, HumanPoseConfig(min_detection_confidence=0.6)) != path
    path.write_bytes(b"damaged")
    assert np.array_equal(estimate_video_cached(video, progress=False).keypoints, first.keypoints, equal_nan=True)
    assert isinstance(PoseTrack.load(path), PoseTrack)


def test_dance_stage_against_the_openpose_reference(shared, measured):
    """Acceptance: PCK@0.1 of torso size vs OpenPose BODY_25, and smoothing's effect on it."""
    ref = sk.read_openpose_folder(shared / "keypoints" / "dance_stage_openpose25")
    track = estimate_video_cached(shared / "videos" / "dance_stage.mp4", progress=False)
    assert len(track) == len(ref) == 69 and track.found.all()
    raw_pck, raw_jit = pck(track.keypoints, ref), jitter(track.keypoints)
    smooth = smooth_keypoints(track.keypoints, track.fps)
    sm_pck, sm_jit = pck(smooth, ref), jitter(smooth)
    measured(f"dance_stage PCK@0.1 raw {raw_pck:.3f} -> Savitzky-Golay {sm_pck:.3f} "
             f"({100 * (sm_pck - raw_pck):+.1f} pts); jitter {raw_jit:.2f} -> {sm_jit:.2f} px/frame^2 "
             f"({100 * (1 - sm_jit / raw_jit):.0f}% less)")
    # 0.978 measured on this CPU; 0.93 leaves room for XNNPACK differences across CPUs and
    # stays well above the 0.85 target
    assert raw_pck >= 0.93
    assert sm_jit <= 0.5 * raw_jit
    assert sm_pck >= raw_pck - 0.01


def test_dance_indoor_portrait_end_to_end(shared, tmp_path, measured):
    """Portrait phone video: pose -> smoothing -> a character doing the motion (Stage 1 renderer)."""
    video = shared / "videos" / "dance_indoor.mp4"
    track = estimate_video_cached(video, progress=False)
    assert track.size == (692, 1108) and len(track) == 150
    assert track.found.mean() > 0.95
    smooth = smooth_keypoints(track.keypoints, track.fps)
    res = render_clip(motion_from_keypoints(smooth, track.fps, name="dance_indoor"), random_character(1),
                      tmp_path / "indoor_anime.mp4", size=(96, 128), progress=False)
    info = probe(res.anime_path)
    assert info.num_frames == 150 and float(info.fps) == pytest.approx(16)
    measured(f"dance_indoor found in {track.found.sum()}/150 frames; jitter "
             f"{jitter(track.keypoints):.2f} -> {jitter(smooth):.2f}")


def test_phone_video_with_rotation_metadata(estimator, tmp_path):
    """Stored sideways with a display rotation, as phones do: poses come out upright."""
    av = pytest.importorskip("av")
    frames = read_frames(sample_video(num_frames=24))[:6]
    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=24)
        s.width, s.height, s.pix_fmt = 512, 384, "yuv420p"
        if not hasattr(s, "set_display_rotation"):
            pytest.skip("this PyAV cannot write display rotation")
        s.set_display_rotation(270)
        for f in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(f)), format="rgb24")))
        c.mux(s.encode())
    track = estimator.estimate_video(path, progress=False)
    assert track.size == (384, 512) and track.found.all()
    upright = estimator.estimate(frames, fps=24)
    # same poses up to h264 loss (a single joint can flip between near-equal guesses)
    assert np.nanmedian(np.abs(track.keypoints[:, :14, :2] - upright[:, :14, :2])) < 4
    assert pck(track.keypoints, upright) > 0.9


def test_two_halves_at_once_match_one_pass(measured):
    """Videos of 2 s and more are tracked as two halves in parallel (one mediapipe graph per
    core); the result must agree with a single pass, and several people force a single pass."""
    video = sample_video(num_frames=96)
    with HumanPoseEstimator(HumanPoseConfig(workers=1)) as one, HumanPoseEstimator() as two:
        t0 = time.perf_counter()
        a = one.estimate_video(video, progress=False)
        t1 = time.perf_counter()
        b = two.estimate_video(video, progress=False)
        t2 = time.perf_counter()
        assert len(b) == 96 and b.found.all() and b.people_seen == 1
        agree = pck(b.keypoints, a.keypoints, alpha=0.05)
        measured(f"pose in two halves at once: {96 / (t2 - t1):.1f} vs {96 / (t1 - t0):.1f} frames/s one pass; "
                 f"PCK@0.05 agreement {agree:.3f}")
        assert agree >= 0.97
        group = sample_group_video(num_frames=48)  # 2 s: long enough to split, but two people
        assert np.array_equal(two.estimate_video(group, progress=False).keypoints,
                              one.estimate_video(group, progress=False).keypoints, equal_nan=True)


def test_a_cancelled_track_stops_before_the_next_frame_is_decoded(monkeypatch):
    """``cancel`` (set by animate when the character fails) is checked before each frame is
    decoded, the frames a second half skips included: mediapipe never runs once it is set,
    and nothing is cached."""
    import threading

    from r2a_utils.errors import Cancelled
    from r2a_utils.pose.track import pose_cache_path
    from r2a_utils.samples import sample_video

    video = sample_video(num_frames=48)
    cfg = HumanPoseConfig()
    pose_cache_path(video, cfg).unlink(missing_ok=True)
    runs = []
    detect = HumanPoseEstimator._detect
    monkeypatch.setattr(HumanPoseEstimator, "_detect", lambda self, *a: runs.append(1) or detect(self, *a))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled, match="stopped"):
        estimate_video_cached(video, cfg, progress=False, cancel=cancel)
    assert not runs and not pose_cache_path(video, cfg).exists()
