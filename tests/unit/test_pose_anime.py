"""Stage 2a, anime side: input handling, the shipped weights, PCKh, and a real drawing."""
import numpy as np
import pytest

from r2a_utils.picture import CharacterImageError
from r2a_utils.pose.anime import WEIGHTS, AnimePoseConfig, AnimePoseEstimator, decode_heatmaps, require_confident_pose
from r2a_utils.pose.anime.estimator import LOWER_LEGS, merge_poses, plausible_standing_pose
from r2a_utils.pose.anime.evaluate import evaluate_procedural
from r2a_utils.pose.anime.model import WEIGHTS_V1
from r2a_utils.pose.anime.synth import synth_sample
from r2a_utils.pose.anime.train import train_anime_pose
from r2a_utils.samples import sample_character
from r2a_utils.skeleton import J


def test_heatmap_decoding_is_sub_cell():
    hm = np.zeros((1, 18, 32, 32), np.float32)
    yy, xx = np.mgrid[:32, :32]
    cx, cy = 10.3, 20.7
    hm[0, :] = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 1.5 ** 2))
    k = decode_heatmaps(hm)[0, 0]
    assert abs(k[0] - (4 * cx + 1.5)) < 0.6 and abs(k[1] - (4 * cy + 1.5)) < 0.6 and k[2] > 0.9


def test_synthetic_samples_and_a_training_smoke_run(tmp_path):
    cfg = AnimePoseConfig().smoke()
    img, kps, head = synth_sample(np.random.default_rng(0), cfg)
    assert img.shape == (cfg.input_size, cfg.input_size, 3) and kps.shape == (18, 3) and head > 2
    ckpt = train_anime_pose(cfg, tmp_path / "w.pt", progress=False, log_every=2)
    assert ckpt["config"] == cfg.to_dict() and len(ckpt["history"]) == 3
    est = AnimePoseEstimator(tmp_path / "w.pt")
    assert est.estimate(img[None]).shape == (1, 18, 3)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pt: not a PyTorch weights file"):
        AnimePoseEstimator(tmp_path / "bad.pt")


def test_domain_randomisation_styles_and_framings():
    """Issue 16: backgrounds, drawing styles and framings vary; keypoints stay exact, joints
    cut off by a framing are marked absent (confidence 0) rather than guessed."""
    from r2a_utils.pose.anime.augment import background, halftone, line_art, restyle

    rng = np.random.default_rng(0)
    s = 96
    bgs = [background(rng, s) for _ in range(40)]
    assert all(b.shape == (s, s, 3) and b.dtype == np.float32 and 0 <= b.min() and b.max() <= 255 for b in bgs)
    assert len({round(float(b.std()), 1) for b in bgs}) > 20  # flat ones, busy ones
    img = np.full((s, s, 3), 200, np.float32)
    img[20:70, 30:60] = (200, 40, 40)
    img[20:70, 28:30] = 20  # an outline
    art = line_art(img, rng)
    assert len(np.unique(art)) == 2 and art[40, 29].mean() < 80 and art[5, 5].mean() > 200
    tone = halftone(img, rng)
    assert set(np.unique(tone)) <= {20.0, 255.0}
    out = restyle(img, rng)
    assert out.shape == img.shape
    cfg = AnimePoseConfig(input_size=96, crop_fraction=1.0)  # every picture framed at the thighs or knees
    cut = [synth_sample(rng, cfg)[1] for _ in range(12)]
    legs = [J["right_ankle"], J["left_ankle"]]
    assert np.mean([k[legs, 2].mean() for k in cut]) < 0.5  # ankles mostly out of the picture
    assert all(np.isfinite(k).all() for k in cut)  # no NaN reaches the heatmap targets


def test_real_people_from_real_videos(shared):
    """Real frames with mediapipe's keypoints (the videos, never the scored drawings)."""
    from r2a_utils.pose.anime.augment import RealPeople

    real = RealPeople(shared / "videos", every=6)
    assert len(real) >= 15 and len(real.backdrops) >= 5
    crop, kps = real.crops[0]
    h, w = crop.shape[:2]
    body = kps[:14, :2]
    assert max(h, w) <= 320 and (body >= 0).all() and (body[:, 0] <= w).all() and (body[:, 1] <= h).all()
    cfg = AnimePoseConfig(input_size=96, real_fraction=1.0)
    img, k, head = synth_sample(np.random.default_rng(1), cfg, real=real)
    assert img.shape == (96, 96, 3) and k[:14, 2].sum() >= 10 and head > 2


