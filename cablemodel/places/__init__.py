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
* ``swc_sample(120)`` - the compartment holding SWC sample 120 of the file the cell was read from.
* ``nearest(x, y, z)`` - the compartment whose midpoint is closest to a 3-D point.
* ``random_sites(region, n, seed)`` - ``n`` sites drawn uniformly by membrane length in a region.
* ``"soma"``, ``"hillock"``, ``"basal@200"``, ``"swc:120"`` - the same as strings (see
  :func:`parse_site`).
* ``region("apical") & within(0*um, 300*um)`` - regions, combined with ``|``, ``&``, ``-``
  (``restrict(a, b)`` is ``a & b``); :func:`terminals` and :func:`branch_points` select tips and
  forks of the tree.
"""

from .regions import LocationError, Region, branch_points, region, restrict, terminals, within
from .sites import Location, at, compartment, nearest, on_section, parse_site, random_sites, swc_sample

__all__ = ["Location", "at", "on_section", "compartment", "swc_sample", "nearest", "random_sites",
           "parse_site", "Region", "region", "within", "terminals", "branch_points", "restrict",
           "LocationError"]
