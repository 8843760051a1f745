"""Where the experiments put their synapses on any cell, generated or read from SWC: the
dendritic region reaching farthest, the longest path through it, and sites on and off that path.

Distances are path distances from the soma (um), as in ``"basal@200"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, um

from ..cell import Cell
from ..places import Location, at

__all__ = ["DENDRITIC_REGIONS", "dendrite_region", "longest_path", "path_start",
           "InhibitionSites", "inhibition_sites"]

#: Regions that count as dendrites when an experiment chooses its sites.
DENDRITIC_REGIONS = ("apical", "basal")


def dendrite_region(cell: Cell) -> str:
    """The dendritic region (:data:`DENDRITIC_REGIONS`) whose compartments reach farthest from
    the soma (path distance); a ``ValueError`` if the cell has none.

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick, pyramidal
    >>> dendrite_region(Cell(ball_and_stick())), dendrite_region(Cell(pyramidal()))
    ('basal', 'apical')
    """
    t = cell.table
    present = [r for r in DENDRITIC_REGIONS if t.in_region(r).any()]
    if not present:
        raise ValueError(f"the cell has no dendrite (regions {list(t.regions)}); the experiments"
                         f" place synapses on one of {DENDRITIC_REGIONS}: pass the sites yourself")
    return max(present, key=lambda r: float(t.end[t.in_region(r)].max()))


def longest_path(cell: Cell, region: str | None = None) -> np.ndarray:
    """Compartment indices from the soma to the compartment of ``region`` (default
    :func:`dendrite_region`) whose far end is farthest from the soma, soma first.

    Example
    -------
    >>> from cablemodel import Cell, y_neuron
    >>> cell = Cell(y_neuron())
    >>> p = longest_path(cell)
    >>> int(p[0]), sorted({str(s) for s in cell.table.section[p]})
    (0, ['left', 'soma', 'trunk'])
    """
    t = cell.table
    region = region or dendrite_region(cell)
    mask = t.in_region(region)
    if not mask.any():
        raise ValueError(f"region {region!r} has no compartments; regions are {list(t.regions)}")
    tip = int(np.flatnonzero(mask)[np.argmax(t.end[mask])])
    return _ancestors(t.parent, tip)[::-1]


def path_start(cell: Cell, region: str | None = None) -> Quantity:
    """Path distance (metre) from the soma at which :func:`longest_path` leaves the soma: 0 um
    for a single-point soma, more where a file's soma is several sections (sites closer than
    this are on the soma, not on the dendrite).

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> float(path_start(Cell(ball_and_stick())) / um)
    0.0
    """
    t = cell.table
    path = longest_path(cell, region)
    return float(t.start[next(i for i in path if t.region[i] != "soma")]) * um


def _ancestors(parent: np.ndarray, i: int) -> np.ndarray:
    out = [i]
    while parent[out[-1]] >= 0:
        out.append(int(parent[out[-1]]))
    return np.array(out)


def _site(cell: Cell, i: int, distance_um: float | None = None) -> Location:
    """``REGION@DISTANCE[SECTION]`` in compartment ``i``, at ``distance_um`` (default its
    midpoint)."""
    t = cell.table
    d = round(float(t.distance[i] if distance_um is None else distance_um), 1)
    return at(str(t.region[i]), d * um, section=str(t.section[i]))


def _on_path(cell: Cell, path: np.ndarray, distance_um: float) -> int:
    """The compartment of ``path`` (beyond the soma) whose range holds ``distance_um``."""
    t = cell.table
    cand = [i for i in path if t.region[i] != "soma" and t.start[i] <= distance_um <= t.end[i]]
    return int(cand[0]) if cand else int(path[-1])


@dataclass(frozen=True)
class InhibitionSites:
    """An excitatory site on the longest dendritic path, an inhibitory site ``on_path`` between it
    and the soma, and one ``off_path`` that the current from the excitatory site to the soma does
    not cross, with their path distances (um) and ``off_path_branch``: ``"other branch"`` (it
    leaves the path at ``off_path_divergence_um``) or ``"beyond"`` (distal to the excitatory
    site, on an unbranched cell)."""

    excitatory: Location
    on_path: Location
    off_path: Location
    excitatory_um: float
    on_path_um: float
    off_path_um: float
    off_path_branch: str
    off_path_divergence_um: float


def inhibition_sites(cell: Cell, excitatory: Quantity | None = None,
                     region: str | None = None) -> InhibitionSites:
    """Sites for the inhibition experiments on any cell.

    The excitatory site lies on :func:`longest_path` of ``region`` at ``excitatory`` (default:
    300 um, or 0.6 of the path beyond :func:`path_start` when shorter); the on-path site a
    third of the way from the path's start to it, on the same path. The off-path site is,
    among the dendritic compartments off the path from the
    soma to the excitatory site, one on the branch leaving that path closest to the soma
    (another dendrite when there is one), nearest in distance to the on-path site; on a cell
    with no other branch it is beyond the excitatory site, as far beyond as the on-path site is
    before it (or at the tip).

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick, pyramidal
    >>> s = inhibition_sites(Cell(ball_and_stick()))
    >>> s.excitatory_um, s.on_path_um, s.off_path_um, s.off_path_branch
    (300.0, 100.0, 500.0, 'beyond')
    >>> s = inhibition_sites(Cell(pyramidal()))
    >>> s.off_path_branch, s.off_path_divergence_um, str(s.off_path.region)
    ('other branch', 0.0, 'basal')
    """
    t = cell.table
    region = region or dendrite_region(cell)
    path = longest_path(cell, region)
    reach = float(t.end[path[-1]])
    d0 = float(path_start(cell, region) / um)
    d_e = float(excitatory / um) if excitatory is not None else round(
        min(300.0, d0 + 0.6 * (reach - d0)))
    if not d0 < d_e <= reach:
        raise ValueError(f"excitatory distance {d_e:g} um is not on the longest {region} path"
                         f" ({d0:.0f}-{reach:.0f} um); pass a distance within it")
    d_on = round(d0 + (d_e - d0) / 3, 1)
    i_e = _on_path(cell, path, d_e)
    i_on = _on_path(cell, path, d_on)
    to_soma = set(_ancestors(t.parent, i_e).tolist())
    # where each compartment's route to the soma meets the path soma -> excitatory site
    meet = np.empty(len(t), dtype=int)
    for i in range(len(t)):  # parents come first (Brian2's depth-first order)
        meet[i] = i if i in to_soma else meet[t.parent[i]]
    dendritic = np.isin(t.region, DENDRITIC_REGIONS)
    other = dendritic & (meet != i_e) & ~np.isin(np.arange(len(t)), list(to_soma))
    if other.any():
        split = np.asarray(t.distance)[meet]
        cand = np.flatnonzero(other & (split == split[other].min()))
        i_off = int(cand[np.argmin(np.abs(t.distance[cand] - d_on))])
        off = _site(cell, i_off)
        branch, divergence = "other branch", float(split[i_off])
    else:
        beyond = np.flatnonzero(dendritic & (meet == i_e) & (np.arange(len(t)) != i_e))
        if not beyond.size:
            raise ValueError(f"no dendritic compartment off the path to the excitatory site"
                             f" ({d_e:g} um): pass the off-path site yourself")
        target = min(d_e + (d_e - d_on), float(t.end[beyond].max()))
        i_off = int(beyond[np.argmin(np.abs(t.distance[beyond] - target))])
        off = _site(cell, i_off, target if t.start[i_off] <= target <= t.end[i_off] else None)
        branch, divergence = "beyond", d_e
    sites = [_site(cell, i_e, d_e), _site(cell, i_on, d_on), off]
    return InhibitionSites(*sites, *(float(s.distance_um) for s in sites), branch,
                           round(divergence, 1))
