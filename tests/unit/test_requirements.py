"""The pins in requirements.txt and environment.yml must agree (the README promises it)."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_environment_yml_mirrors_requirements():
    reqs = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()
            if l.strip() and not l.startswith("#")]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(p for p in pip if p != "-e .") == sorted(reqs)
    assert "-e ." in pip
    assert sum(r.lower().startswith("opencv") for r in reqs) == 1  # never two OpenCV packages
