"""Poses of real anime illustrations for training: the Anime Drawings Dataset's annotations
(its train/val json; no images are needed or used) drive the procedural characters, so the
network sees the poses and body proportions real illustrators draw (long legs, contrapposto,
foreshortened arms), not only the kit's random poses.

The development drawings are never used: their post ids (``DEV_POST_IDS``, 13 of them sit in
the dataset's train split) are always left out, as is every picture in a folder passed as
``exclude_folder``.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from r2a_utils.canvas import fit_box
from r2a_utils.skeleton import J, KeypointError, body_height, from_anime_drawings, missing_joints

# the 16 drawings of ../shared/data/anime_drawings_dev: scored on, never trained on
DEV_POST_IDS = frozenset({"1001467", "1046000", "1084303", "1149571", "1154359", "1201191", "12843", "13127",
                          "1478770", "1637864", "1773064", "1783133", "1804844", "1826828", "26824", "994026"})


def _post_id(file_name: str) -> str:
    return Path(file_name).stem


class AnnotatedPoses:
    """The body poses of Anime Drawings Dataset entries, OpenPose-18, in annotation pixels.

    Args:
        paths: annotation json files (e.g. ``train.json``, ``val.json``); a folder takes its
            ``train.json`` and ``val.json``.
        exclude_folder: optional folder of pictures whose post ids are left out too.
    """

    def __init__(self, paths: str | os.PathLike | list[str | os.PathLike], exclude_folder: str | os.PathLike | None = None):
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        files: list[Path] = []
        for p in map(Path, paths):
            files += [p / "train.json", p / "val.json"] if p.is_dir() else [p]
        excluded = set(DEV_POST_IDS)
        if exclude_folder is not None and Path(exclude_folder).is_dir():
            excluded |= {f.stem for f in Path(exclude_folder).iterdir()}
        poses, self.post_ids = [], []
        for f in files:
            try:
                entries = json.loads(f.read_text())
                for e in entries:
                    pid = _post_id(e["file_name"])
                    if pid in excluded:
                        continue
                    kps = from_anime_drawings(e["points"])
                    if not missing_joints(kps):
                        poses.append(kps)
                        self.post_ids.append(pid)
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise KeypointError(f"{f}: not an Anime Drawings Dataset annotation file "
                                    f"({err.__class__.__name__}: {err})") from None
        self.poses = np.stack(poses) if poses else np.zeros((0, 18, 3), np.float32)

    def __len__(self) -> int:
        return len(self.poses)

    def place(self, i: int, spec, size: int, rng: np.random.Generator | None = None,
              margin: float = 0.04) -> tuple[np.ndarray, float]:
        """Pose ``i`` fitted into a ``size`` x ``size`` picture for the character ``spec``
        (a ``CharacterSpec``), mirrored half of the time when ``rng`` is given. Returns
        ``(keypoints (18, 3), scale)``, ``scale`` in pixels per standing height (what
        ``render_character`` takes). The pose keeps the drawing's own proportions; the
        standing height is the pose's neck-to-ankle path (a length that does not change when
        the figure bends or sits) in the proportion ``spec``'s own rest pose has.
        """
        kps = self.poses[i].astype(np.float64).copy()
        if rng is not None and rng.random() < 0.5:  # the drawing mirrored (joints swap sides)
            from r2a_utils.skeleton import FLIP_INDEX

            kps = kps[list(FLIP_INDEX)]
            kps[:, 0] = -kps[:, 0]
        head = spec.head
        standing = body_height(kps[None, :, :2]) / body_height(spec.rest_pose()[None, :, :2])
        xy = kps[:, :2]
        top = min(np.nanmin(xy[:, 1]), xy[J["neck"], 1] - head * standing * 1.1) - 0.15 * head * standing
        left = np.nanmin(xy[:, 0]) - 0.6 * head * standing
        right = np.nanmax(xy[:, 0]) + 0.6 * head * standing
        bottom = np.nanmax(xy[:, 1]) + 0.035 * standing
        place = fit_box((left, top, right, bottom), (size, size), margin)
        return place.apply(kps).astype(np.float32), float(standing * place.k)
