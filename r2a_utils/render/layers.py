r"""A character picture split into layers: each arm on its own, and the body behind them
with the places the arms covered filled in.

In a drawing the arms often lie over the torso, the hair or the skirt. One mesh over the
whole cut-out would have to stretch the skin between a raised arm and whatever it touched
(strips of hair and skirt flying with the arm). Instead:

1. **Arm bands.** Each arm is the part of the cut-out within its reach of the bones
   (shoulder -> elbow -> wrist, and the hand, which goes on beyond the wrist while the
   picture keeps the wrist's colour; a line across it, such as a cuff's edge, is crossed).
   The reach is read in the picture: from points along the bone, walk across it both ways
   until the colour leaves the arm's (an outline is taken in; a muscle line with the arm's
   colour beyond it is crossed) or the cut-out ends; on each side, the reach at :math:`t`
   along the bone is the median of the walks around it, :math:`r_\pm(t)`, clipped to
   :math:`[0.025L, 0.3L]` (:math:`L` the arm's length) and short of the spine and the leg
   bones. A dark area the band reached into beside the bones that lies mostly outside it
   (a navy bodice under a white forearm) goes back to the body, unless it is a prop in the
   hand (``render.props``); the ink (dark lines, and the dark areas the arm keeps, a glove)
   next to the band joins it: the arm keeps its outline. The rim of the body's dark area by
   the arm, and what of it shows between the fingers, is the body's (``props.dark_body_rim``),
   and so is what of the body the hand's disc reaches beyond the hand (``body_under_hand``:
   a dress's hip the hand rests on).
2. **Shoulders stay joined.** The arm's root (around the shoulder joint, the first share of
   the upper arm) is in both layers. The arm turns about the shoulder joint, so its root
   stays over the shoulder the body keeps: the arm never comes off, and nothing of the body
   is stretched after it (as with the parts of a jointed paper doll).
3. **Pieces carried by an arm.** A piece of the body layer that only the arm held on to (a
   bow or a staff in the hand, a stroke of the arm the band missed) goes with the arm, and so
   does what the hand holds beside the body (a bag touching the skirt: ``props.held_props``)
   or wears (a glove lying on the thighs; what it encloses with the body is filled behind it).
   Specks of the body's dark rim (the skirt seen between the fingers) stay with the body
   where it is filled behind the arm, and go with the hand beyond the body's edge; small
   pieces of an arm's layer that none of its bones run through are dropped (``on_bones``).
4. **Behind the arm.** Where an arm covered the body, the body layer gets those pixels,
   filled with the colours the body has on either side of the arm, so a raised arm uncovers
   a filled torso, not a hole (``render.behind``). A fill that touches nothing of the body
   is dropped (``joined_fill``): it would float where the arm was.

An arm the picture shows no edges of (a drawn arm grown out of the body, with no line
between them), or whose band is not one piece from shoulder to hand (joints a little off a
forearm: the band holds the fist but not the forearm), gets no layer: it stays in the body's
mesh, skinned like the rest.

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import binary_fill_holes

from r2a_utils.render.base import HAIRLINE_PIECE
from r2a_utils.render.behind import across_colours, closed_across, fill_behind, torso_core
from r2a_utils.render.props import dark_body_rim, give_back_dark_body, held_props
from r2a_utils.render.reach import (SAMPLES, across_width, bone_points, colour_at, ink_areas, leg_bands,
                                    limb_reach, line_width, room, walk, within)
from r2a_utils.skeleton import J

SIDES = ("right", "left")
HAND_SHARE = (0.15, 0.45)  # the hand reaches beyond the wrist: (at least, at most) x the forearm
WIDTH_SHARE = (0.05, 0.3, 0.09)  # arm half-width: (least, most, when unmeasured) x arm length
SEEN_SHARE = 0.4  # an arm gets a layer of its own when this share of the walks across it find its edge
ROOT_SHARE = 0.15  # the first share of the upper arm: in the arm layer, and kept by the body


@dataclass
class Layers:
    """``body``: bool mask of the body layer (filled behind the arms); ``body_rgb``: the
    picture with those fills; ``arms``: ``{side: bool mask}`` of each arm layer (empty when
    the arm could not be placed), its root around the shoulder included (the body has it
    too)."""

    body: np.ndarray
    body_rgb: np.ndarray
    arms: dict[str, np.ndarray]


def _arm_chain(rgb: np.ndarray, mask: np.ndarray, kps: np.ndarray,
               side: str) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The arm's segments: upper arm, forearm, hand (None when a joint is missing). The hand
    goes on from the wrist while the picture keeps the wrist's colour (a hand on a dress
    ends where the dress begins; a line across it, a cuff's edge, is crossed), between
    ``HAND_SHARE`` of the forearm."""
    k = kps[:, :2].astype(np.float64)
    s, e, w = k[J[f"{side}_shoulder"]], k[J[f"{side}_elbow"]], k[J[f"{side}_wrist"]]
    if not (np.isfinite(s).all() and np.isfinite(e).all() and np.isfinite(w).all()):
        return None
    forearm = w - e
    length = float(np.linalg.norm(forearm))
    lo, hi = (share * length for share in HAND_SHARE)
    reach = hi
    colour = colour_at(rgb, mask, w)
    if length >= 1 and colour is not None:
        steps = np.arange(1, int(hi) + 1, dtype=np.float64)
        _, in_mask, on = walk(rgb, mask, w, forearm / length, steps, colour)
        # a line across the hand (a cuff's edge, fingers) is crossed: only a longer stretch
        # off the wrist's colour, or the cut-out's end, stops the hand
        line = line_width(mask.shape)
        run, reach = 0, hi
        for i in range(len(steps)):
            run = 0 if on[i] else run + 1
            if not in_mask[i] or run > line:
                reach = float(steps[max(i - run, 0)])
                break
    reach = float(np.clip(reach, lo, hi))
    return [(s, e), (e, w), (w, w + reach * forearm / max(length, 1e-6))]


