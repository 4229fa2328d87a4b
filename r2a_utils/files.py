"""Files written whole or not at all, and content hashes.

``atomic_path(dest)`` hands out a temporary name beside ``dest`` and renames it onto
``dest`` only when the block finishes; on any error the temporary file is removed, so a
reader never sees half a file. Every writer of the kit (weights, checkpoints, joints files,
pose caches, datasets, videos) goes through it.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from r2a_utils.errors import InputFileError

PART_SUFFIX = ".part"  # temporary files carry this before the final suffix: name.part.mp4


class OutputFolderError(InputFileError, ValueError):
    """An output folder that cannot be written; names the path in the way."""


def part_path(dest: str | os.PathLike) -> Path:
    """The temporary name for ``dest`` (same folder, so the rename is atomic)."""
    dest = Path(dest)
    return dest.with_name(f".{dest.stem}{PART_SUFFIX}{dest.suffix}")


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike) -> Iterator[Path]:
    """``with atomic_path(p) as tmp: write(tmp)`` -> ``p`` appears complete, or not at all."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = part_path(dest)
    try:
        yield tmp
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale_parts(dest: str | os.PathLike) -> int:
    """Delete temporary files an earlier, killed run left for ``dest``; returns how many."""
    dest = Path(dest)
    stale = set(dest.parent.glob(f".{dest.stem}.*{PART_SUFFIX}{dest.suffix}")) | {part_path(dest)}
    removed = 0
    for p in stale:
        if p.is_file():
            p.unlink(missing_ok=True)
            removed += 1
    return removed


def check_output_folder(folder: str | os.PathLike) -> Path:
    """Refuse, before any work, an output folder that cannot be written: a file in the way,
    or no write permission where it would be made. Creates nothing."""
    folder = Path(folder)
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())  # the root always exists
    if not existing.is_dir():
        raise OutputFolderError(existing, f"is a file, so the output folder {folder} cannot be made; "
                                          f"choose another --out")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputFolderError(existing, f"is not writable, so outputs cannot go to {folder}; choose another --out")
    return folder


def write_text_atomic(dest: str | os.PathLike, text: str) -> Path:
    """Write a text file whole or not at all."""
    with atomic_path(dest) as tmp:
        tmp.write_text(text)
    return Path(dest)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes, read in chunks (videos can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
