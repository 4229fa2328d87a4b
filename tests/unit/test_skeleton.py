import json

import numpy as np
import pytest
import yaml

from r2a_utils import skeleton as sk
from r2a_utils.skeleton import J


def test_layout_is_openpose18_with_consistent_tables():
    assert sk.JOINTS[:2] == ("nose", "neck") and sk.NUM_JOINTS == 18
    assert len(sk.COLORS) == 18
    for a, b in sk.FLIP_PAIRS:
        assert sk.JOINTS[a].replace("right_", "") == sk.JOINTS[b].replace("left_", "")
    assert all(sk.FLIP_INDEX[sk.FLIP_INDEX[i]] == i for i in range(18))
    seen = {J["neck"]}
    for parent, child in sk.LIMBS:  # outward from the neck: parent placed before child
        assert parent in seen
        seen.add(child)
    assert seen == set(range(18))


def test_flip_horizontal_swaps_sides_and_mirrors():
    kps = np.random.default_rng(0).uniform(0, 100, (18, 3)).astype(np.float32)
    f = sk.flip_horizontal(kps, 100)
    assert np.allclose(f[J["left_wrist"], 0], 99 - kps[J["right_wrist"], 0])
    assert np.allclose(sk.flip_horizontal(f, 100), kps)


def test_from_mediapipe33_pixels_and_neck():
    lm = np.zeros((33, 4), np.float32)
    lm[11] = (0.6, 0.3, 0, 0.9)  # mediapipe's LEFT shoulder
    lm[12] = (0.4, 0.3, 0, 0.8)
    out = sk.from_mediapipe33(lm, 200, 100)
    assert np.allclose(out[J["left_shoulder"]], (120, 30, 0.9))
    assert np.allclose(out[J["right_shoulder"]], (80, 30, 0.8))
    assert np.allclose(out[J["neck"]], (100, 30, 0.8))
    with pytest.raises(sk.KeypointError):
        sk.from_mediapipe33(np.zeros((17, 4)), 10, 10)


def test_from_body25_real_reference(shared):
    data = json.loads((shared / "keypoints/dance_stage_openpose25/dance_000000000004_keypoints.json").read_text())
    flat = data["people"][0]["pose_keypoints_2d"]
    out = sk.from_body25(flat)
    assert out.shape == (18, 3)
    assert np.allclose(out[J["right_hip"], :2], flat[9 * 3:9 * 3 + 2])  # BODY_25 9 = RHip
    assert np.allclose(out[J["left_ear"], :2], flat[18 * 3:18 * 3 + 2])
    # the dancer faces the camera: his right shoulder is on the image left
    assert out[J["right_shoulder"], 0] < out[J["left_shoulder"], 0]


def test_anime_drawings_left_right_on_real_annotations(shared):
    entries = json.loads((shared / "anime_drawings_dataset/data.json").read_text())
    assert len(entries) == 2000
    poses = np.stack([sk.from_anime_drawings(e["points"]) for e in entries])
    # Most drawings face the viewer, so the character's LEFT shoulder/hip is on the image right.
    shoulders = np.mean(poses[:, J["left_shoulder"], 0] > poses[:, J["right_shoulder"], 0])
    hips = np.mean(poses[:, J["left_hip"], 0] > poses[:, J["right_hip"], 0])
    assert shoulders > 0.7 and hips > 0.7, (shoulders, hips)
    e = entries[0]
    p = sk.from_anime_drawings(e["points"])
    assert np.allclose(p[J["left_elbow"], :2], e["points"]["elbow_left"])
    assert np.isnan(p[J["left_eye"]]).all()
    assert np.allclose(sk.anime_drawings_head(e["points"]), e["points"]["head"])


@pytest.mark.parametrize("char", ["drawn_char1", "drawn_char2", "drawn_char4"])
def test_animated_drawings_char_cfg(shared, char):
    cfg = yaml.safe_load((shared / "characters" / char / "char_cfg.yaml").read_text())
    p = sk.from_animated_drawings(cfg["skeleton"])
    by_name = {j["name"]: j["loc"] for j in cfg["skeleton"]}
    assert np.allclose(p[J["left_wrist"], :2], by_name["left_hand"])
    assert np.allclose(p[J["right_ankle"], :2], by_name["right_foot"])
    # drawn characters face the viewer: their left side is on the image right
    assert p[J["left_shoulder"], 0] > p[J["right_shoulder"], 0]
    assert p[J["left_hip"], 0] > p[J["right_hip"], 0]
    assert p[J["neck"], 1] < p[J["left_hip"], 1]  # neck above the hips
    with pytest.raises(sk.KeypointError, match="left_hand"):
        sk.from_animated_drawings([j for j in cfg["skeleton"] if j["name"] != "left_hand"])


