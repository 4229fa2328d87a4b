"""What an arm's layer gives back to the body, and what it takes from it.

Given back (``give_back_dark_body``): the dark areas it reached into that are the body's (a
navy bodice under a white forearm, a black skirt under a hand), not a prop it holds (a staff,
a bag, a glove). Taken (``held_props``): what the hand holds beside the body, a bag touching
the skirt or a staff across the hip, which neither the arm's band nor a piece cut off from the
body would bring along.

``render.layers`` cuts each arm out of the picture as a band around its bones. Where a light
arm lies on a dark body, the band's walks across the arm run on into the dark area beside it,
and the arm would carry pieces of bodice or skirt away. The dark areas wider than a line are
found (an opening of the ink), and one the band reached into goes back to the body when

- most of it lies outside the band (the band only reached into it);
- the arm's bones do not run through it (it is not a dark sleeve of one piece with a jacket);
- it is not a held prop: a prop sticks out of the figure (most of it lies within a line's
  width or two of the cut-out's edge) and crosses the body's bones instead of running along
  them (under ``PROP_BONES`` of the spine's and legs' sample points lie on it).

What giving back leaves apart from the arm's bones and root goes to the body too: an arm's
layer stays one piece along its bones.

The opening keeps a dark area's middle, not its rim: the soft edge of a black skirt by the
forearm and the skirt seen between the fingers of a hand lying on it are as thin as lines, and
the arm took them for its outline. ``dark_body_rim`` gives back the arm's line pixels beside
such an area, or in a hand on it, that have the area's own colour, unless the arm is dressed or
outlined in that colour, or they edge a dark area the arm keeps (a glove).

A held thing is a flat area of the picture between its lines, joined to the areas next to it
whose colour goes on across the line (a skirt's pleats, locks of hair, a bag's flap make one
thing). It goes with the hand when it touches that hand only, the body's bones do not cross
it, and it lies beyond the hand: ``HELD_SHARE`` of its pixels nearer the hand's bone than
any other (a bag), or long and thin with its axis through the hand (a staff); or the hand
wears it: ``WORN`` of the hand's pixels lie in its dark area, which the body's bones do not
run along (a glove lying on a thigh, nearer the thigh's bone than the hand's). What it
encloses with the background goes along, and its outline; nothing goes that would leave a
piece of the body adrift, or that lies mostly in background the figure encloses (a pattern
on a thing the cut-out lost).

Taught in notebooks/05_full_pipeline_demo.ipynb.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import binary_fill_holes, find_objects
from scipy.spatial import cKDTree

from r2a_utils.render.bones import segment_distance
from r2a_utils.render.reach import LEG_BONES, bone_points, line_width
from r2a_utils.skeleton import J

ALONG_ARM = 0.2  # share of the arm's bone points in a dark area that make it the arm's own (a sleeve)
PROP_RIM = 0.5  # share of a dark area near the cut-out's edge above which it sticks out like a held prop
PROP_BONES = 0.1  # share of the body's bone points a held prop may cover (it crosses them)


def give_back_dark_body(arms: dict[str, np.ndarray], roots: dict[str, np.ndarray], wide: np.ndarray,
                        mask: np.ndarray, chains: dict, kps: np.ndarray) -> np.ndarray:
    """Takes the body's dark areas out of ``arms`` (``{side: bool mask}``, changed in place;
    ``roots`` their shoulder parts, ``chains`` their bones) and returns them: ``wide`` marks
    the dark areas wider than a line, ``mask`` the cut-out, ``kps`` the joints (18, 3)."""
    given = np.zeros_like(mask)
    n, labels = cv2.connectedComponents(wide.astype(np.uint8), connectivity=8)
    if n <= 1:
        return given
    anywhere = arms["right"] | arms["left"]
    body = mask & ~anywhere
    outside = np.bincount(labels[body], minlength=n)
    near_edge = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3) <= 2 * line_width(mask.shape)
    rim = np.bincount(labels[body & near_edge], minlength=n)
    k = kps[:, :2].astype(np.float64)
    spine = (k[J["neck"]], (k[J["right_hip"]] + k[J["left_hip"]]) / 2)
    bones = bone_points([spine] + [(k[J[a]], k[J[b]]) for a, b in LEG_BONES], mask.shape)
    bones = bones[body[bones[:, 1], bones[:, 0]]]
    on_bones = np.bincount(labels[bones[:, 1], bones[:, 0]], minlength=n)
    prop = (rim > PROP_RIM * np.maximum(outside, 1)) & (on_bones < PROP_BONES * max(len(bones), 1))
    for side, chain in chains.items():
        if not arms[side].any():
            continue
        inside = np.bincount(labels[arms[side]], minlength=n)
        arm_bones = bone_points(chain[:2], mask.shape)
        along = np.bincount(labels[arm_bones[:, 1], arm_bones[:, 0]], minlength=n)
        back = np.isin(labels, [i for i in range(1, n) if inside[i] and outside[i] > inside[i]
                                and along[i] < ALONG_ARM * len(arm_bones) and not prop[i]])
        if not (back & arms[side]).any():
            continue
        given |= back & arms[side]
        _, left = cv2.connectedComponents(((arms[side] | roots[side]) & ~back).astype(np.uint8), connectivity=8)
        on = left[arm_bones[:, 1], arm_bones[:, 0]]
        arms[side] &= np.isin(left, on[on > 0])
    return given


HELD_SHARE = 0.5  # share of a thing's pixels nearer the hand's bone than any other: it hangs from the hand
WORN = 0.5  # share of the hand's pixels in one dark area above which the hand wears it (a glove, a mitt)
ELONGATED = 3.0  # a thing this many times longer than wide, its axis through the hand, is held (a staff)
ENCLOSED = 0.8  # share of an area's surroundings that are the held thing, background or lines: it goes along
HELD_MOST = 0.25  # share of the figure a held thing stays under
ADRIFT = 0.002  # share of the figure that taking the held things may leave apart from everything
IN_HOLES = 0.3  # share of a thing's surroundings in background the figure encloses above which it stays
SAME_COLOUR = 30.0  # RGB distance within which two areas next to each other across a line are one thing
SAME_SAMPLES = 8  # ... of this many of the 256 colours sampled from the area


def _box(boxes: list, i: int, pad: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """Area ``i``'s bounding box (``find_objects``), ``pad`` pixels wider on every side."""
    ys, xs = boxes[i - 1]
    return (slice(max(ys.start - pad, 0), min(ys.stop + pad, shape[0])),
            slice(max(xs.start - pad, 0), min(xs.stop + pad, shape[1])))


