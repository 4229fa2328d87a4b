"""Stage 3: PATN-style pose transfer (models, losses, data, training, inference).

Taught in notebooks/04_train_pose_transfer.ipynb.
"""
from r2a_utils.transfer.infer import GANRenderer, evaluate_renderer, load_generator
from r2a_utils.transfer.train import CheckpointError, TransferConfig, export_generator, train_pose_transfer

__all__ = ["CheckpointError", "GANRenderer", "TransferConfig", "evaluate_renderer", "export_generator",
           "load_generator", "train_pose_transfer"]
