"""DATA_HUB: every public dataset the kit can fetch, by name -> (url, sha256, size) per file.

``fetch(name)`` downloads into the cache (``R2A_CACHE``, default ~/.cache/r2a/data) and skips
files whose cached copy already has the right sha256. ``--mirror DIR`` / ``R2A_MIRROR`` copies
from a local folder laid out like the cache instead of the internet (CI points it at
``../shared/data``). Nothing is fetched at import time; the kit runs without any of it.

Command line (``data_download.sh`` wraps it)::

    python -m r2a_utils.data --list
    python -m r2a_utils.data --only dance_stage [--mirror DIR]

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import os
import shutil
import sys
import urllib.request
from pathlib import Path

from r2a_utils.files import atomic_path, sha256_file

HUB_FILE = Path(__file__).with_name("data_hub.json")


class DataError(RuntimeError):
    """A dataset that cannot be fetched or does not match its registered hash."""


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a dataset comes from upstream and where its files sit in the cache/mirror."""

    name: str
    description: str
    license: str
    pattern: str  # glob of relative paths in the mirror layout
    url_base: str  # upstream address; a file's url is url_base + its path below strip
    strip: str  # leading part of the relative path that upstream does not have
    rename: tuple[tuple[str, str], ...] = ()  # (our relative path, upstream path) exceptions


_GH = "https://raw.githubusercontent.com"
_AD = f"{_GH}/facebookresearch/AnimatedDrawings/main/examples"
SOURCES: tuple[Source, ...] = (
    Source("dance_stage", "One man dancing on a dark stage, 1280x720, 69 frames, 24000/1001 fps",
           "none stated", "videos/dance_stage.mp4",
           f"{_GH}/vt-vl-lab/footskate_reducer/12567acaa1e469af591e0e7640dd82492f1125e5/demo/", "videos/",
           (("videos/dance_stage.mp4", "dance.mp4"),)),
    Source("dance_stage_openpose25", "OpenPose BODY_25 keypoints for every frame of dance_stage",
           "none stated", "keypoints/dance_stage_openpose25/*.json",
           f"{_GH}/vt-vl-lab/footskate_reducer/12567acaa1e469af591e0e7640dd82492f1125e5/demo/dance/",
           "keypoints/dance_stage_openpose25/"),
    Source("dance_indoor", "One woman dancing indoors, portrait 692x1108, 150 frames, 16 fps",
           "none stated", "videos/dance_indoor.mp4",
           f"{_GH}/ali-vilab/UniAnimate/main/data/videos/", "videos/",
           (("videos/dance_indoor.mp4", "source_video.mp4"),)),
    Source("anime_green_dress", "Full-body anime woman on a plain background, 451x677",
           "Apache-2.0", "characters/anime_green_dress.png",
           f"{_GH}/MooreThreads/Moore-AnimateAnyone/main/configs/inference/ref_images/", "characters/",
           (("characters/anime_green_dress.png", "anyone-5.png"),)),
    *(Source(f"drawn_char{i}", f"Hand-drawn character {i}: texture, mask, 16-joint skeleton",
             "MIT", f"characters/drawn_char{i}/*", f"{_AD}/characters/char{i}/", f"characters/drawn_char{i}/")
      for i in (1, 2, 4)),
    Source("bvh", "Real human motion capture (CMU jumping jacks, dab, jumping, wave, zombie, Rokoko dance)",
           "MIT (AnimatedDrawings)", "bvh/*", f"{_AD}/bvh/", "bvh/"),
    Source("anime_drawings_dataset", "Anime Drawings Dataset annotations (2000 drawings, 21 joints; "
           "images not included: upstream fetches them from danbooru)", "none stated",
           "anime_drawings_dataset/*.json",
           f"{_GH}/dragonmeteor/AnimeDrawingsDataset/master/data/", "anime_drawings_dataset/"),
)


def load_hub() -> dict[str, dict]:
    """name -> {description, license, files: [{path, url, sha256, size}]}."""
    return json.loads(HUB_FILE.read_text())


DATA_HUB = load_hub() if HUB_FILE.exists() else {}


