"""Stage 1: procedural anime characters, motion, and the headless cel-shaded renderer."""
from r2a_utils.characters.motion import CharacterTrack, Motion, builtin_dance, layout_for_character, motion_from_keypoints, random_pose
from r2a_utils.characters.render import RenderResult, render_character
from r2a_utils.characters.spec import CharacterSpec, random_character

__all__ = ["CharacterSpec", "CharacterTrack", "Motion", "RenderResult", "builtin_dance",
           "layout_for_character", "motion_from_keypoints", "random_pose", "random_character", "render_character"]
