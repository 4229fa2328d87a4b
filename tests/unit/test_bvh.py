import numpy as np
import pytest

from r2a_utils.characters import layout_for_character, random_character, render_character
from r2a_utils.characters.bvh import BVHError, bvh_to_motion, forward_kinematics, parse_bvh
from r2a_utils.skeleton import J

TINY = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Chest
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
0 0 0 0 0 0 0 0 0
1 2 3 90 0 0 0 0 0
"""


def test_forward_kinematics_on_a_tiny_file(tmp_path):
    p = tmp_path / "tiny.bvh"
    p.write_text(TINY)
    b = parse_bvh(p)
    assert b.names == ("Hips", "Chest") and b.parents == (-1, 0) and b.fps == 25
    pos = forward_kinematics(b)
    assert np.allclose(pos[0, 1], (0, 10, 0))
    assert np.allclose(pos[1, 0], (1, 2, 3))
    assert np.allclose(pos[1, 1], (1 - 10, 2, 3))  # 90 deg about z turns +y into -x


@pytest.mark.parametrize("broken,problem", [
    (TINY.replace("HIERARCHY", "HELLO"), "HIERARCHY"),
    (TINY.replace("CHANNELS 3 Zrotation", "CHANNELS 4 Zrotation"), "CHANNELS says 4"),
    (TINY.replace("1 2 3 90 0 0 0 0 0", "1 2 3 90 0 0"), "channels need 9"),
    (TINY.replace("1 2 3 90", "1 x 3 90"), "non-numeric"),
    (TINY.replace("Frames: 2", "Frames: 5"), "header says 5"),
    (TINY.split("MOTION")[0], "no MOTION"),
    (TINY.replace("  }\n}\nMOTION", "  }\nMOTION"), "unclosed"),
])
def test_malformed_bvh_gives_a_clear_error(tmp_path, broken, problem):
    p = tmp_path / "bad.bvh"
    p.write_text(broken)
    with pytest.raises(BVHError, match=problem) as e:
        parse_bvh(p)
    assert str(p) in str(e.value)


def test_bvh_without_a_human_skeleton(tmp_path):
    p = tmp_path / "tiny.bvh"
    p.write_text(TINY)
    with pytest.raises(BVHError, match="no joint for"):
        bvh_to_motion(parse_bvh(p))


def test_all_six_real_bvh_files_parse_and_animate(shared):
    files = sorted((shared / "bvh").rglob("*.bvh"))
    assert len(files) == 6
    spec = random_character(2)
    for f in files:
        m = bvh_to_motion(parse_bvh(f), fps=12)
        assert len(m) > 10 and np.isfinite(m.joints).all(), f.name
        first = m.joints[0]
        # upright and facing the camera in the first frame: head above hips, left on the right
        assert first[J["nose"], 1] < first[J["right_hip"], 1], f.name
        assert first[J["left_shoulder"], 0] > first[J["right_shoulder"], 0], f.name
        tr = layout_for_character(m, spec, (96, 128))
        for t in (0, len(m) // 2, len(m) - 1):
            img = render_character(spec, tr.keypoints[t], (96, 128), tr.scale, tr.depth[t]).rgba
            assert img[..., 3].mean() > 5, (f.name, t)
