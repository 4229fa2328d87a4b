"""Training pairs for Stage 3: the same character in two poses, on the model's canvas.

Every picture reaches the network the same way, in training and at inference: the
character's box is fitted into the canvas (``canvas.fit_box``), and its keypoints go through
the same similarity transform (``canvas.Placement``). Two sources give pairs:

- ``CharacterPoses``: one procedural character (per-character mode) or many, rendered on
  the fly in ``random_pose`` poses. Batch ``step`` of rank ``r`` depends only on
  ``(seed, r, step)``, so a resumed run sees exactly the batches it would have seen.
- ``DatasetPoses``: two frames of one (clip, character) of a Stage-1 dataset written by
  ``write_paired_dataset`` (train split only).

Held-out poses for evaluation come from seeds at ``HELD_OUT_SEED`` and up, plus the
built-in dance, which training never draws from.

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from r2a_utils.characters.dataset import PairedDataset
from r2a_utils.characters.motion import Motion, builtin_dance, flat_a_pose, layout_a_pose, layout_for_character, random_pose
from r2a_utils.characters.render import RenderResult, render_character
from r2a_utils.canvas import alpha_box, fit_box, place_image
from r2a_utils.characters.spec import HELD_OUT_SEED, CharacterSpec, random_character
from r2a_utils.skeleton import J, NUM_JOINTS
from r2a_utils.viz import to_rgb

@dataclasses.dataclass
class Batch:
    """Arrays for one step: pictures on white ``(N, H, W, 3)``, keypoints ``(N, 18, 3)`` in
    canvas pixels, the target's alpha ``(N, H, W)``."""

    ref_rgb: np.ndarray
    ref_kps: np.ndarray
    tgt_rgb: np.ndarray
    tgt_alpha: np.ndarray
    tgt_kps: np.ndarray


def _stack(items: list[tuple]) -> Batch:
    return Batch(*(np.stack(x) for x in zip(*items)))