def test_bvh_joint_names_map_for_every_real_file(shared):
    for f in sorted((shared / "bvh").rglob("*.bvh")):
        names = [line.split()[1] for line in f.read_text().splitlines()
                 if line.strip().startswith(("ROOT", "JOINT"))]
        m = sk.bvh_joint_map(names)
        assert "left_shoulder" in m and "right_ankle" in m, f
    cmu = sk.bvh_joint_map(["Hips", "LeftCollar", "LeftShoulder", "LeftElbow", "LeftWrist", "RightCollar",
                            "RightShoulder", "RightElbow", "RightWrist", "LeftHip", "LeftKnee", "LeftAnkle",
                            "RightHip", "RightKnee", "RightAnkle", "Neck", "Head"])
    assert cmu["left_shoulder"] == "LeftShoulder" and cmu["left_wrist"] == "LeftWrist"
    mixamo = sk.bvh_joint_map(["Hips", "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand", "RightShoulder",
                               "RightArm", "RightForeArm", "RightHand", "LeftUpLeg", "LeftLeg", "LeftFoot",
                               "RightUpLeg", "RightLeg", "RightFoot", "Neck", "Head"])
    assert mixamo["left_shoulder"] == "LeftArm" and mixamo["left_knee"] == "LeftLeg"
    with pytest.raises(sk.KeypointError):
        sk.bvh_joint_map(["Hips", "Spine"])


def test_rescale_bones_sets_lengths_keeps_directions():
    rng = np.random.default_rng(1)
    coords = rng.normal(size=(5, 18, 3))
    target = rng.uniform(0.5, 2.0, len(sk.LIMBS))
    out = sk.rescale_bones(coords, target)
    for k, (p, c) in enumerate(sk.LIMBS):
        d_out = out[:, c] - out[:, p]
        d_in = coords[:, c] - coords[:, p]
        assert np.allclose(np.linalg.norm(d_out, axis=-1), target[k])
        cos = np.sum(d_out * d_in, -1) / np.linalg.norm(d_in, axis=-1) / target[k]
        assert np.allclose(cos, 1.0)
    assert np.allclose(out[:, J["neck"]], coords[:, J["neck"]])
    coords[0, J["right_elbow"]] = np.nan  # a broken chain stays absent below the break
    out = sk.rescale_bones(coords, target)
    assert np.isnan(out[0, J["right_wrist"]]).all() and not np.isnan(out[0, J["left_wrist"]]).any()


def test_as_keypoints_validates_shape():
    with pytest.raises(sk.KeypointError, match="shape"):
        sk.as_keypoints(np.zeros((17, 3)))
    k = sk.as_keypoints(np.zeros((18, 2)))
    assert k.shape == (18, 3) and (k[:, 2] == 1).all()


def test_read_openpose_folder_picks_the_largest_person_and_keeps_empty_frames(tmp_path):
    import json

    from r2a_utils.skeleton import read_openpose_folder

    def person(x0, size):
        flat = []
        for k in range(25):
            flat += [x0 + size * (k % 5) / 4, 10 + size * (k // 5) / 4, 0.9]
        return {"pose_keypoints_2d": flat}

    (tmp_path / "f_000_keypoints.json").write_text(json.dumps({"people": [person(0, 10), person(100, 50)]}))
    (tmp_path / "f_001_keypoints.json").write_text(json.dumps({"people": []}))
    kps = read_openpose_folder(tmp_path)
    assert kps.shape == (2, 18, 3)
    assert kps[0, 0, 0] == 100 and np.isnan(kps[1]).all()
    (tmp_path / "f_002_keypoints.json").write_text("{}")
    with pytest.raises(sk.KeypointError, match="f_002_keypoints.json"):
        read_openpose_folder(tmp_path)
    with pytest.raises(sk.KeypointError, match="no OpenPose"):
        read_openpose_folder(tmp_path / "nothing")


def test_read_openpose_folder_on_the_reference(shared):
    from r2a_utils.skeleton import read_openpose_folder

    kps = read_openpose_folder(shared / "keypoints" / "dance_stage_openpose25")
    assert kps.shape == (69, 18, 3)
    assert np.isfinite(kps[:, :14, :2]).mean() > 0.95
