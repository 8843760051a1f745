"""Attaching the pieces of a broken SWC tree (``"missing_parent"`` and ``"extra_roots"`` repairs)
closest first, in time near-linear in the number of samples.

The rule (as documented in :func:`~cablemodel.io.swc.read_swc`): every piece other than the
main tree is attached by its first sample (its *anchor*) to the nearest sample of the tree built
so far, the piece whose anchor is nearest going first; an anchor that is a soma sample goes to
the nearest soma sample. Among equal distances the anchor listed first in the file goes first
(anchors at one position count as listed where the first of them is; a tie is decided among the
16 nearest positions of each sample).

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

#: Nearest anchor groups looked up at once for each sample (more only when these are gone).
_K = 16
#: Samples looked up again at once, at most.
_BATCH = 4096


class _Anchors:
    """Remaining anchors of one class (neurite or soma), grouped by position, and each
    sample's nearest groups: looked up for all samples at once at the start, then taken in
    order of distance as groups empty; a sample whose groups are all empty looks again in a k-d
    tree of the groups left (rebuilt, when a sample looks again, once a sixteenth of its groups
    have emptied: the look-ups then find few empty groups, at a cost of O(log n) rebuilds)."""

    def __init__(self, rows: np.ndarray, xyz: np.ndarray, samples: np.ndarray) -> None:
        self.points, inverse = np.unique(xyz[rows], axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        order = np.lexsort((rows, inverse))  # by group, then by row (file order)
        self.members = rows[order].tolist()
        sizes = np.bincount(inverse, minlength=len(self.points))
        self.next = (np.cumsum(sizes) - sizes).tolist()  # the group's next anchor in `members`
        self.end = np.cumsum(sizes).tolist()
        self.key = [self.members[k] for k in self.next]  # tie-break: the group's first row
        self.has = [True] * len(self.points)  # the group still has anchors
        self.left = len(self.points)
        self.xyz = xyz
        self._build()
        # each sample's nearest groups (distances and groups, nearest first), and how far it got
        d, g = self._query(xyz[samples])
        self.row = [-1] * len(xyz)
        for i, t in enumerate(samples.tolist()):
            self.row[t] = i
        self.near_d, self.near_g = d.tolist(), g.tolist()
        self.pos = [0] * len(samples)

    def _build(self) -> None:
        from scipy.spatial import cKDTree

        self.live = np.flatnonzero(np.array(self.has))
        self.kd = cKDTree(self.points[self.live])
        self.emptied = 0

    def _query(self, q: np.ndarray, k: int = _K) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.live.size)
        d, i = self.kd.query(q, k=k)
        return d.reshape(len(q), k), self.live[i.reshape(len(q), k)]

    def take(self, g: int) -> int:
        """The next anchor (row) of group ``g``, removed."""
        row = self.members[self.next[g]]
        self.next[g] += 1
        if self.next[g] == self.end[g]:
            self.has[g] = False
            self.left -= 1
            self.emptied += 1
        return row

    def nearest(self, t: int) -> tuple[float, int]:
        """``(distance, group)`` of the nearest group with anchors left among sample ``t``'s
        known nearest groups; ``(bound, -1)`` when they are all empty: every group left is at
        least ``bound`` away, and :meth:`look` finds the nearest."""
        i = self.row[t]
        near_g, k, has = self.near_g[i], self.pos[i], self.has
        end = len(near_g)
        while k < end and not has[near_g[k]]:
            k += 1
        self.pos[i] = k
        if k == end:
            return (self.near_d[i][-1] if end else 0.0), -1
        near_d, key = self.near_d[i], self.key
        best, j = near_g[k], k + 1
        while j < end and near_d[j] == near_d[k]:  # a tie: the group listed first in the file
            if has[near_g[j]] and key[near_g[j]] < key[best]:
                best = near_g[j]
            j += 1
        return near_d[k], best

    def look(self, samples: list[int]) -> list[tuple[float, int] | None]:
        """Look up the nearest groups of each of ``samples`` again, in the k-d tree of the
        groups left; then as :meth:`nearest` (None when no anchor is left)."""
        found: dict[int, tuple[float, int]] = {}
        todo = list(samples)
        wanted = 2 * _K
        while todo and self.left:
            if 16 * self.emptied > self.live.size or wanted > 4 * self.live.size:
                self._build()  # (its groups all have anchors: the next look finds one)
                wanted = 2 * _K
            d, g = self._query(self.xyz[todo], wanted)
            again = []
            for t, dd, gg in zip(todo, d.tolist(), g.tolist(), strict=True):
                i = self.row[t]
                self.near_d[i], self.near_g[i], self.pos[i] = dd, gg, 0
                near = self.nearest(t)
                if near[1] >= 0:
                    found[t] = near
                else:
                    again.append(t)
            todo = again
            wanted *= 4
        return [found.get(t) for t in samples]


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
    everyone = np.concatenate([np.asarray(main_rows, dtype=int), *pieces.values()])
    classes = []
    for cls, mask in enumerate((~is_soma[anchors], is_soma[anchors])):
        samples = everyone if cls == 0 else everyone[is_soma[everyone]]
        classes.append(_Anchors(anchors[mask], xyz, samples) if mask.any() else None)
    heap: list[tuple[float, int, int, int, int]] = []
    push = heapq.heappush
    # samples whose entry in the heap is a lower bound (they know no anchor left), per class
    pending: list[dict[int, None]] = [{}, {}]

    def offer(t: int, cls: int, found: tuple[float, int]) -> None:
        d, g = found
        if g < 0:
            pending[cls][t] = None
        push(heap, (d, classes[cls].key[g] if g >= 0 else -1, cls, g, t))

    def enter(rows: list[int]) -> None:
        """Rows that joined the tree: their nearest anchor of each class goes on the heap
        (group -1: a lower bound, looked up when it comes first)."""
        for cls, anchors_of in enumerate(classes):
            if anchors_of is None:
                continue
            for t in rows:
                if cls == 0 or soma[t]:
                    offer(t, cls, anchors_of.nearest(t))

    soma = is_soma.tolist()
    enter(np.asarray(main_rows, dtype=int).tolist())
    done = []
    while len(done) < len(pieces):
        d, key, cls, g, t = heapq.heappop(heap)
        anchors_of = classes[cls]
        if g >= 0 and not anchors_of.has[g]:  # its anchor is gone: the next one it knows
            offer(t, cls, anchors_of.nearest(t))
            continue
        if g < 0:  # it knows no anchor left: look up every such sample at once
            if t not in pending[cls]:
                continue  # already looked up
            ts = list(pending[cls])[:_BATCH]
            for u, found in zip(ts, anchors_of.look(ts), strict=True):
                del pending[cls][u]
                if found is not None:
                    offer(u, cls, found)
            continue
        anchor = anchors_of.take(g)
        done.append((anchor, t, d))
        push(heap, (d, key, cls, g, t))  # the group's next anchor is as near
        enter(pieces[anchor].tolist())
    return done