def test_training_saves_whole_checkpoints_along_the_way(tmp_path):
    """A long run writes a usable file every ``save_every`` steps and stops at ``max_minutes``."""
    cfg = AnimePoseConfig().smoke().replace(steps=5, save_every=2, input_size=64)
    seen = []
    ckpt = train_anime_pose(cfg, tmp_path / "w.pt", progress=False, log_every=1,
                            on_log=lambda e: seen.append(AnimePoseEstimator(tmp_path / "w.pt").history[-1]["step"]
                                                         if (tmp_path / "w.pt").exists() else 0))
    assert seen == [0, 0, 2, 2, 4] and ckpt["history"][-1]["step"] == 5
    quick = train_anime_pose(cfg.replace(steps=1000, max_minutes=1e-4), tmp_path / "q.pt", progress=False)
    assert quick["history"][-1]["step"] < 1000 and (tmp_path / "q.pt").exists()


def test_missing_joints_point_to_a_joints_file():
    kps = np.full((18, 3), np.nan, np.float32)
    with pytest.raises(CharacterImageError, match="joints editor"):
        require_confident_pose(kps, "me.png")


def test_a_pose_found_without_a_wrist_is_refused_naming_the_picture(tmp_path, monkeypatch):
    """Every renderer needs the 13 body joints: a pose the network finds without one is
    refused when the character is loaded, with the picture's name, not later by the renderer."""
    from r2a_utils.joints import load_joints
    from r2a_utils.pipeline import load_character
    from r2a_utils.samples import sample_character
    from r2a_utils.skeleton import J

    src = sample_character()
    kps = load_joints(src.with_suffix(".joints.json")).keypoints.copy()
    assert load_character(src, src.with_suffix(".joints.json")).keypoints.shape == (18, 3)
    kps[J["left_wrist"]] = np.nan
    monkeypatch.setattr(AnimePoseEstimator, "estimate_image", lambda self, image, use_human_model=None: kps.copy())
    with pytest.raises(CharacterImageError, match=r"sample_character.*missing left_wrist.*joints editor"):
        load_character(src)


needs_weights = pytest.mark.skipif(not WEIGHTS.exists(), reason="shipped anime pose weights not present")


@needs_weights
def test_shipped_weights_on_200_held_out_characters(measured):
    """The held-out set is the anime-look, domain-randomised one (issue 16); the first weights
    (v1, classic characters) are scored on it too. Issue 16 asks 0.90: not reached (0.81)."""
    res = evaluate_procedural(AnimePoseEstimator(use_human_model=False), n=200)
    v1 = evaluate_procedural(AnimePoseEstimator(WEIGHTS_V1, use_human_model=False), n=200)
    measured(f"anime pose PCKh@0.5 on 200 held-out procedural characters = {res['pckh']:.3f} (v1 weights "
             f"{v1['pckh']:.3f})")
    assert res["pckh"] >= 0.78 and res["pckh"] > v1["pckh"] + 0.1


@needs_weights
def test_cli_pose_on_real_characters(shared, measured):
    """Issue 16: the pose the CLI takes is whole and plausible on the fighter (refused by the
    v1 weights, arms along the shoulders by the network alone) and the green dress; the bunny's
    folded arms and the garden girl cut at the thighs are found (both were refused); on the 16
    dev drawings it is counted, not asserted high."""
    from r2a_utils.picture import load_picture
    from r2a_utils.pose.anime.estimator import plausible_standing_pose

    est = AnimePoseEstimator()
    for name in ("anime_fighter_plain.jpeg", "anime_green_dress.png"):
        pic = load_picture(shared / "characters" / name)
        kps = est.estimate_image(pic)
        assert not np.isnan(kps[:14, :2]).any() and plausible_standing_pose(kps, pic.box()), name
        if name.startswith("anime_fighter"):  # both hands raised above the head, as drawn
            assert (kps[[J["right_wrist"], J["left_wrist"]], 1] < kps[J["nose"], 1]).all()
    # the bunny folds her hands in front of her chest (the network alone hangs an arm at her ear)
    pic = load_picture(shared / "characters" / "bunny_dress_library.jpeg")
    kps = est.estimate_image(pic)
    chest = kps[[J["right_shoulder"], J["left_shoulder"], J["right_hip"], J["left_hip"]], :2]
    hands = kps[[J["right_wrist"], J["left_wrist"]], :2]
    room = 0.1 * (chest.max(0) - chest.min(0))
    assert ((hands >= chest.min(0) - room) & (hands <= chest.max(0) + room)).all()
    # the garden girl is cut at the thighs: her upper body in the picture, her ankles below it
    pic = load_picture(shared / "characters" / "anime_girl_garden.png")
    kps = est.estimate_image(pic)
    h = pic.rgb.shape[0]
    assert not np.isnan(kps[:14, :2]).any()
    assert (kps[[J["nose"], J["neck"], J["right_wrist"], J["left_wrist"]], 1] < h).all()
    assert (kps[[J["right_ankle"], J["left_ankle"]], 1] > h).all()
    whole = 0
    for f in sorted((shared / "anime_drawings_dev").iterdir()):
        pic = load_picture(f)
        kps = est.estimate_image(pic)
        whole += bool(not np.isnan(kps[:14, :2]).any() and plausible_standing_pose(kps, pic.box()))
    measured(f"whole, plausible poses on the 16 real dev drawings: {whole} (issue 16 asks 12)")
    assert whole >= 6


