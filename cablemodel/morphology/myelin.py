"""Myelinated axons: nodes of Ranvier and internodes, the myelin's membrane, and a straight fibre.

:func:`myelinate` cuts the axon's sections into alternating sections of the regions ``"node"``
and ``"internode"`` (names that :meth:`cablemodel.Cell.paint`, the membrane mappings and the
places take). :func:`myelin_membrane` gives the per-region Cm and g_leak for
:class:`cablemodel.Cell`, and :func:`lamellae` the number of myelin wraps of an axon from its
g-ratio.

The myelin's membrane
---------------------
Each lamella (one wrap of the glial cell) is two unit membranes; ``n`` lamellae are ``2 n``
membranes in series over the internode (the axolemma beneath, one more, is neglected), so per
area of the axon's membrane::

    Cm_myelin = Cm / (2 n)        g_myelin = g_leak / (2 n)

(Rushton 1951; Moore, Joyner, Brill, Waxman and Najar-Joa 1978; Waxman 1980). It neglects the
growth of the radius through the sheath (exact for a cylindrical sheath: capacitance per length
``2 pi eps / ln(D/d)``), a few % for thin sheaths and ~20 % at a g-ratio of 0.6; and the
periaxonal space and paranodes (double-cable models: McIntyre, Richardson and Grill 2002).

With the g-ratio (axon / fibre diameter) fixed, ``n`` grows in proportion to the axon diameter,
so Cm_myelin per axon area falls as 1/d; with internodes of a fixed multiple of the diameter
(about 100 d: Hursh 1939; Rushton 1951) every electrical time scale is then independent of the
diameter and the conduction velocity is proportional to it, as Hursh found (about 6 m/s per um
of fibre diameter in cat nerve). Unmyelinated fibres conduct in proportion to the square root of
the diameter (Hodgkin 1954). See Debanne, Campanac, Bialowas, Carlier and Alcaraz 2011 for a
review.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import replace

import numpy as np
from brian2 import Quantity, nmetre, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from .model import Morphology, MorphologyError, Section, _interpolate

__all__ = ["myelinate", "myelin_membrane", "lamellae", "axon_fibre", "LAMELLA_PERIOD"]

#: Radial period of compact myelin (one lamella, two membranes): about 16 nm (CNS ~15.5 nm,
#: PNS ~17.5 nm; Agrawal et al. 2009).
LAMELLA_PERIOD = 16 * nmetre


def _length(value, name: str, *, zero: bool = False) -> float:
    """A length quantity as um (> 0, or >= 0 with ``zero``)."""
    fail_for_dimension_mismatch(value, um, f"{name} must be a length (e.g. 1*um), got {value!r}")
    x = float(Quantity(value) / um)
    if not (math.isfinite(x) and (x >= 0 if zero else x > 0)):
        raise MorphologyError(f"{name} must be {'>= 0' if zero else '> 0'} um, got {x:g} um")
    return x


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise MorphologyError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def lamellae(diameter: Quantity, g_ratio: float = 0.7, period: Quantity = LAMELLA_PERIOD) -> float:
    """Number of myelin lamellae around an axon of ``diameter`` with the given g-ratio (axon
    diameter / fibre diameter, 0.6-0.8 in nerves): the sheath's thickness ``d (1/g - 1) / 2``
    over the lamella ``period``. A float (the models use the mean over a nerve).

    Example
    -------
    >>> from brian2 import um
    >>> round(lamellae(2 * um), 1)  # 0.43 um of myelin, 16 nm per lamella
    26.8
    """
    d = _length(diameter, "diameter")
    if isinstance(g_ratio, bool) or not isinstance(g_ratio, numbers.Real) or not 0.3 <= g_ratio < 1:
        raise MorphologyError(f"g_ratio must be a number in [0.3, 1) (axon / fibre diameter,"
                              f" about 0.6-0.8), got {g_ratio!r}")
    return d * (1 / g_ratio - 1) / 2 / _length(period, "period")


def myelin_membrane(n_lamellae: float, Cm: Quantity, g_leak: Quantity) -> dict:
    """``Cm`` and ``g_leak`` mappings for :class:`cablemodel.Cell`: ``Cm``, ``g_leak`` on the
    axon's membrane (``"default"``) and ``Cm / (2 n)``, ``g_leak / (2 n)`` on the internodes
    (see the module docstring). Use as ``Cell(morphology, **myelin_membrane(n, Cm, g))``.

    Example
    -------
    >>> from brian2 import uF, cm, siemens
    >>> m = myelin_membrane(25, 1 * uF / cm**2, 1e-4 * siemens / cm**2)
    >>> round(float(m["Cm"]["internode"] / (uF / cm**2)), 6), sorted(m["g_leak"])
    (0.02, ['default', 'internode'])
    """
    if isinstance(n_lamellae, bool) or not isinstance(n_lamellae, numbers.Real) or not (
            math.isfinite(n_lamellae) and 1 <= n_lamellae <= 1000):
        raise ValueError(f"the number of myelin lamellae must be between 1 and 1000, got"
                         f" {n_lamellae!r}; lamellae(diameter, g_ratio) estimates it")
    return {"Cm": {"default": Cm, "internode": Cm / (2 * n_lamellae)},
            "g_leak": {"default": g_leak, "internode": g_leak / (2 * n_lamellae)}}


def _piece(points: np.ndarray, a: float, b: float) -> np.ndarray:
    """The part of a polyline (x, y, z, d rows) between arc lengths ``a`` < ``b`` (um)."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points[:, :3], axis=0), axis=1))])
    inner = np.flatnonzero((arc > a) & (arc < b))
    xyz, d = _interpolate(points, np.array([a, b]))
    ends = np.column_stack([xyz, d])
    return np.vstack([ends[:1], points[inner], ends[1:]])