def _same_thing(rgb: np.ndarray, labels: np.ndarray, boxes: list, core: np.ndarray, start: int, k: int,
                most: int) -> tuple[set[int], bool]:
    """The flat area ``start`` and the areas next to it, across a line, that go on in its
    colour (a skirt's pleats, locks of hair, a bag's flap): one thing, as a set of labels.
    ``core``: the pixels off the lines' soft edges (their colours are compared); ``boxes``:
    each area's bounding box. Returns ``(labels, whole)``: ``whole`` is False when the thing
    grew past ``most`` pixels (too big to be held) and the search stopped."""
    kernel, rng = np.ones((k, k), np.uint8), np.random.default_rng(0)
    sizes = np.bincount(labels.ravel())
    thing, frontier, size = {start}, [start], int(sizes[start])
    while frontier:
        j = frontier.pop()
        box = _box(boxes, j, 2 * k, labels.shape)
        sub, sub_core, sub_rgb = labels[box], core[box], rgb[box]
        area = sub == j
        colours = sub_rgb[area & sub_core] if (area & sub_core).any() else sub_rgb[area]
        colours = colours[rng.choice(len(colours), min(len(colours), 256), replace=False)].astype(np.float64)
        ring = (cv2.dilate(area.astype(np.uint8), kernel, iterations=2) > 0) & ~area & sub_core & (sub > 0)
        if not ring.any():
            continue
        # within SAME_COLOUR of SAME_SAMPLES of its colours: a colour it has, not a speck of it
        dist, _ = cKDTree(colours).query(sub_rgb[ring].astype(np.float64), k=[min(SAME_SAMPLES, len(colours))])
        dist = dist[:, 0]
        joined = np.bincount(sub[ring][dist < SAME_COLOUR], minlength=len(sizes))
        for other in np.flatnonzero(joined >= k):
            if other not in thing:
                thing.add(int(other))
                frontier.append(int(other))
                size += int(sizes[other])
                if size > most:
                    return thing, False
    return thing, True


