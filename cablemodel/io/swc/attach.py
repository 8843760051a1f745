"""Attaching the pieces of a broken SWC tree (``"missing_parent"`` and ``"extra_roots"`` repairs)
closest first, in time near-linear in the number of samples.

The rule (as documented in :func:`~cablemodel.io.swc.read_swc`): every piece other than the
main tree is attached by its first sample (its *anchor*) to the nearest sample of the tree built
so far, the piece whose anchor is nearest going first; an anchor that is a soma sample goes to
the nearest soma sample. Among equal distances the anchor listed first in the file goes first
(anchors at one position count as listed where the first of them is), then the tree sample
listed first.

This is Prim's algorithm from the main tree, where the next piece is given by the closest pair
(tree sample, remaining anchor). Instead of keeping every anchor's distance to the growing tree
up to date (which costs a pass over all anchors per piece), each tree sample keeps its nearest
remaining anchor in a heap: anchors only ever leave, so an entry can only be too small (its
anchor is gone), never too large; a popped entry whose anchor is gone is replaced by the
sample's next nearest, and a popped entry whose anchor remains is the closest pair. Anchors at
one position form one group (taken in file order), so that thousands of anchors at one point
cost no more than one. Groups are numbered in file order (of their first anchor), so that a heap
entry ``(distance, group, sample)`` orders pairs by the rule itself.

Each sample's nearest groups are looked up for all samples at once at the start (in a k-d tree
of the groups). A sample whose known groups are all gone enters the heap with a lower bound of
the distance to the groups left; when it comes first, every such sample is looked up again at
once, in the k-d tree or, when the groups gone since it was built would make that dearer than
building it again, in a new k-d tree of the groups left.
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["attach_pieces"]

#: Nearest groups looked up at once for each sample (at most).
_K = 40
#: Samples looked up again at once: those whose lower bounds are at most _SLACK times the one
#: that came first, at least the _FEW of lowest bounds and at most _BATCH.
_BATCH = 4096
_FEW = 32
_SLACK = 1.1


class _Groups:
    """The anchors of one class (neurite or soma) grouped by position, with each sample's
    nearest groups (nearest first; ``gid``: the groups' numbers, shared by both classes)."""

    def __init__(self, points: np.ndarray, gid: np.ndarray, xyz: np.ndarray,
                 samples: np.ndarray, has: bytearray) -> None:
        self.points, self.gid, self.xyz, self.has = points, gid, xyz, has
        self.left = len(gid)  # groups with anchors left
        self._build()
        # fewer groups, fewer at once: looking again (past the groups gone) costs little then
        self.k = min(_K, max(8, len(gid) // 8))
        d, g = self._query(xyz[samples], self.k)
        self.row = np.full(len(xyz), -1)
        self.row[samples] = np.arange(len(samples))
        self.row = self.row.tolist()
        self.near_d, self.near_g = d.tolist(), g.tolist()
        self.pos = [0] * len(samples)
        self.full = [self.k >= self.live.size] * len(samples)  # the list holds every group

    def _build(self) -> None:
        from scipy.spatial import cKDTree

        self.live = np.flatnonzero(np.frombuffer(self.has, dtype=bool)[self.gid])
        self.kd = cKDTree(self.points[self.live])
        self.emptied = 0  # groups emptied since

    def _query(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.live.size)
        d, i = self.kd.query(q, k=k)
        return d.reshape(len(q), k), self.gid[self.live[i.reshape(len(q), k)]]

    def nearest(self, i: int, key: int) -> tuple[float, int]:
        """``(distance, group)`` of the first group (nearest, then numbered first) with anchors
        left among sample ``i``'s known groups; ``(bound, key)`` when they are all gone or a
        tie at the end of the list may hide a group numbered before: every group left is at
        least ``bound`` away and :meth:`look` finds the nearest (``key``: the negative number
        that marks the class's lower bounds)."""
        near_g, has = self.near_g[i], self.has
        k, end = self.pos[i], len(near_g)
        while k < end and not has[near_g[k]]:
            k += 1
        self.pos[i] = k
        near_d = self.near_d[i]
        if k == end:
            return (near_d[-1] if end else 0.0), key
        best, d, j = near_g[k], near_d[k], k + 1
        while j < end and near_d[j] == d:  # a tie: the group numbered first
            if has[near_g[j]] and near_g[j] < best:
                best = near_g[j]
            j += 1
        if j == end and not self.full[i]:
            return d, key  # the tie may go on beyond the list
        return d, best

    def look(self, samples: list[int], key: int) -> list[tuple[float, int]]:
        """Look up the nearest groups of each of ``samples`` (rows) again, then as
        :meth:`nearest`; ``[]`` when no anchor is left."""
        found: dict[int, tuple[float, int]] = {}
        todo, k = list(samples), self.k
        if not self.left:
            return []
        while todo:
            if self.emptied and len(todo) * (self.emptied + k) > self.live.size:
                self._build()  # cheaper than looking past the groups gone
            want = k + self.emptied  # at least k groups with anchors among them
            d, g = self._query(self.xyz[todo], want)
            full = want >= self.live.size
            again = []
            for t, dd, gg in zip(todo, d.tolist(), g.tolist(), strict=True):
                i = self.row[t]
                self.near_d[i], self.near_g[i], self.pos[i], self.full[i] = dd, gg, 0, full
                near = self.nearest(i, key)
                if near[1] >= 0:
                    found[t] = near
                else:
                    again.append(t)
            todo, k = again, 2 * k  # only ties at the end of a list are left
        return [found[t] for t in samples]


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
    main_rows = np.asarray(main_rows, dtype=int)
    everyone = np.concatenate([main_rows, *pieces.values()])
    # groups: (class, position); numbered by their first anchor (the anchors are in file order)
    soma_anchor = is_soma[anchors]
    cls_pos = np.column_stack([soma_anchor, xyz[anchors]])
    _, first, inverse = np.unique(cls_pos, axis=0, return_index=True, return_inverse=True)
    number = np.empty(len(first), dtype=int)
    number[np.argsort(first, kind="stable")] = np.arange(len(first))
    group = number[np.asarray(inverse).ravel()]  # each anchor's group
    order = np.lexsort((anchors, group))
    members = anchors[order].tolist()  # by group, then file order
    sizes = np.bincount(group, minlength=len(first))
    nxt, end = (np.cumsum(sizes) - sizes).tolist(), np.cumsum(sizes).tolist()
    has = bytearray(b"\x01") * len(first)  # the group has anchors left
    head = anchors[np.sort(first)]  # each group's first anchor, by number
    classes: list[_Groups | None] = []
    for cls in (0, 1):
        gid = np.flatnonzero(is_soma[head] == bool(cls))
        samples = everyone if cls == 0 else everyone[is_soma[everyone]]
        classes.append(_Groups(xyz[head[gid]], gid, xyz, samples, has) if gid.size else None)
    group_cls = is_soma[head].astype(int).tolist()
    heap: list[tuple[float, int, int]] = []
    made: list[tuple[float, int, int]] = []  # entries of the last step, not yet on the heap
    push, pop, pushpop = heapq.heappush, heapq.heappop, heapq.heappushpop
    # per class: samples with a lower bound on the heap, and (bound, sample) for them by bound
    pending: list[dict[int, None]] = [{}, {}]
    bounds: list[list[tuple[float, int]]] = [[], []]
    soma = is_soma.tolist()
    neurite_groups, soma_groups = classes[0] is not None, classes[1] is not None

    def offer(t: int, cls: int) -> None:
        c = classes[cls]
        d, g = c.nearest(c.row[t], -1 - cls)
        if g < 0:
            pending[cls][t] = None
            push(bounds[cls], (d, t))
        made.append((d, g, t))

    def enter(rows: list[int]) -> None:
        for t in rows:
            if neurite_groups:
                offer(t, 0)
            if soma_groups and soma[t]:
                offer(t, 1)

    flat = everyone.tolist()
    stop = (len(main_rows) + np.cumsum([len(rows) for rows in pieces.values()])).tolist()
    span = {a: (b - len(rows), b) for (a, rows), b in zip(pieces.items(), stop, strict=True)}
    enter(flat[:len(main_rows)])
    heap, made = made, []
    heapq.heapify(heap)
    done = []
    while len(done) < len(pieces):
        if len(made) == 1:  # the entry of the last step is often the next: it skips the heap
            d, g, t = pushpop(heap, made.pop())
        elif made:
            least = min(made)
            for entry in made:
                if entry is not least:
                    push(heap, entry)
            made.clear()
            d, g, t = pushpop(heap, least)
        else:
            d, g, t = pop(heap)
        if g < 0:  # it knows no anchor left: look up every sample with a bound near it at once
            cls = -1 - g
            if t in pending[cls]:
                ts, near, limit = [], bounds[cls], d * _SLACK
                while near and len(ts) < _BATCH and (near[0][0] <= limit or len(ts) < _FEW):
                    ts.append(pop(near)[1])
                found = classes[cls].look(ts, g) if ts else []
                if ts and not found:  # no anchor of the class is left
                    pending[cls].clear()
                    near.clear()
                for u, (du, gu) in zip(ts, found, strict=False):
                    del pending[cls][u]
                    made.append((du, gu, u))
            continue
        if not has[g]:  # its anchor is gone: the next one it knows
            offer(t, group_cls[g])
            continue
        anchor = members[nxt[g]]
        nxt[g] += 1
        if nxt[g] == end[g]:
            has[g] = 0
            c = classes[group_cls[g]]
            c.emptied += 1
            c.left -= 1
            offer(t, group_cls[g])
        else:
            made.append((d, g, t))  # the group's next anchor is as near
        done.append((anchor, t, d))
        b, e = span[anchor]
        enter(flat[b:e])
    return done
