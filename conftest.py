"""Test set-up for tests/ and the nbval run over notebooks/: smoke sizes, a private cache and
output folder, telemetry off, and the real data folder (../shared/data) when present."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("R2A_SHARED_DATA", ROOT.parent / "shared" / "data")).resolve()

# Before anything imports the kit or starts a kernel: smoke sizes, telemetry off, and a
# cache and output folder of this test session's own (never the user's ~/.cache).
os.environ.setdefault("R2A_SMOKE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
_tmp = Path(tempfile.mkdtemp(prefix="r2a-tests-"))
os.environ.setdefault("R2A_CACHE", str(_tmp / "cache"))
os.environ.setdefault("R2A_OUTPUT", str(_tmp / "outputs"))
if SHARED.exists():
    os.environ.setdefault("R2A_MIRROR", str(SHARED))


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared/data, or skip the test when it is not there."""
    if not SHARED.exists():
        pytest.skip(f"real sample data not found at {SHARED}")
    return SHARED


_MEASURED: list[str] = []


@pytest.fixture
def measured(request):
    """``measured("PCK@0.1 = 0.97")``: a line for the 'measured' summary printed after the run."""
    return lambda line: _MEASURED.append(f"{request.node.name}: {line}")


def pytest_terminal_summary(terminalreporter):
    if _MEASURED:
        terminalreporter.section("measured")
        for line in _MEASURED:
            terminalreporter.write_line(line)
