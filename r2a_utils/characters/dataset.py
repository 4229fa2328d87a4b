"""Stage 1 paired dataset: (real motion clip) x (procedural character) -> frames + exact keypoints.

For each (clip, character) pair the writer stores the anime frames (RGBA PNG), the anime
keypoints and joint depths (exact: we drew them), and, once per clip, the real frames (JPEG,
when the motion came from a video) and the real keypoints. ``manifest.json`` (everything,
including each character's full spec and the config) and ``manifest.csv`` (one row per pair)
describe it. The same clips, config and seed give byte-identical files.

Splits hold out whole characters and whole clips, so validation measures generalisation to
unseen characters and unseen motion: ``train``, ``val_character`` (unseen character, seen
clip), ``val_clip`` (seen character, unseen clip) and ``val_both``.

Layout::

    root/manifest.json  root/manifest.csv
    root/clips/<clip>/real/000000.jpg ...  real_keypoints.npy
    root/pairs/<clip>__<character>/anime/000000.png ...  anime_keypoints.npy  anime_depth.npy

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from r2a_utils.characters.motion import Motion, layout_for_character, motion_from_keypoints
from r2a_utils.characters.render import render_character
from r2a_utils.characters.spec import CharacterSpec, random_character
from r2a_utils.config import StageConfig
from r2a_utils.errors import InputFileError
from r2a_utils.skeleton import NUM_JOINTS, KeypointError, as_keypoints
from r2a_utils.video import VideoReader, VideoError, probe

MANIFEST_VERSION = 1
SPLITS = ("train", "val_character", "val_clip", "val_both")


class DatasetError(InputFileError, RuntimeError):
    """A dataset folder or manifest that cannot be used; names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class DatasetConfig(StageConfig):
    """How many characters, at what size, which frames, and how to split."""

    seed: int = 0  # decides the split
    num_characters: int = 12
    first_character_seed: int = 0  # characters are random_character(first .. first + n - 1)
    size: tuple[int, int] = (192, 256)  # anime frame (width, height): the report's 256x192
    real_height: int = 256  # real frames are stored resized to this height (aspect kept)
    frame_step: int = 1  # keep every k-th frame of each clip
    max_frames: int = 0  # per clip, after frame_step; 0 = all
    val_characters: float = 0.25  # share of characters held out
    val_clips: float = 0.25  # share of clips held out (only when there are >= 2 clips)
    jpeg_quality: int = 95

    SMOKE_OVERRIDES = {"num_characters": 3, "size": (96, 128), "real_height": 128, "max_frames": 12}


@dataclasses.dataclass(frozen=True)
class ClipSource:
    """One motion clip and, when it came from a video, the video and its keypoints."""

    name: str
    motion: Motion
    video: Path | None = None
    keypoints: np.ndarray | None = None  # (T, 18, 3) in the video's pixels
    source: str = ""


def clip_from_video(video: str | os.PathLike, keypoints: np.ndarray, name: str | None = None,
                    source: str = "") -> ClipSource:
    """A clip from a real video and its per-frame keypoints ``(T, 18, 3)`` (one row per frame)."""
    video = Path(video)
    info = probe(video)
    kps = as_keypoints(keypoints, f"keypoints for {video.name}")
    if kps.ndim != 3:
        raise KeypointError(f"keypoints for {video}: expected (T, 18, 3), got {kps.shape}")
    if info.num_frames and len(kps) != info.num_frames:
        raise KeypointError(f"keypoints for {video}: {len(kps)} frames of keypoints but the video has "
                            f"{info.num_frames} frames")
    name = name or video.stem
    return ClipSource(name, motion_from_keypoints(kps, float(info.fps), name=name), video, kps,
                      source or f"video {video.name}")


def clip_from_motion(motion: Motion, source: str = "") -> ClipSource:
    """A clip with no real frames (BVH motion capture, the built-in dance)."""
    return ClipSource(motion.name, motion, source=source or "motion")


@dataclasses.dataclass(frozen=True)
class Pair:
    """One (clip, character) entry of the manifest."""

    id: str
    clip: str
    character: str
    split: str
    frames: int
    fps: float
    has_real: bool