def arm_band(rgb: np.ndarray, mask: np.ndarray, kps: np.ndarray, side: str) -> tuple | None:
    """``(band, root, hand, bones)``: the cut-out's pixels that belong to this arm, those of
    them at its root (around the shoulder, up to ``ROOT_SHARE`` of the upper arm: the body
    keeps them too), those at the hand, and the arm's three bones (``_arm_chain``). None
    when a joint of the arm is missing, or when the picture shows too few of the arm's edges
    to tell it from the body (less than ``SEEN_SHARE`` of the walks across it end), or when
    the band around the bones is not one piece from the shoulder to the hand: such an arm
    stays in the body's mesh."""
    chain = _arm_chain(rgb, mask, kps, side)
    if chain is None:
        return None
    (s, e), (_, w), hand = chain
    arm_length = float(np.linalg.norm(e - s) + np.linalg.norm(w - e))
    if arm_length < 4:
        return None
    lo, hi, default = (share * arm_length for share in WIDTH_SHARE)
    sides = [across_width(rgb, mask, a, b, hi) for a, b in chain[:2]]
    if np.isfinite(np.stack(sides)).mean() < SEEN_SHARE:
        return None  # no edges of its own (a drawn arm grown out of the body): it stays in the body's mesh
    radii = [np.minimum(limb_reach(r, lo, hi, default), room(a, b, kps, lo / 2))
             for r, (a, b) in zip(sides, chain[:2])]
    radii.append(np.full((2, len(SAMPLES)), 1.3 * radii[1][:, -1:]))  # an open hand: wider than the wrist
    h, wd = mask.shape
    ys, xs = np.nonzero(mask)
    px = np.stack([xs, ys], 1).astype(np.float64)
    inside = [within(px, a, b, r) for (a, b), r in zip(chain, radii)]
    near = inside[0] | inside[1] | inside[2]
    at_hand = inside[2]
    neck, nose = kps[J["neck"], :2].astype(np.float64), kps[J["nose"], :2].astype(np.float64)
    if np.isfinite(neck).all() and np.isfinite(nose).all():
        # the face is never the arm's: a hand before it keeps only its palm (HAND_SHARE[0] of the forearm)
        palm = np.linalg.norm(px - w, axis=1) < HAND_SHARE[0] * np.linalg.norm(w - e)
        near &= (at_hand & palm) | (np.linalg.norm(px - nose, axis=1) > 0.9 * np.linalg.norm(nose - neck))
    upper = max(float(np.linalg.norm(e - s)), 1e-6)
    at_root = (px - s) @ ((e - s) / upper) < ROOT_SHARE * upper
    band, root, hand = (np.zeros((h, wd), bool) for _ in range(3))
    band[ys[near], xs[near]] = True
    # only what is joined to the bone (not a neighbour's hair across a gap)
    n, labels = cv2.connectedComponents(band.astype(np.uint8), connectivity=8)
    pts = bone_points(chain[:2], mask.shape, 15)
    on_bone = labels[pts[:, 1], pts[:, 0]]
    band = np.isin(labels, on_bone[on_bone > 0]) & band
    root[ys[at_root], xs[at_root]] = True
    hand[ys[at_hand], xs[at_hand]] = True
    # the arm is one piece from the shoulder to the hand, or the picture does not show it
    # where its bones are (joints a little off a forearm: the band around the forearm's bone
    # holds the hand and the elbow but not the forearm between, and the hand would float)
    at_shoulder, at_fist = set(np.unique(labels[band & root])), set(np.unique(labels[band & hand]))
    if at_shoulder and at_fist and not at_shoulder & at_fist:
        return None
    return band, root & band, hand & band & ~root, chain


