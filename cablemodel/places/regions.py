"""Regions: sets of compartments resolved lazily against a
:class:`~cablemodel.morphology.model.CompartmentTable` (combine with ``| & -``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from ..morphology.model import CompartmentTable

__all__ = ["LocationError", "Region", "within", "terminals", "branch_points"]


class LocationError(ValueError):
    """A location or region does not exist on this cell; the message says why and what does.

    Example
    -------
    >>> from cablemodel import ball_and_stick, parse_site
    >>> try:
    ...     parse_site("basal@2000").resolve(ball_and_stick().compartments())
    ... except LocationError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    site basal@2000: 2000 um is outside region 'basal', which spans 0-1500 um of path distance ...
    """


def _distance_um(value, name: str = "distance") -> float:
    fail_for_dimension_mismatch(value, um, f"{name} must be a length (e.g. 200*um), got {value!r}")
    return round(float(Quantity(value) / um), 9)


@dataclass(frozen=True)
class Region:
    """A set of compartments, resolved lazily against a cell. Combine with ``| & -``.

    Example
    -------
    >>> from brian2 import um
    >>> from cablemodel import ball_and_stick, region
    >>> t = ball_and_stick().compartments()
    >>> int((region("basal") & within(0 * um, 100 * um)).mask(t).sum())
    10
    """

    select: Callable[[CompartmentTable], np.ndarray]
    label: str

    def mask(self, table: CompartmentTable) -> np.ndarray:
        """Boolean mask over the compartments of ``table`` (Brian2's order).

        Example
        -------
        >>> from cablemodel import ball_and_stick, region
        >>> region("hillock").mask(ball_and_stick().compartments())[:5].tolist()
        [False, True, True, True, False]
        """
        return np.asarray(self.select(table), dtype=bool)

    def __or__(self, other: Region) -> Region:
        return Region(lambda t: self.mask(t) | other.mask(t), f"({self.label} | {other.label})")

    def __and__(self, other: Region) -> Region:
        return Region(lambda t: self.mask(t) & other.mask(t), f"({self.label} & {other.label})")

    def __sub__(self, other: Region) -> Region:
        return Region(lambda t: self.mask(t) & ~other.mask(t), f"({self.label} - {other.label})")

    def __str__(self) -> str:
        return self.label


def within(low=0 * um, high=np.inf * um) -> Region:
    """Compartments whose midpoint path distance is in ``[low, high]``.

    Example
    -------
    >>> from brian2 import um
    >>> str(within(0 * um, 100 * um))
    'within(0-100 um)'
    """
    lo, hi = _distance_um(low, "low"), _distance_um(high, "high")
    return Region(lambda t: (t.distance >= lo) & (t.distance <= hi), f"within({lo:g}-{hi:g} um)")


def _tree_column(table: CompartmentTable, name: str) -> np.ndarray:
    col = getattr(table, name)
    if col is None:
        raise LocationError(f"this compartment table has no {name!r} column; make it with"
                            " Morphology.compartments()")
    return np.asarray(col)


def terminals() -> Region:
    """The tips of the tree: the last compartment of every section that has no children (never
    the soma, even on a soma-only cell).

    Example
    -------
    >>> from cablemodel import y_neuron
    >>> t = y_neuron().compartments()
    >>> sorted(str(s) for s in t.section[terminals().mask(t)])
    ['axon', 'left', 'right']
    """
    return Region(lambda t: (_tree_column(t, "n_children") == 0) & (_tree_column(t, "parent") >= 0),
                  "terminals")


def branch_points() -> Region:
    """The forks of the tree: the last compartment of every section with two or more child
    sections. The soma counts when two or more sections are attached to it.

    Example
    -------
    >>> from cablemodel import y_neuron
    >>> t = y_neuron().compartments()
    >>> sorted(str(s) for s in t.section[branch_points().mask(t)])
    ['soma', 'trunk']
    """
    return Region(lambda t: _tree_column(t, "n_children") >= 2, "branch_points")
