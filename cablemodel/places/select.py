"""Regions from anything that names compartments (names, sites, lists of sites), subtrees, the
branches at a path distance, and random sites."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from brian2 import um

from ..morphology.model import CompartmentTable
from .regions import LocationError, Region, _distance_um, _tree_column
from .sites import Location, at, parse_site

__all__ = ["region", "restrict", "subtree", "at_distance", "random_sites"]

#: What :func:`region` accepts.
Where = str | Region | Location | Iterable[str | Location]


def region(where: Where) -> Region:
    """Compartments named by ``where``, as a :class:`Region`:

    * a region name: a standard name, ``"dendrite"`` (basal + apical), ``"all"`` or a custom
      region of the cell;
    * a :class:`Region` (passes through unchanged);
    * a site (a :class:`Location`, e.g. :func:`~cablemodel.places.swc_sample`, or a site string
      that is not a bare name, e.g. ``"basal@200"``, ``"#50"``, ``"swc:120"``): its compartment
      (unless the cell has a region of exactly that name);
    * a list of sites (e.g. :func:`random_sites`): their compartments (a compartment drawn twice
      counts once).

    Example
    -------
    >>> from cablemodel import ball_and_stick, swc_sample
    >>> t = ball_and_stick().compartments()
    >>> int(region("soma").mask(t).sum()), int(region("dendrite").mask(t).sum())
    (1, 151)
    >>> np.flatnonzero(region(["#5", "basal@200", "#5"]).mask(t)).tolist()
    [5, 45]
    >>> str(region(random_sites("basal", 3, seed=0)))
    'sites(random(basal, n=3, seed=0)[0], random(basal, n=3, seed=0)[1], random(basal, n=3, seed=0)[2])'
    """
    if isinstance(where, Region):
        return where
    if isinstance(where, str):
        text = where.strip()
        if text.isidentifier():
            return Region(lambda t: t.in_region(text), text)
        try:
            site = parse_site(text)
        except LocationError:  # not a site: a region name that is not an identifier
            return Region(lambda t: t.in_region(text), text)
        # a site string; a cell's region of that exact name comes first
        return Region(lambda t: t.in_region(text) if text in t.regions else _sites_mask(t, [site]),
                      text)
    if isinstance(where, Location):
        return Region(lambda t: _sites_mask(t, [where]), str(where))
    if not isinstance(where, Iterable):
        raise LocationError(f"a region must be a region name, a Region, a site or a list of sites;"
                            f" got {where!r}")
    sites = [parse_site(s) for s in where]
    return Region(lambda t: _sites_mask(t, sites), f"sites({', '.join(map(str, sites))})")


def _sites_mask(table: CompartmentTable, sites: list[Location]) -> np.ndarray:
    mask = np.zeros(len(table), dtype=bool)
    mask[[s.resolve(table) for s in sites]] = True
    return mask


def restrict(a: Where, b: Where) -> Region:
    """The compartments in both ``a`` and ``b`` (Arbor's name for ``a & b``); each is anything
    :func:`region` takes.

    Example
    -------
    >>> from cablemodel import terminals, y_neuron
    >>> t = y_neuron().compartments()
    >>> [str(s) for s in t.section[restrict("apical", terminals()).mask(t)]]
    ['left', 'right']
    """
    ra, rb = region(a), region(b)
    return Region(lambda t: ra.mask(t) & rb.mask(t), f"restrict({ra}, {rb})")


def subtree(root: str | Location) -> Region:
    """Every compartment distal to ``root``, ``root`` included: the tree hanging from it.

    ``root`` is a section name (its compartments and everything attached beyond them), or a site
    (a :class:`Location` or a site string such as ``"apical@200"``, ``"#50"``, ``"swc:120"``: its
    compartment and everything beyond it). A bare name is always a section name (a region name
    is not a root: use a site of it). ``subtree("soma")`` is the whole cell.

    Example
    -------
    >>> from cablemodel import y_neuron
    >>> t = y_neuron().compartments()
    >>> sorted(set(t.section[subtree("trunk").mask(t)].tolist()))
    ['left', 'right', 'trunk']
    >>> i = at("apical", 350 * um, section="left").resolve(t)
    >>> m = subtree("apical@350[left]").mask(t)
    >>> bool(m[i]), int(m.sum()) == int(((t.section == "left") & (t.start >= t.start[i])).sum())
    (True, True)
    """
    if isinstance(root, str) and root.strip().isidentifier():
        name = root.strip()
        return Region(lambda t: _distal(t, _section_start(t, name)), f"subtree({name})")
    site = parse_site(root)
    return Region(lambda t: _distal(t, site.resolve(t)), f"subtree({site})")


def _section_start(table: CompartmentTable, name: str) -> int:
    rows = np.flatnonzero(table.section == name)
    if rows.size == 0:
        raise LocationError(f"subtree: no section {name!r}; sections are"
                            f" {list(dict.fromkeys(table.section.tolist()))} (for a site give e.g."
                            " 'apical@200', '#50' or 'swc:120')")
    return int(rows[0])


def _distal(table: CompartmentTable, root: int) -> np.ndarray:
    """Mask of ``root`` and every compartment whose chain of parents reaches it."""
    parent = _tree_column(table, "parent")
    children: dict[int, list[int]] = {}
    for i, p in enumerate(parent.tolist()):
        children.setdefault(p, []).append(i)
    mask = np.zeros(len(table), dtype=bool)
    stack = [root]
    while stack:
        i = stack.pop()
        mask[i] = True
        stack.extend(children.get(i, ()))
    return mask


def at_distance(where: Where, distance, cell) -> list[Location]:
    """One site on every branch of region ``where`` at path ``distance`` from the soma.

    ``cell`` is a :class:`~cablemodel.Cell`, a :class:`~cablemodel.Morphology` or a
    :class:`~cablemodel.morphology.model.CompartmentTable` (the branches are counted on it). A
    compartment of the region holds the distance when ``start < distance <= end``, or when it
    starts there and its parent is not a compartment of the region ending there; so a branch
    point exactly at the distance is one site (on the parent), and every other branch that
    crosses the distance gives one. The sites are ``at(where, distance, section=...)``, each
    printing as ``REGION@DISTANCE[SECTION]``, in compartment order: the first is the one
    ``at(where, distance)`` (the string ``"REGION@DISTANCE"``) picks.

    Raises :class:`LocationError` if the region has no compartments or none holds the distance.

    Example
    -------
    >>> from cablemodel import y_neuron
    >>> cell = y_neuron()  # trunk 0-200 um, then "left" and "right" 200-500 um
    >>> [str(s) for s in at_distance("apical", 300 * um, cell)]
    ['apical@300[left]', 'apical@300[right]']
    >>> [str(s) for s in at_distance("apical", 200 * um, cell)]  # the fork: on the trunk
    ['apical@200[trunk]']
    """
    table = _table(cell)
    reg = region(where)
    d = _distance_um(distance)
    mask = reg.mask(table)
    if not mask.any():
        raise LocationError(f"at_distance: region {reg} has no compartments on this cell;"
                            f" regions are {table.regions + ['dendrite', 'all']}")
    parent = _tree_column(table, "parent")
    tol = 1e-9
    has_parent = parent >= 0
    parent_holds = np.zeros(len(table), dtype=bool)
    p = parent[has_parent]
    parent_holds[has_parent] = mask[p] & (np.abs(table.end[p] - d) <= tol)
    crosses = (table.start < d - tol) & (table.end >= d - tol)
    starts = (np.abs(table.start - d) <= tol) & ~parent_holds
    idx = np.flatnonzero(mask & (crosses | starts))
    if idx.size == 0:
        lo, hi = float(table.start[mask].min()), float(table.end[mask].max())
        raise LocationError(f"at_distance: no branch of region {reg} reaches {d:g} um (it spans"
                            f" {lo:g}-{hi:g} um of path distance from the soma); choose a"
                            " distance it reaches")
    name = where.strip() if isinstance(where, str) and where.strip().isidentifier() else reg
    return [at(name, d * um, section=str(table.section[i])) for i in idx]


def _table(cell) -> CompartmentTable:
    """The compartment table of a Cell, a Morphology or a table."""
    if isinstance(cell, CompartmentTable):
        return cell
    table = getattr(cell, "table", None)
    if isinstance(table, CompartmentTable):
        return table
    if callable(getattr(cell, "compartments", None)):
        return cell.compartments()
    raise LocationError(f"give a Cell, a Morphology or a CompartmentTable to count branches on,"
                        f" got {type(cell).__name__}")


def random_sites(where: Where, n: int, seed: int | np.random.Generator) -> list[Location]:
    """``n`` sites drawn at random, uniformly by membrane *length*, in region ``where`` (anything
    :func:`region` takes).

    Each site is drawn independently (with replacement): a compartment is chosen with probability
    proportional to its length (um), so a long branch gets more sites than a short one whatever
    its compartment count. The soma (a sphere) has no length: it gets weight 0, unless the region
    holds no compartment but the soma, which then takes every site. The draw uses
    ``numpy.random.default_rng(seed)``; a ``Generator`` passed as ``seed`` gives one integer seed
    at this call. The sites are resolved lazily, like every location: the same seed gives the
    same compartments on the same morphology. Each prints as
    ``random(REGION, n=N, seed=SEED)[K]``.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> table = ball_and_stick().compartments()
    >>> sites = random_sites("basal", 5, seed=1)
    >>> all(str(table.region[s.resolve(table)]) == "basal" for s in sites)
    True
    """
    where = region(where)
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise LocationError(f"random_sites: n must be an integer >= 0, got {n!r}")
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(0, 2**63 - 1))
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise LocationError(f"random_sites: seed must be an integer >= 0 or a numpy Generator,"
                            f" got {seed!r}")
    return [Location("random", where=where, seed=int(seed), count=int(n), index=k)
            for k in range(int(n))]
