"""Places on a cell: points (for synapses, clamps, recordings) and regions (for channel densities).

A *location* resolves to one compartment, a *region* to a set of compartments, always against a
:class:`~cablemodel.morphology.model.CompartmentTable` (so the same description works on any
morphology). Distances are path distances from the soma surface.

Forms
-----
* ``at("basal", 200*um)`` - the point of a region at a path distance (first matching branch, or
  the one named by ``section=``).
* ``on_section("dend", 0.5)`` - a section and a fraction along it.
* ``compartment(17)`` - a compartment index (Brian2's order).
* ``"soma"``, ``"hillock"``, ``"basal@200"`` - the same as strings (see :func:`parse_site`).
* ``region("apical") & within(0*um, 300*um)`` - regions, combined with ``|``, ``&``, ``-``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from .morphology.model import CompartmentTable

__all__ = ["Location", "at", "on_section", "compartment", "parse_site", "Region", "region",
           "within", "LocationError"]


class LocationError(ValueError):
    """A location or region does not exist on this cell; the message says why and what does."""


@dataclass(frozen=True)
class Location:
    """A point on a cell. Use :func:`at`, :func:`on_section`, :func:`compartment` or a string."""

    kind: str
    region: str | None = None
    distance_um: float | None = None
    section: str | None = None
    fraction: float | None = None
    index: int | None = None

    def resolve(self, table: CompartmentTable) -> int:
        """The compartment index this location falls in."""
        if self.kind == "compartment":
            if not 0 <= self.index < len(table):
                raise LocationError(
                    f"compartment {self.index} does not exist: the cell has {len(table)}"
                    f" compartments (0..{len(table) - 1})")
            return int(self.index)
        if self.kind == "section":
            rows = np.flatnonzero(table.section == self.section)
            if rows.size == 0:
                raise LocationError(f"no section {self.section!r}; sections are"
                                    f" {list(dict.fromkeys(table.section.tolist()))}")
            if not 0.0 <= self.fraction <= 1.0:
                raise LocationError(f"fraction along {self.section!r} must be in [0, 1],"
                                    f" got {self.fraction}")
            k = min(int(self.fraction * rows.size), rows.size - 1)
            return int(rows[k])
        # kind == "distance"
        mask = table.in_region(self.region)
        if self.section is not None:
            mask &= table.section == self.section
        if not mask.any():
            raise LocationError(f"region {self.region!r} has no compartments on this cell;"
                                f" regions are {table.regions + ['dendrite', 'all']}")
        d = self.distance_um
        if self.region == "soma" or (mask.sum() == 1 and table.region[mask][0] == "soma"):
            return int(np.flatnonzero(mask)[0])
        lo, hi = table.start[mask].min(), table.end[mask].max()
        if not lo - 1e-9 <= d <= hi + 1e-9:
            raise LocationError(
                f"site {self.region}@{d:g} um is outside region {self.region!r}, which spans"
                f" {lo:g}-{hi:g} um of path distance from the soma; choose a distance in that range")
        inside = np.flatnonzero(mask & (table.start <= d + 1e-9) & (table.end >= d - 1e-9))
        return int(inside[0])

    def __str__(self) -> str:
        if self.kind == "compartment":
            return f"compartment {self.index}"
        if self.kind == "section":
            return f"{self.section}({self.fraction:g})"
        return self.region if self.region in ("soma",) else f"{self.region}@{self.distance_um:g}"


def _distance_um(value, name: str = "distance") -> float:
    fail_for_dimension_mismatch(value, um, f"{name} must be a length (e.g. 200*um), got {value!r}")
    return round(float(Quantity(value) / um), 9)


def at(region_name: str, distance=0 * um, section: str | None = None) -> Location:
    """The point of ``region_name`` at path ``distance`` from the soma (first branch in Brian2
    order that reaches it, or the one named by ``section``).

    Example
    -------
    >>> from brian2 import um
    >>> from cablemodel import ball_and_stick
    >>> table = ball_and_stick().compartments()
    >>> i = at("basal", 200 * um).resolve(table)
    >>> float(table.start[i]) <= 200 <= float(table.end[i])
    True
    """
    d = _distance_um(distance)
    if d < 0:
        raise LocationError(f"distance must be >= 0 um, got {d:g} um")
    return Location("distance", region=region_name, distance_um=d, section=section)


def on_section(name: str, fraction: float = 0.5) -> Location:
    """The point at ``fraction`` (0..1) along section ``name``.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> on_section("dend", 0.0).resolve(ball_and_stick().compartments()) > 0
    True
    """
    return Location("section", section=name, fraction=float(fraction))


def compartment(index: int) -> Location:
    """Compartment ``index`` in Brian2's flat order.

    Example
    -------
    >>> compartment(0).index
    0
    """
    return Location("compartment", index=int(index))


def parse_site(site: str | Location) -> Location:
    """A location from text: ``"soma"``, ``"hillock"``, ``"REGION@DISTANCE"`` (um),
    ``"SECTION(FRACTION)"`` or ``"#INDEX"`` (a compartment). Locations pass through unchanged.

    Example
    -------
    >>> parse_site("apical@200").distance_um
    200.0
    """
    if isinstance(site, Location):
        return site
    text = str(site).strip()
    try:
        if "@" in text:
            name, dist = text.split("@", 1)
            return at(name.strip(), float(dist) * um)
        if text.startswith("#"):
            return compartment(int(text[1:]))
        if text.endswith(")") and "(" in text:
            name, frac = text[:-1].split("(", 1)
            return on_section(name.strip(), float(frac))
    except ValueError as err:
        raise LocationError(f"cannot read site {text!r}: {err}") from None
    if text.isidentifier():
        return Location("distance", region=text, distance_um=0.0)
    raise LocationError(f"cannot read site {text!r}; use 'soma', 'REGION@DISTANCE_UM'"
                        " (e.g. 'basal@200'), 'SECTION(FRACTION)' or '#COMPARTMENT'")


@dataclass(frozen=True)
class Region:
    """A set of compartments, resolved lazily against a cell. Combine with ``| & -``.

    Example
    -------
    >>> from brian2 import um
    >>> from cablemodel import ball_and_stick
    >>> t = ball_and_stick().compartments()
    >>> int((region("basal") & within(0 * um, 100 * um)).mask(t).sum())
    10
    """

    select: Callable[[CompartmentTable], np.ndarray]
    label: str

    def mask(self, table: CompartmentTable) -> np.ndarray:
        """Boolean mask over compartments."""
        return np.asarray(self.select(table), dtype=bool)

    def __or__(self, other: Region) -> Region:
        return Region(lambda t: self.mask(t) | other.mask(t), f"({self.label} | {other.label})")

    def __and__(self, other: Region) -> Region:
        return Region(lambda t: self.mask(t) & other.mask(t), f"({self.label} & {other.label})")

    def __sub__(self, other: Region) -> Region:
        return Region(lambda t: self.mask(t) & ~other.mask(t), f"({self.label} - {other.label})")

    def __str__(self) -> str:
        return self.label


def region(name: str | Region) -> Region:
    """Compartments of a region: a standard name, ``"dendrite"`` (basal + apical), ``"all"`` or a
    custom region name. Regions pass through unchanged.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> int(region("soma").mask(ball_and_stick().compartments()).sum())
    1
    """
    if isinstance(name, Region):
        return name
    return Region(lambda t: t.in_region(name), name)


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
