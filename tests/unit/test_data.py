import hashlib

import pytest

from r2a_utils import data


def test_hub_entries_are_complete():
    assert {"dance_stage", "dance_indoor", "bvh", "anime_green_dress", "anime_drawings_dataset"} <= set(data.DATA_HUB)
    for name, d in data.DATA_HUB.items():
        assert d["files"], name
        for f in d["files"]:
            assert f["url"].startswith("https://") and len(f["sha256"]) == 64 and f["size"] > 0


def test_fetch_from_mirror_checks_hash_and_caches(shared, tmp_path):
    path = data.fetch("dance_stage", mirror=shared, root=tmp_path / "cache")
    assert path.name == "dance_stage.mp4" and path.stat().st_size == data.DATA_HUB["dance_stage"]["files"][0]["size"]
    mtime = path.stat().st_mtime_ns
    assert data.fetch("dance_stage", mirror=shared, root=tmp_path / "cache").stat().st_mtime_ns == mtime
    folder = data.fetch("bvh", mirror=shared, root=tmp_path / "cache")
    assert len(list(folder.rglob("*.bvh"))) == 6


def test_fetch_rejects_a_wrong_file(shared, tmp_path):
    fake_mirror = tmp_path / "mirror"
    (fake_mirror / "characters").mkdir(parents=True)
    (fake_mirror / "characters/anime_green_dress.png").write_bytes(b"not the picture")
    with pytest.raises(data.DataError, match="sha256"):
        data.fetch("anime_green_dress", mirror=fake_mirror, root=tmp_path / "cache")
    assert not (tmp_path / "cache/characters/anime_green_dress.png").exists()
    with pytest.raises(data.DataError, match="unknown dataset"):
        data.fetch("no_such_thing", root=tmp_path)


def test_registered_hashes_match_the_mirror(shared):
    for f in data.DATA_HUB["dance_stage_openpose25"]["files"][:5]:
        assert hashlib.sha256((shared / f["path"]).read_bytes()).hexdigest() == f["sha256"]


def test_cli_list(capsys):
    assert data.main(["--list"]) == 0
    assert "dance_stage" in capsys.readouterr().out