def _split_names(names: Sequence[str], share: float, rng: np.random.Generator) -> set[str]:
    """Names held out: ``round(share * n)`` of them, at least one when there are two or more."""
    if len(names) < 2 or share <= 0:
        return set()
    k = min(len(names) - 1, max(1, int(round(share * len(names)))))
    return {names[i] for i in rng.permutation(len(names))[:k]}


def _frame_indices(n: int, cfg: DatasetConfig) -> np.ndarray:
    idx = np.arange(0, n, max(1, cfg.frame_step))
    return idx[: cfg.max_frames] if cfg.max_frames > 0 else idx


def _save_png(rgba: np.ndarray, path: Path) -> None:
    Image.fromarray(rgba, "RGBA").save(path, optimize=False, compress_level=6)


def _write_real_frames(clip: ClipSource, idx: np.ndarray, folder: Path, cfg: DatasetConfig,
                       progress: bool) -> tuple[np.ndarray, tuple[int, int], tuple[int, int]]:
    """Stream the video once, store the chosen frames resized; return scaled keypoints and sizes."""
    folder.mkdir(parents=True)
    wanted = {int(t): k for k, t in enumerate(idx)}
    written = seen = 0
    with VideoReader(clip.video) as reader:
        src_w, src_h = reader.size
        scale = cfg.real_height / src_h
        dst = (max(2, int(round(src_w * scale))), cfg.real_height)
        bar = tqdm(total=len(idx), desc=f"real frames {clip.name}", disable=not progress)
        for t, frame in enumerate(reader):
            if t > idx[-1]:
                break
            seen = t + 1
            if t in wanted:
                Image.fromarray(frame).resize(dst, Image.BILINEAR).save(
                    folder / f"{wanted[t]:06d}.jpg", quality=cfg.jpeg_quality)
                written += 1
                bar.update()
        bar.close()
    if written != len(idx):
        raise VideoError(clip.video, f"ended after {seen} frames; keypoints cover {len(clip.keypoints)}")
    kps = clip.keypoints[idx].copy()
    kps[..., 0] *= dst[0] / src_w
    kps[..., 1] *= dst[1] / src_h
    return kps, (src_w, src_h), dst


def write_paired_dataset(root: str | os.PathLike, clips: Sequence[ClipSource],
                         cfg: DatasetConfig = DatasetConfig(), overwrite: bool = False,
                         progress: bool = True) -> PairedDataset:
    """Render every (clip, character) pair into ``root`` and return it opened.

    The dataset is built in ``root`` + ``.partial`` and renamed when complete, so a folder
    named ``root`` is always a whole dataset.
    """
    root = Path(root)
    if not clips:
        raise DatasetError(root, "no clips given")
    names = [c.name for c in clips]
    if len(set(names)) != len(names):
        raise DatasetError(root, f"clip names must be unique, got {names}")
    bad = [n for n in names if not re.fullmatch(r"[A-Za-z0-9_.-]+", n) or n.startswith(".")]
    if bad:
        raise DatasetError(root, f"clip names become folder names; use letters, digits, '_', '-', '.': {bad}")
    if root.exists() and not overwrite:
        raise DatasetError(root, "already exists (pass overwrite=True to replace it)")
    tmp = root.with_name(root.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)

    try:
        _write_into(tmp, clips, names, cfg, progress)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if root.exists():
        shutil.rmtree(root)
    tmp.rename(root)
    return PairedDataset(root)