def data_root() -> Path:
    root = Path(os.environ.get("R2A_CACHE", Path.home() / ".cache" / "r2a")) / "data"
    root.mkdir(parents=True, exist_ok=True)
    return root


def default_mirror() -> Path | None:
    m = os.environ.get("R2A_MIRROR")
    return Path(m) if m else None


def fetch(name: str, mirror: str | os.PathLike | None = None, root: str | os.PathLike | None = None,
          quiet: bool = True) -> Path:
    """Make dataset ``name`` present and verified; return the path of its file (one-file
    datasets) or folder. Cached files with the right hash are not fetched again."""
    if name not in DATA_HUB:
        raise DataError(f"unknown dataset {name!r}; known: {', '.join(DATA_HUB)}")
    root = Path(root) if root else data_root()
    mirror = Path(mirror) if mirror else default_mirror()
    files = DATA_HUB[name]["files"]
    for f in files:
        dest = root / f["path"]
        if dest.exists() and sha256_file(dest) == f["sha256"]:
            continue
        with atomic_path(dest) as tmp:  # a failed or refused fetch leaves nothing behind
            if mirror is not None:
                src = mirror / f["path"]
                if not src.exists():
                    raise DataError(f"{name}: {src} not in mirror {mirror}")
                shutil.copyfile(src, tmp)
            else:
                if not quiet:
                    print(f"downloading {f['url']}", file=sys.stderr)
                try:
                    with urllib.request.urlopen(f["url"], timeout=60) as r, open(tmp, "wb") as out:
                        shutil.copyfileobj(r, out)
                except OSError as e:
                    raise DataError(f"{name}: cannot download {f['url']} ({e}); "
                                    f"use --mirror DIR or R2A_MIRROR for a local copy") from None
            got = sha256_file(tmp)
            if got != f["sha256"]:
                raise DataError(f"{name}: {f['path']} has sha256 {got[:12]}..., expected {f['sha256'][:12]}...")
    if len(files) == 1:
        return root / files[0]["path"]
    return root / os.path.commonpath([f["path"] for f in files])


def register(mirror: str | os.PathLike) -> dict[str, dict]:
    """Maintainers: rebuild the hub (urls, hashes, sizes) from a local copy of every source."""
    mirror = Path(mirror)
    hub: dict[str, dict] = {}
    for s in SOURCES:
        rels = sorted(p.relative_to(mirror).as_posix() for p in mirror.rglob("*")
                      if p.is_file() and fnmatch.fnmatch(p.relative_to(mirror).as_posix(), s.pattern))
        if not rels:
            raise DataError(f"{s.name}: nothing matches {s.pattern} in {mirror}")
        renames = dict(s.rename)
        files = [{"path": r, "url": s.url_base + renames.get(r, r[len(s.strip):]),
                  "sha256": sha256_file(mirror / r), "size": (mirror / r).stat().st_size} for r in rels]
        hub[s.name] = {"description": s.description, "license": s.license, "files": files}
    return hub


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="data_download.sh", description="Fetch the kit's public sample data.")
    ap.add_argument("--list", action="store_true", help="list datasets and exit")
    ap.add_argument("--only", action="append", metavar="NAME", help="fetch only this dataset (repeatable)")
    ap.add_argument("--mirror", metavar="DIR", help="copy from a local folder instead of downloading")
    ap.add_argument("--cache", metavar="DIR", help="where to put the data (default R2A_CACHE/data)")
    ap.add_argument("--register", metavar="DIR", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.register:
        HUB_FILE.write_text(json.dumps(register(a.register), indent=1) + "\n")
        print(f"wrote {HUB_FILE}")
        return 0
    if a.list:
        for name, d in DATA_HUB.items():
            size = sum(f["size"] for f in d["files"]) / 2**20
            print(f"{name:24s} {len(d['files']):5d} files {size:7.1f} MB  {d['description']}")
        return 0
    names = a.only or list(DATA_HUB)
    for name in names:
        try:
            path = fetch(name, mirror=a.mirror, root=a.cache, quiet=False)
        except DataError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
