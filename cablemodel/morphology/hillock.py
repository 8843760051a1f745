"""Axon hillock (and initial segment) for a morphology that has none, e.g. one read from SWC.

:func:`add_hillock` does one of three things, and says which in ``Morphology.notes``:

* **The morphology already has a hillock** (a section in region ``"hillock"``): it is returned
  unchanged, with a note saying so.
* **It has an axon** (regions ``"axon"`` or ``"ais"``) **but no hillock**: the first ``length`` of
  the axon, measured along the path from where the axon starts, becomes the hillock. The axon's
  first section is split there: the first piece (region ``"hillock"``, named ``"hillock"``) ends at
  a new point interpolated linearly (position and diameter) between the two samples around it,
  and the rest keeps the section's name and region and starts at that point. The new point has no
  SWC sample: its id in ``Section.swc_ids`` is ``-1`` (at the end of the hillock and at the start
  of the rest). Splitting changes no geometry: the polyline, and so the total length and the
  membrane area (frustums), are the same as before. If the first section is not longer than
  ``length``, the whole section becomes the hillock and it stays shorter than asked: the split
  never crosses the end of a section (a branch point), and the note says so. With ``ais_length``
  the next piece of the axon becomes the initial segment (region ``"ais"``) the same way. The
  diameters are the reconstruction's: ``diameter``, ``end_diameter`` and ``axon_length`` are not
  used. When several axons start at the soma, the one with the longest arbor is used.
* **It has neither**: a straight, tapered hillock is added at the soma: it starts on the soma
  surface, points away from the dendrites (opposite to the mean of the unit vectors from the soma
  centre to the length-weighted centroid of each dendritic tree attached to the soma; straight
  down, -y, if that mean is zero or there are no dendrites) and tapers linearly from
  ``diameter`` (default ``min(soma diameter / 4, 3 um)``) to ``end_diameter`` over ``length``.
  Optionally an initial segment (region ``"ais"``, ``ais_length`` long) and an axon stub (region
  ``"axon"``, ``axon_length`` long) follow in the same direction with diameter ``end_diameter``.
  Added sections have no SWC ids (``swc_ids=None``).

Compartment order: Brian2 numbers compartments depth first, children in insertion order, and the
engine integrates gates per contiguous block of compartments that carry channels. So the hillock
(with the ais and the axon after it) is made the **first child of the soma**: it comes right after
the soma in ``Morphology.sections``, followed by the rest of its subtree, then every other section
in its former order. Soma, hillock, ais and axon compartments are then contiguous. (If the axon
starts on a dendrite rather than at the soma, the hillock is made where the axon starts and the
order is kept.)

Compartments: new sections and the hillock/ais pieces get an odd number of compartments no longer
than ``compartment_length`` (5 um by default: a 15 um hillock has 3); the rest of a split
section gets an odd number no longer than its compartments were before.

Names: ``"hillock"``, ``"ais"``, ``"axon"`` (or ``"hillock_1"``, ... if the name is taken); names
stay unique.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from brian2 import Quantity, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from .model import Morphology, MorphologyError, Section

__all__ = ["add_hillock", "AXON_REGIONS"]

#: Regions that make up an axon for :func:`add_hillock` (a hillock is split off where they start).
AXON_REGIONS = ("ais", "axon")
#: Lengths closer than this (um) are equal.
_TOL_UM = 1e-9


def _length_um(value, name: str, optional: bool = False) -> float | None:
    """A positive length quantity as a float in um (``None`` passes when ``optional``)."""
    if value is None and optional:
        return None
    fail_for_dimension_mismatch(value, um, f"{name} must be a length (e.g. 15*um), got {value!r}")
    v = float(Quantity(value) / um)
    if not (math.isfinite(v) and v > 0):
        raise MorphologyError(f"{name} must be > 0 um and finite, got {value!r}")
    return v


def _odd_count(length_um: float, max_um: float) -> int:
    n = max(1, math.ceil(length_um / max_um - _TOL_UM))
    return n + 1 if n % 2 == 0 else n


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 0
    while out in taken:
        k += 1
        out = f"{name}_{k}"
    taken.add(out)
    return out


def _subtree(morph: Morphology, name: str) -> list[str]:
    """``name`` and all sections below it, in the order of ``morph.sections``."""
    inside = {name}
    for sec in morph.sections:
        if sec.parent in inside:
            inside.add(sec.name)
    return [s.name for s in morph.sections if s.name in inside]


def _split(sec: Section, at_um: float) -> tuple[np.ndarray, tuple, np.ndarray, tuple]:
    """Cut a polyline at path length ``at_um`` (0 < at < length): points and ids of both pieces.

    A cut within 1e-9 um of an existing point uses that point; otherwise a point is interpolated
    linearly (x, y, z, diameter) and gets the id -1 in both pieces.
    """
    arc = np.concatenate([[0.0], np.cumsum(sec.segment_lengths)])
    ids = tuple(sec.swc_ids) if sec.swc_ids is not None else None
    near = np.flatnonzero(np.abs(arc - at_um) <= _TOL_UM)
    if near.size and 0 < near[0] < len(arc) - 1:
        k = int(near[0])
        first, rest = sec.points[:k + 1], sec.points[k:]
        return first, (ids[:k + 1] if ids else None), rest, (ids[k:] if ids else None)
    k = int(np.searchsorted(arc, at_um, side="right")) - 1  # arc[k] < at < arc[k + 1]
    w = (at_um - arc[k]) / (arc[k + 1] - arc[k])
    point = sec.points[k] + w * (sec.points[k + 1] - sec.points[k])
    first = np.vstack([sec.points[:k + 1], point])
    rest = np.vstack([point, sec.points[k + 1:]])
    if ids is None:
        return first, None, rest, None
    return first, ids[:k + 1] + (-1,), rest, (-1,) + ids[k + 1:]


def _tree_length(morph: Morphology, name: str) -> float:
    return sum(morph[n].length for n in _subtree(morph, name))


def _away_from_dendrites(morph: Morphology) -> tuple[np.ndarray, str]:
    """Unit vector opposite to the mean direction of the dendritic trees at the soma."""
    centre = morph.soma.points[0, :3]
    units = []
    for stem in morph.children(morph.soma.name):
        weight, acc = 0.0, np.zeros(3)
        for name in _subtree(morph, stem.name):
            sec = morph[name]
            seg = sec.segment_lengths
            mid = 0.5 * (sec.points[1:, :3] + sec.points[:-1, :3])
            acc += (seg[:, None] * mid).sum(axis=0)
            weight += float(seg.sum())
        v = acc / weight - centre
        if np.linalg.norm(v) > 0:
            units.append(v / np.linalg.norm(v))
    mean = np.mean(units, axis=0) if units else np.zeros(3)
    norm = float(np.linalg.norm(mean))
    if norm < 1e-9:
        why = "no dendrites" if not units else "the dendrites have no mean direction"
        return np.array([0.0, -1.0, 0.0]), f"{why}: pointing down (-y)"
    return -mean / norm, "pointing away from the dendrites"


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def add_hillock(morphology: Morphology, *, length=15 * um, diameter=None, end_diameter=1 * um,
                ais_length=None, axon_length=None, compartment_length=5 * um) -> Morphology:
    """Give a morphology an axon hillock (region ``"hillock"``), split from its axon or added.

    See the module documentation for the rules. In short: an existing hillock is kept (unchanged
    morphology, a note); otherwise the first ``length`` of an existing axon becomes the hillock
    (``ais_length`` more becomes the initial segment), or, without an axon, a tapered hillock
    (then optionally an ais and an axon stub) is added at the soma pointing away from the
    dendrites. The hillock becomes the soma's first child. What was done is appended to
    ``Morphology.notes``.

    Parameters
    ----------
    morphology : Morphology
    length : Quantity
        Hillock length along the path from the soma (um; 15 um by default).
    diameter : Quantity or None
        Diameter of an added hillock at the soma; default ``min(soma diameter / 4, 3 um)``.
    end_diameter : Quantity
        Diameter at the hillock's far end, and of the added ais and axon stub (1 um by default).
    ais_length, axon_length : Quantity or None
        Lengths of the initial segment and (only when there is no axon) of an axon stub.
    compartment_length : Quantity
        Longest compartment of the hillock, the ais and an added axon (odd counts; 5 um default).

    Returns
    -------
    Morphology
        A new morphology (the input is not changed).

    Raises
    ------
    brian2.DimensionMismatchError
        A length parameter is not a length (the message names it).
    MorphologyError
        A length is not positive.

    Example
    -------
    >>> import numpy as np
    >>> from brian2 import um
    >>> soma = Section("soma", "soma", None, np.array([[0.0, 0, 0, 16]]))
    >>> dend = Section("dend", "apical", "soma", np.array([[0.0, 8, 0, 2], [0, 308, 0, 2]]), 31)
    >>> m = add_hillock(Morphology((soma, dend)), ais_length=20 * um)
    >>> [(s.name, s.parent) for s in m.sections]
    [('soma', None), ('hillock', 'soma'), ('ais', 'hillock'), ('dend', 'soma')]
    >>> m["hillock"].points.tolist()  # starts on the soma surface, points away from the dendrite
    [[0.0, -8.0, 0.0, 3.0], [0.0, -23.0, 0.0, 1.0]]
    >>> m.notes[-1]
    'added hillock: 15 um tapering 3 -> 1 um at the soma (pointing away from the dendrites), ais 20 um'
    """
    if not isinstance(morphology, Morphology):
        raise TypeError(f"morphology must be a cablemodel Morphology, got {type(morphology)}")
    hl = _length_um(length, "length")
    d0 = _length_um(diameter, "diameter", optional=True)
    d1 = _length_um(end_diameter, "end_diameter")
    ais = _length_um(ais_length, "ais_length", optional=True)
    ax = _length_um(axon_length, "axon_length", optional=True)
    dx = _length_um(compartment_length, "compartment_length")

    hillocks = [s.name for s in morphology.sections if s.region == "hillock"]
    if hillocks:
        note = f"hillock already present ({', '.join(hillocks)}): unchanged"
        return replace(morphology, notes=(*morphology.notes, note))
    roots = [s for s in morphology.sections[1:]
             if s.region in AXON_REGIONS and morphology[s.parent].region not in AXON_REGIONS]
    if roots:
        return _split_axon(morphology, roots, hl, ais, dx, ignored=[
            name for name, v in (("diameter", d0), ("axon_length", ax)) if v is not None])
    return _add_new(morphology, hl, d0, d1, ais, ax, dx)


def _add_new(morph: Morphology, hl: float, d0: float | None, d1: float, ais: float | None,
             ax: float | None, dx: float) -> Morphology:
    soma = morph.soma
    soma_d = float(soma.points[0, 3])
    if d0 is None:
        d0 = min(soma_d / 4, 3.0)
    u, why = _away_from_dendrites(morph)
    taken = set(morph.section_names)
    start = soma.points[0, :3] + 0.5 * soma_d * u
    new: list[Section] = []
    parent = soma.name
    for region, ell, da, db in (("hillock", hl, d0, d1), ("ais", ais, d1, d1), ("axon", ax, d1, d1)):
        if ell is None:
            continue
        end = start + ell * u
        name = _unique(region, taken)
        new.append(Section(name, region, parent, np.array([[*start, da], [*end, db]]),
                           _odd_count(ell, dx)))
        start, parent = end, name
    note = (f"added hillock: {_fmt(hl)} um tapering {_fmt(d0)} -> {_fmt(d1)} um at the soma ({why})")
    if ais is not None:
        note += f", ais {_fmt(ais)} um"
    if ax is not None:
        note += f", axon stub {_fmt(ax)} um"
    if d0 < d1:
        note += " (note: the hillock widens: diameter < end_diameter)"
    sections = (soma, *new, *morph.sections[1:])
    return replace(morph, sections=sections, notes=(*morph.notes, note))


def _split_axon(morph: Morphology, roots: list[Section], hl: float, ais: float | None, dx: float,
                ignored: list[str]) -> Morphology:
    at_soma = [s for s in roots if s.parent == morph.soma.name]
    pool = at_soma or roots
    root = max(pool, key=lambda s: _tree_length(morph, s.name))  # first one wins a tie
    taken = set(morph.section_names)
    renamed: dict[str, str] = {}
    notes: list[str] = []
    chain: list[Section] = []
    current = root
    parent = root.parent
    complete = True
    for region, ell in (("hillock", hl), ("ais", ais)):
        if ell is None:
            continue
        if current is None or not complete:
            notes.append(f"no {region}: the hillock ends where the section does")
            continue
        name = _unique(region, taken)
        if current.length <= ell + _TOL_UM:
            whole = replace(current, name=name, region=region, parent=parent,
                            n_compartments=_odd_count(current.length, dx))
            renamed[current.name] = name
            chain.append(whole)
            if current.length < ell - _TOL_UM:
                complete = False
                notes.append(f"{region} is {_fmt(current.length)} um, not {_fmt(ell)} um: the whole"
                             f" section {current.name!r} became the {region} (it ends at a branch"
                             " point or section end, which is not crossed)")
            else:
                notes.append(f"section {current.name!r} ({_fmt(ell)} um) became the {region}")
            parent, current = name, None
            continue
        p1, i1, p2, i2 = _split(current, ell)
        piece = Section(name, region, parent, p1, _odd_count(ell, dx), i1)
        old_dx = current.length / current.n_compartments
        rest_len = current.length - ell
        rest = Section(current.name, current.region, name, p2, _odd_count(rest_len, old_dx), i2)
        chain.append(piece)
        notes.append(f"the first {_fmt(ell)} um of {current.name!r} became the {region}"
                     f" ({_fmt(p1[0, 3])} -> {_fmt(p1[-1, 3])} um)")
        parent, current = name, rest
    if current is not None:
        chain.append(current)

    below = _subtree(morph, root.name)[1:]
    moved = []
    for name in below:
        sec = morph[name]
        if sec.parent in renamed:
            sec = replace(sec, parent=renamed[sec.parent])
        moved.append(sec)
    others = [s for s in morph.sections[1:] if s.name not in set(below) | {root.name}]
    if root.parent == morph.soma.name:
        sections = (morph.soma, *chain, *moved, *others)
        where = "at the soma"
    else:  # the axon starts on a dendrite: keep the order, put the chain where the root was
        sections = [morph.soma]
        for sec in morph.sections[1:]:
            if sec.name == root.name:
                sections += chain
            elif sec.name in below:
                sections.append(moved[below.index(sec.name)])
            else:
                sections.append(sec)
        sections = tuple(sections)
        where = f"on {root.parent!r}, where the axon starts (not at the soma)"
    head = f"hillock from the axon {where}: " + "; ".join(notes)
    if len(pool) > 1:
        head += (f"; {len(pool)} axons start there, the longest arbor ({root.name!r}) was used")
    if ignored:
        head += f"; {', '.join(ignored)} not used (the reconstruction's axon is kept)"
    return replace(morph, sections=sections, notes=(*morph.notes, head))
