"""Renderers: draw a character picture in a new pose. ``base`` holds the interface, the
reference check and ``make_renderer``; ``cutout`` finds the character in its picture;
``bones`` turns poses into per-part transforms; ``mesh`` (the default "warp" renderer) deforms
a triangle mesh of the picture; ``parts`` is the kit's first, part-cutting renderer; ``gan``
runs Stage 3's generator.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from r2a_utils.render.base import (RENDERERS, Renderer, RendererError, character_mask, check_reference,
                                    make_renderer)
from r2a_utils.render.mesh import MeshRenderer
from r2a_utils.render.parts import PartsRenderer

__all__ = ["RENDERERS", "MeshRenderer", "PartsRenderer", "Renderer", "RendererError", "character_mask",
           "check_reference", "make_renderer"]