def _enclosed(labels: np.ndarray, boxes: list, held: np.ndarray, mask: np.ndarray, ink: np.ndarray,
              bones: np.ndarray, k: int) -> np.ndarray:
    """Areas beside ``held``, smaller than it and off the body's ``bones``, that it encloses
    with the background and the lines (``ENCLOSED`` of what lies around them): the highlights
    between a bundle of barrels, the inside of a bag's handle."""
    out = np.zeros_like(held)
    kernel = np.ones((k, k), np.uint8)
    near = (cv2.dilate(held.astype(np.uint8), kernel) > 0) & ~held & (labels > 0)
    on_bones = set(np.unique(labels[bones[:, 1], bones[:, 0]]).tolist())
    sizes, most = np.bincount(labels.ravel()), int(held.sum())
    closed = held | ~mask | ink
    for i in np.unique(labels[near]).tolist():
        if i in on_bones or sizes[i] > most:
            continue
        box = _box(boxes, i, 2 * k, labels.shape)
        area = labels[box] == i
        ring = (cv2.dilate(area.astype(np.uint8), kernel, iterations=2) > 0) & ~area
        if (ring & closed[box]).sum() >= ENCLOSED * ring.sum():
            out[box] |= area
    return out


def _through(px: np.ndarray, hand: tuple[np.ndarray, np.ndarray], k: int) -> bool:
    """Is the thing at ``px`` long and thin (``ELONGATED``), its axis through the hand?"""
    if len(px) < 2 * k:
        return False
    centre = px.mean(0)
    values, vectors = np.linalg.eigh(np.cov((px - centre).T))
    if values[1] < ELONGATED ** 2 * max(values[0], 1e-6):
        return False
    axis = vectors[:, 1]
    mid = (hand[0] + hand[1]) / 2 - centre
    return abs(mid[0] * axis[1] - mid[1] * axis[0]) <= max(float(np.linalg.norm(hand[1] - hand[0])), k)


