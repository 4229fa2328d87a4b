"""Renderers: draw a character picture in a new pose. ``base`` holds the interface, the
reference check and the cut-out; ``warp`` needs no training; ``gan`` runs Stage 3's generator.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from r2a_utils.render.base import RENDERERS, Renderer, RendererError, character_mask, check_reference, make_renderer
from r2a_utils.render.warp import WarpRenderer

__all__ = ["RENDERERS", "Renderer", "RendererError", "WarpRenderer", "character_mask", "check_reference",
           "make_renderer"]
