"""Real2Animation notebook kit: real human video + one anime character image -> anime video.

Stages: 1 paired data (``characters``), 2 structure features (``pose``, ``smoothing``,
``normalize``), 3 pose transfer (``transfer``, ``warp``), all joined in ``pipeline``.
"""
import os as _os

# Telemetry off unless the user turned it on themselves.
_os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
_os.environ.setdefault("HF_HUB_OFFLINE", "1")

__version__ = "0.1.0"
