"""Using the anime pose network on any character picture.

``AnimePoseEstimator().estimate_image(picture) -> (18, 3)``: the character is cut to its box
and letterboxed to the network's square input, the mirrored picture is averaged in (flip
test), and mediapipe's human model is asked too. The two answers are merged joint by joint
(``merge_poses``): the human model knows where arms and legs are on drawings with
near-human proportions, the network knows stylised characters and says so with confident
heatmaps, and a figure cut at the thighs gets its legs placed beyond the picture's edge.
Where the two place an arm differently, the picture decides which arm it shows
(``arms.arms_the_picture_shows``).

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from r2a_utils.config import pick_device
from r2a_utils.picture import CharacterImageError, Picture, beyond_edge, load_picture
from r2a_utils.pose.anime.export import load_twin
from r2a_utils.pose.anime.model import WEIGHTS, AnimeWeightsError, decode_heatmaps, load_weights, normalize_images
from r2a_utils.skeleton import BODY_JOINTS, FLIP_INDEX, J, missing_joints
from r2a_utils.tensors import load_weights_file


class AnimePoseEstimator:
    """The trained network behind ``estimate(images) -> (N, 18, 3)`` (same interface as the
    human estimator); ``estimate_image`` takes a file or array and handles odd inputs."""

    def __init__(self, weights: str | os.PathLike | None = None, device: str = "auto", flip_test: bool = True,
                 use_human_model: bool = True, second_look: bool = True, backend: str = "auto"):
        """``backend``: 'opencv' runs the weights' ONNX twin (``pose.anime.export``) on the CPU
        without importing torch, 'torch' the weights themselves on ``device``; 'auto' (the
        default) takes the twin when it was made from these weights and no GPU is asked for."""
        if backend not in ("auto", "opencv", "torch"):
            raise ValueError(f"backend must be 'auto', 'opencv' or 'torch', not {backend!r}")

        self.flip_test = flip_test
        self.second_look = second_look
        self.use_human_model = use_human_model
        self._human = None
        self.last_source = None
        path = Path(weights) if weights is not None else WEIGHTS
        self.path = path
        # on the CPU, the weights' ONNX twin runs in OpenCV without importing torch (2-3 s)
        twin = load_twin(path) if backend == "opencv" or (backend == "auto" and device in ("auto", "cpu")) else None
        if backend == "opencv" and twin is None:
            raise AnimeWeightsError(path, "has no ONNX twin made from it (write one with "
                                          "`python -m r2a_utils.pose.anime export --weights FILE`)")
        if twin is not None:
            self.cfg, self._twin = twin
            self.model, self.device, self.backend = None, "cpu", "opencv"
        else:
            self.cfg, model, _ = load_weights(path)
            self.device = pick_device(device)
            self.model, self._twin, self.backend = model.to(self.device).eval(), None, "torch"

    @functools.cached_property
    def history(self) -> list[dict]:
        """The training log kept in the weights file (read once, on demand: it needs torch)."""
        return load_weights_file(self.path).get("history", [])

    def close(self) -> None:
        """Release the mediapipe graph used for the human-model check (if one was started)."""
        if self._human is not None:
            self._human.close()
            self._human = None

    def __enter__(self) -> AnimePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, images: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """Keypoints ``(N, 18, 3)`` for square RGB images of the network's input size."""
        batch = np.stack([np.asarray(i) for i in images])
        s, n = self.cfg.input_size, len(batch)
        if batch.shape[1:] != (s, s, 3):
            raise ValueError(f"estimate: expected (N, {s}, {s}, 3) RGB, got {batch.shape}; "
                             f"use estimate_image for arbitrary pictures")
        x = normalize_images(batch)
        if self.flip_test:  # the mirrored pictures go in the same batch
            x = np.concatenate([x, x[..., ::-1]])
        hm = self._heatmaps(x)
        if self.flip_test:  # average with the mirrored picture's heatmaps, left/right swapped back
            hm = (hm[:n] + hm[n:, list(FLIP_INDEX), :, ::-1]) / 2
        kps = decode_heatmaps(hm)
        kps[kps[..., 2] < self.cfg.min_confidence] = np.nan
        return kps

    def _heatmaps(self, x: np.ndarray) -> np.ndarray:
        """The refined heatmaps ``(N, 18, S/4, S/4)`` for a normalized batch."""
        if self._twin is not None:
            return self._twin.heatmaps(x)
        import torch

        with torch.inference_mode():
            return self.model(torch.from_numpy(np.ascontiguousarray(x)).to(self.device))[1].float().cpu().numpy()

    def estimate_image(self, image: str | os.PathLike | np.ndarray | Image.Image | Picture,
                       use_human_model: bool | None = None) -> np.ndarray:
        """Pose ``(18, 3)`` of the character in any picture, in that picture's pixels.

        The character is cut to its box (alpha or plain background) and letterboxed to the
        network's square input; absent joints are NaN. With ``second_look`` (the default), when
        the first estimate's skeleton fills much less than that box (a character in a busy
        scene), the network looks again at the skeleton's own box, at a higher resolution.
        With ``use_human_model`` (default: the estimator's setting) mediapipe's human model
        also looks at the picture and the two poses are merged joint by joint (``merge_poses``):
        it is the better model for drawings with near-human proportions, ours for stylised
        (big-head, short-limb) characters. ``last_source`` says which answer was used.
        """
        pic = load_picture(image)
        rgb, box = pic.rgb, pic.box()
        kps = self._estimate_in(rgb, box)
        if self.second_look:
            closer = skeleton_box(kps, rgb.shape[1], rgb.shape[0])
            if closer is not None and _area(closer) < 0.6 * _area(box):
                again = self._estimate_in(rgb, closer)
                if np.isnan(again[:14, 0]).sum() <= np.isnan(kps[:14, 0]).sum():  # never lose joints
                    kps = again
        self.last_source = "anime network"
        if self.use_human_model if use_human_model is None else use_human_model:
            human = self._human_pose(rgb)
            if human is not None:
                merged = merge_poses(kps, human, rgb.shape[1::-1], self.cfg.human_model_confidence,
                                     self.cfg.keep_network_confidence)
                if merged is not None:
                    self.last_source = "anime network + mediapipe human model"
                    return self._arms_shown(pic, merged, named_as(kps, human))
        return kps

    def _arms_shown(self, pic: Picture, merged: np.ndarray, human: np.ndarray) -> np.ndarray:
        """``merged`` with mediapipe's arm where the picture shows it and not the merged one
        (``arms.arms_the_picture_shows``; the cut-out is found only when the arms differ)."""
        from r2a_utils.pose.anime.arms import arms_the_picture_shows, differing_arms
        from r2a_utils.render.cutout import character_mask

        sides = differing_arms(merged, human)
        if not sides:
            return merged
        mask = character_mask(pic.rgb, pic.alpha, merged)
        out, taken = arms_the_picture_shows(pic.rgb, mask, merged, human, sides)
        if taken:
            self.last_source += f" ({' and '.join(taken)} arm{'s' * (len(taken) > 1)} from the human model, " \
                                f"where the picture shows {'them' if len(taken) > 1 else 'it'})"
        return out

    def _estimate_in(self, rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """The network on ``box`` of the picture, letterboxed to its square input; picture pixels out."""
        x0, y0, x1, y1 = box
        crop = rgb[y0:y1, x0:x1]
        s = self.cfg.input_size
        k = s / max(crop.shape[:2])
        nw, nh = max(1, round(crop.shape[1] * k)), max(1, round(crop.shape[0] * k))
        canvas = np.full((s, s, 3), 255, np.uint8)
        ox, oy = (s - nw) // 2, (s - nh) // 2
        canvas[oy:oy + nh, ox:ox + nw] = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
        kps = self.estimate(canvas[None])[0]
        kps[:, 0] = (kps[:, 0] - ox) / k + x0
        kps[:, 1] = (kps[:, 1] - oy) / k + y0
        return kps

    def _human_pose(self, rgb: np.ndarray) -> np.ndarray | None:
        """mediapipe on the picture (its visibility as confidence), or None when it finds nobody.

        A figure that fills the picture (cut at the thighs, head near the top) is often not
        found; then it looks again with room around the picture, which it needs to see a body,
        and joints beyond the picture's edge keep their place out there.
        """
        from r2a_utils.pose.human import HumanPoseEstimator

        if self._human is None:
            self._human = HumanPoseEstimator()
        kps = self._human.estimate_images([rgb])[0]
        if np.isnan(kps[list(UPPER_BODY), 0]).any():
            h, w = rgb.shape[:2]
            top, bottom, side = int(0.04 * h), int(0.2 * h), int(0.1 * w)
            roomy = cv2.copyMakeBorder(rgb, top, bottom, side, side, cv2.BORDER_CONSTANT, value=(255, 255, 255))
            kps = self._human.estimate_images([roomy])[0]
            kps[:, 0] -= side
            kps[:, 1] -= top
        return None if np.isnan(kps[list(UPPER_BODY), 0]).any() else kps


def _area(box: tuple[int, int, int, int]) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def skeleton_box(kps: np.ndarray, width: int, height: int, margin: float = 0.25) -> tuple[int, int, int, int] | None:
    """A square-ish box around a first estimate's body joints, with room for hair, hands and
    feet (``margin`` of the skeleton's size on each side), inside the picture; None when the
    first look found too little (fewer than 8 body joints) to say where the character is."""
    body = kps[:14, :2]
    found = body[~np.isnan(body).any(axis=1)]
    if len(found) < 8:
        return None
    (x0, y0), (x1, y1) = found.min(0), found.max(0)
    size = max(x1 - x0, y1 - y0)
    pad = margin * size + 0.1 * size
    box = (int(max(0, x0 - pad)), int(max(0, y0 - pad * 1.3)), int(min(width, x1 + pad)), int(min(height, y1 + pad)))
    return box if box[2] - box[0] > 8 and box[3] - box[1] > 8 else None


UPPER_BODY = tuple(J[n] for n in ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
                                   "left_elbow", "left_wrist", "right_hip", "left_hip"))
