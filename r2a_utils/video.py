"""Streaming video read and write with PyAV: frames one at a time, fps and size kept exactly.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from r2a_utils.errors import InputFileError
from r2a_utils.picture import over_background

av.logging.set_level(av.logging.PANIC)  # we report problems ourselves, as VideoError


_IMAGE_FORMATS = ("image2", "apng", "tiff")


class VideoError(InputFileError, RuntimeError):
    """A video that cannot be used: missing, empty, corrupt, unsupported. Names the file."""


@dataclass(frozen=True)
class VideoInfo:
    """What a video is, read from its container without decoding every frame."""

    path: str
    width: int  # as displayed, after any rotation metadata is applied
    height: int
    fps: Fraction
    num_frames: int  # from the container; 0 when the container does not say
    duration_s: float
    rotation: int  # degrees counter-clockwise that frames are turned when read
    has_audio: bool
    notes: tuple[str, ...] = ()  # what the reader had to assume (raw stream, variable frame rate)


def _open(path: str | os.PathLike) -> av.container.InputContainer:
    p = Path(path)
    if not p.exists():
        raise VideoError(p, "file not found")
    if p.is_dir():
        raise VideoError(p, "is a folder, not a video file")
    if p.stat().st_size == 0:
        raise VideoError(p, "file is empty (0 bytes)")
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise VideoError(p, f"not a readable video ({e.__class__.__name__}: {e})") from None
    if not container.streams.video:
        container.close()
        raise VideoError(p, "contains no video stream")
    stream = container.streams.video[0]
    if stream.codec_context is None or not stream.codec_context.width:
        container.close()
        raise VideoError(p, "video stream has no decodable frames (unsupported codec?)")
    if container.format.name in _IMAGE_FORMATS or container.format.name.endswith("_pipe"):
        container.close()
        raise VideoError(p, f"is a still image ({container.format.name}), not a video")
    return container


def _rotation(container: av.container.InputContainer) -> int:
    """Display rotation of the first frame in degrees counter-clockwise (phone videos), 0 if none."""
    try:
        first = next(container.decode(video=0))
    except (StopIteration, av.error.FFmpegError):
        return 0
    return int(round(getattr(first, "rotation", 0) or 0)) % 360


def probe(path: str | os.PathLike) -> VideoInfo:
    """Read a video's size, fps, frame count and rotation, or raise ``VideoError``.

    A raw stream (``.h264``) states no duration: its packets are counted (no decoding) and
    its rate is the one in the stream's own timing, so a 4-minute stream reads as 4 minutes.
    A variable frame rate is noted: the kit writes at the average rate.
    """
    with _open(path) as container:
        s = container.streams.video[0]
        notes: list[str] = []
        raw = not container.duration
        fps = (s.guessed_rate if raw else s.average_rate) or s.guessed_rate or s.base_rate
        if not fps:
            raise VideoError(path, "frame rate unknown")
        w, h = s.codec_context.width, s.codec_context.height
        rot = _rotation(container)
        if rot in (90, 270):
            w, h = h, w
        frames, duration = int(s.frames or 0), float(container.duration / av.time_base) if not raw else 0.0
        counted, spread = _scan_packets(path, count_all=raw or not frames)  # one demux pass, no decoding
        if counted is not None:
            frames, duration = counted, duration or counted / float(fps)
        if raw:
            notes.append(f"{Path(path).name} is a raw stream with no container; read as {frames} frames "
                         f"at {float(fps):g} fps (put it in an MP4 if that is wrong)")
        elif spread and spread[1] > 1.25 * spread[0]:
            notes.append(f"{Path(path).name} has a variable frame rate (frames {1000 * spread[0]:.0f}-"
                         f"{1000 * spread[1]:.0f} ms apart); written at its average {float(fps):.2f} fps, so "
                         f"fast and slow stretches are evened out")
        return VideoInfo(str(path), w, h, Fraction(fps), frames, duration, rot, bool(container.streams.audio),
                         tuple(notes))


def _scan_packets(path: str | os.PathLike, count_all: bool,
                  spacing_from: int = 600) -> tuple[int | None, tuple[float, float] | None]:
    """One pass over a video's packets, without decoding: their number when ``count_all``
    (else None), and the (10th, 90th percentile) seconds between the first ``spacing_from``
    frames. A fresh container, because raw streams cannot seek back."""
    pts, n = [], 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        unit = float(s.time_base) if s.time_base else 0.0
        for p in c.demux(s):
            if not p.size:
                continue
            n += 1
            if p.pts is not None and len(pts) < spacing_from:
                pts.append(p.pts)
            if not count_all and len(pts) >= spacing_from:
                break
    gaps = np.diff(sorted(pts)) * unit
    gaps = gaps[gaps > 0]
    spread = (float(np.percentile(gaps, 10)), float(np.percentile(gaps, 90))) if unit and len(gaps) >= 4 else None
    return (n if count_all else None), spread


class VideoReader:
    """Iterate a video's frames as RGB ``uint8`` arrays ``(H, W, 3)``, one at a time.

    Memory stays bounded whatever the video's length. Raises ``VideoError`` naming the file
    for missing, empty, corrupt or unsupported input, also when the damage is found mid-file.

    Example:
        >>> with VideoReader("clip.mp4") as r:
        ...     for frame in r: ...
    """

    def __init__(self, path: str | os.PathLike, max_frames: int | None = None, info: VideoInfo | None = None,
                 height: int | None = None, start: int = 0, check: Callable[[int], None] | None = None):
        """``height``: frames come shrunk to this many rows (never enlarged), scaled as they
        are converted to RGB (area averaging): cheaper than a full-size frame resized after.
        ``start``: the first frame yielded; those before are decoded, not converted (a third of
        the cost). ``check``: called with each frame's number before it is decoded; may raise."""
        self.path = str(path)
        self.start, self.check = start, check
        self.info = info if info is not None else probe(path)  # callers that probed pass it on
        self.max_frames = max_frames
        self.height = height if height is not None and 0 < height < self.info.height else None
        self._container: av.container.InputContainer | None = None

    @property
    def fps(self) -> Fraction:
        return self.info.fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames this reader yields."""
        if self.height is None:
            return self.info.width, self.info.height
        return max(1, round(self.info.width * self.height / self.info.height)), self.height

    def __len__(self) -> int:
        n = self.info.num_frames
        return max(0, (min(n, self.max_frames) if self.max_frames is not None else n) - self.start)

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def __iter__(self) -> Iterator[np.ndarray]:
        self.close()
        self._container = _open(self.path)
        stream = self._container.streams.video[0]
        # Frame threading ("AUTO"/"FRAME") can deadlock when a loop stops early with torch
        # loaded (PyAV issue #1861); slice threading does not.
        stream.thread_type = "SLICE"
        count = 0
        shrink = {}
        if self.height is not None:
            w, h = self.size  # as shown; the coded frame is turned by the rotation
            w, h = (h, w) if self.info.rotation in (90, 270) else (w, h)
            shrink = {"width": w, "height": h, "interpolation": "AREA"}
        try:
            for packet in self._container.demux(stream):
                for frame in packet.decode():
                    if self.check is not None:
                        self.check(count)
                    count += 1
                    if count > self.start:
                        img = frame.to_ndarray(format="rgb24", **shrink)
                        turns = self.info.rotation // 90
                        yield np.ascontiguousarray(np.rot90(img, k=turns)) if turns else img
                    if self.max_frames is not None and count >= self.max_frames:
                        return
        except av.error.FFmpegError as e:
            raise VideoError(self.path, f"corrupt or truncated after {count} frames ({e})") from None
        finally:
            self.close()
        if count == 0:
            raise VideoError(self.path, "no frames could be decoded")
        expected = self.info.num_frames
        if expected and count < expected and self.max_frames is None:
            raise VideoError(self.path, f"truncated: container promises {expected} frames, "
                                        f"only {count} decoded")


def read_frames(path: str | os.PathLike, max_frames: int | None = None) -> list[np.ndarray]:
    """All frames of a short clip in memory; use ``VideoReader`` to stream long ones."""
    with VideoReader(path, max_frames=max_frames) as r:
        return list(r)


class VideoWriter:
    """Write RGB frames to an h264 mp4, atomically: the file appears only when ``close`` succeeds.

    Frames go to a temporary file beside the target; on an exception inside the ``with`` block
    that file is deleted, so a failed run never leaves a file that looks complete.

    Args:
        path: output ``.mp4``.
        fps: frame rate; a ``Fraction`` keeps e.g. 24000/1001 exact.
        size: (width, height); odd sizes are padded by one pixel (h264 needs even sizes).
        audio_from: optional video whose audio stream is copied in (passthrough, no re-encode).
        crf: x264 quality, lower is better.
    """

    def __init__(self, path: str | os.PathLike, fps: float | Fraction, size: tuple[int, int],
                 audio_from: str | os.PathLike | None = None, crf: int = 20):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".part.mp4", dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        try:  # a failure or an interruption while opening leaves no part file behind
            self._open(fps, size, audio_from, crf)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise

    def _open(self, fps: float | Fraction, size: tuple[int, int], audio_from: str | os.PathLike | None,
              crf: int) -> None:
        self.fps = Fraction(fps).limit_denominator(1001000)
        self.width, self.height = int(size[0]), int(size[1])
        self._enc_w, self._enc_h = self.width + self.width % 2, self.height + self.height % 2
        self.frames_written = 0
        self._container = av.open(str(self._tmp), mode="w", format="mp4")
        self._stream = self._container.add_stream("libx264", rate=self.fps)
        self._stream.width, self._stream.height = self._enc_w, self._enc_h
        self._stream.pix_fmt = "yuv420p"
        self._stream.codec_context.time_base = 1 / self.fps
        self._stream.options = {"crf": str(crf), "preset": "veryfast"}
        self._audio_in: av.container.InputContainer | None = None
        self._audio_out = None
        if audio_from is not None:
            src = _open(audio_from)
            if src.streams.audio:
                self._audio_in = src
                self._audio_out = self._container.add_stream_from_template(src.streams.audio[0])
            else:
                src.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write(self, frame: np.ndarray) -> None:
        """Append one RGB ``uint8`` frame ``(H, W, 3)`` (RGBA is composited on white)."""
        img = np.asarray(frame)
        if img.ndim == 3 and img.shape[2] == 4:
            img = over_background(img)
        if img.shape[:2] != (self.height, self.width) or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"{self.path}: frame of shape {img.shape} does not match the video's "
                             f"size {self.width}x{self.height}")
        if (self._enc_w, self._enc_h) != (self.width, self.height):
            img = np.pad(img, ((0, self._enc_h - self.height), (0, self._enc_w - self.width), (0, 0)),
                         mode="edge")
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img, dtype=np.uint8), format="rgb24")
        vf.pts = self.frames_written
        vf.time_base = 1 / self.fps
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> Path:
        """Flush, copy audio, and move the finished file into place. Returns its path."""
        if self._container is None:
            return self.path
        if self.frames_written == 0:
            self.abort()
            raise VideoError(self.path, "no frames were written; nothing saved")
        for packet in self._stream.encode():
            self._container.mux(packet)
        if self._audio_in is not None and self._audio_out is not None:
            limit = self.frames_written / self.fps
            for packet in self._audio_in.demux(self._audio_in.streams.audio[0]):
                if packet.dts is None:
                    continue
                if packet.pts is not None and float(packet.pts * packet.time_base) > limit:
                    break
                packet.stream = self._audio_out
                self._container.mux(packet)
            self._audio_in.close()
        self._container.close()
        self._container = None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self._tmp, 0o666 & ~umask)  # mkstemp makes 0600; give it normal permissions
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop everything written so far; the target path is left untouched."""
        if self._container is not None:
            try:
                self._container.close()
            except av.error.FFmpegError:
                pass
            self._container = None
        if self._audio_in is not None:
            self._audio_in.close()
            self._audio_in = None
        self._tmp.unlink(missing_ok=True)


