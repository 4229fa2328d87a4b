"""Stage 3: PATN-style pose transfer: networks (``models``), losses, training pairs
(``data``), checkpoints, the training loop (``train``) and evaluation. The trained
generator is used through ``r2a_utils.render.gan.GANRenderer``.

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from r2a_utils.transfer.checkpoint import CheckpointError, TransferConfig, export_generator, load_generator
from r2a_utils.transfer.evaluate import evaluate_renderer

__all__ = ["CheckpointError", "TransferConfig", "evaluate_renderer", "export_generator", "load_generator"]