def _write_into(tmp: Path, clips: Sequence[ClipSource], names: list[str], cfg: DatasetConfig,
                progress: bool) -> None:
    """Render clips x characters into the (empty) folder ``tmp`` and write the manifests."""
    rng = np.random.default_rng(cfg.seed)
    specs = [random_character(s) for s in range(cfg.first_character_seed,
                                                 cfg.first_character_seed + cfg.num_characters)]
    char_ids = [f"char_{s.seed:05d}" for s in specs]
    val_chars = _split_names(char_ids, cfg.val_characters, rng)
    val_clips = _split_names(names, cfg.val_clips, rng)

    clip_rows, pairs = [], []
    for clip in clips:
        idx = _frame_indices(len(clip.motion), cfg)
        if len(idx) == 0:
            raise DatasetError(tmp, f"clip {clip.name} has no frames")
        fps = float(clip.motion.fps) / max(1, cfg.frame_step)
        cdir = tmp / "clips" / clip.name
        row = {"name": clip.name, "source": clip.source, "frames": int(len(idx)), "fps": fps,
               "split": "val" if clip.name in val_clips else "train", "has_real": clip.video is not None}
        if clip.video is not None:
            real_kps, src_size, dst_size = _write_real_frames(clip, idx, cdir / "real", cfg, progress)
            np.save(cdir / "real_keypoints.npy", real_kps.astype(np.float32))
            row.update(video=Path(clip.video).name, video_size=list(src_size), real_size=list(dst_size))
        else:
            cdir.mkdir(parents=True)
        clip_rows.append(row)
        motion = Motion(clip.motion.joints[idx], fps, clip.name)
        for spec, cid in zip(specs, char_ids):
            track = layout_for_character(motion, spec, cfg.size)
            pid = f"{clip.name}__{cid}"
            pdir = tmp / "pairs" / pid
            (pdir / "anime").mkdir(parents=True)
            for t in tqdm(range(len(motion)), desc=f"render {pid}", disable=not progress, leave=False):
                frame = render_character(spec, track.keypoints[t], cfg.size, track.scale, track.depth[t])
                _save_png(frame.rgba, pdir / "anime" / f"{t:06d}.png")
            np.save(pdir / "anime_keypoints.npy", track.keypoints.astype(np.float32))
            np.save(pdir / "anime_depth.npy", track.depth.astype(np.float32))
            split = {(False, False): "train", (True, False): "val_character", (False, True): "val_clip",
                     (True, True): "val_both"}[(cid in val_chars, clip.name in val_clips)]
            pairs.append(Pair(pid, clip.name, cid, split, int(len(idx)), fps, clip.video is not None))

    manifest = {
        "version": MANIFEST_VERSION,
        "generator": "r2a_utils.characters.dataset.write_paired_dataset",
        "config": cfg.to_dict(),
        "counts": {s: sum(p.split == s for p in pairs) for s in SPLITS},
        "clips": clip_rows,
        "characters": [{"id": cid, "split": "val" if cid in val_chars else "train", "spec": s.to_dict()}
                       for cid, s in zip(char_ids, specs)],
        "pairs": [dataclasses.asdict(p) for p in pairs],
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
    with open(tmp / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[fl.name for fl in dataclasses.fields(Pair)])
        w.writeheader()
        w.writerows(dataclasses.asdict(p) for p in pairs)


class PairedDataset:
    """A written dataset, opened: pairs, splits, character specs, frames and keypoints.

    Frames are read from disk when asked for, so opening a big dataset is cheap.

    Example:
        >>> ds = PairedDataset("outputs/pairs")
        >>> p = ds.pairs_in("train")[0]
        >>> rgba, kps = ds.anime_frame(p, 0), ds.anime_keypoints(p)[0]
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        mpath = self.root / "manifest.json"
        if not mpath.is_file():
            raise DatasetError(mpath, "no manifest here; is this a folder written by write_paired_dataset?")
        try:
            m = json.loads(mpath.read_text())
        except (OSError, ValueError) as e:
            raise DatasetError(mpath, f"unreadable manifest ({e})") from None
        if not isinstance(m, dict) or m.get("version") != MANIFEST_VERSION:
            raise DatasetError(mpath, f"manifest version {m.get('version') if isinstance(m, dict) else m!r} "
                                      f"is not {MANIFEST_VERSION}")
        try:
            self.config = DatasetConfig.from_dict(m["config"])
            self.clips = {c["name"]: c for c in m["clips"]}
            self.characters = {c["id"]: CharacterSpec.from_dict(c["spec"]) for c in m["characters"]}
            self.pairs = [Pair(**p) for p in m["pairs"]]
        except (KeyError, TypeError, ValueError) as e:
            raise DatasetError(mpath, f"malformed manifest ({e.__class__.__name__}: {e})") from None
        for p in self.pairs:
            if p.clip not in self.clips or p.character not in self.characters or p.split not in SPLITS:
                raise DatasetError(mpath, f"pair {p.id} refers to an unknown clip, character or split")
        self.manifest = m

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> Pair:
        return self.pairs[i]

    def __iter__(self) -> Iterator[Pair]:
        return iter(self.pairs)

    def pairs_in(self, split: str) -> list[Pair]:
        """Pairs of one split; ``'val'`` means all three held-out kinds."""
        if split not in SPLITS + ("val",):
            raise ValueError(f"unknown split {split!r}; one of {', '.join(SPLITS + ('val',))}")
        return [p for p in self.pairs if p.split == split or (split == "val" and p.split != "train")]

    def _load_npy(self, path: Path, frames: int) -> np.ndarray:
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise DatasetError(path, f"missing or unreadable ({e.__class__.__name__})") from None
        if arr.shape[0] != frames:
            raise DatasetError(path, f"has {arr.shape[0]} frames, manifest says {frames}")
        return arr

    def anime_keypoints(self, pair: Pair) -> np.ndarray:
        """Exact keypoints of the character ``(T, 18, 3)`` in anime-frame pixels."""
        return self._load_npy(self.root / "pairs" / pair.id / "anime_keypoints.npy", pair.frames)

    def anime_depth(self, pair: Pair) -> np.ndarray:
        """Joint depth ``(T, 18)`` in pixels, larger = nearer the camera."""
        return self._load_npy(self.root / "pairs" / pair.id / "anime_depth.npy", pair.frames)

    def real_keypoints(self, pair: Pair) -> np.ndarray | None:
        """Keypoints of the real person ``(T, 18, 3)`` in stored real-frame pixels (None if no video)."""
        if not pair.has_real:
            return None
        return self._load_npy(self.root / "clips" / pair.clip / "real_keypoints.npy", pair.frames)

    def _image(self, path: Path, mode: str) -> np.ndarray:
        try:
            with Image.open(path) as im:
                return np.asarray(im.convert(mode))
        except (OSError, ValueError) as e:
            raise DatasetError(path, f"missing or unreadable frame ({e.__class__.__name__})") from None

    def anime_frame(self, pair: Pair, t: int) -> np.ndarray:
        """Frame ``t`` of the character, RGBA ``uint8`` (transparent background)."""
        return self._image(self.root / "pairs" / pair.id / "anime" / f"{t:06d}.png", "RGBA")

    def real_frame(self, pair: Pair, t: int) -> np.ndarray | None:
        """Frame ``t`` of the real video, RGB ``uint8`` (None if the clip has no video)."""
        if not pair.has_real:
            return None
        return self._image(self.root / "clips" / pair.clip / "real" / f"{t:06d}.jpg", "RGB")

    def character(self, pair_or_id: Pair | str) -> CharacterSpec:
        return self.characters[pair_or_id.character if isinstance(pair_or_id, Pair) else pair_or_id]

    def verify(self) -> int:
        """Check every file the manifest promises is there and readable; returns frames checked."""
        n = 0
        for p in self.pairs:
            kps = self.anime_keypoints(p)
            if kps.shape[1:] != (NUM_JOINTS, 3):
                raise DatasetError(self.root / "pairs" / p.id / "anime_keypoints.npy", f"shape {kps.shape}")
            self.anime_depth(p)
            self.real_keypoints(p)
            for t in range(p.frames):
                self.anime_frame(p, t)
                self.real_frame(p, t)
                n += 1
        return n

    def summary(self) -> dict:
        """Counts for a table: pairs per split, characters, clips, frames."""
        return {"pairs": len(self.pairs), **self.manifest["counts"], "characters": len(self.characters),
                "clips": len(self.clips), "frames": sum(p.frames for p in self.pairs)}