LOWER_LEGS = tuple(J[f"{s}_{n}"] for s in ("right", "left") for n in ("knee", "ankle"))


def _sides(kps: np.ndarray) -> tuple[float, float]:
    """Which way left lies from right, across the shoulders and across the hips (+1, -1, 0 or NaN)."""
    x = kps[:, 0]
    return (float(np.sign(x[J["left_shoulder"]] - x[J["right_shoulder"]])),
            float(np.sign(x[J["left_hip"]] - x[J["right_hip"]])))


def named_as(network: np.ndarray, human: np.ndarray) -> np.ndarray:
    """mediapipe's pose with left and right as the network names them, when both models name
    the sides of shoulders and hips consistently and disagree (mediapipe mirrors some anime faces)."""
    (ns, nh), (hs, hh) = _sides(network), _sides(human)
    return human[list(FLIP_INDEX)] if ns == nh != 0 and hs == hh != 0 and ns != hs else human


def merge_poses(network: np.ndarray, human: np.ndarray, size: tuple[int, int], human_confidence: float = 0.95,
                keep_network: float = 0.6) -> np.ndarray | None:
    """The anime network's and mediapipe's poses of one picture ``(18, 3)`` merged joint by joint,
    or None when mediapipe's upper body is not sure enough to use.

    - mediapipe's upper body (head, shoulders, arms, hips) counts when its visibilities average
      ``human_confidence`` (none below 0.5) and it stands upright (nose above neck above hips);
    - left and right follow the network when both models name the sides of shoulders and hips
      consistently and disagree (mediapipe mirrors some anime faces);
    - a joint the network is sure of (heatmap peak >= ``keep_network``) keeps the network's
      place: that is the network on stylised characters, where mediapipe guesses human ones;
      an elbow, wrist, knee or ankle only when it hangs from the joint kept above it
      (``_hangs_from_kept``);
    - knees and ankles: mediapipe's when it sees them (visibility >= 0.5) or when they lie
      beyond the picture's edge (``size`` = (width, height)): a figure cut at the thighs; the
      network's otherwise, if it hangs them from the same hip (``_same_hip``).
    """
    v = human[list(UPPER_BODY), 2]
    if np.isnan(v).any() or v.mean() < human_confidence or v.min() < 0.5:
        return None
    y = human[:, 1]
    if not y[J["nose"]] < y[J["neck"]] < (y[J["right_hip"]] + y[J["left_hip"]]) / 2:
        return None
    human = named_as(network, human)
    if _sides(network)[1] * _sides(human)[1] < 0:  # the network's legs named as mediapipe names them
        network = network[list(FLIP_INDEX)]
    out = human.copy()
    sure = np.nan_to_num(network[:, 2], nan=0.0) >= keep_network
    cut_off = beyond_edge(human, size)
    for j in range(len(out)):
        if j in LOWER_LEGS and not sure[j]:
            if (human[j, 2] >= 0.5 or cut_off[j] or np.isnan(human[j, 0]) or np.isnan(network[j, 0])
                    or not _same_hip(network, human, j)):
                continue
            out[j] = network[j]
        elif sure[j] and j in UPPER_BODY + LOWER_LEGS and _hangs_from_kept(network, out, j):
            out[j] = network[j]
    return out