def myelinate(morphology: Morphology, where: str = "axon", *, node_length: Quantity = 1 * um,
              internode_length: Quantity | None = None, internode_ratio: float = 100.0,
              node_compartments: int = 1, internode_compartments: int = 9) -> Morphology:
    """The morphology with every section of region ``where`` cut into nodes of Ranvier (region
    ``"node"``, ``node_length`` long) and internodes (region ``"internode"``).

    Each section starts with a node and alternates internode, node, ...: as many whole
    internodes of ``internode_length`` (default ``internode_ratio`` times the section's mean
    diameter, about 100: Hursh 1939) as fit between nodes; what is left beyond the last node
    becomes a last, shorter internode (none if under 1 % of an internode). Pieces are named
    ``<section>_node<k>`` and ``<section>_internode<k>``; children of a cut section hang from its
    last piece. The pieces carry no SWC ids.

    Example
    -------
    >>> from brian2 import um
    >>> m = myelinate(axon_fibre(2 * um, 1000 * um))
    >>> t = m.compartments()
    >>> int((t.section == "axon_node0").sum()), [str(s) for s in m.section_names[1:4]]
    (1, ['axon_node0', 'axon_internode0', 'axon_node1'])
    >>> len([s for s in m.sections if s.region == "node"]), round(m["axon_internode1"].length, 6)
    (5, 200.0)
    """
    if not isinstance(morphology, Morphology):
        raise TypeError(f"morphology must be a cablemodel Morphology, got {type(morphology)}")
    node = _length(node_length, "node_length")
    n_node = _count(node_compartments, "node_compartments")
    n_int = _count(internode_compartments, "internode_compartments")
    fixed = None if internode_length is None else _length(internode_length, "internode_length")
    if fixed is None and not (isinstance(internode_ratio, numbers.Real) and internode_ratio > 0):
        raise MorphologyError(f"internode_ratio must be > 0 (internode length / diameter),"
                              f" got {internode_ratio!r}")
    targets = {s.name for s in morphology.sections if s.region == where and s.parent is not None}
    if not targets:
        raise MorphologyError(f"no section of region {where!r} to myelinate (regions:"
                              f" {sorted({s.region for s in morphology.sections})})")
    last: dict[str, str] = {}
    out: list[Section] = []
    for sec in morphology.sections:
        parent = last.get(sec.parent, sec.parent)
        if sec.name not in targets:
            out.append(sec if parent == sec.parent else replace(sec, parent=parent))
            continue
        inter = fixed if fixed is not None else internode_ratio * sec.diameter
        if sec.length < node:
            raise MorphologyError(f"section {sec.name!r} ({sec.length:g} um) is shorter than one"
                                  f" node ({node:g} um)")
        spans, a = [], 0.0
        while True:
            spans.append(("node", a, a + node))
            a += node
            rest = sec.length - a
            if rest < 0.01 * inter:
                break
            if rest < inter + node:
                spans.append(("internode", a, sec.length))
                break
            spans.append(("internode", a, a + inter))
            a += inter
        count = {"node": 0, "internode": 0}
        for kind, lo, hi in spans:
            name = f"{sec.name}_{kind}{count[kind]}"
            count[kind] += 1
            out.append(Section(name, kind, parent, _piece(sec.points, lo, min(hi, sec.length)),
                               n_node if kind == "node" else n_int,
                               origin_distance=sec.origin_distance if lo == 0 else 0.0))
            parent = name
        last[sec.name] = parent
    spacing = f"{fixed:g} um" if fixed is not None else f"{internode_ratio:g} diameters"
    return replace(morphology, sections=tuple(out),
                   notes=(*morphology.notes, f"myelinated {where}: nodes {node:g} um long,"
                          f" internodes {spacing}"))


def axon_fibre(diameter: Quantity, length: Quantity = 10_000 * um,
               max_compartment_length: Quantity | None = None) -> Morphology:
    """A long straight fibre: a soma of the fibre's diameter (a sphere, a small load) and one
    ``axon`` section of ``length`` along x, for conduction studies. Compartments at most
    ``max_compartment_length`` long (default a tenth of the diameter's passive length scale,
    ``10 * sqrt(d / 1 um)`` um).

    Example
    -------
    >>> from brian2 import um
    >>> m = axon_fibre(1 * um, 2000 * um)
    >>> m.section_names, m["axon"].n_compartments
    (['soma', 'axon'], 201)
    """
    d = _length(diameter, "diameter")
    L = _length(length, "length")
    step = (10 * math.sqrt(d) if max_compartment_length is None
            else _length(max_compartment_length, "max_compartment_length"))
    sections = (Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, d]])),
                Section("axon", "axon", "soma", np.array([[d / 2, 0, 0, d], [d / 2 + L, 0, 0, d]])))
    return Morphology(sections, name=f"fibre_{d:g}um").with_compartments(step)
