"""As-rigid-as-possible (ARAP) deformation of a 2-D triangle mesh, the alternative to
linear-blend skinning that ``MeshRenderer(deform="arap")`` uses.

The two-step formulation of Igarashi & Igarashi (2009), which AnimatedDrawings uses: given
new positions for a few pinned vertices (the handles), find vertex positions whose edges are,
in the least-squares sense, the rest edges turned by some rotation.

1. **Similarity step.** Each edge :math:`e_k = v_j - v_i` may turn and scale with its
   neighbourhood (the edge's two vertices and the one or two vertices opposite it): the best
   similarity :math:`(c_k, s_k)` that maps the rest neighbourhood onto the new one is linear in
   the new vertices, so :math:`\\sum_k \\lVert v'_j - v'_i - T_k(v') e_k \\rVert^2 +
   w^2 \\sum_{h} \\lVert v'_h - p_h \\rVert^2` is a linear least-squares problem in :math:`v'`.
2. **Scale step.** Each :math:`T_k` from step 1 is normalised to a pure rotation :math:`R_k`,
   and :math:`\\sum_k \\lVert v''_j - v''_i - R_k e_k \\rVert^2 + w^2 \\sum_h \\lVert v''_h - p_h
   \\rVert^2` is solved for x and y separately.

Both normal matrices depend only on the rest mesh and the pinned vertices, so they are
factorised once; each frame is four sparse triangular solves. A small pull of every vertex
towards a guess (the skinned position) keeps pieces of a layer without handles in place and
the systems never singular.
"""
from __future__ import annotations

import numpy as np

PIN_WEIGHT = 1000.0  # w: how hard the handles hold, relative to an edge
GUESS_WEIGHT = 0.01  # how hard every vertex is pulled towards the guess (skinned) position


