"""Stage 2 pose estimators behind one small interface: ``estimate(frames) -> (T, 18, 3)``.

``human``: mediapipe on real video. (The anime-character estimator joins it in Stage 2b.)
"""
from r2a_utils.pose.human import (HumanPoseConfig, HumanPoseEstimator, PoseError, PoseTrack, estimate_video_cached)

__all__ = ["HumanPoseConfig", "HumanPoseEstimator", "PoseError", "PoseTrack", "estimate_video_cached"]
