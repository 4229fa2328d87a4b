from fractions import Fraction

import av
import numpy as np
import pytest

from r2a_utils.video import VideoError, VideoReader, VideoWriter, probe, read_frames, write_video


def _frames(n=10, w=64, h=48):
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, : (i + 1) * w // n] = (200, 50, 50)
        yield f


def test_round_trip_real_video(shared, tmp_path):
    src = shared / "videos/dance_stage.mp4"
    info = probe(src)
    assert (info.width, info.height, info.num_frames) == (1280, 720, 69)
    assert info.fps == Fraction(24000, 1001)  # "24 fps" in NTSC timing, kept exactly
    with VideoReader(src) as r:
        out = write_video(tmp_path / "copy.mp4", iter(r), r.fps)
    back = probe(out)
    assert (back.width, back.height, back.fps) == (1280, 720, info.fps)
    n = sum(1 for _ in VideoReader(out))
    assert n == 69 and back.num_frames == 69


def test_portrait_real_video(shared):
    info = probe(shared / "videos/dance_indoor.mp4")
    assert (info.width, info.height, info.num_frames, info.fps) == (692, 1108, 150, 16)
    first = next(iter(VideoReader(shared / "videos/dance_indoor.mp4")))
    assert first.shape == (1108, 692, 3)


def test_truncated_real_video_raises_with_path(shared, tmp_path):
    data = (shared / "videos/dance_stage.mp4").read_bytes()
    bad = tmp_path / "truncated.mp4"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError) as e:
        read_frames(bad)
    assert str(bad) in str(e.value)


@pytest.mark.parametrize("content,problem", [(b"", "empty"), (b"hello, I am text\n" * 50, "not a readable video")])
def test_empty_and_text_files(tmp_path, content, problem):
    p = tmp_path / "clip.mp4"
    p.write_bytes(content)
    with pytest.raises(VideoError, match=problem) as e:
        read_frames(p)
    assert str(p) in str(e.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(VideoError, match="not found"):
        probe(tmp_path / "nope.mp4")
    with pytest.raises(VideoError, match="folder"):
        probe(tmp_path)


def test_image_is_not_a_video(tmp_path):
    from PIL import Image

    p = tmp_path / "still.png"
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(p)
    with pytest.raises(VideoError, match="still image"):
        probe(p)


def test_writer_keeps_fps_size_and_odd_sizes(tmp_path):
    p = write_video(tmp_path / "a.mp4", _frames(12, 65, 47), Fraction(30000, 1001))
    info = probe(p)
    assert info.num_frames == 12 and info.fps == Fraction(30000, 1001)
    assert (info.width, info.height) == (66, 48)  # padded to even for h264


def test_writer_is_atomic_on_error(tmp_path):
    target = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError):
        with VideoWriter(target, 24, (64, 48)) as w:
            for f in _frames(3):
                w.write(f)
            raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no partial file left behind
    with pytest.raises(ValueError, match="does not match"):
        with VideoWriter(target, 24, (64, 48)) as w:
            w.write(np.zeros((10, 10, 3), np.uint8))
    assert not target.exists()


def _video_with_audio(path, seconds=1.0, fps=25):
    c = av.open(str(path), "w")
    v = c.add_stream("libx264", rate=fps)
    v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
    a = c.add_stream("aac", rate=44100)
    for i in range(int(seconds * fps)):
        for p in v.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 9, np.uint8), format="rgb24")):
            c.mux(p)
    t = np.arange(int(44100 * seconds)) / 44100
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
    for k in range(0, samples.shape[1], 1024):
        fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, k:k + 1024]), format="fltp", layout="mono")
        fr.sample_rate = 44100
        for p in a.encode(fr):
            c.mux(p)
    for s in (v, a):
        for p in s.encode():
            c.mux(p)
    c.close()


def test_audio_passthrough(tmp_path):
    src = tmp_path / "with_audio.mp4"
    _video_with_audio(src)
    assert probe(src).has_audio
    out = write_video(tmp_path / "out.mp4", read_frames(src), probe(src).fps, audio_from=src)
    assert probe(out).has_audio
    assert not probe(write_video(tmp_path / "silent.mp4", read_frames(src), 25)).has_audio


def test_rotation_metadata_is_applied(tmp_path):
    p = tmp_path / "rot.mp4"
    c = av.open(str(p), "w")
    s = c.add_stream("libx264", rate=10)
    s.width, s.height, s.pix_fmt = 64, 32, "yuv420p"
    if not hasattr(s, "set_display_rotation"):
        pytest.skip("this PyAV cannot write display rotation")
    s.set_display_rotation(90)
    for i in range(3):
        img = np.zeros((32, 64, 3), np.uint8)
        img[:, :8] = 255  # a white band on the left edge
        for pk in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            c.mux(pk)
    for pk in s.encode():
        c.mux(pk)
    c.close()
    info = probe(p)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (32, 64)
    frame = read_frames(p)[0]
    assert frame.shape[:2] == (64, 32)
    small = VideoReader(p, height=32)  # shrunk as decoded, turned like the full-size frame
    assert small.size == (16, 32) and next(iter(small)).shape == (32, 16, 3)


def test_frames_shrunk_as_they_are_decoded(shared):
    """The composite's real panel: decoded at its height, the same picture as a full-size
    frame resized, for a fraction of the work."""
    import cv2

    src = shared / "videos/dance_stage.mp4"
    small = VideoReader(src, max_frames=3, height=256)
    assert small.size == (455, 256) and len(small) == 3
    for a, full in zip(small, VideoReader(src, max_frames=3)):
        b = cv2.resize(full, (455, 256), interpolation=cv2.INTER_AREA)
        assert a.shape == b.shape and np.abs(a.astype(int) - b).mean() < 3
    assert VideoReader(src, height=2000).size == (1280, 720)  # never enlarged


def test_start_skips_frames_and_check_can_stop(tmp_path):
    """A second half starts mid-video: the frames from ``start`` on, the same as a full read's;
    ``check`` sees every decoded frame, skipped ones included, and raising in it stops."""
    p = write_video(tmp_path / "a.mp4", _frames(20), 20)
    full = read_frames(p)
    late = VideoReader(p, start=12, max_frames=16)
    assert len(late) == 4
    got = list(late)
    assert len(got) == 4 and all(np.array_equal(a, b) for a, b in zip(got, full[12:16]))
    seen = []

    def check(i):
        seen.append(i)
        if i == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(VideoReader(p, start=10, check=check))
    assert seen == list(range(8))
    assert list(VideoReader(p, start=25)) == [] and len(VideoReader(p, start=25)) == 0


def test_max_frames_streams_a_prefix(tmp_path):
    p = write_video(tmp_path / "a.mp4", _frames(20), 20)
    assert len(read_frames(p, max_frames=5)) == 5