@needs_weights
def test_shipped_weights_on_the_embedded_character(measured):
    est = AnimePoseEstimator()
    path = sample_character()
    truth = json_joints(path)
    pred = est.estimate_image(path)
    height = truth[:, 1].max() - truth[:, 1].min()
    err = np.linalg.norm(pred[:14, :2] - truth[:14, :2], axis=-1) / height
    measured(f"embedded character: worst body joint off by {100 * np.nanmax(err):.1f}% of its height")
    assert np.nanmax(err) < 0.10  # speed is a benchmark figure (./kit bench), not a test


def json_joints(path):
    import json

    from r2a_utils.skeleton import JOINTS

    d = json.loads(path.with_suffix(".joints.json").read_text())["joints"]
    return np.array([d.get(n, [np.nan, np.nan]) for n in JOINTS], np.float32)


# Where a person puts the joints on anime_green_dress.png (451x677), annotated by eye for this
# test (x, y in pixels). The character's right is the viewer's left; her right hand rests on
# the hip, her left fist is raised; the left knee is hidden by the dress (placed where it must be).
GREEN_DRESS_BY_EYE = {
    "nose": (236, 118), "neck": (238, 153),
    "right_shoulder": (192, 165), "right_elbow": (150, 230), "right_wrist": (172, 285),
    "left_shoulder": (280, 165), "left_elbow": (294, 240), "left_wrist": (320, 212),
    "right_hip": (203, 330), "right_knee": (190, 455), "right_ankle": (162, 590),
    "left_hip": (265, 330), "left_knee": (252, 455), "left_ankle": (262, 590),
}
GREEN_DRESS_HEIGHT = 585  # top of the hair bun to the soles


@needs_weights
def test_green_dress_skeleton_lies_on_the_body(shared, measured):
    """Check: at least 12 of these 14 joints within 10% of the body height of where a person
    would put them (the annotation above), and none wildly off (within 20%)."""
    pred = AnimePoseEstimator().estimate_image(shared / "characters" / "anime_green_dress.png")
    errs = {n: float(np.linalg.norm(pred[J[n], :2] - np.array(xy)) / GREEN_DRESS_HEIGHT)
            for n, xy in GREEN_DRESS_BY_EYE.items()}
    within = sum(e <= 0.10 for e in errs.values())
    measured(f"anime_green_dress: {within}/14 joints within 10% of body height; worst "
             f"{max(errs, key=lambda n: np.nan_to_num(errs[n], nan=9)) } {np.nanmax(list(errs.values())):.2f}")
    assert within >= 12
    assert all(e <= 0.20 for e in errs.values())
    # the arms are where the picture shows them (the network alone put both elbows on the
    # dress's edge, 5-7% off, and the renderer could not cut those arms out: her dress rose
    # with them), so each gets a layer of its own
    arms = [f"{s}_{j}" for s in ("right", "left") for j in ("shoulder", "elbow", "wrist")]
    assert all(errs[n] <= 0.04 for n in arms), {n: round(errs[n], 3) for n in arms}
    from r2a_utils.pipeline import load_character, place_on_canvas
    from r2a_utils.render.base import make_renderer

    ch = load_character(shared / "characters" / "anime_green_dress.png")
    st = place_on_canvas(ch, ch.keypoints[None], 384)
    assert make_renderer("warp", st.reference, st.character_keypoints, st.mask).notes == []


