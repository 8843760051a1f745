"""Attaching the pieces of a broken SWC tree (``"missing_parent"`` and ``"extra_roots"`` repairs)
closest first, in time near-linear in the number of samples.

The rule (as documented in :func:`~cablemodel.io.swc.read_swc`): every piece other than the
main tree is attached by its first sample (its *anchor*) to the nearest sample of the tree built
so far, the piece whose anchor is nearest going first; an anchor that is a soma sample goes to
the nearest soma sample. Among equal distances the anchor listed first in the file goes first.

This is Prim's algorithm from the main tree, where the next piece is given by the closest pair
(tree sample, remaining anchor). Instead of keeping every anchor's distance to the growing tree
up to date (which costs a pass over all anchors per piece), each tree sample keeps its nearest
remaining anchor in a heap: anchors only ever leave, so an entry can only be too small (its
anchor is gone), never too large; a popped entry whose anchor is gone is looked up again, and a
popped entry whose anchor remains is the closest pair. Anchors at one position form one group
(taken in file order), so that thousands of anchors at one point cost no more than one.
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["attach_pieces"]

#: Nearest neighbours asked of the k-d tree at once (more are asked only when these are gone).
_K = 8


class _Anchors:
    """Remaining anchors of one class (neurite or soma), grouped by position, with a k-d tree of
    the groups that still have anchors (rebuilt when half of its groups are empty)."""

    def __init__(self, rows: np.ndarray, xyz: np.ndarray) -> None:
        self.points, inverse = np.unique(xyz[rows], axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        order = np.lexsort((rows, inverse))  # by group, then by row (file order)
        self.groups = np.split(rows[order], np.flatnonzero(np.diff(inverse[order])) + 1)
        self.key = [int(g[0]) for g in self.groups]  # tie-break: the group's first row
        self.taken = [0] * len(self.groups)
        self.has = np.ones(len(self.groups), dtype=bool)  # the group still has anchors
        self.left = len(self.groups)
        self._build()

    def _build(self) -> None:
        from scipy.spatial import cKDTree

        self.live = np.flatnonzero(self.has)
        self.kd = cKDTree(self.points[self.live]) if self.live.size else None
        self.emptied = 0

    def empty(self, g: int) -> bool:
        return not self.has[g]

    def take(self, g: int) -> int:
        """The next anchor (row) of group ``g``, removed."""
        row = int(self.groups[g][self.taken[g]])
        self.taken[g] += 1
        if self.taken[g] == len(self.groups[g]):
            self.has[g] = False
            self.left -= 1
            self.emptied += 1
        return row

    def nearest(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to and index of the nearest group with anchors left, for each point of ``q``
        (n, 3); index -1 when no anchor is left."""
        dist = np.full(len(q), np.inf)
        group = np.full(len(q), -1)
        if not self.left or not len(q):
            return dist, group
        if 2 * self.emptied > self.live.size:
            self._build()
        k = min(_K, self.live.size)
        todo = np.arange(len(q))
        while todo.size:
            d, i = self.kd.query(q[todo], k=k)
            d, i = d.reshape(len(todo), k), i.reshape(len(todo), k)
            g = self.live[i]
            ok = self.has[g]
            found = ok.any(axis=1)
            first = ok.argmax(axis=1)
            hit = todo[found]
            dist[hit] = d[found, first[found]]
            group[hit] = g[found, first[found]]
            todo = todo[~found]
            if k == self.live.size:
                break
            k = min(4 * k, self.live.size)
        return dist, group


def attach_pieces(main_rows: np.ndarray, pieces: dict[int, np.ndarray], xyz: np.ndarray,
                  is_soma: np.ndarray) -> list[tuple[int, int, float]]:
    """Attach each piece by its anchor to the nearest row of the growing main tree, closest first.

    Parameters
    ----------
    main_rows : array of int
        Rows (samples) of the main tree.
    pieces : dict
        Anchor row -> rows of its piece (the anchor among them); disjoint from ``main_rows``.
    xyz : array (n, 3)
        Positions (um).
    is_soma : array (n,) of bool
        Soma samples (a soma anchor goes to the nearest soma sample; the main tree has one
        whenever a piece starts with one, as it holds the most soma samples).

    Returns
    -------
    list of (anchor, target, distance)
        In the order of attachment (rows; distance in um).

    Example
    -------
    >>> import numpy as np
    >>> xyz = np.array([[0, 0, 0], [0, 50, 0], [0, 60, 0], [0, 100, 0], [0, 102, 0.0]])
    >>> soma = np.zeros(5, dtype=bool)
    >>> attach_pieces(np.array([0, 1]), {2: np.array([2, 3]), 4: np.array([4])}, xyz, soma)
    [(2, 1, 10.0), (4, 3, 2.0)]
    """
    anchors = np.array(sorted(pieces), dtype=int)
    classes = []
    for cls_mask in (~is_soma[anchors], is_soma[anchors]):
        classes.append(_Anchors(anchors[cls_mask], xyz) if cls_mask.any() else None)
    heap: list[tuple[float, int, int, int, int]] = []

    def enter(rows: np.ndarray) -> None:
        """Rows that joined the tree: their nearest anchor of each class goes on the heap."""
        for cls, anchors_of in enumerate(classes):
            sel = rows if cls == 0 else rows[is_soma[rows]]
            if anchors_of is None or not sel.size:
                continue
            dist, group = anchors_of.nearest(xyz[sel])
            for t, d, g in zip(sel.tolist(), dist.tolist(), group.tolist(), strict=True):
                if g >= 0:
                    heapq.heappush(heap, (d, anchors_of.key[g], cls, g, t))

    enter(np.asarray(main_rows, dtype=int))
    done = []
    while len(done) < len(pieces):
        d, key, cls, g, t = heapq.heappop(heap)
        anchors_of = classes[cls]
        if anchors_of.empty(g):  # its anchor is gone: look again
            dist, group = anchors_of.nearest(xyz[[t]])
            if group[0] >= 0:
                heapq.heappush(heap, (float(dist[0]), anchors_of.key[int(group[0])], cls,
                                      int(group[0]), t))
            continue
        anchor = anchors_of.take(g)
        done.append((anchor, t, d))
        heapq.heappush(heap, (d, key, cls, g, t))  # the group's next anchor is as near
        enter(np.asarray(pieces[anchor], dtype=int))
    return done