def _edges(triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique edges ``(E, 2)`` and, for each, the vertices opposite it ``(E, 2)`` (-1 when
    the edge lies on the mesh's border and has one triangle)."""
    t = np.asarray(triangles, np.int64)
    half = np.concatenate([t[:, [0, 1, 2]], t[:, [1, 2, 0]], t[:, [2, 0, 1]]])  # (i, j, opposite)
    key = np.sort(half[:, :2], axis=1)
    edges, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    opposite = np.full((len(edges), 2), -1, np.int64)
    order = np.argsort(inverse, kind="stable")
    first = np.r_[True, inverse[order][1:] != inverse[order][:-1]]
    opposite[inverse[order][first], 0] = half[order][first, 2]
    opposite[inverse[order][~first], 1] = half[order][~first, 2]
    return edges, opposite


class Arap:
    """ARAP on one mesh with fixed handle vertices.

    Args:
        vertices: ``(V, 2)`` rest positions.
        triangles: ``(F, 3)`` vertex indices.
        pins: ``(P,)`` indices of the handle vertices (repeats allowed: a vertex held by two
            handles goes to their least-squares compromise).
    """

    def __init__(self, vertices: np.ndarray, triangles: np.ndarray, pins: np.ndarray):
        from scipy.sparse import coo_matrix, identity
        from scipy.sparse.linalg import splu

        v = np.asarray(vertices, np.float64)
        n = len(v)
        self.pins = np.asarray(pins, np.int64)
        edges, opposite = _edges(triangles)
        self.n_edges = len(edges)
        self.rest_edges = v[edges[:, 1]] - v[edges[:, 0]]
        rows, cols, vals = [], [], []  # step 1 matrix A1 (2E + 2P, 2V)
        grows, gcols, gvals = [], [], []  # G (2E, 2V): (c_k, s_k) from the new vertices
        for has_right in (False, True):
            sel = np.flatnonzero((opposite[:, 1] >= 0) == has_right)
            if not len(sel):
                continue
            nbr = np.column_stack([edges[sel], opposite[sel, : 1 + has_right]])  # (m, q): i, j, l[, r]
            q = nbr.shape[1]
            rel = v[nbr[:, 1:]] - v[nbr[:, :1]]  # (m, q-1, 2)
            gk = np.zeros((len(sel), 2 * (q - 1), 2))  # rows (dx, dy), (dy, -dx) per neighbour
            gk[:, 0::2, 0], gk[:, 0::2, 1] = rel[..., 0], rel[..., 1]
            gk[:, 1::2, 0], gk[:, 1::2, 1] = rel[..., 1], -rel[..., 0]
            gstar = np.linalg.solve(np.einsum("mki,mkj->mij", gk, gk), gk.transpose(0, 2, 1))  # (m, 2, 2(q-1))
            # (c, s) = gstar @ (v_nbr - v_i): coefficients on each neighbour and on v_i
            g = np.concatenate([-gstar.reshape(len(sel), 2, q - 1, 2).sum(2), gstar], axis=2)  # (m, 2, 2q)
            ex, ey = self.rest_edges[sel, 0], self.rest_edges[sel, 1]
            emat = np.stack([np.stack([ex, ey], -1), np.stack([ey, -ex], -1)], 1)  # (m, 2, 2)
            h = -np.einsum("mij,mjk->mik", emat, g)  # minus T_k e_k's coefficients
            h[:, :, 0:2] -= np.eye(2)  # - v_i
            h[:, :, 2:4] += np.eye(2)  # + v_j
            dof = (2 * nbr[:, :, None] + np.arange(2)).reshape(len(sel), 2 * q)  # (m, 2q)
            r = 2 * sel[:, None, None] + np.arange(2)[None, :, None]  # (m, 2, 1)
            for store_r, store_c, store_v, mat in ((rows, cols, vals, h), (grows, gcols, gvals, g)):
                store_r.append(np.broadcast_to(r, mat.shape).ravel())
                store_c.append(np.broadcast_to(dof[:, None, :], mat.shape).ravel())
                store_v.append(mat.ravel())
        pin_rows = 2 * self.n_edges + np.arange(2 * len(self.pins))
        rows.append(pin_rows)
        cols.append((2 * self.pins[:, None] + np.arange(2)).ravel())
        vals.append(np.full(len(pin_rows), PIN_WEIGHT))
        a1 = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(2 * self.n_edges + 2 * len(self.pins), 2 * n)).tocsr()
        self.g = coo_matrix((np.concatenate(gvals), (np.concatenate(grows), np.concatenate(gcols))),
                            shape=(2 * self.n_edges, 2 * n)).tocsr()
        self._a1t = a1.T.tocsr()
        self._lu1 = splu((a1.T @ a1 + GUESS_WEIGHT ** 2 * identity(2 * n)).tocsc())
        e = np.arange(self.n_edges)
        a2 = coo_matrix((np.concatenate([-np.ones(self.n_edges), np.ones(self.n_edges),
                                         np.full(len(self.pins), PIN_WEIGHT)]),
                         (np.concatenate([e, e, self.n_edges + np.arange(len(self.pins))]),
                          np.concatenate([edges[:, 0], edges[:, 1], self.pins]))),
                        shape=(self.n_edges + len(self.pins), n)).tocsr()
        self._a2t = a2.T.tocsr()
        self._lu2 = splu((a2.T @ a2 + GUESS_WEIGHT ** 2 * identity(n)).tocsc())

    def solve(self, targets: np.ndarray, guess: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """New vertex positions ``(V, 2)`` with the handles at ``targets`` ``(P, 2)``;
        ``guess`` ``(V, 2)`` holds vertices no handle reaches (e.g. the skinned positions).
        ``scale``: the figure's overall change of size (ARAP keeps edge lengths, so a character
        drawn smaller than its picture needs its rest edges scaled first)."""
        t = np.asarray(targets, np.float64)
        guess = np.asarray(guess, np.float64)
        b1 = np.concatenate([np.zeros(2 * self.n_edges), PIN_WEIGHT * t.ravel()])
        v1 = self._lu1.solve(self._a1t @ b1 + GUESS_WEIGHT ** 2 * guess.ravel())
        cs = (self.g @ v1).reshape(-1, 2)
        cs /= np.maximum(np.linalg.norm(cs, axis=1, keepdims=True), 1e-12)
        c, s = cs[:, 0], cs[:, 1]
        ex, ey = self.rest_edges[:, 0], self.rest_edges[:, 1]
        turned = scale * np.stack([c * ex + s * ey, -s * ex + c * ey], 1)
        b2 = np.concatenate([turned, PIN_WEIGHT * t])
        rhs = self._a2t @ b2 + GUESS_WEIGHT ** 2 * guess
        return np.stack([self._lu2.solve(rhs[:, 0]), self._lu2.solve(rhs[:, 1])], 1)
