"""Print the kit's performance figures on this machine (not a test: numbers to compare).

    ./kit bench [--frames N] [--size 192x256]

Stage 1: procedural character render frames/second; video decode and encode frames/second
of the embedded sample. Stage 2a: mediapipe pose and smoothing frames/second.
Stage 2a (anime): pose milliseconds per image. Stage 2b: normalization frames/second.
Later stages add their figures here.
"""
from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import psutil

from r2a_utils.characters import builtin_dance, layout_for_character, random_character, render_character
from r2a_utils.metrics import frames_per_second
from r2a_utils.samples import sample_video
from r2a_utils.video import VideoReader, write_video


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--size", default="192x256", help="render size WIDTHxHEIGHT (the report's 256x192 is HxW)")
    ap.add_argument("--video", help="video for the pose figure (default: dance_stage.mp4 if fetched, else the sample)")
    ap.add_argument("--character", help="character picture for the pipeline figure (default: embedded)")
    ap.add_argument("--joints", help="joints JSON for --character")
    ap.add_argument("--long-video-seconds", type=float, default=0,
                    help="also animate a looped 720p clip this long and print memory as it goes")
    ap.add_argument("--skip-tearing", action="store_true", help="skip the renderers-on-real-pictures figures (~15 min)")
    ap.add_argument("--sheets", help="also write contact sheets (PNG) of the tearing figures' frames to this folder")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    print(f"machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cpus, python {platform.python_version()}")
    motion = builtin_dance(a.frames)
    fps_by_seed = []
    for seed in range(5):
        spec = random_character(seed)
        tr = layout_for_character(motion, spec, (w, h))
        fps_by_seed.append(frames_per_second(
            lambda t: render_character(spec, tr.keypoints[t], (w, h), tr.scale, tr.depth[t]), a.frames))
    print(f"stage1 render {w}x{h}: {np.median(fps_by_seed):.0f} frames/s (median of 5 characters, "
          f"min {min(fps_by_seed):.0f})")
    bench_anime_characters()
    video = sample_video(num_frames=48)
    t0 = time.perf_counter()
    frames = list(VideoReader(video))
    dec = len(frames) / (time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        write_video(f"{d}/bench.mp4", frames, 24)
        enc = len(frames) / (time.perf_counter() - t0)
    print(f"video decode {frames[0].shape[1]}x{frames[0].shape[0]}: {dec:.0f} frames/s; encode h264: {enc:.0f} frames/s")
    bench_pose(a.video)
    bench_anime_pose()
    bench_normalize()
    bench_renderers(w, h)
    bench_renderers(500, 500)  # AnimatedDrawings' frame loop: 10.6-11.6 frames/s at this size
    bench_renderer_truth()
    bench_cutout_scenes()
    bench_pipeline(a.video, a.character, a.joints)
    bench_pipeline(a.video, a.character, a.joints, height=384)
    if not a.skip_tearing:
        bench_tearing_drawn(a.sheets)
        bench_tearing_sample()
        bench_tearing_real_drawings(sheets=a.sheets)
    if a.long_video_seconds:
        bench_long_video(a.long_video_seconds)
    print(f"peak RSS: {psutil.Process().memory_info().rss / 2**20:.0f} MB")


def _real_clip() -> str:
    """dance_stage.mp4 when the sample data is reachable, else the embedded sample video."""
    try:
        from r2a_utils.data import fetch

        return str(fetch("dance_stage"))
    except Exception:  # no data here: the embedded sample still gives a figure
        return str(sample_video(num_frames=48))


def bench_pose(video: str | None) -> None:
    """Stage 2a: mediapipe frames/second on a real clip (or the embedded sample), and smoothing."""
    from r2a_utils.pose import HumanPoseEstimator
    from r2a_utils.smoothing import SmoothingConfig, smooth_keypoints
    from r2a_utils.video import read_frames

    video = video or _real_clip()
    frames = read_frames(video, max_frames=120)
    with HumanPoseEstimator() as est:
        steps = iter(est.track(frames, 24.0))
        fps = frames_per_second(lambda t: next(steps), len(frames))
        kps = est.estimate(frames, 24.0)
    h, w = frames[0].shape[:2]
    print(f"stage2a pose (mediapipe, complexity 1) {w}x{h}: {fps:.1f} frames/s over {len(frames)} frames")
    for method in ("savgol", "one_euro"):
        cfg = SmoothingConfig(method=method)
        t0 = time.perf_counter()
        smooth_keypoints(kps, 24.0, cfg)
        print(f"stage2a smoothing {method}: {len(kps) / (time.perf_counter() - t0):.0f} frames/s")


def bench_anime_characters(n: int = 200) -> None:
    """Stage 1 for the pose network: anime-look characters in random poses at 256x256."""
    from r2a_utils.characters import Motion, random_pose

    rng = np.random.default_rng(0)
    jobs = []
    for seed in range(n):
        spec = random_character(seed)
        tr = layout_for_character(Motion(random_pose(rng, spec.rest_pose(), 180.0, 0.2)[None], 24.0, "p"),
                                  spec, (256, 256), margin=0.04)
        jobs.append((spec, tr))
    fps = frames_per_second(lambda t: render_character(jobs[t][0], jobs[t][1].keypoints[0], (256, 256),
                                                       jobs[t][1].scale, jobs[t][1].depth[0]), n)
    print(f"stage1 anime characters, {n} different ones in random poses at 256x256: {fps:.0f} renders/s")


def bench_anime_pose() -> None:
    """Stage 2a (anime side): milliseconds per character picture (embedded character; a real
    drawing in a busy scene when the shared data is here), and Table 1 on the 16 real
    development drawings: PCKh@0.5 and whole poses found, per estimator."""
    from r2a_utils.data import default_mirror
    from r2a_utils.pose.anime import WEIGHTS, AnimePoseEstimator
    from r2a_utils.pose.anime.evaluate import evaluate_scenes, table_1
    from r2a_utils.samples import sample_character

    if not WEIGHTS.exists():
        print("stage2a anime pose: no shipped weights, skipped")
        return
    est = AnimePoseEstimator()
    path = sample_character()
    est.estimate_image(path)  # warm-up
    fps = frames_per_second(lambda t: est.estimate_image(path), 30)
    print(f"stage2a anime pose ({est.cfg.input_size}px input, {est.device}): {1000 / fps:.1f} ms per image "
          f"incl. loading, cropping and the mediapipe check")
    net = AnimePoseEstimator(use_human_model=False)
    for name, e in (("anime network alone", net), ("network merged with mediapipe (the CLI)", est)):
        print(f"stage2a {name} on 60 procedural scenes (whole pictures): PCKh@0.5 {evaluate_scenes(e)['pckh']:.3f}")
    mirror = default_mirror()
    dev = mirror / "anime_drawings_dev" if mirror else None
    if dev is None or not dev.is_dir():
        print("stage2a anime pose on real drawings: shared data not here, skipped")
        return
    busy = dev / "1637864.jpg"
    fps = frames_per_second(lambda t: net.estimate_image(busy), 10)
    print(f"stage2a anime network alone, a 430x600 drawing in a busy scene: {1000 / fps:.1f} ms per image")
    for name, r in table_1(dev, mirror / "anime_drawings_dataset" / "data.json").items():
        print(f"stage2a {name} on {r['images']} real drawings: PCKh@0.5 {r['pckh']:.3f}, whole poses "
              f"{r['complete']}, plausible standing {r['plausible']}")


def bench_normalize() -> None:
    """Stage 2b: normalization frames/second on the built-in dance."""
    from r2a_utils.normalize import normalization_ground_truth, normalize_to_character

    real, char, _, _ = normalization_ground_truth(builtin_dance(480), random_character(0))
    t0 = time.perf_counter()
    normalize_to_character(real, char)
    print(f"stage2b normalization: {len(real) / (time.perf_counter() - t0):.0f} frames/s")


def bench_renderers(w: int, h: int) -> None:
    """Stage 3 renderers alone, one frame at a time at the output size (the sample character)."""
    from r2a_utils.render import MeshRenderer, PartsRenderer
    from r2a_utils.render.gan import GANRenderer
    from r2a_utils.transfer.data import character_spec, heldout_poses

    ref, ref_kps, _, targets = heldout_poses(character_spec("sample"), (w, h), n=40, dance_frames=8)
    for name, make in (("warp (mesh)", lambda: MeshRenderer(ref, ref_kps)), ("parts", lambda: PartsRenderer(ref, ref_kps)),
                       ("gan (128x96 network, scaled up)", lambda: GANRenderer(ref, ref_kps, device="cpu"))):
        r = make()
        r.render(targets[0])  # warm-up
        fps = frames_per_second(lambda t: r.render(targets[t % len(targets)]), 96)
        print(f"stage3 renderer {name} {w}x{h}: {fps:.0f} frames/s")


def _pipeline_run(video, character, joints, out, height, on_progress=None, renderer="warp"):
    from r2a_utils.pipeline import PipelineConfig, animate

    return animate(video, character, out, PipelineConfig(height=height, renderer=renderer),
                   character_joints_file=joints, progress=False, on_progress=on_progress)


def bench_renderer_truth(pairs: int = 24) -> None:
    """SSIM against Stage 1: a character drawn in A-pose is rendered into a dance pose and
    compared with Stage 1's own render of that pose (classic and anime-look characters)."""
    from r2a_utils.metrics import ssim
    from r2a_utils.render.quality import stage1_pair
    from r2a_utils.viz import to_rgb

    makers = _warping_renderers()
    for look in ("classic", "anime"):
        scores = {name: [] for name in makers}
        for i in range(pairs):
            ref, ref_kps, tgt, depth, truth = stage1_pair(100 + i, 6 + (i * 7) % 40, look)
            for name, make in makers.items():
                scores[name].append(ssim(to_rgb(make(ref, ref_kps).render(tgt, depth)), to_rgb(truth)))
        print(f"renderers vs Stage 1 truth, {pairs} {look}-look pairs, SSIM: "
              + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in scores.items()))


def bench_cutout_scenes(n: int = 120) -> None:
    """The cut-out against the truth on held-out procedural characters in random scenes (the
    anime pose network's scene test, here with the true joints): IoU of the cut-out the kit
    uses (``character_mask``), and on the busy scenes of GrabCut alone and with mediapipe's
    person segmentation (the default)."""
    from r2a_utils.pose.anime.evaluate import procedural_scenes
    from r2a_utils.render.cutout import character_mask, grabcut_cutout, plain_background

    iou = lambda m, t: (m & t).sum() / max((m | t).sum(), 1)  # noqa: E731
    pics, kps, _, masks = procedural_scenes(n)
    used, alone, person = [], [], []
    for pic, k, truth in zip(pics, kps, masks):
        used.append(iou(character_mask(pic, None, k), truth))
        if not plain_background(pic):
            alone.append(iou(grabcut_cutout(pic, k, person=False), truth))
            person.append(iou(grabcut_cutout(pic, k), truth))
    print(f"cut-out IoU, {n} procedural characters in scenes (true joints): the kit's {np.mean(used):.3f}; "
          f"the {len(alone)} busy ones: GrabCut alone {np.mean(alone):.3f}, with the person segmentation "
          f"{np.mean(person):.3f} (better on {sum(p > a + 0.02 for a, p in zip(alone, person))}, "
          f"worse on {sum(p < a - 0.02 for a, p in zip(alone, person))})")


def bench_pipeline(video: str | None, character: str | None, joints: str | None, height: int = 256) -> None:
    """End to end: per-stage seconds and frames/second at ``height``-pixel-high output."""
    from r2a_utils.pose.human import HumanPoseConfig
    from r2a_utils.pose.track import pose_cache_path
    from r2a_utils.samples import sample_character

    video = video or _real_clip()
    if character is None:
        character = str(sample_character())
        joints = joints or str(sample_character().with_suffix(".joints.json"))
    with tempfile.TemporaryDirectory() as d:
        pose_cache_path(video, HumanPoseConfig()).unlink(missing_ok=True)  # time the pose stage too
        res = _pipeline_run(video, character, joints, d, height)
        s = res.seconds
        cached = s["character"] + s["normalize"] + s["render"]  # the character is found during the pose stage
        print(f"pipeline (warp) {res.size[0]}x{res.size[1]} on {Path(video).name}, {res.frames} frames: "
              f"end to end {res.frames / s['total']:.1f} frames/s; per stage frames/s: pose "
              f"{res.frames / s['pose']:.1f}, render+encode {res.frames / s['render']:.1f}; "
              f"with the pose cached: {res.frames / cached:.1f} frames/s")
        if character == str(sample_character()) and height == 256:  # the GAN weights know this character only
            res = _pipeline_run(video, character, joints, d, 256, renderer="gan")
            s = res.seconds
            print(f"pipeline (gan) {res.size[0]}x{res.size[1]}, pose cached: end to end "
                  f"{res.frames / s['total']:.1f} frames/s, render+encode {res.frames / s['render']:.1f}")


def _shared() -> Path | None:
    import os

    root = Path(os.environ.get("R2A_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    return root if root.exists() else None


ROOM = 0.5  # room around a drawn character, a share of its width and height on every side


def _padded_drawing(folder: Path):
    """An AnimatedDrawings character with ``ROOM`` on every side for outstretched arms and
    jumps (jumping jacks lift the head above the picture's top edge)."""
    from r2a_utils.joints import load_animated_drawing

    return load_animated_drawing(folder, room=ROOM)


def _warping_renderers() -> dict:
    """The training-free renderers the benchmarks compare, each ``(picture, joints, mask=None)
    -> renderer``: the mesh with linear-blend skinning (``warp``, the default), the same mesh
    with ARAP, and rigid parts (the kit's first renderer)."""
    from functools import partial

    from r2a_utils.render import MeshRenderer, PartsRenderer

    return {"warp": MeshRenderer, "warp with ARAP": partial(MeshRenderer, deform="arap"), "parts": PartsRenderer}


def _bvh_targets(path: Path, kps: np.ndarray, fps: float | None = 15.0) -> np.ndarray:
    from r2a_utils.characters.bvh import bvh_to_motion, parse_bvh
    from r2a_utils.normalize import keep_drawn_hip_width, normalize_to_character

    m = bvh_to_motion(parse_bvh(path), fps=fps)  # as the pipeline retargets it: the hips as wide as drawn
    return keep_drawn_hip_width(normalize_to_character(m.joints[..., :2], kps), kps)  # (T, 18, 3)


def bench_tearing_drawn(sheets: str | None = None) -> None:
    """Torn frames and notches of the warping renderers (the mesh with linear-blend skinning,
    the default; the mesh with ARAP; rigid parts) on the drawn characters x every BVH clip,
    and their speed at 500x500 (AnimatedDrawings' own frame loop: 10.6-11.6 frames/s).
    With ``sheets`` (a folder), the default renderer's torn frames and frames whose only slit
    the pose closes are drawn there, one sheet per character (``_tear_sheet``)."""
    from r2a_utils.canvas import fit_box, place_image
    from r2a_utils.render.quality import renderer_tears, tear_report

    shared = _shared()
    if shared is None:
        print("tearing: ../shared/data not found, skipped")
        return
    renderers = _warping_renderers()
    for name in ("drawn_char1", "drawn_char2", "drawn_char4"):
        ref, kps = _padded_drawing(shared / "characters" / name)
        clips = {clip: _bvh_targets(clip, kps) for clip in sorted((shared / "bvh").rglob("*.bvh"))}
        # an output canvas that holds every pose (drawn_char4's arms leave the padded picture in
        # 300 of its 958 frames, and a hand coming back into it would count as a piece apart);
        # the picture, and so the rig, is the same
        xy = np.concatenate([t[..., :2].reshape(-1, 2) for t in clips.values()])
        h, w = ref.shape[:2]
        m = int(np.ceil(max(0.0, -np.nanmin(xy), np.nanmax(xy[:, 0]) - w, np.nanmax(xy[:, 1]) - h))) + 40
        shift = np.array([m, m, 0], np.float32)
        for label, cls in renderers.items():
            r, torn, enclosed, frames, notch = cls(ref, kps, size=(w + 2 * m, h + 2 * m)), 0, 0, 0, []
            flagged = []
            for clip, targets in clips.items():
                rep = renderer_tears(r, targets + shift[:targets.shape[-1]], kps + shift)
                torn, enclosed, frames = torn + rep["torn"], enclosed + rep["enclosed"], frames + rep["frames"]
                notch.append(rep["notch_share"])
                moved = targets + shift[:targets.shape[-1]]
                flagged += [(f"{clip.stem} {i}{' torn' * (i in rep['torn_frames'])}", moved[i])
                            for i in sorted(rep["torn_frames"] + rep["pose_closed_frames"])]
            if sheets and label == next(iter(renderers)) and flagged:
                _tear_sheet(Path(sheets) / f"{name}_flagged.png", r, kps + shift, flagged[:24])
            print(f"tearing {name} x 6 BVH clips at 15 fps, {label}: torn {torn}/{frames} frames (and {enclosed} "
                  f"more with a slit the pose closes: {torn + enclosed} counting those), notches "
                  f"{100 * np.mean(notch):.2f}% of the figure (rest picture {100 * rep['rest_notch_share']:.2f}%)")
    ref, kps = _padded_drawing(shared / "characters" / "drawn_char1")
    dab = _bvh_targets(shared / "bvh" / "fair1" / "dab.bvh", kps, fps=None)  # all 339 frames
    # framed as the issue measured it: the drawing with half its width on each side, and every pose
    h, w = ref.shape[0] / (1 + 2 * ROOM), ref.shape[1] / (1 + 2 * ROOM)  # the drawing's own size
    top, left = ROOM * h, ROOM * w - w / 2
    xy = np.concatenate([dab[..., :2].reshape(-1, 2), [[left, top], [left + 2 * w, top + h]]])
    p = fit_box((*xy.min(0), *xy.max(0)), (500, 500), 0.03)
    small, k500, t500 = place_image(ref, p, (500, 500)), p.apply(kps), p.apply(dab)
    for label, cls in renderers.items():
        r = cls(small, k500)
        rep = tear_report((r.render(t) for t in t500), r.render(k500))
        fps = frames_per_second(lambda t: r.render(t500[t % len(t500)]), len(t500))
        print(f"drawn_char1 x dab.bvh at 500x500, {label}: {fps:.1f} frames/s, notches "
              f"{100 * rep['notch_share']:.3f}% (rest {100 * rep['rest_notch_share']:.3f}%), torn {rep['torn']}/{rep['frames']}")


def bench_tearing_sample(height: int = 384) -> None:
    """Torn frames and notches of the default renderer on the embedded sample character x both
    real videos, through the pipeline's own stages (retarget, canvas) at ``height`` px."""
    from r2a_utils.pipeline import load_character, place_on_canvas, retarget, track_motion
    from r2a_utils.render import MeshRenderer
    from r2a_utils.render.quality import renderer_tears
    from r2a_utils.samples import sample_character

    shared = _shared()
    if shared is None:
        print("tearing on the real videos: ../shared/data not found, skipped")
        return
    char = load_character(sample_character(), sample_character().with_suffix(".joints.json"))
    for video in ("dance_stage.mp4", "dance_indoor.mp4"):
        staged = place_on_canvas(char, retarget(track_motion(shared / "videos" / video, progress=False), char)[0],
                                 height)
        rest = staged.character_keypoints
        r = MeshRenderer(staged.reference, rest, staged.mask)
        rep = renderer_tears(r, staged.targets, rest)
        print(f"tearing sample character x {video} at {height} px, warp: torn {rep['torn']}/{rep['frames']} frames "
              f"(and {rep['enclosed']} more with a slit the pose closes), notches {100 * rep['notch_share']:.2f}% "
              f"(rest picture {100 * rep['rest_notch_share']:.2f}%)")


def bench_tearing_real_drawings(heights: tuple[int, ...] = (352, 384, 416), sheets: str | None = None) -> None:
    """Torn frames of the warping renderers (mesh with linear-blend skinning, mesh with ARAP,
    rigid parts) on the 16 real anime drawings (ground-truth joints) animated with
    dance_stage, through the pipeline's own stages, at several output heights: one drawing
    can cross the tear threshold at one size and not at the next, so one size alone is a
    noisy figure (the printed share is over all sizes). With ``sheets`` (a folder), the default
    renderer's frames at the middle height are drawn there: six evenly spaced frames of each
    drawing, its torn ones first (``_tear_sheet``)."""
    from r2a_utils.joints import from_anime_drawings_file, save_joints
    from r2a_utils.picture import load_picture
    from r2a_utils.pipeline import load_character, place_on_canvas, retarget, track_motion
    from r2a_utils.render.bones import drawn_pose
    from r2a_utils.render.cutout import plain_background
    from r2a_utils.render.quality import renderer_tears

    shared = _shared()
    if shared is None:
        print("tearing on real drawings: ../shared/data not found, skipped")
        return
    renderers = _warping_renderers()
    entries = json.loads((shared / "anime_drawings_dataset" / "data.json").read_text())
    index = {e["file_name"].rsplit("/", 1)[-1].split(".")[0]: i for i, e in enumerate(entries)}
    motion = track_motion(shared / "videos" / "dance_stage.mp4", progress=False)
    share = {(label, h): {"plain": [], "busy": []} for label in renderers for h in heights}
    enclosed = dict.fromkeys(renderers, 0)
    per_drawing = {label: {} for label in renderers}  # torn frames per drawing, at each height
    with tempfile.TemporaryDirectory() as d:
        for path in sorted((shared / "anime_drawings_dev").iterdir()):
            size = load_picture(path).size
            joints = save_joints(Path(d) / f"{path.stem}.joints.json", from_anime_drawings_file(
                shared / "anime_drawings_dataset" / "data.json", index[path.stem], size))
            char = load_character(path, joints)  # the pipeline's own stages: cut-out, canvas
            kind = "plain" if plain_background(char.picture.rgb) else "busy"
            for h in heights:
                staged = place_on_canvas(char, retarget(motion, char)[0], h)
                rest = staged.character_keypoints
                poses = [drawn_pose(rest, t) for t in staged.targets]  # the same for every renderer
                for label in renderers:
                    r = renderers[label](staged.reference, rest, staged.mask)
                    rep = renderer_tears(r, staged.targets, rest, poses)
                    share[label, h][kind].append(rep["torn_share"])
                    enclosed[label] += rep["enclosed"]
                    per_drawing[label].setdefault(path.stem, []).append(rep["torn"])
                    if sheets and label == next(iter(renderers)) and h == heights[len(heights) // 2]:
                        even = np.linspace(0, len(staged.targets) - 1, 6).astype(int).tolist()
                        shown = sorted((rep["torn_frames"] + [i for i in even if i not in rep["torn_frames"]])[:6])
                        _tear_sheet(Path(sheets) / f"real_{path.stem}_{h}px.png", r, rest,
                                    [(f"{i}{' torn' * (i in rep['torn_frames'])}", staged.targets[i]) for i in shown])
    for label in renderers:
        kinds = {k: [v for h in heights for v in share[label, h][k]] for k in ("plain", "busy")}
        by_size = "; ".join(f"{h} px {100 * np.mean(share[label, h]['plain']):.0f}% / "
                            f"{100 * np.mean(share[label, h]['busy']):.0f}%" for h in heights)
        print(f"16 real anime drawings x dance_stage, {label}: torn frames "
              + ", ".join(f"{k} backgrounds {100 * np.mean(v):.0f}% ({len(v) // len(heights)} drawings)"
                          for k, v in kinds.items()) + f" (plain / busy by output height: {by_size}); "
              f"not counted: {enclosed[label]} frames whose only slit the pose closes")
        torn = {stem: n for stem, n in per_drawing[label].items() if any(n)}
        print(f"  torn frames per drawing at {' / '.join(map(str, heights))} px: "
              + (", ".join(f"{stem} {'/'.join(map(str, n))}" for stem, n in torn.items()) or "none")
              + f"; the other {len(per_drawing[label]) - len(torn)} drawings none")


def _tear_sheet(path: Path, renderer, rest: np.ndarray, frames: list[tuple[str, np.ndarray]]) -> None:
    """A contact sheet of ``renderer``'s rest render and the titled ``frames`` (target poses),
    with what ``tear_report`` looks at coloured (``quality.tear_view``: pieces apart red, slits
    magenta, blue where the pose makes them)."""
    from r2a_utils.render.bones import drawn_pose
    from r2a_utils.render.quality import tear_view
    from r2a_utils.viz import fit_height, image_grid

    def around_figure(view: np.ndarray, frame: np.ndarray) -> np.ndarray:
        ys, xs = np.nonzero(frame[..., 3] > 127)
        if not len(ys):
            return view
        m = 10
        crop = view[max(ys.min() - m, 0):ys.max() + m + 1, max(xs.min() - m, 0):xs.max() + m + 1]
        return np.pad(crop, ((crop.shape[0] // 8, 0), (0, 0), (0, 0)), constant_values=255)  # room for the title

    at_rest = renderer.render(rest)
    tiles, titles = [around_figure(tear_view(at_rest), at_rest)], ["rest"]
    for title, target in frames:
        frame, owners = renderer.render_with_owners(target)
        tiles.append(around_figure(tear_view(frame, drawn_pose(rest, target), owners), frame))
        titles.append(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = image_grid([fit_height(t, 240) for t in tiles], ncols=7, titles=titles)
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))


def bench_long_video(seconds: float) -> None:
    """Memory over a long 720p video: peak RSS at quarters of the run should stay flat."""
    from r2a_utils.samples import sample_character
    from r2a_utils.video import VideoReader, VideoWriter

    src = _real_clip()
    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as d:
        long = f"{d}/long.mp4"
        with VideoReader(src) as r:
            fps, clip = r.fps, list(r)
        n = int(seconds * float(fps))
        with VideoWriter(long, fps, (clip[0].shape[1], clip[0].shape[0])) as w:
            for i in range(n):  # forwards then backwards, so the motion stays continuous
                k = i % (2 * len(clip) - 2)
                w.write(clip[k if k < len(clip) else 2 * len(clip) - 2 - k])
        del clip
        marks = []

        def on_progress(frac, stage):
            marks.append((round(frac, 2), stage, proc.memory_info().rss / 2**20))

        t0 = time.perf_counter()
        character = sample_character()
        res = _pipeline_run(long, str(character), str(character.with_suffix(".joints.json")), d, 256, on_progress)
        took = time.perf_counter() - t0
    render = [m for m in marks if m[1] == "rendering"]
    quarters = [render[int(q * (len(render) - 1))] for q in (0, 0.25, 0.5, 0.75, 1.0)]
    print(f"long video: {n} frames ({seconds:.0f} s of 720p) in {took:.0f} s "
          f"({res.frames / took:.1f} frames/s end to end)")
    print("  RSS while rendering: " + ", ".join(f"{100 * f:.0f}% {rss:.0f} MB" for f, _, rss in quarters))


if __name__ == "__main__":
    main()
