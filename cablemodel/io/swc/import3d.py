"""How NEURON's Import3d turns the soma of an SWC file into sections, and what that means for the
neurites attached to it: where each one starts, and how far that is from NEURON's distance origin.

cablemodel's default for SWC files (``read_swc(..., attachment="neuron")``) reproduces these rules
so that a reconstruction loaded here and in NEURON (``Import3d_SWC_read`` + ``Import3d_GUI``, the
way nearly every NEURON model loads SWC) has the same neurite geometry and the same path
distances. The rules, as NEURON 9 applies them (samples taken in id order):

* **Sections.** Import3d cuts the samples into unbranched sections. A soma sample continues its
  section into the next sample (by id) when that sample is a soma sample and its child, unless the
  sample is not the root and has several soma children. A neurite sample continues only into a
  single child that is the next sample and has the same type. A file whose three soma samples
  are the exact NeuroMorpho.Org three-point soma (equal diameters, the two outer samples children
  of the centre at distances summing to the diameter within 1 %) gets a one-sample root.
* **A one-sample root section is a sphere**, represented as a cylinder of length = diameter
  (membrane area ``pi d^2``). For a single-point or three-point soma this is the whole soma; for a
  branched soma whose root sample starts no chain (the next sample is not its soma child) it is
  added to the frustums of the other soma sections.
* **Attachment.** A neurite section whose parent sample is a soma sample is connected:
  to the middle of a one-sample root, or of any soma section whose *interior* sample it starts
  from (parent x = 0.5), or to the root's first sample (x = 0), or to the end of the soma section
  ending at its parent sample (x = 1). In the first two cases, and when the parent sample has
  several soma children, a neurite section of more than one sample is joined by a "wire": its
  geometry starts at its own first sample. Otherwise it starts at the parent soma sample, with a
  real cable piece of the neurite's first diameter from there to its first sample.
* **Distance.** ``h.distance`` measures from the middle of the first soma section, along the soma
  sections to the attachment point (parent x), then along the neurite.

Electrically cablemodel keeps the soma one isopotential compartment (a sphere of the soma's
area), so the axial resistance inside NEURON's soma sections (a few MOhm at most for thin soma
branches) is the one remaining difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...morphology.batch import piece_lengths, run_sums

__all__ = ["NeuronSoma", "SomaSection", "neuron_soma"]

#: Import3d accepts a three-point soma when the outer samples' distances sum to the diameter
#: within this fraction.
_THREE_POINT_RTOL = 0.01


@dataclass(frozen=True)
class NeuronSoma:
    """What Import3d makes of a soma (rows index the reader's samples; lengths in um).

    Attributes
    ----------
    wire : dict
        Row of a neurite's first sample (child of a soma sample) -> ``True`` if Import3d starts
        that neurite at its own first sample, ``False`` if at its parent soma sample.
    origin_distance : dict
        The same rows -> NEURON's path distance from the middle of the first soma section to
        where the neurite is attached.
    proximal : frozenset
        Rows of branches that Import3d connects to the *proximal* end of a neurite's first
        section (a branch leaving that neurite's first sample, when the neurite is not its
        parent's next sample): electrically at the soma end, geometrically starting at the
        neurite's first sample.
    root_sphere_area : float
        Area (um^2) Import3d gives a one-sample root section (``pi d^2``), 0 if the root
        section has several samples.
    root_area : float
        Membrane area (um^2) of Import3d's root section: ``root_sphere_area``, or the frustums of
        its chain of samples.
    three_point : bool
        Import3d recognised the NeuroMorpho.Org three-point soma.
    soma_sections : list of SomaSection
        Import3d's soma sections, the root first, parents before children.
    section_of : dict
        Row of a soma sample -> index in ``soma_sections`` of the section it is a point of.
    id_order : bool
        Every parent comes before its children in id order, as Import3d requires. If not (NEURON
        refuses such a file), the rules were applied in depth-first order (children by id).
    """

    wire: dict[int, bool]
    origin_distance: dict[int, float]
    proximal: frozenset[int]
    root_sphere_area: float
    root_area: float
    three_point: bool
    soma_sections: list[SomaSection]
    section_of: dict[int, int]
    id_order: bool


@dataclass(frozen=True)
class SomaSection:
    """One of Import3d's soma sections (rows index the reader's samples).

    ``rows``: its own samples in order; ``parent``: index of the parent soma section (-1 for the
    root); ``start``: row of the parent sample it starts from (-1 for the root); ``parentx``:
    where on the parent it is connected (0, 0.5 or 1); ``origin_distance``: NEURON's distance of
    that connection point from the middle of the root section (um).
    """

    rows: tuple[int, ...]
    parent: int
    start: int
    parentx: float
    origin_distance: float


def neuron_soma(ids, types, xyz: np.ndarray, radius: np.ndarray, parent: np.ndarray) -> NeuronSoma:
    """Apply Import3d's soma rules (see the module documentation) to a rooted tree of samples.

    Parameters
    ----------
    ids, types : sequences of int
        Sample id and SWC type of each row.
    xyz : array (n, 3)
        Positions (um).
    radius : array (n,)
        Radii (um).
    parent : array (n,) of int
        Parent row of each row, ``-1`` for the root.

    Returns
    -------
    NeuronSoma

    Example
    -------
    >>> import numpy as np
    >>> # a soma chain 0-1 (root sample 0 starts it) and a dendrite 2-3 on soma sample 1
    >>> xyz = np.array([[0, 0, 0], [0, 10, 0], [0, 20, 0], [0, 40, 0]], dtype=float)
    >>> s = neuron_soma([1, 2, 3, 4], [1, 1, 3, 3], xyz, np.array([5, 5, 1, 1.0]),
    ...                 np.array([-1, 0, 1, 2]))
    >>> s.wire[2], s.origin_distance[2], s.root_sphere_area  # starts at sample 2's parent
    (False, 5.0, 0.0)
    """
    n = len(ids)
    order = np.argsort(np.asarray(ids), kind="stable")  # Import3d works in id order
    pos = np.empty(n, dtype=int)
    pos[order] = np.arange(n)
    has_parent = np.asarray(parent) >= 0
    id_order = bool(np.all(pos[np.asarray(parent)[has_parent]] < pos[has_parent]))
    if not id_order:  # Import3d refuses such a file: apply its rules in depth-first order
        order = _depth_first(np.asarray(ids), np.asarray(parent))
        pos[order] = np.arange(n)
    t = np.asarray(types)[order]
    par = np.asarray(parent)[order]
    p = np.where(par < 0, -1, pos[np.maximum(par, 0)])
    pts = np.asarray(xyz, dtype=float)[order]
    d = 2 * np.asarray(radius, dtype=float)[order]
    soma = t == 1

    nchild, connect_prox = _branch_counts(p, t)
    on_soma = soma & (p >= 0) & soma[np.maximum(p, 0)]
    on_soma[0] = False
    nchild_soma = np.bincount(p[on_soma], minlength=n).astype(float)
    three_point = _three_point(p, nchild, d, pts, int(soma.sum()))
    if three_point:
        p = p.copy()
        p[2] = 1  # the outer samples become part of the root section, which keeps one point
    i = np.arange(n - 1)
    chain = soma[:-1] & soma[1:] & (p[1:] == i) & ~((i != 0) & (nchild_soma[:-1] > 1))
    nchild[:-1][chain] = 1.0
    nchild[n - 1] = 0.0  # the last sample always ends a section
    ends = np.flatnonzero(nchild != 1.0)
    firsts = np.concatenate([[0], ends[:-1] + 1])
    sec_of = np.repeat(np.arange(len(ends)), ends - firsts + 1)
    own = ends - firsts + 1
    size = own.copy()  # points of each Import3d section (a child's first point is its parent's)
    size[1:] += 1
    if three_point:
        size[0] = own[0] = 1
    parentx = [1.0] * len(ends)
    wire = [False] * len(ends)
    begin = [0] * len(ends)  # the sample each section's polyline starts at
    is_soma, first_of, own_of, sec_l = soma.tolist(), firsts.tolist(), own.tolist(), sec_of.tolist()
    p_l, nchild_soma_l, prox_l = p.tolist(), nchild_soma.tolist(), connect_prox.tolist()
    for s in range(1, len(ends)):
        f = first_of[s]
        pp = p_l[f]
        ps = sec_l[pp]
        den_con_soma = is_soma[first_of[ps]] and not is_soma[f]
        handled = False
        if ps == 0:
            handled = True
            if den_con_soma and size[0] == 1:
                parentx[s], wire[s] = 0.5, own_of[s] > 1
            elif pp == first_of[0]:
                parentx[s] = 0.0
                wire[s] = (not is_soma[f]) and nchild_soma_l[pp] > 1
            else:
                handled = False
        if not handled and is_soma[first_of[ps]]:
            last_own = first_of[ps] + own_of[ps] - 1
            if pp < last_own:
                parentx[s] = 0.5
                wire[s] = den_con_soma and own_of[s] > 1
            elif own_of[s] > 1 and nchild_soma_l[pp] > 1 and not is_soma[f]:
                wire[s] = True
        if prox_l[f]:
            parentx[s] = 0.0
        begin[s] = f if wire[s] else pp
    length = [float(d[0]) if size[0] == 1 else _arc(pts[:own[0]])]
    if len(ends) > 1:  # each section from its start: its chain after the sample it starts at
        rows = np.insert(np.arange(firsts[1], n), firsts[1:] - firsts[1], begin[1:])
        pieces, count = piece_lengths(pts[rows], own[1:] + 1)
        length += run_sums(pieces, count).tolist()
    # distance from the middle of the root section to each section's start
    start_dist = [0.0] * len(ends)
    for s in range(1, len(ends)):
        ps = sec_l[p_l[first_of[s]]]
        x = parentx[s]
        start_dist[s] = abs(x - 0.5) * length[0] if ps == 0 else start_dist[ps] + x * length[ps]
    wires: dict[int, bool] = {}
    origin: dict[int, float] = {}
    order_l = order.tolist()
    for s in range(1, len(ends)):
        f = first_of[s]
        if not is_soma[f] and is_soma[p_l[f]]:
            wires[order_l[f]] = bool(wire[s])
            origin[order_l[f]] = float(start_dist[s])
    root_sphere = float(np.pi * d[0] ** 2) if size[0] == 1 and soma[0] else 0.0
    proximal = frozenset(int(order[i]) for i in np.flatnonzero(connect_prox))
    soma_secs: list[SomaSection] = []
    index: dict[int, int] = {}
    for s in range(len(ends)):
        f = firsts[s]
        if not soma[f]:
            continue
        index[s] = len(soma_secs)
        rows = tuple(int(order[i]) for i in range(f, f + own[s]))
        if s == 0:
            soma_secs.append(SomaSection(rows, -1, -1, 0.5, 0.0))
        else:
            soma_secs.append(SomaSection(rows, index[int(sec_of[p[f]])], int(order[p[f]]),
                                         float(parentx[s]), float(start_dist[s])))
    section_of = {row: k for k, sec in enumerate(soma_secs) for row in sec.rows}
    root_area = root_sphere if size[0] == 1 else _frustums(pts[:own[0]], d[:own[0]])
    return NeuronSoma(wires, origin, proximal, root_sphere, float(root_area), three_point,
                      soma_secs, section_of, id_order)


def _depth_first(ids: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Rows in depth-first order from the root, children by id."""
    kids: list[list[int]] = [[] for _ in range(len(ids))]
    for k in np.argsort(ids, kind="stable"):
        if parent[k] >= 0:
            kids[parent[k]].append(int(k))
    out, stack = [], [int(np.flatnonzero(parent < 0)[0])]
    while stack:
        k = stack.pop()
        out.append(k)
        stack.extend(reversed(kids[k]))
    return np.array(out)


def _frustums(points: np.ndarray, diameters: np.ndarray) -> float:
    """Lateral area (um^2) of the frustums along a chain of points."""
    length = _pieces(points)
    r1, r2 = diameters[:-1] / 2, diameters[1:] / 2
    return float(np.sum(np.pi * (r1 + r2) * np.sqrt(length**2 + (r1 - r2) ** 2)))


def _pieces(points: np.ndarray) -> np.ndarray:
    """Lengths of the straight pieces of a chain of points (as ``np.linalg.norm`` of the
    differences, without its overhead on small arrays)."""
    step = points[1:] - points[:-1]
    return np.sqrt((step * step).sum(axis=1))


def _arc(points: np.ndarray) -> float:
    return float(_pieces(points).sum())


def _branch_counts(p: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Import3d's child counts (1 per child, +0.01 for a child that is not the next sample or has
    another type) and its "connect to the proximal end" marks."""
    n = len(p)
    nchild = [0.0] * n
    prox = [False] * n
    p, t = p.tolist(), t.tolist()
    for i in range(n):
        q = p[i]
        if q < 0:
            continue
        nchild[q] += 1
        if q != i - 1:
            nchild[q] += 0.01
            if q > 1:
                if t[q] != 1 and p[q] >= 0 and t[p[q]] == 1:
                    prox[i] = True
                    nchild[q] = 1.0
            elif q == 0 and t[q] != 1:
                prox[i] = True
                nchild[q] = 1.0
        if t[q] != t[i]:
            nchild[q] += 0.01
    return np.array(nchild), np.array(prox, dtype=bool)


def _three_point(p: np.ndarray, nchild: np.ndarray, d: np.ndarray, pts: np.ndarray,
                 n_soma: int) -> bool:
    """Import3d's test for the NeuroMorpho.Org three-point soma (samples 0, 1, 2 in id order)."""
    if n_soma != 3 or len(p) < 3:
        return False
    if not (p[1] == 0 and p[2] == 0 and nchild[1] == 0 and nchild[2] == 0):
        return False
    if not (d[1] == d[0] and d[2] == d[0]):
        return False
    span = float(np.linalg.norm(pts[1] - pts[0]) + np.linalg.norm(pts[2] - pts[0]))
    return abs(span / d[0] - 1) < _THREE_POINT_RTOL