def _dress_and_arm(arm_x: int = 30):
    """A green dress (a block) with a skin-coloured arm hanging beside it, on white; its
    joints along the arm, and a second set of arm joints down the dress."""
    rgb = np.full((200, 220, 3), 255, np.uint8)
    rgb[40:190, 50:170] = (90, 140, 90)  # wider than an arm is ever taken to be
    rgb[40:150, arm_x:arm_x + 14] = (240, 200, 180)
    kps = np.full((18, 3), np.nan, np.float32)
    arms = [J[f"{side}_{j}"] for side in ("right", "left") for j in ("shoulder", "elbow", "wrist")]
    kps[arms] = [(arm_x + 7, y, 1) for y in (45, 95, 145)] * 2  # both arms on the drawn one
    dress = kps.copy()
    dress[arms, 0] = 110
    return rgb, (rgb != 255).any(-1), kps, dress


def test_the_arm_the_picture_shows_is_kept():
    """Of two arms, the one whose bones run along a drawn arm (the walks across it meet its
    edges) is kept; an arm down the middle of the dress is not."""
    from r2a_utils.pose.anime.arms import arm_seen, arms_the_picture_shows, differing_arms

    rgb, mask, on_arm, in_dress = _dress_and_arm()
    assert arm_seen(rgb, mask, on_arm, "right") == 1.0 and arm_seen(rgb, mask, in_dress, "right") < 0.4
    out, taken = arms_the_picture_shows(rgb, mask, in_dress, on_arm)
    assert taken == ["right", "left"] and np.allclose(out[J["right_elbow"], :2], on_arm[J["right_elbow"], :2])
    out, taken = arms_the_picture_shows(rgb, mask, on_arm, in_dress)
    assert taken == [] and np.array_equal(out, on_arm, equal_nan=True)
    assert differing_arms(on_arm, on_arm) == [] and differing_arms(in_dress, on_arm) == ["right", "left"]


def test_plausibility_check_for_standing_characters():
    from r2a_utils.characters import Motion, layout_for_character, random_character

    spec = random_character(4)
    rest = spec.rest_pose()
    kps = layout_for_character(Motion(rest[None], 24.0, "a"), spec, (200, 300)).keypoints[0]
    box = (0, 0, 200, 300)
    assert plausible_standing_pose(kps, box)
    upside_down = kps.copy()
    upside_down[:, 1] = 300 - upside_down[:, 1]
    assert not plausible_standing_pose(upside_down, box)
    crossed = kps.copy()
    crossed[[J["right_hip"], J["left_hip"]]] = crossed[[J["left_hip"], J["right_hip"]]]
    assert not plausible_standing_pose(crossed, box)
    outside = kps.copy()
    outside[J["left_wrist"], 0] = 400
    assert not plausible_standing_pose(outside, box)


def _standing(seed: int = 4, size: tuple[int, int] = (200, 300)) -> np.ndarray:
    from r2a_utils.characters import Motion, layout_for_character, random_character

    rest = random_character(seed).rest_pose()
    return layout_for_character(Motion(rest[None], 24.0, "a"), random_character(seed), size).keypoints[0].copy()


def test_merging_the_network_and_the_human_model_joint_by_joint():
    human = _standing()
    human[:, 2] = 0.98
    network = human.copy()
    network[:, :2] += 20  # somewhere else, and unsure
    network[:, 2] = 0.3
    merged = merge_poses(network, human, (200, 300))
    assert np.allclose(merged, human)  # the human model's pose where the network is unsure
    network[J["right_wrist"], 2] = 0.9  # ... but a joint the network is sure of is the network's,
    network[J["right_elbow"], :2] = human[J["right_elbow"], :2] + 3  # when it hangs from the same elbow
    assert np.allclose(merge_poses(network, human, (200, 300))[J["right_wrist"]], network[J["right_wrist"]])
    # a network that misread the figure (its whole arm squeezed up into the chest) and is sure
    # of one wrist: that wrist hangs from nothing the merged arm has, mediapipe's is kept
    squeezed = network.copy()
    squeezed[[J["right_elbow"], J["right_wrist"]], :2] = (human[[J["right_elbow"], J["right_wrist"]], :2]
                                                         + human[J["right_shoulder"], :2]) / 2
    merged = merge_poses(squeezed, human, (200, 300))
    assert np.allclose(merged[J["right_wrist"]], human[J["right_wrist"]])
    unsure = human.copy()
    unsure[J["left_elbow"], 2] = 0.3
    assert merge_poses(network, unsure, (200, 300)) is None  # an arm mediapipe hardly sees: not used
    upside_down = human.copy()
    upside_down[:, 1] = 300 - upside_down[:, 1]
    assert merge_poses(network, upside_down, (200, 300)) is None