# the joint a limb joint hangs from: elbow <- shoulder, wrist <- elbow, knee <- hip, ankle <- knee
_PARENT = {J[f"{s}_{c}"]: J[f"{s}_{p}"] for s in ("right", "left")
           for c, p in (("elbow", "shoulder"), ("wrist", "elbow"), ("knee", "hip"), ("ankle", "knee"))}


def _hangs_from_kept(network: np.ndarray, merged: np.ndarray, j: int) -> bool:
    """Whether the network's joint ``j`` hangs from the joint the merge keeps for its parent:
    the network places that parent within half its own bone (parent to ``j``) of the merged
    one. A network that misread the figure (a whole skeleton squeezed into the blouse of a
    figure cut at the thighs) can still be sure of one wrist, which then sits on nothing the
    merged arm has."""
    if j not in _PARENT:
        return True
    parent = _PARENT[j]
    bone = np.linalg.norm(network[j, :2] - network[parent, :2])
    return bool(np.linalg.norm(network[parent, :2] - merged[parent, :2]) <= 0.5 * bone)


def _same_hip(network: np.ndarray, human: np.ndarray, j: int) -> bool:
    """Whether the network's knee or ankle ``j`` hangs from the hip the merge keeps: the two
    models place that hip within half the network's thigh of each other. (On a picture cut at
    the thighs the network can squeeze a whole figure into it, knees at the waist; grafted
    under mediapipe's hip, such a knee would sit above it.)"""
    side = "right" if j in (J["right_knee"], J["right_ankle"]) else "left"
    hip, knee = J[f"{side}_hip"], J[f"{side}_knee"]
    thigh = np.linalg.norm(network[knee, :2] - network[hip, :2])
    return bool(np.linalg.norm(network[hip, :2] - human[hip, :2]) <= 0.5 * thigh)


