"""Compartment geometry of many sections at once (see
:func:`~cablemodel.morphology.model.compartment_geometry` for what is computed).

Every section is computed with the same floating-point operations, in the same order, as if it
were computed alone, so the results do not depend on which sections are computed together:
per-section sums that numpy would accumulate sequentially (``cumsum``, ``bincount``) are
accumulated sequentially here too, searches in a section's arc lengths are done by a stable
sort of all sections' values keyed by section, and ``linspace`` is reproduced term by term.
This makes :meth:`Morphology.compartments` cost a fixed number of numpy calls for the whole
tree instead of a few dozen per section.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BatchGeometry", "batch_geometry", "piece_lengths", "run_sums", "section_arcs",
           "stacked_arcs"]


@dataclass(frozen=True)
class BatchGeometry:
    """Per-compartment geometry of several sections, concatenated in the order given (um, um^2,
    1/um). ``area``, ``axial_1``, ``axial_2``: (N,); ``midpoint``: (N, 3); ``edge_diameter``:
    the n + 1 boundary diameters of each section, concatenated ((N + sections,)); ``first``:
    index of each section's first compartment, and N at the end ((sections + 1,)).

    Example
    -------
    >>> import numpy as np
    >>> g = batch_geometry([np.array([[0, 0, 0, 2], [30, 0, 0, 2.0]])], [3])
    >>> g.area.round(3).tolist(), g.first.tolist()
    ([62.832, 62.832, 62.832], [0, 3])
    """

    area: np.ndarray
    axial_1: np.ndarray
    axial_2: np.ndarray
    midpoint: np.ndarray
    edge_diameter: np.ndarray
    first: np.ndarray


def _runs_by_size(sizes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each run length m > 0 of runs of ``sizes`` values laid back to back: the runs of
    that length (in order) and the index of each of their values, as a (runs, m) array."""
    starts = np.cumsum(sizes) - sizes
    order = np.argsort(sizes, kind="stable")
    bounds = [0, *(np.flatnonzero(np.diff(sizes[order])) + 1).tolist(), len(order)]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        rows = order[a:b]
        m = int(sizes[rows[0]]) if b > a else 0
        if m > 0:
            out.append((rows, starts[rows, None] + np.arange(m)))
    return out


