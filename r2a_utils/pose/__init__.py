"""Stage 2a pose estimators behind one small interface: ``estimate(frames) -> (T, 18, 3)``.

``human``: mediapipe on real video (``track``: a video's pose track and its cache);
``anime``: the anime-character network on a character picture.
"""
from r2a_utils.pose.human import HumanPoseConfig, HumanPoseEstimator
from r2a_utils.pose.track import PoseError, PoseTrack, estimate_video_cached

__all__ = ["HumanPoseConfig", "HumanPoseEstimator", "PoseError", "PoseTrack", "estimate_video_cached"]
