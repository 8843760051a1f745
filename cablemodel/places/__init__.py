"""Places on a cell: points (for synapses, clamps, recordings) and regions (for channel densities).

A *location* resolves to one compartment, a *region* to a set of compartments, always against a
:class:`~cablemodel.morphology.model.CompartmentTable` (so the same description works on any
morphology). Distances are path distances from the soma surface.

Forms
-----
* ``at("basal", 200*um)`` - the point of a region at a path distance (the first branch in
  Brian2's depth-first order that reaches it, or the one named by ``section=``; see :func:`at`).
* ``at_distance("apical", 200*um, cell)`` - one site on every branch at that distance.
* ``on_section("dend", 0.5)`` - a section and a fraction along it.
* ``compartment(17)`` - a compartment index (Brian2's order); prints, like every compartment
  label in results, errors and plots, as ``#17``.
* ``swc_sample(120)`` - the compartment holding SWC sample 120 of the file the cell was read from.
* ``nearest(x, y, z)`` - the compartment whose midpoint is closest to a 3-D point.
* ``random_sites(region, n, seed)`` - ``n`` sites drawn uniformly by membrane length in a region.
* ``"soma"``, ``"hillock"``, ``"basal@200"``, ``"apical@300[apical_2]"``, ``"#17"``, ``"swc:120"``
  - the same as strings (see :func:`parse_site`).
* ``region("apical") & within(0*um, 300*um)`` - regions, combined with ``|``, ``&``, ``-``
  (``restrict(a, b)`` is ``a & b``); :func:`terminals` and :func:`branch_points` select tips and
  forks of the tree, :func:`subtree` everything distal to a section or site, and
  ``region(sites)`` the compartments of a list of sites.
* ``relabel(morphology, {"apical": subtree("basal_35")})`` - whole sections moved to another
  region name, reported in the morphology's notes.

Modules: :mod:`.sites` (points), :mod:`.regions` (the :class:`Region` type and tree regions),
:mod:`.select` (regions from names, sites and subtrees; branches at a distance), :mod:`.relabel`.
"""

from .regions import LocationError, Region, branch_points, terminals, within
from .relabel import relabel
from .select import at_distance, random_sites, region, restrict, subtree
from .sites import Location, at, compartment, nearest, on_section, parse_site, swc_sample

__all__ = ["Location", "at", "at_distance", "on_section", "compartment", "swc_sample", "nearest",
           "random_sites", "parse_site", "Region", "region", "within", "terminals", "branch_points",
           "restrict", "subtree", "relabel", "LocationError"]
