"""Stage 2a, anime side: pose of an anime character picture from a small heatmap network.

``model`` (config, network, weights), ``estimator`` (any picture -> joints), ``synth``
(synthetic training pictures), ``train`` and ``evaluate``. Importing this package gives
the inference side only; training lives in ``r2a_utils.pose.anime.train``.

Taught in notebooks/02_pose_estimation.ipynb.
"""
from r2a_utils.pose.anime.estimator import AnimePoseEstimator, plausible_standing_pose, require_confident_pose
from r2a_utils.pose.anime.model import WEIGHTS, AnimePoseConfig, AnimeWeightsError, build_model, decode_heatmaps

__all__ = ["WEIGHTS", "AnimePoseConfig", "AnimePoseEstimator", "AnimeWeightsError", "build_model", "decode_heatmaps",
           "plausible_standing_pose", "require_confident_pose"]