class GifWriter:
    """Stream frames into an animated GIF (for sharing): shrunk to ``height`` and thinned to at
    most ``max_fps``; written under a temporary name by ``close()`` and renamed when complete.

    A GIF needs all its frames at once, so the small palette frames are kept until ``close``
    (about 60 KB each at 240 px high).
    """

    def __init__(self, path: str | os.PathLike, fps: float | Fraction, height: int = 240, max_fps: float = 15.0):
        self.path = Path(path)
        self.height = int(height)
        self.step = max(1, int(np.ceil(float(fps) / max_fps - 1e-9)))
        self.duration_ms = int(round(1000 * self.step / float(fps)))
        self._frames: list = []
        self._seen = 0

    def write(self, frame: np.ndarray) -> None:
        """Offer one RGB frame; every ``step``-th is kept."""
        from PIL import Image

        if self._seen % self.step == 0:
            img = Image.fromarray(np.ascontiguousarray(frame[..., :3]))
            w = max(1, round(img.width * self.height / img.height))
            self._frames.append(img.resize((w, self.height), Image.LANCZOS).quantize(colors=255))
        self._seen += 1

    def close(self) -> Path:
        from r2a_utils.files import atomic_path

        if not self._frames:
            raise VideoError(self.path, "no frames were written; nothing saved")
        with atomic_path(self.path) as tmp:
            self._frames[0].save(tmp, format="GIF", save_all=True, append_images=self._frames[1:],
                                 duration=self.duration_ms, loop=0, disposal=1)
        self._frames = []
        return self.path

    def abort(self) -> None:
        self._frames = []


def write_video(path: str | os.PathLike, frames, fps: float | Fraction,
                audio_from: str | os.PathLike | None = None) -> Path:
    """Write an iterable of RGB frames to ``path`` (size from the first frame). Returns the path."""
    it = iter(frames)
    try:
        first = np.asarray(next(it))
    except StopIteration:
        raise VideoError(path, "no frames to write") from None
    with VideoWriter(path, fps, (first.shape[1], first.shape[0]), audio_from=audio_from) as w:
        w.write(first)
        for f in it:
            w.write(f)
    return Path(path)
