"""The anime pose network without torch: exported to ONNX and run by OpenCV's DNN module.

Importing torch takes 2-3 s on a laptop CPU: longer than everything else the command line
does with one character picture (the network itself runs in about 30 ms). So the shipped
weights come with a twin: ``anime_pose.onnx``, the same network written as a graph of
standard operators, and beside it ``anime_pose.onnx.json`` with the config and the SHA-256
of the weights file it was exported from. ``AnimePoseEstimator`` runs the twin with
``cv2.dnn`` (OpenCV is loaded anyway) when it was made from the weights in use, and torch
otherwise, or when it is asked for a GPU. Both give the same heatmaps (to about 1e-6).

``python -m r2a_utils.pose.anime export --weights FILE`` writes a twin; it needs the
``onnx`` package (``pip install -e ".[export]"``). Training writes one when it can.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from __future__ import annotations

import json
import os
import threading
import warnings
from pathlib import Path

import cv2
import numpy as np

from r2a_utils.files import atomic_path, sha256_file
from r2a_utils.pose.anime.model import AnimePoseConfig, load_weights

TWIN_FORMAT = "r2a-anime-pose-onnx-v1"
OPSET = 13


def twin_paths(weights: str | os.PathLike) -> tuple[Path, Path]:
    """Where the ONNX twin of ``weights`` and its JSON go: beside it, same stem."""
    w = Path(weights)
    return w.with_suffix(".onnx"), w.with_suffix(".onnx.json")


def export_twin(weights: str | os.PathLike) -> Path:
    """Write the ONNX twin of ``weights`` (the refined heatmaps, any batch size) and its JSON;
    returns the graph's path. ``ImportError`` names the package when ``onnx`` is missing."""
    import torch

    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        raise ImportError('exporting needs the onnx package: pip install -e ".[export]"') from None
    cfg, model, _ = load_weights(weights)

    class Refined(torch.nn.Module):  # the second stage's heatmaps only: what inference reads
        def __init__(self) -> None:
            super().__init__()
            self.net = model

        def forward(self, x):
            return self.net(x)[1]

    graph, meta = twin_paths(weights)
    x = torch.zeros(1, 3, cfg.input_size, cfg.input_size)
    with atomic_path(graph) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(Refined().eval(), (x,), str(tmp), dynamo=False, opset_version=OPSET,
                          input_names=["image"], output_names=["heatmaps"],
                          dynamic_axes={"image": {0: "batch"}, "heatmaps": {0: "batch"}})
    info = {"format": TWIN_FORMAT, "weights": Path(weights).name, "weights_sha256": sha256_file(weights),
            "config": cfg.to_dict()}
    with atomic_path(meta) as tmp:
        tmp.write_text(json.dumps(info, indent=1) + "\n")
    return graph


class TwinNet:
    """The ONNX twin in ``cv2.dnn``: ``heatmaps(x)`` for a normalized ``(N, 3, S, S)`` float32
    batch. One forward at a time (an OpenCV net is not safe to share between threads)."""

    def __init__(self, graph: Path) -> None:
        self.net = cv2.dnn.readNetFromONNX(str(graph))
        self._lock = threading.Lock()

    def heatmaps(self, x: np.ndarray) -> np.ndarray:
        with self._lock:
            self.net.setInput(np.ascontiguousarray(x, np.float32))
            return self.net.forward().copy()


def load_twin(weights: str | os.PathLike) -> tuple[AnimePoseConfig, TwinNet] | None:
    """``(config, net)`` from the twin of ``weights``, or None when there is none, it was made
    from other weights (a retrained file), or it cannot be read: then torch runs the weights."""
    graph, meta = twin_paths(weights)
    if not (graph.is_file() and meta.is_file()):
        return None
    try:
        info = json.loads(meta.read_text())
        if info.get("format") != TWIN_FORMAT or info.get("weights_sha256") != sha256_file(weights):
            return None
        return AnimePoseConfig.from_dict(info["config"]), TwinNet(graph)
    except (OSError, ValueError, KeyError, TypeError, cv2.error):
        return None