class StandardPose:
    """A character's standard place on the canvas: its flat A-pose fitted by ``fit_box``.

    ``render(pose3d, scale_jitter, shift)`` draws the character in any 3-D pose (character
    units, from ``random_pose`` or a motion) at that standard scale, neck moved by ``shift``
    pixels; the result is what the same picture would look like after inference's fit.
    """

    def __init__(self, spec: CharacterSpec, size: tuple[int, int]):
        self.spec, self.size = spec, size
        self.rest = flat_a_pose(spec)
        track = layout_a_pose(spec, size)
        first = render_character(spec, track.keypoints[0], size, track.scale, track.depth[0])
        p = fit_box(alpha_box(first.rgba[..., 3]), size)
        self.scale = track.scale * p.k  # pixels per standing height on the canvas
        self.neck = p.apply(track.keypoints[0])[J["neck"], :2]

    def draw(self, pose3d: np.ndarray, scale_jitter: float = 1.0,
             shift: np.ndarray | tuple[float, float] = (0.0, 0.0)) -> tuple[RenderResult, np.ndarray]:
        """``(the render, keypoints (18, 3))`` on the canvas."""
        s = self.scale * scale_jitter
        rel = (pose3d - pose3d[J["neck"]]) * s
        kps = np.ones((NUM_JOINTS, 3), np.float32)
        kps[:, :2] = rel[:, :2] + self.neck + np.asarray(shift, np.float32)
        return render_character(self.spec, kps, self.size, s, rel[:, 2].astype(np.float32)), kps

    def render(self, pose3d: np.ndarray, scale_jitter: float = 1.0,
               shift: np.ndarray | tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rgb on white (H, W, 3), alpha (H, W), keypoints (18, 3))`` on the canvas."""
        res, kps = self.draw(pose3d, scale_jitter, shift)
        return res.on_background(), res.rgba[..., 3], kps


class CharacterPoses:
    """Pairs of one procedural character (or ``num_characters`` of them) in random poses.

    Half the references are the flat A-pose, the picture a user gives at inference; the
    other half are random poses, which teaches the blocks to move any pose to any other.
    """

    def __init__(self, specs: list[CharacterSpec], size: tuple[int, int], seed: int = 0,
                 scale_jitter: tuple[float, float] = (0.88, 1.05), shift: tuple[float, float] = (0.08, 0.05)):
        self.places = [StandardPose(s, size) for s in specs]
        self.size, self.seed = size, seed
        self.scale_jitter, self.shift = scale_jitter, shift

    def _shift(self, rng: np.random.Generator, share: float = 1.0) -> np.ndarray:
        w, h = self.size
        return rng.uniform(-1, 1, 2) * np.array([self.shift[0] * w, self.shift[1] * h]) * share

    def sample(self, rng: np.random.Generator) -> tuple:
        place = self.places[int(rng.integers(len(self.places)))]
        s = rng.uniform(*self.scale_jitter)
        ref_pose = place.rest if rng.random() < 0.5 else random_pose(rng, place.spec.rest_pose())
        ref_rgb, _, ref_kps = place.render(ref_pose, s, self._shift(rng, 0.3))
        tgt_rgb, tgt_alpha, tgt_kps = place.render(random_pose(rng, place.spec.rest_pose()), s, self._shift(rng))
        return ref_rgb, ref_kps, tgt_rgb, tgt_alpha, tgt_kps

    def batch(self, step: int, batch_size: int, rank: int = 0) -> Batch:
        rng = np.random.default_rng([self.seed, rank, step])
        return _stack([self.sample(rng) for _ in range(batch_size)])


class DatasetPoses:
    """Pairs from a Stage-1 dataset: two frames of the same (clip, character), train split."""

    def __init__(self, root: str | os.PathLike, size: tuple[int, int], seed: int = 0, split: str = "train"):
        self.ds = PairedDataset(root)
        self.pairs = self.ds.pairs_in(split)
        if not self.pairs:
            from r2a_utils.characters.dataset import DatasetError

            raise DatasetError(Path(root) / "manifest.json", f"no pairs in split {split!r} to train on")
        self.size, self.seed = size, seed
        self._kps = {p.id: self.ds.anime_keypoints(p) for p in self.pairs}

    def sample(self, rng: np.random.Generator) -> tuple:
        p = self.pairs[int(rng.integers(len(self.pairs)))]
        i, j = rng.integers(p.frames, size=2)
        ref, tgt = self.ds.anime_frame(p, int(i)), self.ds.anime_frame(p, int(j))
        place = fit_box(alpha_box(ref[..., 3]), self.size)  # as inference fits the user's picture
        ref_c, tgt_c = place_image(ref, place, self.size), place_image(tgt, place, self.size)
        kps = self._kps[p.id]
        return to_rgb(ref_c), place.apply(kps[i]), to_rgb(tgt_c), tgt_c[..., 3], place.apply(kps[j])

    def batch(self, step: int, batch_size: int, rank: int = 0) -> Batch:
        rng = np.random.default_rng([self.seed, rank, step])
        return _stack([self.sample(rng) for _ in range(batch_size)])


def character_spec(name: str) -> CharacterSpec:
    """``'sample'`` (the embedded demo character), ``'seed:N'`` or a spec JSON file."""
    from r2a_utils.samples import sample_character_spec

    if name == "sample":
        return sample_character_spec()
    if name.startswith("seed:"):
        return random_character(int(name[5:]))
    import json

    path = Path(name)
    try:
        return CharacterSpec.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError) as e:
        raise ValueError(f"{path}: not a character: use 'sample', 'seed:N' or a CharacterSpec JSON "
                         f"({e.__class__.__name__})") from None


def heldout_poses(spec: CharacterSpec, size: tuple[int, int], n: int = 40, dance_frames: int = 8,
                  seed: int = HELD_OUT_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ground truth for evaluation: the flat A-pose reference, then ``n`` random poses from
    held-out seeds and ``dance_frames`` frames of the built-in dance, all at standard scale.

    Returns:
        ``(reference RGBA (H, W, 4), reference keypoints (18, 3), target RGB on white
        (M, H, W, 3), target keypoints (M, 18, 3))``.
    """
    place = StandardPose(spec, size)
    res, ref_kps = place.draw(place.rest)
    ref = res.rgba
    rng = np.random.default_rng(seed)
    poses = [random_pose(rng, spec.rest_pose()) for _ in range(n)]
    if dance_frames:
        dance = builtin_dance(48)
        rest = spec.rest_pose()
        for t in np.linspace(0, 47, dance_frames).astype(int):
            d = dance.joints[t]  # the dance is on a generic rest skeleton: move it onto this one
            track = layout_for_character(Motion(d[None], 24.0, "d"), spec, size)
            poses.append(_unproject(track, spec, rest))
    rgbs, kps = [], []
    for i, pose in enumerate(poses):
        rgb, _, k = place.render(pose, 1.0, rng.uniform(-1, 1, 2) * np.array([0.04 * size[0], 0.03 * size[1]]))
        rgbs.append(rgb)
        kps.append(k)
    return ref, ref_kps, np.stack(rgbs), np.stack(kps)


def _unproject(track, spec: CharacterSpec, rest: np.ndarray) -> np.ndarray:
    """A laid-out pose back in character units (neck at the rest neck), depth included."""
    k = track.keypoints[0]
    p = np.zeros((NUM_JOINTS, 3))
    p[:, :2] = (k[:, :2] - k[J["neck"], :2]) / track.scale
    p[:, 2] = track.depth[0] / track.scale
    return p + rest[J["neck"]]
