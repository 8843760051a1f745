"""Sites: points on a cell (for synapses, clamps, recordings), each resolving to one compartment
of a :class:`~cablemodel.morphology.model.CompartmentTable`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import um

from ..morphology.model import CompartmentTable
from .regions import LocationError, Region, _distance_um

__all__ = ["Location", "at", "on_section", "compartment", "swc_sample", "nearest", "parse_site"]


@dataclass(frozen=True)
class Location:
    """A point on a cell. Use :func:`at`, :func:`on_section`, :func:`compartment`,
    :func:`swc_sample`, :func:`nearest`, :func:`random_sites` or a string.

    ``kind`` is ``"region"`` (a region's middle compartment), ``"distance"``, ``"section"``,
    ``"compartment"``, ``"swc"``, ``"nearest"`` or ``"random"``; the other fields hold that
    kind's parameters (``distance_um`` and ``point`` in um; ``where`` is the :class:`Region` of a
    random site, or of :func:`at` given a Region instead of a region name).

    Example
    -------
    >>> site = parse_site("basal@200")
    >>> site.kind, site.region, site.distance_um, str(site)
    ('distance', 'basal', 200.0, 'basal@200')
    >>> parse_site("hillock").kind
    'region'
    """

    kind: str
    region: str | None = None
    distance_um: float | None = None
    section: str | None = None
    fraction: float | None = None
    index: int | None = None
    swc_id: int | None = None
    point: tuple[float, float, float] | None = None
    where: Region | None = None
    seed: int | None = None
    count: int | None = None

    def resolve(self, table: CompartmentTable) -> int:
        """The compartment index this location falls in (Brian2's order); raises
        :class:`LocationError` if it is not on this cell.

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> table = ball_and_stick().compartments()
        >>> [parse_site(s).resolve(table) for s in ("soma", "hillock", "basal@200", "#17")]
        [0, 2, 45, 17]
        """
        if self.kind == "region":  # a region by name: its middle compartment (Brian2 order)
            if self.region == "soma":  # the soma sphere, also when a file adds soma sections
                return 0
            idx = np.flatnonzero(table.in_region(self.region))
            if idx.size == 0:
                raise LocationError(f"region {self.region!r} has no compartments on this cell;"
                                    f" regions are {table.regions + ['dendrite', 'all']}")
            return int(idx[len(idx) // 2])
        if self.kind == "swc":
            return _resolve_swc(self.swc_id, table)
        if self.kind == "nearest":
            x, y, z = self.point
            d2 = (table.x - x) ** 2 + (table.y - y) ** 2 + (table.z - z) ** 2
            return int(np.argmin(d2))
        if self.kind == "random":
            return int(_random_compartments(table, self.where, self.count, self.seed)[self.index])
        if self.kind == "compartment":
            if not 0 <= self.index < len(table):
                raise LocationError(
                    f"compartment #{self.index} does not exist: the cell has {len(table)}"
                    f" compartments (#0..#{len(table) - 1})")
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
        return self._at_distance(table)

    @property
    def _region_label(self) -> str:
        return str(self.where) if self.where is not None else str(self.region)

    def _at_distance(self, table: CompartmentTable) -> int:
        name = self._region_label
        mask = self.where.mask(table) if self.where is not None else table.in_region(self.region)
        if not mask.any():
            raise LocationError(f"region {name!r} has no compartments on this cell;"
                                f" regions are {table.regions + ['dendrite', 'all']}")
        if self.section is not None:
            mask &= table.section == self.section
            if not mask.any():
                raise LocationError(f"section {self.section!r} has no compartments in region"
                                    f" {name!r}; its sections are"
                                    f" {list(dict.fromkeys(table.section[mask].tolist()))}")
        d = self.distance_um
        if self.region == "soma" or (mask.sum() == 1 and table.region[mask][0] == "soma"):
            return int(np.flatnonzero(mask)[0])
        lo, hi = table.start[mask].min(), table.end[mask].max()
        where = f"region {name!r}" + (f" on section {self.section!r}" if self.section else "")
        if not lo - 1e-9 <= d <= hi + 1e-9:
            raise LocationError(
                f"site {self}: {d:g} um is outside {where}, which spans"
                f" {lo:g}-{hi:g} um of path distance from the soma; choose a distance in that range")
        inside = np.flatnonzero(mask & (table.start <= d + 1e-9) & (table.end >= d - 1e-9))
        if inside.size == 0:
            raise LocationError(f"site {self}: no compartment of {where} reaches {d:g} um (the"
                                f" region has a gap there); choose another distance")
        return int(inside[0])

    def __str__(self) -> str:
        if self.kind == "swc":
            return f"swc:{self.swc_id}"
        if self.kind == "nearest":
            x, y, z = self.point
            return f"nearest({x:g}, {y:g}, {z:g} um)"
        if self.kind == "random":
            return f"random({self.where}, n={self.count}, seed={self.seed})[{self.index}]"
        if self.kind == "compartment":
            return f"#{self.index}"
        if self.kind == "section":
            return f"{self.section}({self.fraction:g})"
        if self.kind == "region":
            return self.region
        if self.region == "soma" and self.where is None:
            return "soma"
        branch = f"[{self.section}]" if self.section is not None else ""
        return f"{self._region_label}@{self.distance_um:g}{branch}"



def at(where: str | Region, distance=0 * um, section: str | None = None) -> Location:
    """The point of region ``where`` (a name or a :class:`Region`) at path ``distance`` from the
    soma; on the branch named by ``section`` when given.

    Which branch, without ``section`` (also for the string ``"apical@200"``): the first
    compartment, in Brian2's order, whose ``[start, end]`` path-distance range holds the distance.
    That order is depth first from the soma, children in insertion order (in a file read by
    :func:`~cablemodel.io.swc.read_swc`: children by SWC sample id), so it is the first branch
    met in that walk; at a compartment boundary the proximal compartment, and at a fork exactly
    at the distance the parent's last compartment. :func:`~cablemodel.places.at_distance` gives
    every branch at that distance, this one first. A location with a section prints as
    ``REGION@DISTANCE[SECTION]`` (which :func:`parse_site` reads back).

    Example
    -------
    >>> from brian2 import um
    >>> from cablemodel import ball_and_stick, y_neuron
    >>> table = ball_and_stick().compartments()
    >>> i = at("basal", 200 * um).resolve(table)
    >>> float(table.start[i]) <= 200 <= float(table.end[i])
    True
    >>> t = y_neuron().compartments()  # trunk 0-200 um, then "left" and "right" 200-500 um
    >>> [str(t.section[at("apical", d * um).resolve(t)]) for d in (150, 200, 300)]
    ['trunk', 'trunk', 'left']
    >>> site = at("apical", 300 * um, section="right")
    >>> str(site), str(t.section[site.resolve(t)])
    ('apical@300[right]', 'right')
    """
    d = _distance_um(distance)
    if d < 0:
        raise LocationError(f"distance must be >= 0 um, got {d:g} um")
    if isinstance(where, Region):
        return Location("distance", distance_um=d, section=section, where=where)
    if not isinstance(where, str):
        raise LocationError(f"at: the region must be a name or a Region, got {where!r}")
    return Location("distance", region=where, distance_um=d, section=section)


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


def swc_sample(sample_id: int) -> Location:
    """The compartment containing SWC sample ``sample_id`` of the file the morphology was read from
    (:func:`cablemodel.read_swc`). Prints as ``swc:ID`` (the recording label).

    A soma sample gives the soma. A neurite sample gives the compartment whose ``[start, end]``
    arc-length range along its section contains the sample's arc position; a sample on the boundary
    between two compartments gives the proximal one (the compartment its own SWC segment, from its
    parent sample to it, ends in). See :class:`~cablemodel.morphology.model.CompartmentTable`.
    An id that is not in the file raises :class:`LocationError` when resolved.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from cablemodel import read_swc
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
    >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
    >>> table = read_swc(p)[0].compartments()
    >>> site = swc_sample(3)
    >>> str(site), site.resolve(table) == len(table) - 1, swc_sample(1).resolve(table)
    ('swc:3', True, 0)
    """
    try:
        value = int(sample_id)
        if value != sample_id:
            raise ValueError
    except (TypeError, ValueError):
        raise LocationError(f"an SWC sample id must be an integer, got {sample_id!r}") from None
    return Location("swc", swc_id=value)


def _resolve_swc(sample_id: int, table: CompartmentTable) -> int:
    lookup = table.swc_compartment
    if not lookup:
        raise LocationError(
            f"SWC sample {sample_id} is not in the file: this morphology has no SWC sample ids"
            " (it was not read with read_swc)")
    if sample_id not in lookup:
        ids = sorted(lookup)
        raise LocationError(
            f"SWC sample {sample_id} is not in the file: its {len(ids)} samples have ids"
            f" {ids[0]}..{ids[-1]} (samples merged or dropped on loading are listed in the"
            " LoadReport's repairs)")
    return int(lookup[sample_id])


def nearest(x, y, z) -> Location:
    """The compartment whose midpoint (the soma's centre for the soma) is closest to the point
    ``(x, y, z)`` (lengths, e.g. ``120*um``; the morphology's own coordinates). Ties go to the
    lower compartment index.

    Example
    -------
    >>> from brian2 import um
    >>> from cablemodel import ball_and_stick
    >>> table = ball_and_stick().compartments()
    >>> i = nearest(0 * um, 212 * um, 0 * um).resolve(table)
    >>> str(table.region[i]), float(table.start[i]) <= 202 <= float(table.end[i])
    ('basal', True)
    """
    point = (_distance_um(x, "x"), _distance_um(y, "y"), _distance_um(z, "z"))
    if not all(np.isfinite(point)):
        raise LocationError(f"nearest: coordinates must be finite, got {point} um")
    return Location("nearest", point=point)


def _random_compartments(table: CompartmentTable, where: Region, n: int, seed: int) -> np.ndarray:
    """The compartments of the ``n`` draws of :func:`random_sites` (length-weighted)."""
    idx = np.flatnonzero(where.mask(table))
    if idx.size == 0:
        raise LocationError(f"random sites: region {where} has no compartments on this cell;"
                            f" regions are {table.regions + ['dendrite', 'all']}")
    weight = np.where(table.region[idx] == "soma", 0.0, table.length[idx].astype(float))
    if not weight.sum() > 0:  # only the soma
        weight = np.ones(idx.size)
    cum = np.cumsum(weight)
    u = np.random.default_rng(seed).random(n) * cum[-1]
    return idx[np.minimum(np.searchsorted(cum, u, side="right"), idx.size - 1)]


def parse_site(site: str | Location) -> Location:
    """A location from text: ``"soma"``, ``"hillock"`` (a region's middle compartment),
    ``"REGION@DISTANCE"`` (um; see :func:`at` for which branch it picks when several reach that
    distance), ``"REGION@DISTANCE[SECTION]"`` (on that branch), ``"SECTION(FRACTION)"``,
    ``"#INDEX"`` (a compartment; results, errors and plots label compartments this way) or
    ``"swc:ID"`` (an SWC sample, see :func:`swc_sample`). Locations pass through unchanged. A
    location read from text prints as that text (in canonical form: ``"#07"`` prints ``"#7"``).

    Example
    -------
    >>> parse_site("apical@200").distance_um
    200.0
    >>> parse_site("swc:120") == swc_sample(120)
    True
    >>> str(parse_site("#50")), parse_site("#50") == compartment(50)
    ('#50', True)
    >>> parse_site("apical@300[right]").section
    'right'
    """
    if isinstance(site, Location):
        return site
    text = str(site).strip()
    try:
        if "@" in text:
            name, dist = text.split("@", 1)
            branch = None
            if dist.endswith("]") and "[" in dist:
                dist, branch = dist[:-1].split("[", 1)
                branch = branch.strip()
            return at(name.strip(), float(dist) * um, section=branch)
        if text.startswith("#"):
            return compartment(int(text[1:]))
        if text[:4].lower() == "swc:":
            return swc_sample(int(text[4:]))
        if text.endswith(")") and "(" in text:
            name, frac = text[:-1].split("(", 1)
            return on_section(name.strip(), float(frac))
    except ValueError as err:
        raise LocationError(f"cannot read site {text!r}: {err}") from None
    if text.isidentifier():
        return Location("region", region=text)
    raise LocationError(f"cannot read site {text!r}; use 'soma', 'REGION@DISTANCE_UM'"
                        " (e.g. 'basal@200', 'apical@300[apical_2]'), 'SECTION(FRACTION)',"
                        " '#COMPARTMENT' or 'swc:ID'")