def test_merged_legs_hidden_in_the_picture_and_beyond_its_edge():
    human = _standing()
    human[:, 2] = 0.98
    network = human.copy()
    network[:, 2] = 0.3
    network[J["right_knee"], :2] += 15
    human[J["right_knee"], 2] = 0.2  # mediapipe does not see this knee: the network's place
    assert np.allclose(merge_poses(network, human, (200, 300))[J["right_knee"]], network[J["right_knee"]])
    cut = human.copy()  # a figure cut above its knees: mediapipe's guesses lie below the picture
    cut[list(LOWER_LEGS), 2] = 0.2
    cut[list(LOWER_LEGS), 1] = 320
    merged = merge_poses(network, cut, (200, 300))
    assert (merged[list(LOWER_LEGS), 1] == 320).all()
    # the network squeezing a whole figure into a picture cut at the thighs (its hips at the
    # waist, its knee where the hips are): that knee does not hang from mediapipe's hip
    squeezed = network.copy()
    thigh = network[J["right_knee"], :2] - network[J["right_hip"], :2]
    squeezed[[J["right_hip"], J["right_knee"]], :2] -= thigh
    assert np.allclose(merge_poses(squeezed, human, (200, 300))[J["right_knee"]], human[J["right_knee"]])


def test_merged_sides_follow_the_network_when_mediapipe_mirrors_them():
    from r2a_utils.skeleton import FLIP_INDEX

    network = _standing()
    network[:, 2] = 0.3
    mirrored = network[list(FLIP_INDEX)].copy()  # same places, left and right names swapped
    mirrored[:, 2] = 0.98
    merged = merge_poses(network, mirrored, (200, 300))
    assert np.allclose(merged[:14, :2], network[:14, :2])


def test_table_1_on_real_drawings_from_the_command_line(tmp_path, shared, capsys):
    """Issue 16: ``eval --drawings DIR --annotations data.json`` prints the report's five rows
    beside the kit's estimators, scored on the drawings found (two here, for speed)."""
    import shutil

    from r2a_utils.pose.anime.__main__ import main

    for p in sorted((shared / "anime_drawings_dev").iterdir())[:2]:
        shutil.copy(p, tmp_path / p.name)
    assert main(["eval", "--drawings", str(tmp_path), "--annotations",
                 str(shared / "anime_drawings_dataset" / "data.json")]) == 0
    out = capsys.readouterr().out
    for row in ("real19", "real69", "real89", "mix", "mobileNet", "anime network", "mediapipe human model",
                "combined (what the CLI uses)"):
        assert row in out
    assert out.count(f"2 drawings in {tmp_path}") == 3 + WEIGHTS_V1.exists() and "per joint" in out
    with pytest.raises(SystemExit):
        main(["eval", "--drawings", str(tmp_path)])  # the two go together


