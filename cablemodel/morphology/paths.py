"""Paths through the tree: the ordered compartments from one site to another (e.g. soma to a tip).

A path follows the parent links of a :class:`~cablemodel.morphology.model.CompartmentTable` up
from each end to the nearest compartment they share, then down. Positions along it are tree
distances between compartment midpoints, so a path from the soma is measured exactly like the
table's ``distance`` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from brian2 import Quantity, um

from .model import CompartmentTable

if TYPE_CHECKING:
    from ..places import Location

__all__ = ["TreePath", "path"]


@dataclass(frozen=True)
class TreePath:
    """Compartments along a path through the tree, in order from ``start`` to ``end``.

    Attributes
    ----------
    compartments : ndarray of int
        Compartment indices (Brian2's order), from the start site's compartment to the end's.
    distance_um : ndarray
        Distance along the path (um) of each compartment's midpoint from the start
        compartment's midpoint: 0 first, strictly increasing.
    start, end : str
        The two sites, as given (for labels).

    Example
    -------
    >>> from cablemodel import y_neuron
    >>> t = y_neuron().compartments()
    >>> p = path(t, "left(1)")
    >>> str(p), len(p), str(t.section[p.compartments[-1]])
    ('soma -> left(1)', 53, 'left')
    """

    compartments: np.ndarray
    distance_um: np.ndarray
    start: str
    end: str

    def __len__(self) -> int:
        return len(self.compartments)

    def __str__(self) -> str:
        return f"{self.start} -> {self.end}"

    @property
    def distance(self) -> Quantity:
        """Distance along the path of each compartment's midpoint from the start (metre).

        Example
        -------
        >>> import numpy as np
        >>> from cablemodel import y_neuron
        >>> t = y_neuron().compartments()
        >>> p = path(t, "left(1)")  # from the soma: the table's own path distances
        >>> bool(np.allclose(p.distance / um, t.distance[p.compartments]))
        True
        """
        return self.distance_um * um


def _index(table: CompartmentTable, site: str | Location | int) -> int:
    from ..places import parse_site

    if isinstance(site, int | np.integer):
        return parse_site(f"#{int(site)}").resolve(table)
    return parse_site(site).resolve(table)


def _ancestors(parent: np.ndarray, i: int) -> list[int]:
    """``i`` and every compartment above it, up to the root."""
    chain = [i]
    while parent[chain[-1]] >= 0:
        chain.append(int(parent[chain[-1]]))
    return chain


def path(table: CompartmentTable, end: str | Location | int,
         start: str | Location | int = "soma") -> TreePath:
    """The compartments on the path from ``start`` to ``end`` through the tree, in order.

    ``start`` and ``end`` are site strings (``"soma"``, ``"apical@300"``, ``"left(1)"``,
    ``"swc:123"``, ``"#50"``, see :func:`~cablemodel.places.parse_site`), locations or
    compartment indices. To reach a tip, name the last compartment of its section
    (``"SECTION(1)"``). The path climbs from ``start`` to the nearest compartment the two share,
    then descends to ``end``. When the two branches only meet at the far end of a compartment
    with several child sections (e.g. from one daughter of a fork to the other), that
    compartment is not on the path: the path passes through the branch point, not through its
    midpoint. The soma is always on a path that crosses it.

    Raises
    ------
    LocationError
        A site that is not on this cell.
    ValueError
        A table without its parent column (build it with ``Morphology.compartments()``), or
        ``start`` and ``end`` in the same compartment.

    Example
    -------
    >>> from cablemodel import y_neuron
    >>> t = y_neuron().compartments()
    >>> p = path(t, "right(1)", start="left(1)")
    >>> sorted(set(str(s) for s in t.section[p.compartments]))
    ['left', 'right']
    >>> L = float(t.length[p.compartments[0]])  # 300 um / 31 compartments
    >>> round(float(p.distance[-1] / um), 6) == round(2 * 300 - L, 6)  # tip to tip, midpoints
    True
    """
    if table.parent is None:
        raise ValueError("the table has no parent column; make it with Morphology.compartments()")
    a, b = _index(table, start), _index(table, end)
    if a == b:
        raise ValueError(f"path: start {start!s} and end {end!s} are the same compartment ({a});"
                         " choose two different sites")
    parent = np.asarray(table.parent, dtype=int)
    up, down = _ancestors(parent, a), _ancestors(parent, b)
    shared = set(down)
    k = next(j for j, c in enumerate(up) if c in shared)  # up[k]: the nearest shared compartment
    top = up[k]
    down = down[:down.index(top)][::-1]
    up = up[:k]
    dist = np.asarray(table.distance, dtype=float)
    through = top in (a, b) or parent[top] < 0
    if through:  # the path passes through the shared compartment's midpoint
        joint = dist[top]
        up.append(top)
    else:  # two child sections of `top`: the path turns at its far end
        joint = float(table.end[top])
    order = np.array(up + down, dtype=int)
    d_a = dist[a]
    position = np.concatenate([d_a - dist[up], (d_a - joint) + (dist[down] - joint)])
    return TreePath(order, position, str(start), str(end))
