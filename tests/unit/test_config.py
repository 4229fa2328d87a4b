import dataclasses

import pytest
import yaml

from r2a_utils.config import ConfigError, StageConfig


@dataclasses.dataclass(frozen=True)
class DemoConfig(StageConfig):
    size: tuple = (256, 192)
    steps: int = 1000
    lr: float = 2e-4
    name: str = "demo"
    SMOKE_OVERRIDES = {"size": (64, 48), "steps": 3}


def test_smoke_and_replace():
    c = DemoConfig()
    s = c.smoke()
    assert s.size == (64, 48) and s.steps == 3 and s.lr == c.lr
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.steps = 5
    with pytest.raises(ConfigError, match="no field"):
        c.replace(stepz=1)
    with pytest.raises(ConfigError, match="expected int"):
        c.replace(steps="many")


def test_yaml_overlay_and_round_trip(tmp_path):
    p = tmp_path / "over.yaml"
    p.write_text("steps: 50\nsize: [128, 96]\nlr: 1\n")
    c = DemoConfig().overlay(p)
    assert c.steps == 50 and c.size == (128, 96) and c.lr == 1.0 and c.name == "demo"
    assert DemoConfig.from_dict(c.to_dict()) == c
    (tmp_path / "full.yaml").write_text(yaml.safe_dump(c.to_dict()))
    assert DemoConfig().overlay(tmp_path / "full.yaml") == c
    (tmp_path / "bad.yaml").write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="bad.yaml"):
        DemoConfig().overlay(tmp_path / "bad.yaml")
    (tmp_path / "typo.yaml").write_text("stepps: 3\n")
    with pytest.raises(ConfigError, match="typo.yaml.*stepps"):
        DemoConfig().overlay(tmp_path / "typo.yaml")
    with pytest.raises(ConfigError, match="not found"):
        DemoConfig().overlay(tmp_path / "missing.yaml")