def _predictions_csv(path, rows):
    """A predictions file in the original project's format from ``{file name: points dict}``."""
    from r2a_utils.pose.anime.evaluate import PREDICTIONS_CSV_JOINTS

    lines = [",".join([name] + [str(v) for k in PREDICTIONS_CSV_JOINTS for v in pts.get(k, ("nan", "nan"))])
             for name, pts in rows.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_other_systems_predictions_are_scored_on_the_same_drawings(tmp_path):
    """``PredictionsFile`` reads the original project's CSV (file name, then x, y of the 21
    joints in the dataset json's order; 'nan' when not found) and is scored like an
    estimator: exact answers for one drawing, every joint 20 px off (beyond half the 15-px
    head segment) for the second, and a third drawing the file does not name."""
    import json

    from PIL import Image

    from r2a_utils.pose.anime.evaluate import PredictionsFile, evaluate_anime_drawings, load_anime_drawings

    entries = [_annotation(pid) for pid in ("11", "22", "33")]
    for e in entries:
        Image.new("RGB", (600, 600), "white").save(tmp_path / f"{e['file_name'].split('/')[-1]}")
    (tmp_path / "data.json").write_text(json.dumps(entries))
    exact = dict(entries[0]["points"], nose_tip=["nan", "nan"])  # a joint not found is a miss
    off = {k: [x + 20, y] for k, (x, y) in entries[1]["points"].items()}
    csv = _predictions_csv(tmp_path / "kps_results.csv", {"11.jpg": exact, "22.jpg": off})
    r = evaluate_anime_drawings(PredictionsFile(csv), load_anime_drawings(tmp_path / "data.json"), tmp_path)
    assert r["images"] == 3
    assert r["pckh"] == pytest.approx(13 / 42)  # 13 of the first drawing's 14 body joints, none of the rest
    assert r["complete"] == 1  # the second answer is whole (and wrong); the first lacks its nose

    bad = tmp_path / "bad.csv"
    bad.write_text("11.jpg,1,2,3\n")
    with pytest.raises(ValueError, match="bad.csv, line 1: expected a file name and 42 coordinates"):
        PredictionsFile(bad)


def test_predictions_join_table_1_from_the_command_line(tmp_path, shared, capsys):
    """``eval --predictions CSV`` adds another system's row to Table 1: the ground truth
    written as a predictions file scores 100 % on the drawings it names."""
    import json
    import shutil

    from r2a_utils.pose.anime.__main__ import main

    annotations = shared / "anime_drawings_dataset" / "data.json"
    pictures = sorted((shared / "anime_drawings_dev").iterdir())[:2]
    for p in pictures:
        shutil.copy(p, tmp_path / p.name)
    truth = {e["file_name"].split("/")[-1].split(".")[0]: e["points"] for e in json.loads(annotations.read_text())}
    csv = _predictions_csv(tmp_path.parent / "truth.csv", {p.name: truth[p.stem] for p in pictures})
    assert main(["eval", "--drawings", str(tmp_path), "--annotations", str(annotations), "--predictions", str(csv)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("other: predictions in truth.csv"))
    assert row.split()[-3] == "100.00"
    with pytest.raises(SystemExit):
        main(["eval", "--predictions", str(csv)])  # needs the drawings


def test_the_trunk_is_torchvisions_mobilenet_v3_small_without_importing_torchvision():
    """The network's own MobileNetV3-small trunk has torchvision's parameter names and gives
    its outputs, and loading the shipped weights does not import torchvision (~4 s)."""
    import subprocess
    import sys

    import torch
    from torchvision.models import mobilenet_v3_small

    from r2a_utils.pose.anime.model import mobilenet_v3_small_trunk

    theirs, ours = mobilenet_v3_small(weights=None).features[:9].eval(), mobilenet_v3_small_trunk().eval()
    assert list(theirs.state_dict()) == list(ours.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(theirs(x), ours(x), atol=1e-6)
    code = ("import sys; from r2a_utils.pose.anime.model import WEIGHTS, load_weights; load_weights(WEIGHTS); "
            "print('torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _annotation(post_id, dx=0.0):
    """One Anime Drawings Dataset entry: a standing figure about 500 px high."""
    pts = {"neck": [300, 120], "head": [300, 105], "nose_tip": [305, 95], "nose_root": [303, 90], "body_upper": [300, 200],
           "arm_right": [270, 135], "elbow_right": [255, 200], "wrist_right": [250, 260],
           "arm_left": [330, 135], "elbow_left": [345, 200], "wrist_left": [350, 260],
           "leg_right": [285, 280], "knee_right": [280, 400], "ankle_right": [278, 520],
           "leg_left": [315, 280], "knee_left": [320, 400], "ankle_left": [322 + dx, 520]}
    return {"file_name": f"data/images/{post_id}.jpg", "points": pts, "width": 600, "height": 600}


def test_annotated_poses_leave_the_development_drawings_out(tmp_path):
    import json

    from r2a_utils.characters.spec import random_character
    from r2a_utils.pose.anime.annotated import DEV_POST_IDS, AnnotatedPoses
    from r2a_utils.skeleton import KeypointError

    (tmp_path / "train.json").write_text(json.dumps([_annotation("1001467"), _annotation("555", 10)]))
    (tmp_path / "val.json").write_text(json.dumps([_annotation("777", 20)]))
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "777.png").write_bytes(b"")
    assert "1001467" in DEV_POST_IDS
    poses = AnnotatedPoses(tmp_path)
    assert poses.post_ids == ["555", "777"]
    assert AnnotatedPoses(tmp_path, exclude_folder=tmp_path / "dev").post_ids == ["555"]
    spec = random_character(3, look="anime")
    kps, scale = poses.place(0, spec, 128)
    body = kps[:14, :2]
    assert (body > 0).all() and (body < 128).all() and 40 < scale < 200
    # the drawing's own proportions are kept: legs as long against the torso as annotated
    leg = np.linalg.norm(kps[J["right_ankle"], :2] - kps[J["right_hip"], :2])
    torso = np.linalg.norm(kps[J["neck"], :2] - (kps[J["right_hip"], :2] + kps[J["left_hip"], :2]) / 2)
    assert abs(leg / torso - 240 / 160) < 0.02
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(KeypointError, match="bad.json"):
        AnnotatedPoses(tmp_path / "bad.json")


def test_annotated_poses_of_the_shared_dataset(shared):
    from r2a_utils.pose.anime.annotated import DEV_POST_IDS, AnnotatedPoses

    poses = AnnotatedPoses(shared / "anime_drawings_dataset", exclude_folder=shared / "anime_drawings_dev")
    assert len(poses) > 1400 and not DEV_POST_IDS & set(poses.post_ids)
    rng = np.random.default_rng(0)
    cfg = AnimePoseConfig(annotated_fraction=1.0)
    for _ in range(4):
        img, kps, head = synth_sample(rng, cfg, poses=poses)
        assert img.shape == (128, 128, 3) and head > 0 and kps[:14, 2].sum() >= 10


@needs_weights
def test_the_shipped_weights_run_without_torch_through_their_onnx_twin():
    """The twin the repository ships was exported from the shipped weights: OpenCV runs it,
    and a fresh process finds joints without importing torch."""
    import subprocess
    import sys

    from r2a_utils.pose.anime.export import load_twin

    assert load_twin(WEIGHTS) is not None, "anime_pose.onnx is stale: python -m r2a_utils.pose.anime export"
    code = ("import sys; from r2a_utils.pose.anime import AnimePoseEstimator; from r2a_utils.samples import "
            "sample_character; e = AnimePoseEstimator(use_human_model=False); k = e.estimate_image(sample_character()); "
            "print(e.backend, 'torch' in sys.modules, int((k[:, 2] > 0).sum()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["opencv", "False", "18"]


def test_onnx_twin_gives_torchs_joints_and_a_stale_twin_is_ignored(tmp_path):
    pytest.importorskip("onnx")
    from r2a_utils.pose.anime.export import export_twin, load_twin, twin_paths

    cfg = AnimePoseConfig().smoke().replace(steps=2, input_size=64)
    train_anime_pose(cfg, tmp_path / "w.pt", progress=False)
    graph = export_twin(tmp_path / "w.pt")
    assert graph == twin_paths(tmp_path / "w.pt")[0] and graph.stat().st_size > 100_000
    images = np.stack([synth_sample(np.random.default_rng(s), cfg)[0] for s in range(3)])
    fast, slow = AnimePoseEstimator(tmp_path / "w.pt"), AnimePoseEstimator(tmp_path / "w.pt", backend="torch")
    from r2a_utils.pose.anime.model import normalize_images
    assert (fast.backend, slow.backend) == ("opencv", "torch") and fast.cfg == slow.cfg
    x = normalize_images(images)  # two steps of training: compare the heatmaps, not joints below threshold
    a, b = fast._heatmaps(x), slow._heatmaps(x)
    assert a.shape == b.shape == (3, 18, 16, 16) and np.abs(a - b).max() < 1e-4 * max(np.abs(b).max(), 1)
    train_anime_pose(cfg.replace(seed=1), tmp_path / "w.pt", progress=False)  # retrained: the twin is stale
    assert load_twin(tmp_path / "w.pt") is None and AnimePoseEstimator(tmp_path / "w.pt").backend == "torch"
    with pytest.raises(ValueError, match="w.pt: has no ONNX twin made from it"):
        AnimePoseEstimator(tmp_path / "w.pt", backend="opencv")
    twin_paths(tmp_path / "w.pt")[1].write_text("{not json")
    assert load_twin(tmp_path / "w.pt") is None
