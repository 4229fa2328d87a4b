"""The package's shape: one file per job, and inference never imports training."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "r2a_utils"
TRAINING = {"r2a_utils.transfer.train", "r2a_utils.pose.anime.train"}
# only these may import a training module: the training modules and their command lines
MAY_IMPORT_TRAINING = {"transfer/train.py", "transfer/__main__.py", "pose/anime/train.py", "pose/anime/__main__.py"}


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_no_module_over_400_lines():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in _modules()}
    assert max(sizes.values()) <= 400, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


def test_nothing_outside_training_imports_the_training_modules():
    offenders = []
    for p in _modules():
        rel = str(p.relative_to(PACKAGE))
        if rel in MAY_IMPORT_TRAINING:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                     if isinstance(node, ast.ImportFrom) and node.module else [])
            offenders += [f"{rel}: {n}" for n in names if n in TRAINING]
    assert not offenders, offenders