def _body_piece(body: np.ndarray, kps: np.ndarray) -> np.ndarray:
    """The piece of the body mask that holds the torso (joined pieces of it are kept)."""
    n, labels = cv2.connectedComponents(body.astype(np.uint8), connectivity=8)
    if n <= 2:
        return body
    keep = set()
    h, w = body.shape
    for name in ("neck", "right_hip", "left_hip", "right_shoulder", "left_shoulder"):
        p = kps[J[name], :2]
        if np.isfinite(p).all():
            x, y = int(round(p[0])), int(round(p[1]))
            if 0 <= x < w and 0 <= y < h and labels[y, x]:
                keep.add(int(labels[y, x]))
    if not keep:  # the torso is not on the mask: keep the largest piece
        sizes = np.bincount(labels.ravel())[1:]
        keep.add(1 + int(np.argmax(sizes)))
    return np.isin(labels, sorted(keep))


def split_layers(rgb: np.ndarray, mask: np.ndarray, kps: np.ndarray) -> Layers:
    """The picture's layers: each arm's band, and the body with the covered places filled."""
    arms, roots, hands, chains = {}, {}, {}, {}
    taken = np.zeros_like(mask)
    ink, wide = ink_areas(rgb, mask)  # dark areas wider than a line (a navy bodice, black tights) are not outlines
    for side in SIDES:
        found = arm_band(rgb, mask, kps, side)
        if found is None:
            arms[side] = roots[side] = hands[side] = np.zeros_like(mask)
            continue
        band, roots[side], hand, chains[side] = found
        band &= ~body_under_hand(rgb, mask, ink, band, hand, chains[side])  # a dress's hip the hand rests on
        arms[side] = band & ~roots[side] & ~taken  # arms crossing in the picture: the first keeps the overlap
        hands[side] = hand & arms[side]
        taken |= arms[side]
    lines = ink & ~wide
    k = 2 * line_width(mask.shape) + 1
    given_back = give_back_dark_body(arms, roots, wide, mask, chains, kps)
    # the arm's outline goes with it: the band grows into the dark lines beside it, and into
    # the dark areas it holds (a glove), as far as an outline is thick; not into the body's
    _, dark_areas = cv2.connectedComponents(wide.astype(np.uint8), connectivity=8)
    for side in SIDES:
        if arms[side].any():
            ids = np.unique(dark_areas[arms[side]])
            own = np.isin(dark_areas, ids[ids > 0])  # its dark areas (a glove), not the body's beside it
            free = mask & (lines | own) & ~given_back & ~roots[side] & ~arms["left" if side == "right" else "right"]
            for _ in range(max(2, int(round(0.008 * max(mask.shape))))):
                arms[side] |= (cv2.dilate(arms[side].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & free
    # slivers the band left along an arm (its outline's soft edge) go with the arm
    body = mask & ~(arms["right"] | arms["left"])
    opened = cv2.morphologyEx(body.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    for side in SIDES:
        beside = cv2.dilate(arms[side].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        arms[side] |= body & ~opened & ~given_back & beside
        body &= ~arms[side]
    # what a hand holds (a bag, a staff) goes with it
    props = {side: np.zeros_like(mask) for side in SIDES}
    worn = {side: np.zeros_like(mask) for side in SIDES}
    for side in chains:
        props[side], worn[side] = held_props(rgb, mask, ink, wide, body, arms[side], hands[side], chains[side],
                                             kps, hands["left" if side == "right" else "right"])
        arms[side] |= props[side]
        body &= ~props[side]
    for side, chain in chains.items():  # the rim of a black skirt by the arm, the skirt between the fingers
        rim = dark_body_rim(rgb, mask, lines, wide, arms[side], hands[side], bone_points(chain[:2], mask.shape))
        arms[side] &= ~rim
        body |= rim
        given_back |= rim
    taken = arms["right"] | arms["left"]
    kept = _body_piece(body, kps)
    # a piece the arm cut off the body (a bow or a staff in the hand, a stroke of the arm the
    # band missed, what a held thing leaves alone) goes with that arm, unless it holds a joint
    # of its own (a leg under the arm); one mostly given back to the body (specks of skirt)
    # waits until the fill behind the arm is known
    n, labels = cv2.connectedComponents((body & ~kept).astype(np.uint8), connectivity=8)
    specks = {side: np.zeros_like(mask) for side in SIDES}
    for i in range(1, n):
        piece = labels == i
        ring = (cv2.dilate(piece.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & taken
        held = {side: int((ring & arms[side]).sum()) for side in SIDES}
        side = max(held, key=held.get)
        if held[side] and not _holds_joint(piece, kps):
            (arms if 2 * (piece & given_back).sum() <= piece.sum() else specks)[side] |= piece
        else:
            kept |= piece
    # the places the arms covered: where the body closes over them across the arm (the slot
    # an arm lying on the body leaves), encloses them, goes on behind them along a leg, or the
    # torso's middle lies under them
    reach = max((float(cv2.distanceTransform((arms[s] & ~hands[s] & ~props[s]).astype(np.uint8), cv2.DIST_L2,
                                             3).max()) for s in SIDES if arms[s].any()), default=2.0)
    covered = binary_fill_holes(kept) | leg_bands(rgb, kept, kps) | torso_core(mask.shape, kps)
    for side, chain in chains.items():
        if arms[side].any():
            covered |= closed_across(kept, arms[side] & ~props[side], chain)  # across the arm, not a bag
    gloves = worn["right"] | worn["left"]
    if gloves.any():  # a glove lying on the thighs: what it encloses with the body is behind it
        covered |= binary_fill_holes(kept | covered | gloves) & ~gloves
    covered &= taken
    covered = joined_fill(kept, covered)
    # the specks stay with the body where it is filled behind the arm (the skirt between the
    # fingers of a hand lying on it); beyond the body's edge they would float where the hand
    # was: there they go with the hand
    for side in SIDES:
        n, labels = cv2.connectedComponents(specks[side].astype(np.uint8), connectivity=8)
        near = cv2.dilate((kept | covered).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        reached = np.unique(labels[near & specks[side]])
        kept |= np.isin(labels, reached[reached > 0])
        arms[side] |= specks[side] & ~kept
    # the body's pixels along a filled place's edge are the arm's soft edge mixed with the
    # body: they are filled too, or the arm leaves a faint outline of itself behind
    off_roots = ~(roots["right"] | roots["left"])  # (an arm's root is the arm's colour)
    rings = {side: kept & ~covered & off_roots
             & (cv2.dilate((covered & arms[side]).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) for side in SIDES}
    edge = rings["right"] | rings["left"]
    # coloured from the body's own colours, not its outlines (ink)
    source = kept & ~ink & off_roots & ~edge
    source = source if source.any() else kept
    # first read across each arm: the body going on under it, from both sides (an outline is
    # skipped there, but a dark area wider than a line, a navy bodice or black tights, is the
    # body's own colour); what that misses, from the nearest body pixels
    body_colour = kept & ~lines & off_roots & ~edge
    first = np.full(rgb.shape, np.nan, np.float32)
    for side, chain in chains.items():
        part = (covered & arms[side]) | rings[side]
        if part.any():
            first[part] = across_colours(rgb, body_colour, part, chain, int(3 * reach) + k)[part]
    body_rgb = fill_behind(rgb, source, covered | edge, reach, first)
    figure = int(mask.sum())
    return Layers(kept | covered, body_rgb,
                  {side: on_bones(arms[side] | roots[side], chains.get(side, []), figure) for side in SIDES})


def body_under_hand(rgb: np.ndarray, mask: np.ndarray, ink: np.ndarray, band: np.ndarray, hand: np.ndarray,
                    chain: list) -> np.ndarray:
    """The pixels of a ``hand`` (its part of the arm's ``band``) that are the body it lies on:
    off the ink, nearer (by ``SAME_COLOUR`` at least) the colours of the body just beyond the
    band there than the arm's own (read along its bones and around the wrist), and joined to
    that body. The hand's reach is a disc wider than the wrist (an open hand); on a hand
    resting on a dress's hip it takes a block of the dress, which would fly with the hand."""
    from scipy.spatial import cKDTree

    from r2a_utils.render.props import SAME_COLOUR

    out = np.zeros_like(hand)
    k = 2 * line_width(mask.shape) + 1
    near = cv2.dilate(hand.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    ring = near & mask & ~band & ~ink
    candidates = hand & ~ink
    pts = bone_points(chain[:2], mask.shape)
    if not ring.any() or not candidates.any() or not len(pts):
        return out
    h, w = mask.shape
    own = [rgb[np.clip(pts[:, 1] + dy, 0, h - 1), np.clip(pts[:, 0] + dx, 0, w - 1)]
           for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    # and the hand's own colour at the wrist (a bare hand out of a sleeve), a line's width around it
    wrist = np.zeros((h, w), np.uint8)
    cv2.circle(wrist, tuple(int(round(v)) for v in chain[1][1]), line_width(mask.shape), 1, -1)
    own = np.concatenate(own + [rgb[(wrist > 0) & band]]).astype(np.float64)
    colours = rgb[candidates].astype(np.float64)
    d_own = cKDTree(own).query(colours)[0]
    d_body = cKDTree(rgb[ring].astype(np.float64)).query(colours)[0]
    out[candidates] = d_body + SAME_COLOUR < d_own
    n, labels = cv2.connectedComponents(out.astype(np.uint8), connectivity=8)
    touching = np.unique(labels[(cv2.dilate(ring.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & out])
    return np.isin(labels, touching[touching > 0])


def on_bones(arm: np.ndarray, chain: list, figure: int) -> np.ndarray:
    """The arm's layer without its small pieces (under ``HAIRLINE_PIECE`` of the ``figure``'s
    pixels) that none of its bones run through, its largest piece kept: specks of skirt seen
    between the fingers, which the layer keeps but the hand does not touch, would float beside
    the moving arm."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(arm.astype(np.uint8), connectivity=8)
    if n <= 2:
        return arm
    pts = bone_points(chain, arm.shape)
    held = set(np.unique(labels[pts[:, 1], pts[:, 0]]).tolist()) | {1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))}
    specks = [i for i in range(1, n) if i not in held and stats[i, cv2.CC_STAT_AREA] < HAIRLINE_PIECE * figure]
    return arm & ~np.isin(labels, specks)


def joined_fill(body: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """The places of ``fill`` (filled behind an arm) joined to ``body``: a piece of fill that
    touches nothing of the body would float when the arm moves away (on 1001467, a line the
    closing across her upper arm drew between her tail ribbon's tip and her torso)."""
    _, pieces = cv2.connectedComponents((body | fill).astype(np.uint8), connectivity=8)
    on_body = np.unique(pieces[body])
    return fill & np.isin(pieces, on_body[on_body > 0])


def _holds_joint(piece: np.ndarray, kps: np.ndarray) -> bool:
    """Does a piece of the picture hold a joint other than the arms' (a head, a leg)?"""
    h, w = piece.shape
    for name, j in J.items():
        if name.endswith(("elbow", "wrist")):
            continue
        p = kps[j, :2]
        if np.isfinite(p).all():
            x, y = int(round(p[0])), int(round(p[1]))
            if 0 <= x < w and 0 <= y < h and piece[y, x]:
                return True
    return False