def plausible_standing_pose(kps: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """A sanity check for a character picture's pose: every body joint inside the character's
    box, head above neck above hips above ankles, shoulders and hips on the sides they should be
    (left/right may both be mirrored, as in a back view, but not crossed one way and not the other)."""
    x0, y0, x1, y1 = box
    body = kps[:14, :2]
    if np.isnan(body).any():
        return False
    pad = 0.05 * max(x1 - x0, y1 - y0)
    if ((body[:, 0] < x0 - pad) | (body[:, 0] > x1 + pad) | (body[:, 1] < y0 - pad) | (body[:, 1] > y1 + pad)).any():
        return False
    y = lambda n: kps[J[n], 1]  # noqa: E731
    mid_hip = (y("right_hip") + y("left_hip")) / 2
    ankles = (y("right_ankle") + y("left_ankle")) / 2
    if not (y("nose") < y("neck") < mid_hip < ankles):
        return False
    shoulders, hips = _sides(kps)
    return bool(shoulders == hips != 0)


def require_confident_pose(kps: np.ndarray, path: str | os.PathLike | None = None,
                           required: Sequence[str] = BODY_JOINTS) -> np.ndarray:
    """Raise ``CharacterImageError`` pointing to a joints file when body joints are missing:
    by default any of the 13 every renderer needs (a joints file must have them too), so a
    pose found without a wrist is refused here, naming the picture, not later by the renderer."""
    missing = missing_joints(kps, required)
    if missing:
        raise CharacterImageError(path, f"no confident pose found (missing {', '.join(missing)}); place the "
                                        f"joints in the joints editor (demo app: step 2, 'Check the character'; "
                                        f"notebooks: r2a_utils.joints_editor.joints_widget) and pass the saved "
                                        f"joints file")
    return kps