def held_props(rgb: np.ndarray, mask: np.ndarray, ink: np.ndarray, wide: np.ndarray, body: np.ndarray,
               arm: np.ndarray, hand: np.ndarray, chain: list, kps: np.ndarray,
               other_hand: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """What of ``body`` the hand holds (a bag, a staff, a sword): things (flat areas of the
    picture between its lines, joined to those next to them that go on in their colour,
    ``_same_thing``) that touch the hand (``hand``, its pixels) and lie beyond it:
    ``HELD_SHARE`` of their pixels are nearer the hand's bone (the last of ``chain``) than
    the arm's other bones and the body's. A skirt's pleat by the hand is one thing with the
    rest of the skirt, which lies along the legs. A thing both hands touch (``other_hand``:
    the other hand's pixels) stays with the body: neither hand alone carries it. With their
    outlines. Returns ``(held, worn)``: ``worn``, the dark areas the hand is drawn in (a glove,
    ``_worn``) with their outlines, held or not."""
    held = np.zeros_like(mask)
    if not hand.any():
        return held, held.copy()
    k = 2 * line_width(mask.shape) + 1
    free = body & (~ink | wide)  # the fills, and the dark areas wider than a line (a dark staff)
    n, labels = cv2.connectedComponents((body & ~ink).astype(np.uint8), connectivity=4)
    _, dark = cv2.connectedComponents((body & wide).astype(np.uint8), connectivity=4)
    labels = np.where(dark > 0, dark + n, labels)
    boxes = find_objects(labels)
    core = cv2.distanceTransform(free.astype(np.uint8), cv2.DIST_L2, 3) > 2  # off the lines' soft edges
    near_hand, near_other = (cv2.dilate(h.astype(np.uint8), np.ones((2 * k + 1, 2 * k + 1), np.uint8)) > 0
                             for h in (hand, other_hand if other_hand is not None else np.zeros_like(hand)))
    p = kps[:, :2].astype(np.float64)
    hips = (p[J["right_hip"]] + p[J["left_hip"]]) / 2
    others = list(chain[:2]) + [(p[J["neck"]], hips), (p[J["neck"]], p[J["nose"]]),
                                (p[J["right_shoulder"]], p[J["left_shoulder"]])]
    others += [(p[J[a]], p[J[b]]) for a, b in LEG_BONES]
    others = [(a, b) for a, b in others if np.isfinite(a).all() and np.isfinite(b).all()]
    bones = bone_points(others[2:], mask.shape)  # the body's, not the arm's
    holes = binary_fill_holes(mask) & ~mask  # background the figure encloses
    worn = _worn(wide, hand, bones)
    worn_outlined = mask & (cv2.dilate(worn.astype(np.uint8), np.ones((k, k), np.uint8)) > 0)
    done: set[int] = set()
    for i in np.unique(labels[near_hand & (labels > 0)]).tolist():
        if i in done:
            continue
        found, whole = _same_thing(rgb, labels, boxes, core, i, k, int(HELD_MOST * mask.sum()))
        done |= found
        if not whole:
            continue  # larger than anything a hand holds
        thing = np.isin(labels, list(found))
        if bones[thing[bones[:, 1], bones[:, 0]]].shape[0] > PROP_BONES * max(len(bones), 1):
            continue  # the body's bones cross it: a skirt, a jacket
        if (thing & near_other).any():
            continue  # held in both hands
        ys, xs = np.nonzero(thing)
        px = np.stack([xs, ys], 1).astype(np.float64)
        to_other = np.min([segment_distance(px, a, b) for a, b in others], axis=0)
        if not (2 * (thing & worn).sum() >= thing.sum() or _through(px, chain[2], k)
                or (segment_distance(px, *chain[2]) < to_other).mean() >= HELD_SHARE):
            continue
        ring = (cv2.dilate(thing.astype(np.uint8), np.ones((k, k), np.uint8), iterations=2) > 0) & ~thing
        if (ring & holes).sum() <= IN_HOLES * ring.sum():  # not a pattern on a thing the cut-out lost
            held |= thing
    if not held.any():
        return held, worn_outlined
    held |= _enclosed(labels, boxes, held, mask, ink, bones, k)
    # the lines within a line's width of it and nearer it than the rest of the body
    to_held = cv2.distanceTransform((~held).astype(np.uint8), cv2.DIST_L2, 3)
    to_rest = cv2.distanceTransform((~(free & ~held)).astype(np.uint8), cv2.DIST_L2, 3)
    held |= ink & ~wide & body & (to_held <= k) & (to_held <= to_rest)
    # only what then hangs on to the arm (its mesh reaches no piece apart from it)
    _, pieces = cv2.connectedComponents((held | arm).astype(np.uint8), connectivity=8)
    on_arm = np.unique(pieces[arm])
    held &= np.isin(pieces, on_arm[on_arm > 0])
    # nor what would leave a piece of the body hanging on nothing (the outline of a flag whose
    # white the cut-out lost, around the red disc the hand would take)
    if _adrift(body & ~held, arm | held) > _adrift(body, arm) + ADRIFT * mask.sum():
        held[:] = False
    return held, worn_outlined


def _worn(wide: np.ndarray, hand: np.ndarray, bones: np.ndarray) -> np.ndarray:
    """The dark areas (``wide``) the hand is drawn in (``WORN`` of the hand's pixels in one of
    them) that the body's ``bones`` do not run along: a glove, a mitt; not a black legging the
    hand lies on, which a dark glove joins into one area."""
    _, areas = cv2.connectedComponents(wide.astype(np.uint8), connectivity=8)
    counts = np.bincount(areas[hand], minlength=areas.max() + 1)
    on_bones = np.bincount(areas[bones[:, 1], bones[:, 0]], minlength=areas.max() + 1)
    counts[0] = 0
    return np.isin(areas, np.flatnonzero((counts >= WORN * max(int(hand.sum()), 1))
                                         & (on_bones <= PROP_BONES * max(len(bones), 1))))


def _adrift(body: np.ndarray, arm: np.ndarray) -> int:
    """Pixels of ``body`` in pieces apart from its largest that do not touch ``arm`` either."""
    n, pieces, stats, _ = cv2.connectedComponentsWithStats(body.astype(np.uint8), connectivity=8)
    if n <= 2:
        return 0
    touching = set(np.unique(pieces[cv2.dilate(arm.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0]).tolist())
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return int(sum(stats[i, cv2.CC_STAT_AREA] for i in range(1, n) if i != largest and i not in touching))


RIM_COLOUR = 20.0  # RGB distance from the dark body's colours beside it within which a line pixel is that body's rim
OUTLINED = 0.5  # pixels of lines of that colour per pixel of an arm's edge: it is outlined in it, and keeps its lines


def dark_body_rim(rgb: np.ndarray, mask: np.ndarray, lines: np.ndarray, wide: np.ndarray, arm: np.ndarray,
                  hand: np.ndarray, bones: np.ndarray) -> np.ndarray:
    """The rim of the body's dark areas in an ``arm``'s layer: the arm's line pixels (``lines``:
    ink thinner than a line) within a line's width of a dark area that is the body's (those of
    the dark areas wider than a line, ``wide``, that are not in the arm's layer), or anywhere in
    a ``hand`` that touches one, in that area's colour (within ``RIM_COLOUR`` of its colours
    nearby, a line's width inside it), and not beside a dark area the arm keeps (the rim of a
    glove, of a bucket in the hand).

    An opening finds the middle of a black skirt, not its soft rim, nor the skirt seen between
    the fingers of a hand lying on it; a band that reached into them would carry them off as
    strips and specks. An arm outlined in that colour (``OUTLINED`` pixels of such lines per
    pixel of its edge against the background, ``mask``'s outside, away from the dark area:
    black lines on a black skirt), or dressed in it (``ALONG_ARM`` of the points along its
    ``bones`` near it: a sleeve of one cloth with the dress), gives back nothing: there the rim
    cannot be told from the arm."""
    out = np.zeros_like(arm)
    k = 2 * line_width(arm.shape) + 1
    body_dark = wide & ~arm
    near = cv2.dilate(body_dark.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    if (near & hand).any():  # a hand lying on the dark body: between its fingers too
        near |= hand
    own = arm & wide  # the arm's own dark areas (a glove, a held bucket) keep their rims
    rim = arm & lines & near & ~(cv2.dilate(own.astype(np.uint8), np.ones((k, k), np.uint8)) > 0)
    if not rim.any():
        return out
    # its colours: inside it (an outline merged with its edge is not its colour), by the rim
    inner = cv2.erode(body_dark.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    beside = inner & (cv2.dilate(rim.astype(np.uint8), np.ones((3 * k, 3 * k), np.uint8)) > 0)
    if not beside.any():
        return out
    body = cKDTree(rgb[beside][:: max(1, int(beside.sum()) // 512)].astype(np.float64))
    # is the arm itself of that colour (a dark sleeve of one cloth with the dress)? Its bones tell
    on_bones = body.query(rgb[bones[:, 1], bones[:, 0]].astype(np.float64))[0] <= 2 * RIM_COLOUR
    if on_bones.mean() >= ALONG_ARM:
        return out
    # is it outlined in that colour? Its edge against the background away from the dark area
    # tells: lines of that colour within a line's width of the edge, per pixel of the edge
    outside = (~mask).astype(np.uint8)
    boundary = arm & ~near & (cv2.dilate(outside, np.ones((3, 3), np.uint8)) > 0)
    edge_lines = arm & ~near & lines & (cv2.dilate(outside, np.ones((k, k), np.uint8)) > 0)
    if boundary.sum() < 2 * k:  # no such edge (it lies on the body): its lines away from the dark area
        boundary = edge_lines = arm & ~near & lines
    if edge_lines.any():
        outlined = (body.query(rgb[edge_lines].astype(np.float64))[0] <= RIM_COLOUR).sum()
        if outlined >= OUTLINED * boundary.sum():
            return out  # black lines, black skirt: its lines are its own
    out[rim] = body.query(rgb[rim].astype(np.float64))[0] <= RIM_COLOUR
    return out