def run_sums(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Sum of each run of ``sizes[i]`` consecutive ``values`` (runs back to back), each as
    ``values[a:a + m].sum()`` computes it alone (0 for an empty run): runs of one length are
    summed as the rows of one array, which numpy sums as it sums one row.

    Example
    -------
    >>> import numpy as np
    >>> run_sums(np.array([1.0, 2, 3, 4, 5, 6]), np.array([2, 0, 1, 3])).tolist()
    [3.0, 0.0, 3.0, 15.0]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    out = np.zeros(len(sizes))
    for rows, index in _runs_by_size(sizes):
        out[rows] = values[index].sum(axis=1)
    return out


def piece_lengths(stacked: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lengths (um) of the straight pieces of polylines of ``sizes[i]`` points each, stacked
    (x, y, z[, diameter] rows), concatenated, and how many pieces each has; each piece as
    ``Section.segment_lengths`` computes it.

    Example
    -------
    >>> import numpy as np
    >>> lengths, count = piece_lengths(np.array([[0, 0, 0], [3, 4, 0], [3, 4, 12], [0, 0, 0],
    ...                                          [1, 0, 0.0]]), np.array([3, 2]))
    >>> lengths.tolist(), count.tolist()
    ([5.0, 12.0, 1.0], [2, 1])
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    step = stacked[1:, :3] - stacked[:-1, :3]
    pieces = np.sqrt((step * step).sum(axis=1))
    inside = np.ones(len(pieces), dtype=bool)
    inside[(np.cumsum(sizes) - 1)[:-1]] = False  # from one polyline's end to the next's start
    return pieces[inside], np.maximum(sizes - 1, 0)


def stacked_arcs(points: list[np.ndarray]) -> np.ndarray:
    """Arc length (um) at each point of each polyline, concatenated: 0 at a polyline's first
    point, then the running sum of its straight pieces (``np.cumsum`` of each polyline's piece
    lengths, exactly).

    Example
    -------
    >>> import numpy as np
    >>> stacked_arcs([np.array([[0, 0, 0, 1], [3, 4, 0, 1.0]]),
    ...               np.array([[0, 0, 0, 1], [0, 1, 0, 1], [0, 3, 0, 1.0]])]).tolist()
    [0.0, 5.0, 0.0, 1.0, 3.0]
    """
    if not points:
        return np.zeros(0)
    pieces, count = piece_lengths(np.concatenate(points), np.array([len(p) for p in points]))
    arc = np.zeros(len(pieces) + len(points))
    first = np.cumsum(count + 1) - (count + 1)  # each polyline's first point
    for rows, index in _runs_by_size(count):
        arc[first[rows, None] + 1 + np.arange(index.shape[1])] = np.cumsum(pieces[index], axis=1)
    return arc


def section_arcs(points: list[np.ndarray]) -> list[np.ndarray]:
    """Arc length (um) at each point of each polyline (:func:`stacked_arcs`, one array per
    polyline).

    Example
    -------
    >>> import numpy as np
    >>> section_arcs([np.array([[0, 0, 0, 1], [3, 4, 0, 1], [3, 4, 12, 1.0]])])[0].tolist()
    [0.0, 5.0, 17.0]
    """
    arc = stacked_arcs(points)
    ends = np.cumsum([len(p) for p in points]).tolist()
    return [arc[b - len(p):b] for p, b in zip(points, ends, strict=True)]


def _count_below(values: np.ndarray, value_sec: np.ndarray, queries: np.ndarray,
                 query_sec: np.ndarray, value_first: np.ndarray) -> np.ndarray:
    """For each query, how many values of its own section are strictly smaller
    (``np.searchsorted(values_of_section, query, side="left")``). Values are sorted within each
    section; ``value_first``: index of each section's first value in ``values``."""
    sec = np.concatenate([value_sec, query_sec])
    val = np.concatenate([values, queries])
    is_value = np.concatenate([np.ones(len(values), dtype=bool), np.zeros(len(queries), dtype=bool)])
    order = np.lexsort((is_value, val, sec))  # a query before an equal value: strictly smaller
    seen = np.cumsum(is_value[order])
    out = np.empty(len(queries), dtype=np.int64)
    where = np.flatnonzero(~is_value[order])
    out[order[where] - len(values)] = seen[where]
    return out - value_first[query_sec]


def _interpolate(points: np.ndarray, arc: np.ndarray, first: np.ndarray, size: np.ndarray,
                 t: np.ndarray, t_sec: np.ndarray, arc_sec: np.ndarray) -> np.ndarray:
    """Points (x, y, z, diameter) at arc lengths ``t`` along their sections, as
    :func:`~cablemodel.morphology.model._interpolate` computes them (``points``, ``arc``: all
    sections' points and arc lengths, concatenated)."""
    below = _count_below(arc, arc_sec, t, t_sec, first)
    k = first[t_sec] + np.clip(below - 1, 0, size[t_sec] - 2)
    span = arc[k + 1] - arc[k]
    w = np.clip((t - arc[k]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    return points[k] + w[:, None] * (points[k + 1] - points[k])


def batch_geometry(points: list[np.ndarray], counts: list[int]) -> BatchGeometry:
    """Geometry of ``counts[i]`` equal-length compartments along each polyline ``points[i]``
    (x, y, z, diameter in um; at least two points and a positive length each), exactly as
    :func:`~cablemodel.morphology.model.compartment_geometry` computes one section.

    Example
    -------
    >>> import numpy as np
    >>> bent = np.array([[0, 0, 0, 1], [10, 0, 0, 3], [20, 0, 0, 1.0]])
    >>> g = batch_geometry([bent, bent[[0, 2]]], [1, 1])
    >>> round(float(g.area[0] / g.area[1]), 2)  # every point inside a compartment counts
    2.01
    """
    n = np.asarray(counts, dtype=np.int64)
    size = np.array([len(p) for p in points], dtype=np.int64)
    pts = np.concatenate(points).astype(float, copy=False)
    arc = stacked_arcs(points)
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    arc_sec = np.repeat(np.arange(len(points)), size)
    L = arc[first + size - 1]
    # the 2n + 1 ends and centres of the compartments, as np.linspace(0, L, 2n + 1)
    halves = 2 * n
    grid_sec = np.repeat(np.arange(len(points)), halves + 1)
    j = np.arange(len(grid_sec)) - np.repeat(np.cumsum(halves + 1) - (halves + 1), halves + 1)
    step = L / halves
    zero = (step == 0)[grid_sec]
    grid = np.where(zero, j / halves[grid_sec] * L[grid_sec], j * step[grid_sec]) + 0.0
    last = np.cumsum(halves + 1) - 1
    grid[last] = L
    # grid points within tol of a point of the polyline are not added again
    tol = 1e-12 * np.maximum(L, 1.0)
    below = _count_below(arc, arc_sec, grid, grid_sec, first)
    lo = first[grid_sec] + np.maximum(below - 1, 0)
    hi = first[grid_sec] + np.minimum(below, size[grid_sec] - 1)
    gap = np.minimum(np.where(below > 0, np.abs(grid - arc[lo]), np.inf), np.abs(grid - arc[hi]))
    extra = gap > tol[grid_sec]
    extra_t, extra_sec = grid[extra], grid_sec[extra]
    extra_d = _interpolate(pts, arc, first, size, extra_t, extra_sec, arc_sec)[:, 3]
    # each section's points then its added points, sorted by arc length (stable)
    block = np.concatenate([arc_sec, extra_sec])
    pos = np.concatenate([arc, extra_t])
    diam = np.concatenate([pts[:, 3], extra_d])
    own = np.concatenate([np.arange(len(arc)), len(arc) + np.arange(len(extra_t))])
    by_block = np.lexsort((own, block))  # section by section: its points, then its added points
    block, pos, diam = block[by_block], pos[by_block], diam[by_block]
    order = np.lexsort((np.arange(len(pos)), pos, block))
    block, pos, diam = block[order], pos[order], diam[order]
    inside = block[:-1] == block[1:]  # pieces: consecutive positions of one section
    piece_sec = block[:-1][inside]
    p0, p1 = pos[:-1][inside], pos[1:][inside]
    d1, d2 = diam[:-1][inside], diam[1:][inside]
    dl = p1 - p0
    r1, r2 = d1 / 2, d2 / 2
    piece_area = np.pi * (r1 + r2) * np.sqrt(dl**2 + (r1 - r2) ** 2)
    piece_axial = 4 * dl / (np.pi * d1 * d2)
    half_len = L / halves
    half = np.clip(np.floor(0.5 * (p0 + p1) / half_len[piece_sec]).astype(int), 0,
                   halves[piece_sec] - 1)
    half_first = np.concatenate([[0], np.cumsum(halves)[:-1]])
    bins = half_first[piece_sec] + half
    total = int(halves.sum())
    area_h = np.bincount(bins, weights=piece_area, minlength=total)
    axial_h = np.bincount(bins, weights=piece_axial, minlength=total)
    centres = np.flatnonzero(j % 2 == 1)
    ends = np.flatnonzero(j % 2 == 0)
    mid = _interpolate(pts, arc, first, size, grid[centres], grid_sec[centres], arc_sec)[:, :3]
    edge_d = _interpolate(pts, arc, first, size, grid[ends], grid_sec[ends], arc_sec)[:, 3]
    return BatchGeometry(area=area_h[0::2] + area_h[1::2], axial_1=axial_h[0::2],
                         axial_2=axial_h[1::2], midpoint=mid, edge_diameter=edge_d,
                         first=np.concatenate([[0], np.cumsum(n)]))
