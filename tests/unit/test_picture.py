"""The character picture loader: odd modes, bad files named, the box, the mask."""
import numpy as np
import pytest
from PIL import Image

from r2a_utils.picture import CharacterImageError, foreground_box, load_mask, load_picture, over_background


def test_odd_image_modes_become_rgb(tmp_path):
    rgba = np.zeros((80, 60, 4), np.uint8)
    rgba[20:60, 20:40] = (200, 30, 30, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    pic = load_picture(tmp_path / "a.png")
    rgb, alpha = pic.rgb, pic.alpha
    assert rgb.shape == (80, 60, 3) and alpha is not None and (rgb[0, 0] == 255).all()  # on white
    assert foreground_box(rgb, alpha)[:2] == (18, 18)
    Image.fromarray(rgba[..., :3]).convert("L").save(tmp_path / "g.png")
    Image.fromarray(rgba[..., :3]).convert("P").save(tmp_path / "p.png")
    Image.fromarray(rgba[..., :3]).convert("CMYK").save(tmp_path / "c.jpg")
    Image.fromarray((rgba[..., 0].astype(np.uint16) * 257)).save(tmp_path / "i16.png")
    for name in ("g.png", "p.png", "c.jpg", "i16.png"):
        rgb = load_picture(tmp_path / name).rgb
        assert rgb.shape == (80, 60, 3) and rgb.dtype == np.uint8, name
    Image.new("RGB", (5000, 3000), "white").save(tmp_path / "huge.png")
    assert max(load_picture(tmp_path / "huge.png").rgb.shape) == 2048


@pytest.mark.parametrize("make,problem", [
    (lambda p: None, "file not found"),
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_text("hello"), "not a readable image"),
    (lambda p: Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(p, format="PNG"), "fully transparent"),
    (lambda p: Image.new("RGB", (8, 8)).save(p, format="PNG"), "too small"),
])
def test_bad_images_name_the_file(tmp_path, make, problem):
    p = tmp_path / "char.png"
    make(p)
    with pytest.raises(CharacterImageError, match=problem) as e:
        load_picture(p)
    assert "char.png" in str(e.value)


def test_mask_is_resized_and_an_empty_one_refused(tmp_path):
    m = np.zeros((40, 30), np.uint8)
    m[10:30, 5:25] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    mask = load_mask(tmp_path / "m.png", (60, 80))
    assert mask.shape == (80, 60) and set(np.unique(mask)) == {0, 255} and mask[40, 30] == 255
    Image.fromarray(np.zeros((40, 30), np.uint8)).save(tmp_path / "empty.png")
    with pytest.raises(CharacterImageError, match="empty.png.*mask is empty"):
        load_mask(tmp_path / "empty.png", (60, 80))


def test_over_background_blends_by_alpha():
    rgba = np.array([[[200, 0, 0, 255], [200, 0, 0, 0], [200, 0, 0, 128]]], np.uint8)
    out = over_background(rgba, (0, 0, 255))
    assert out[0, 0].tolist() == [200, 0, 0] and out[0, 1].tolist() == [0, 0, 255]
    assert 95 <= out[0, 2, 0] <= 105 and 120 <= out[0, 2, 2] <= 130


def test_a_decompression_bomb_is_one_line(tmp_path):
    Image.new("1", (20000, 20000)).save(tmp_path / "bomb.png")
    with pytest.raises(CharacterImageError, match="bomb.png.*too large"):
        load_picture(tmp_path / "bomb.png")


def test_a_picture_drawn_many_times_its_size_gets_a_note():
    from r2a_utils.picture import ENLARGED_MOST, enlarged_note

    kps = np.array([[10.0, 10.0, 1], [20.0, 40.0, 1], [np.nan, np.nan, 0]])
    shifted = kps.copy()
    shifted[:, :2] += 100
    assert enlarged_note(kps, shifted) == [] and enlarged_note(kps[2:], kps[2:]) == []
    at_most, beyond = kps.copy(), kps.copy()
    at_most[:, :2] *= ENLARGED_MOST
    beyond[:, :2] = beyond[:, :2] * 3 + 5
    assert enlarged_note(kps, at_most) == []
    assert "drawn 3.0 times its size" in enlarged_note(kps, beyond)[0]


def test_a_tiny_picture_animates_with_the_note(tmp_path):
    from r2a_utils.joints import CharacterJoints, load_joints, save_joints
    from r2a_utils.pipeline import PipelineConfig, animate
    from r2a_utils.samples import sample_character, sample_video

    src = sample_character()
    pic = Image.open(src)
    small = pic.resize((pic.width // 4, pic.height // 4))
    small.save(tmp_path / "small.png")
    joints = load_joints(src.with_suffix(".joints.json"))
    k = joints.keypoints.copy()
    k[:, :2] /= 4
    save_joints(tmp_path / "small.joints.json", CharacterJoints(k, small.size))
    res = animate(sample_video(num_frames=4), tmp_path / "small.png", tmp_path / "out",
                  PipelineConfig(height=384, max_frames=4), character_joints_file=tmp_path / "small.joints.json",
                  progress=False)
    assert res.frames == 4 and any("times its size" in n for n in res.notes), res.notes
