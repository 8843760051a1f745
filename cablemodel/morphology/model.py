"""Geometry: a neuron as a tree of named sections, and its discretization into compartments.

This is the project's own morphology model. Brian2's :class:`brian2.Morphology` is built from it
(:meth:`Morphology.to_brian2`), never the other way round, so that regions (soma, hillock, ais,
axon, basal, apical, custom), SWC sample ids and 3-D coordinates survive for placement, recording
and plotting.

Conventions
-----------
* Lengths and diameters are stored as plain floats in micrometres inside the model; the public
  constructors take Brian2 quantities.
* The soma is the root: a single-compartment sphere whose *surface area* equals that of the
  original soma. A file's branched soma may add *soma sections* (region ``"soma"``, hanging from
  the soma), cables like NEURON's ``soma[1]``, ``soma[2]``, ... (see
  :func:`~cablemodel.io.swc.read_swc`).
* Compartment geometry is integrated over the 3-D pieces inside each compartment, as NEURON does
  with ``pt3d`` points: a compartment's membrane area is the sum of the lateral surfaces of the
  frustums between consecutive points (pieces cut at the compartment's ends, diameters
  interpolated linearly in arc length; a diameter step at one position adds its annulus), and
  its axial resistance is two halves, from each end to the centre, each the sum of
  ``4 Ri L / (pi d1 d2)`` over its pieces (exact for a linear taper). See
  :func:`compartment_geometry`.
* A section's first point is where it starts: the end of its parent section, or the soma centre.
  A section attaches to the *end* of its parent (as in Brian2); the soma is the root.
* Path distance is measured along the tree from the distance origin: the soma centre node,
  where sections attached to the soma start at ``Section.origin_distance`` (0 um for a
  single-point soma; for a file's multi-point soma, NEURON's distance from the middle of its
  first soma section to where Import3d attaches the section, see
  :func:`~cablemodel.io.swc.read_swc`). A compartment's distance is that of its
  midpoint.
* Compartments are numbered as Brian2 numbers them: depth first, children in insertion order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from functools import cached_property

import numpy as np

from .batch import batch_geometry, piece_lengths, run_sums, stacked_arcs

#: Region names with a fixed meaning. Anything else is a custom region.
STANDARD_REGIONS = ("soma", "hillock", "ais", "axon", "basal", "apical")
#: Regions that are dendrites (for the ``"dendrite"`` region alias).
DENDRITE_REGIONS = ("basal", "apical")


class MorphologyError(ValueError):
    """A morphology is invalid; the message says which section or file line, and how to fix it.

    Example
    -------
    >>> import numpy as np
    >>> try:
    ...     Section("dend", "basal", "soma", np.array([[0, 0, 0, 1], [0, 0, 0, 1]]))
    ... except MorphologyError as err:
    ...     print(err)
    section 'dend': length must be > 0 um, got 0 um; remove the section or give it distinct points
    """


@dataclass(frozen=True)
class Section:
    """One unbranched piece of a neuron.

    Parameters
    ----------
    name : str
        Unique name, e.g. ``"apical_trunk"``.
    region : str
        ``"soma"``, ``"hillock"``, ``"ais"``, ``"axon"``, ``"basal"``, ``"apical"`` or a custom name
        (a ``"soma"`` section other than the root is a soma section: a cable hanging from the soma
        or another soma section).
    parent : str or None
        Name of the parent section (``None`` only for the soma, the root).
    points : array (n_points, 4)
        ``x, y, z, diameter`` in um. For the soma (the root) a single row (centre and sphere
        diameter);
        for other sections a polyline of at least two points, starting where the section starts.
    n_compartments : int
        Number of compartments the section is divided into (1 for the soma).
    swc_ids : tuple of int, optional
        SWC sample ids of the points, when the section came from a file.
    origin_distance : float
        Path distance (um) from the distance origin to the section's first point; only sections
        attached to the soma may have one (0 by default: they start on the soma).

    Example
    -------
    >>> import numpy as np
    >>> s = Section("dend", "basal", "soma", np.array([[10, 0, 0, 2], [110, 0, 0, 2]]), 10)
    >>> round(s.length, 6)
    100.0
    """

    name: str
    region: str
    parent: str | None
    points: np.ndarray
    n_compartments: int = 1
    swc_ids: tuple[int, ...] | None = None
    origin_distance: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.origin_distance) and self.origin_distance >= 0):
            raise MorphologyError(f"section {self.name!r}: origin_distance must be >= 0 um and"
                                  f" finite, got {self.origin_distance!r}")
        pts = np.array(self.points, dtype=float)  # a copy of its own, read-only: immutable
        pts.flags.writeable = False
        if pts.ndim != 2 or pts.shape[1] != 4:
            raise MorphologyError(
                f"section {self.name!r}: points must be an (n, 4) array of x, y, z, diameter in um,"
                f" got shape {pts.shape}"
            )
        object.__setattr__(self, "points", pts)
        if not np.isfinite(pts).all():
            raise MorphologyError(f"section {self.name!r}: points contain NaN or inf")
        if (pts[:, 3] <= 0).any():
            bad = np.flatnonzero(pts[:, 3] <= 0)
            raise MorphologyError(
                f"section {self.name!r}: diameter must be > 0 um, got {pts[bad, 3].tolist()} at "
                f"point(s) {bad.tolist()}; fix the diameters (or repair the file on loading)"
            )
        if self.parent is None:  # the root: the soma sphere
            if len(pts) != 1:
                raise MorphologyError(f"soma {self.name!r}: give exactly one point (centre, diameter)")
        else:
            if len(pts) < 2:
                raise MorphologyError(f"section {self.name!r}: needs at least two points")
            if self.length <= 0:
                raise MorphologyError(
                    f"section {self.name!r}: length must be > 0 um, got {self.length:g} um;"
                    " remove the section or give it distinct points"
                )
        if int(self.n_compartments) < 1:
            raise MorphologyError(
                f"section {self.name!r}: n_compartments must be >= 1, got {self.n_compartments}"
            )

    def __setstate__(self, state: dict) -> None:
        """Unpickled (e.g. in a worker process): its arrays read-only again."""
        self.__dict__.update(state)
        for key in ("points", "segment_lengths"):
            if isinstance(state.get(key), np.ndarray):
                state[key].flags.writeable = False

    @cached_property
    def segment_lengths(self) -> np.ndarray:
        """Lengths (um) of the straight pieces between consecutive points (read-only).

        Example
        -------
        >>> import numpy as np
        >>> s = Section("dend", "basal", "soma", np.array([[10, 0, 0, 2], [40, 40, 0, 2], [40, 40, 30, 1]]))
        >>> s.segment_lengths.tolist()
        [50.0, 30.0]
        """
        step = self.points[1:, :3] - self.points[:-1, :3]
        out = np.sqrt((step * step).sum(axis=1))  # as np.linalg.norm(..., axis=1), faster
        out.flags.writeable = False
        return out

    @cached_property
    def length(self) -> float:
        """Total length in um (0 for the soma).

        Example
        -------
        >>> import numpy as np
        >>> s = Section("dend", "basal", "soma", np.array([[10, 0, 0, 2], [40, 40, 0, 2], [40, 40, 30, 1]]))
        >>> s.length
        80.0
        """
        return float(self.segment_lengths.sum()) if self.parent is not None else 0.0

    @property
    def diameter(self) -> float:
        """Soma diameter, or the length-weighted mean diameter of a section (um).

        Example
        -------
        >>> import numpy as np
        >>> s = Section("dend", "basal", "soma", np.array([[10, 0, 0, 2], [40, 40, 0, 2], [40, 40, 30, 1]]))
        >>> s.diameter  # (50 um * 2 um + 30 um * 1.5 um) / 80 um
        1.8125
        """
        if self.parent is None:
            return float(self.points[0, 3])
        seg = self.segment_lengths
        mid = 0.5 * (self.points[1:, 3] + self.points[:-1, 3])
        return float((seg * mid).sum() / seg.sum())

    def resampled(self) -> tuple[np.ndarray, np.ndarray]:
        """Compartment boundaries: ``(xyz (n+1, 3), diameters (n+1,))`` at equal arc lengths (um).

        Example
        -------
        >>> import numpy as np
        >>> s = Section("dend", "basal", "soma", np.array([[0, 0, 0, 2], [100, 0, 0, 1]]), 2)
        >>> xyz, diam = s.resampled()
        >>> xyz[:, 0].tolist(), diam.tolist()
        ([0.0, 50.0, 100.0], [2.0, 1.5, 1.0])
        """
        n = self.n_compartments
        return _interpolate(self.points, np.linspace(0.0, self.length, n + 1))

    def geometry(self) -> SectionGeometry:
        """Membrane area and axial resistance factors of each compartment, integrated over the
        3-D pieces inside it (see :func:`compartment_geometry`).

        Example
        -------
        >>> import numpy as np
        >>> s = Section("dend", "basal", "soma", np.array([[0, 0, 0, 2], [10, 0, 0, 2]]), 1)
        >>> g = s.geometry()
        >>> round(float(g.area[0]), 4), round(float(g.axial_1[0] * np.pi), 4)  # 2 pi r L; 4 (L/2)/d^2
        (62.8319, 5.0)
        """
        return compartment_geometry(self.points, self.n_compartments)


def make_sections(specs: list[tuple]) -> list[Section]:
    """Many cable sections at once: ``Section(*spec)`` for each spec (name, region, parent,
    points, n_compartments, swc_ids, origin_distance; the last three as :class:`Section`'s
    arguments), checked together and with each one's piece lengths and length computed in a
    few numpy calls for all (the same numbers, and the same errors, as one at a time). Float
    point arrays are kept as given, not copied, and made read-only: a section is immutable.

    Example
    -------
    >>> import numpy as np
    >>> a, b = make_sections([("a", "basal", "soma", np.array([[0, 0, 0, 1], [3, 4, 0, 1.0]]), 1,
    ...                        None, 0.0),
    ...                       ("b", "basal", "a", np.array([[3, 4, 0, 1], [3, 4, 12, 1.0]]), 3,
    ...                        None, 0.0)])
    >>> a.length, b.length, b.n_compartments
    (5.0, 12.0, 3)
    """
    if not specs:
        return []
    try:
        points = [np.asarray(spec[3], dtype=float) for spec in specs]
        plain = all(p.ndim == 2 and p.shape[1] == 4 and len(p) >= 2 for p in points) and all(
            spec[2] is not None and int(spec[4]) >= 1 and math.isfinite(spec[6])
            and spec[6] >= 0 for spec in specs)
    except (TypeError, ValueError):  # not numbers where numbers belong
        plain = False
    if plain:
        stacked = np.concatenate(points)
        pieces, count = piece_lengths(stacked, np.array([len(p) for p in points]))
        lengths = run_sums(pieces, count)
        plain = bool(np.isfinite(stacked).all() and (stacked[:, 3] > 0).all()
                     and (lengths > 0).all())
    if not plain:  # the first spec with a problem raises its error
        return [Section(*spec) for spec in specs]
    out = []
    ends = np.cumsum(count).tolist()
    for spec, pts, end, m, length in zip(specs, points, ends, count.tolist(), lengths.tolist(),
                                         strict=True):
        sec = object.__new__(Section)
        seg = pieces[end - m:end]
        seg.flags.writeable = pts.flags.writeable = False
        sec.__dict__.update(name=spec[0], region=spec[1], parent=spec[2], points=pts,
                            n_compartments=spec[4], swc_ids=spec[5], origin_distance=spec[6],
                            segment_lengths=seg, length=length)
        out.append(sec)
    return out


@dataclass(frozen=True)
class SectionGeometry:
    """Per-compartment geometry of one section (arrays of length ``n``; um, um^2, 1/um).

    ``area``: membrane area; ``axial_1``/``axial_2``: integral of ``4 / (pi d^2)`` over the
    compartment's first and second half (multiply by ``Ri`` for the half resistances);
    ``midpoint``: 3-D position of each compartment's centre (n, 3); ``edge_diameter``: diameters at
    the n + 1 compartment boundaries.

    Example
    -------
    >>> import numpy as np
    >>> g = compartment_geometry(np.array([[0, 0, 0, 2], [30, 0, 0, 2]]), 3)
    >>> g.area.round(3).tolist(), g.midpoint[:, 0].tolist()
    ([62.832, 62.832, 62.832], [5.0, 15.0, 25.0])
    """

    area: np.ndarray
    axial_1: np.ndarray
    axial_2: np.ndarray
    midpoint: np.ndarray
    edge_diameter: np.ndarray


def _arc(points: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points[:, :3], axis=0), axis=1))])


def _interpolate(points: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (len(t), 3) and diameters at arc lengths ``t`` along a polyline (um).

    At an arc length where the polyline has a diameter step (two points at one position), the
    first of the two points is used."""
    s = _arc(points)
    k = np.clip(np.searchsorted(s, t, side="left") - 1, 0, len(s) - 2)
    span = s[k + 1] - s[k]  # > 0 except at t = 0 before a diameter step
    w = np.clip((t - s[k]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    out = points[k] + w[:, None] * (points[k + 1] - points[k])
    return out[:, :3], out[:, 3]


def compartment_geometry(points: np.ndarray, n: int) -> SectionGeometry:
    """Geometry of ``n`` equal-length compartments along a polyline (x, y, z, diameter in um).

    The polyline is cut at the compartment ends and centres (2n equal pieces of arc length,
    diameters interpolated linearly); every straight piece of length ``L`` between diameters
    ``d1``, ``d2`` adds ``pi (r1 + r2) sqrt(L^2 + (r1 - r2)^2)`` to its compartment's membrane
    area and ``4 L / (pi d1 d2)`` (the exact integral of ``4 / (pi d^2)`` along a linear taper) to
    the axial factor of its half. A zero-length piece (a diameter step) adds its annulus
    ``pi |r1^2 - r2^2|``. This is how NEURON computes ``area()`` and ``ri()`` from ``pt3d``
    points, so every SWC point inside a compartment counts.

    Parameters
    ----------
    points : array (m, 4)
        The section's polyline (um), at least two points, positive length.
    n : int
        Number of compartments.

    Returns
    -------
    SectionGeometry

    Example
    -------
    >>> import numpy as np
    >>> bent = np.array([[0, 0, 0, 1], [10, 0, 0, 3], [20, 0, 0, 1]])  # widest in the middle
    >>> g = compartment_geometry(bent, 1)
    >>> ends = compartment_geometry(bent[[0, 2]], 1)  # what the two end diameters alone give
    >>> round(float(g.area[0] / ends.area[0]), 2)
    2.01
    """
    g = batch_geometry([np.asarray(points, dtype=float)], [int(n)])
    return SectionGeometry(area=g.area, axial_1=g.axial_1, axial_2=g.axial_2,
                           midpoint=g.midpoint, edge_diameter=g.edge_diameter)


@dataclass(frozen=True)
class CompartmentTable:
    """Per-compartment geometry, in Brian2's flat compartment order (arrays; lengths in um).

    Attributes: ``section`` (name), ``region``, ``index`` (within its section), ``distance``
    (path distance of the midpoint from the distance origin), ``start``/``end`` (path distance of
    the compartment's ends), ``diameter`` (mean of the two end diameters), ``length``, ``area``
    (um^2, integrated over the 3-D pieces inside the compartment), ``x, y, z`` (midpoint), and
    ``axial_1``/``axial_2`` (1/um): the integral of ``4 / (pi d^2)`` over the compartment's first
    and second half, so that ``Ri * axial_1`` is the axial resistance from its start to its
    centre (0 for the soma, which is isopotential). See :func:`compartment_geometry`.

    Tree columns (``None`` only in a table built by hand without them):

    * ``parent`` (int): the compartment this one is attached to; ``-1`` for the soma (the root).
      The first compartment of a section has its parent section's last compartment as parent.
    * ``n_children`` (int): compartments attached to this one's far end: 1 inside a section, the
      number of child sections at a section's last compartment (0 at a terminal), the number of
      sections attached to the soma for the soma.
    * ``swc_ids`` (object array of tuples of int): the SWC sample ids that fall in each compartment
      (empty tuples for a generated morphology). A soma sample belongs to the soma. A neurite
      sample belongs to the compartment whose ``[start, end]`` arc-length range along its section
      contains the sample's arc position; a sample exactly on the boundary of two compartments
      belongs to the proximal one (the compartment that the sample's own SWC segment ends in). A
      section's first point repeats its parent's last sample (except for soma children), so it
      is counted with the parent section. Points with id ``-1`` (points added when splitting a
      segment) belong to no sample. :attr:`swc_compartment` is the reverse map.

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> table = ball_and_stick().compartments()
    >>> str(table.region[0]), int(table.parent[0]), int(table.n_children[0])
    ('soma', -1, 2)
    """

    section: np.ndarray
    region: np.ndarray
    index: np.ndarray
    distance: np.ndarray
    start: np.ndarray
    end: np.ndarray
    diameter: np.ndarray
    length: np.ndarray
    area: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    axial_1: np.ndarray | None = None
    axial_2: np.ndarray | None = None
    parent: np.ndarray | None = None
    n_children: np.ndarray | None = None
    swc_ids: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.section)

    @cached_property
    def swc_compartment(self) -> dict[int, int]:
        """SWC sample id -> compartment index, for a morphology read from a file (else empty).

        Example
        -------
        >>> import tempfile, pathlib
        >>> from cablemodel import read_swc
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
        >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
        >>> t = read_swc(p)[0].compartments()
        >>> t.swc_compartment[1], t.swc_compartment[2], t.swc_compartment[3] == len(t) - 1
        (0, 1, True)
        """
        out: dict[int, int] = {}
        if self.swc_ids is None:
            return out
        for i, ids in enumerate(self.swc_ids):
            for sample in ids:
                out.setdefault(int(sample), i)
        return out

    def brian2_values(self) -> dict[str, np.ndarray]:
        """Per-compartment geometry in SI units, keyed by the names of a Brian2
        ``SpatialNeuron``'s variables (``area_``, ``r_length_1_``, ``r_length_2_``, ``length_``,
        ``distance_``): set them on the neuron so that it simulates this table's geometry.

        ``r_length = 1 / axial`` (meter): Brian2 divides it by ``Ri`` to get a half-compartment's
        axial conductance. The soma sphere (the root) keeps Brian2's value for a soma (1 m: no
        axial resistance).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> t = ball_and_stick().compartments()
        >>> v = t.brian2_values()
        >>> float(v["area_"][0] * 1e12) == float(t.area[0]), float(v["r_length_1_"][0])
        (True, 1.0)
        """
        if self.axial_1 is None or self.axial_2 is None:
            raise ValueError("this table has no axial resistance columns; build it with"
                             " Morphology.compartments()")
        root = self.parent == -1 if self.parent is not None else self.region == "soma"
        r1 = np.where(root, 1.0, 1e-6 / np.where(root, 1.0, self.axial_1))
        r2 = np.where(root, 1.0, 1e-6 / np.where(root, 1.0, self.axial_2))
        return {"area_": self.area * 1e-12, "r_length_1_": r1, "r_length_2_": r2,
                "length_": self.length * 1e-6, "distance_": self.distance * 1e-6}

    def in_region(self, region: str) -> np.ndarray:
        """Boolean mask of the compartments in ``region`` (``"dendrite"`` = basal + apical,
        ``"all"`` = every compartment).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> t = ball_and_stick().compartments()
        >>> [int(t.in_region(r).sum()) for r in ("hillock", "dendrite", "all")]
        [3, 151, 176]
        """
        if region == "all":
            return np.ones(len(self), dtype=bool)
        if region == "dendrite":
            return np.isin(self.region, DENDRITE_REGIONS)
        return self.region == region

    @property
    def regions(self) -> list[str]:
        """Region names present, in order of first appearance.

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> ball_and_stick().compartments().regions
        ['soma', 'hillock', 'axon', 'basal']
        """
        return list(dict.fromkeys(self.region.tolist()))


@dataclass(frozen=True)
class Morphology:
    """A neuron's geometry: sections in a tree rooted at the soma.

    Build one with the generators (:func:`cablemodel.ball_and_stick`, :func:`cablemodel.y_neuron`,
    :func:`cablemodel.pyramidal`) or from a file (:func:`cablemodel.read_swc`).

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> m = ball_and_stick()
    >>> m.n_compartments > 10, m.section_names[0]
    (True, 'soma')
    """

    sections: tuple[Section, ...]
    name: str = "cell"
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        seen: dict[str, Section] = {}
        for k, sec in enumerate(self.sections):
            if sec.name in seen:
                raise MorphologyError(f"section name {sec.name!r} is used twice; names must be unique")
            if k == 0:
                if sec.region != "soma" or sec.parent is not None:
                    raise MorphologyError(
                        "the first section must be the soma (region 'soma', no parent);"
                        f" got {sec.name!r} in region {sec.region!r}"
                    )
            elif sec.parent not in seen:
                raise MorphologyError(
                    f"section {sec.name!r}: parent {sec.parent!r} is not defined before it;"
                    " list parents before children"
                )
            elif sec.region == "soma" and seen[sec.parent].region != "soma":
                raise MorphologyError(f"section {sec.name!r}: a soma section must hang from the"
                                      f" soma or another soma section, not from {sec.parent!r}")
            seen[sec.name] = sec

    def __getstate__(self) -> dict:
        """Pickled without the compartment table (recomputed where it is needed)."""
        return {k: v for k, v in self.__dict__.items() if k != "_table"}

    # -- tree queries ---------------------------------------------------------------------------
    @property
    def section_names(self) -> list[str]:
        """Names of the sections, in insertion order (the soma first).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> ball_and_stick().section_names
        ['soma', 'hillock', 'axon', 'dend']
        """
        return [s.name for s in self.sections]

    def __getitem__(self, name: str) -> Section:
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(f"no section {name!r}; sections are {self.section_names}")

    def children(self, name: str) -> list[Section]:
        """Sections whose parent is ``name``, in insertion order.

        Example
        -------
        >>> from cablemodel import y_neuron
        >>> [s.name for s in y_neuron().children("trunk")]
        ['left', 'right']
        """
        return list(self._children_map.get(name, ()))

    @property
    def soma(self) -> Section:
        """The root section: the soma sphere (its ``diameter`` in um).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> soma = ball_and_stick().soma
        >>> soma.name, soma.diameter
        ('soma', 20.0)
        """
        return self.sections[0]

    @property
    def n_compartments(self) -> int:
        """Total number of compartments (the soma counts as one).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> m = ball_and_stick()
        >>> m.n_compartments, [s.n_compartments for s in m.sections]
        (176, [1, 3, 21, 151])
        """
        return sum(s.n_compartments for s in self.sections)

    def depth_first(self) -> list[Section]:
        """Sections in Brian2's compartment order (depth first, children in insertion order).

        Example
        -------
        >>> import numpy as np
        >>> line = lambda x0, x1: np.array([[x0, 0, 0, 1], [x1, 0, 0, 1]])  # x in um, 1 um thick
        >>> m = Morphology((Section("soma", "soma", None, np.array([[0, 0, 0, 10]])),
        ...                 Section("a", "basal", "soma", line(5, 50)),
        ...                 Section("b", "basal", "soma", line(-5, -50)),
        ...                 Section("a1", "basal", "a", line(50, 100))))
        >>> m.section_names, [s.name for s in m.depth_first()]
        (['soma', 'a', 'b', 'a1'], ['soma', 'a', 'a1', 'b'])
        """
        kids = self._children_map
        order: list[Section] = []
        stack = [self.soma]
        while stack:
            sec = stack.pop()
            order.append(sec)
            stack.extend(reversed(kids[sec.name]))
        return order

    @cached_property
    def _children_map(self) -> dict[str, list[Section]]:
        """Section name -> its child sections, in insertion order."""
        kids: dict[str, list[Section]] = {s.name: [] for s in self.sections}
        for sec in self.sections[1:]:
            kids[sec.parent].append(sec)
        return kids

    @property
    def nesting_depth(self) -> int:
        """Largest number of sections on a path from the soma to a tip (0 for a lone soma).

        Example
        -------
        >>> from cablemodel import y_neuron
        >>> y_neuron().nesting_depth  # soma -> trunk -> left
        2
        """
        depth = {self.soma.name: 0}
        for sec in self.sections[1:]:  # parents come before their children
            depth[sec.name] = depth[sec.parent] + 1
        return max(depth.values())

    def start_distance(self) -> dict[str, float]:
        """Path distance (um) from the distance origin at which each section starts (a section on
        the soma starts at its ``origin_distance``, 0 unless a file's soma says otherwise).

        Example
        -------
        >>> from cablemodel import y_neuron
        >>> y_neuron().start_distance()
        {'soma': 0.0, 'hillock': 0.0, 'axon': 30.0, 'trunk': 0.0, 'left': 200.0, 'right': 200.0}
        """
        start: dict[str, float] = {self.soma.name: 0.0}
        by_name = {sec.name: sec for sec in self.sections}
        for sec in self.sections[1:]:
            parent = by_name[sec.parent]
            start[sec.name] = start[parent.name] + parent.length + sec.origin_distance
        return start

    # -- discretization -------------------------------------------------------------------------
    def with_compartments(self, max_length: float = 10.0, odd: bool = True) -> Morphology:
        """Re-discretize every section so no compartment is longer than ``max_length`` (um).

        ``odd=True`` rounds counts up to odd numbers (as NEURON's d_lambda rule does), so a
        section's midpoint is a compartment centre.

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> ball_and_stick().with_compartments(max_length=50)["dend"].n_compartments
        31
        """
        if not max_length > 0:
            raise MorphologyError(f"max_length must be > 0 um, got {max_length}")
        new = []
        for sec in self.sections:
            if sec.parent is None:
                new.append(sec)
                continue
            n = max(1, int(np.ceil(sec.length / max_length - 1e-9)))
            if odd and n % 2 == 0:
                n += 1
            new.append(_recounted(sec, n))
        return replace(self, sections=tuple(new))

    def compartments(self) -> CompartmentTable:
        """Geometry of every compartment in Brian2's order (see :class:`CompartmentTable`).

        Example
        -------
        >>> from cablemodel import y_neuron
        >>> t = y_neuron().compartments()
        >>> first_left = int((t.section == "left").argmax())
        >>> str(t.section[t.parent[first_left]]), int(t.n_children[t.parent[first_left]])
        ('trunk', 2)
        """
        return self._table

    @cached_property
    def _table(self) -> CompartmentTable:
        """:meth:`compartments`, computed once (the morphology is immutable), its arrays
        read-only."""
        table = self._compartment_table()
        for f in fields(table):
            arr = getattr(table, f.name)
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False
        return table

    def _compartment_table(self) -> CompartmentTable:
        start = self.start_distance()
        order = self.depth_first()
        n_child_sections = {s.name: 0 for s in self.sections}
        for sec in self.sections[1:]:
            n_child_sections[sec.parent] += 1
        soma, cables = order[0], order[1:]
        counts = np.array([1] + [sec.n_compartments for sec in cables], dtype=np.int64)
        first = np.concatenate([[0], np.cumsum(counts)])
        total = int(first[-1])
        sec_of = np.repeat(np.arange(len(order)), counts)  # position in `order` of each row
        index = np.arange(total) - first[sec_of]
        d = soma.points[0, 3]
        if cables:
            g = batch_geometry([sec.points for sec in cables], counts[1:].tolist())
            n = counts[1:]
            comp_len = np.repeat(np.array([sec.length for sec in cables]) / n, n)
            begin = np.repeat(np.array([start[sec.name] for sec in cables]), n)
            edge_d = g.edge_diameter
            last_edge = np.cumsum(n + 1) - 1  # each section's last boundary
            d_lo = np.delete(edge_d, last_edge)
            d_hi = np.delete(edge_d, last_edge - n)
            lo = begin + comp_len * index[1:]
            hi = begin + comp_len * (index[1:] + 1)
            cable = dict(distance=lo + comp_len / 2, start=lo, end=hi, diameter=0.5 * (d_lo + d_hi),
                         length=comp_len, area=g.area, x=g.midpoint[:, 0], y=g.midpoint[:, 1],
                         z=g.midpoint[:, 2], axial_1=g.axial_1, axial_2=g.axial_2)
        else:
            cable = {k: np.zeros(0) for k in ("distance", "start", "end", "diameter", "length",
                                              "area", "x", "y", "z", "axial_1", "axial_2")}
        root = dict(distance=0.0, start=0.0, end=0.0, diameter=d, length=d, area=np.pi * d**2,
                    x=soma.points[0, 0], y=soma.points[0, 1], z=soma.points[0, 2], axial_1=0.0,
                    axial_2=0.0)
        arrays = {k: np.concatenate([[root[k]], cable[k]]) for k in root}
        ends = first[1:].tolist()
        last = {sec.name: ends[k] - 1 for k, sec in enumerate(order)}
        parent = np.arange(total) - 1
        parent[first[:-1]] = [-1] + [last[sec.parent] for sec in cables]
        n_children = np.ones(total, dtype=int)
        n_children[first[1:] - 1] = [n_child_sections[sec.name] for sec in order]
        names = np.array([sec.name for sec in order])
        regions = np.array([sec.region for sec in order])
        comp, sample = _samples_per_compartment(cables, first[1:-1])
        on_soma = [int(i) for i in (soma.swc_ids or ()) if i >= 0]
        comp = np.concatenate([np.zeros(len(on_soma), dtype=np.int64), comp])
        sample = np.concatenate([np.array(on_soma, dtype=np.int64), sample])
        by_comp = np.argsort(comp, kind="stable")  # each compartment's samples in point order
        comp, sample = comp[by_comp], sample[by_comp]
        # an SWC id belongs to the first compartment it falls in (the soma, or the proximal one)
        _, at, which = np.unique(sample, return_index=True, return_inverse=True)
        keep = comp == comp[at][np.asarray(which).ravel()]
        kept = sample[keep].tolist()
        bounds = np.searchsorted(comp[keep], np.arange(total + 1)).tolist()
        swc_ids = np.empty(total, dtype=object)
        for k in range(total):
            swc_ids[k] = tuple(kept[bounds[k]:bounds[k + 1]])
        return CompartmentTable(section=names[sec_of], region=regions[sec_of], index=index,
                                parent=parent, n_children=n_children, swc_ids=swc_ids, **arrays)

    # -- Brian2 ---------------------------------------------------------------------------------
    def to_brian2(self):
        """Build the equivalent :class:`brian2.Morphology` (soma sphere + tapered sections).

        It carries the topology and the compartment counts. Brian2 computes each compartment's
        area and axial resistance from the two end diameters only; the simulation replaces them
        with the integrated geometry of :meth:`compartments` (see
        :meth:`CompartmentTable.brian2_values`). Its nodes are Brian2's ``Soma`` and ``Section``
        with the subtree totals, path distances and deep copy computed without recursion
        (:mod:`cablemodel.morphology.brian2_tree`), so that a tree nested thousands of sections
        deep can be given to a ``SpatialNeuron`` (within
        :func:`~cablemodel.morphology.brian2_tree.nesting_headroom`).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> b2 = ball_and_stick().to_brian2()
        >>> b2.total_compartments == ball_and_stick().n_compartments
        True
        """
        from brian2 import um

        from .brian2_tree import Section as B2Section
        from .brian2_tree import Soma

        built = {}
        for sec in self.sections:
            if sec.parent is None:
                obj = Soma(diameter=sec.points[0, 3] * um)
            else:
                _, diam = sec.resampled()
                n = sec.n_compartments
                obj = B2Section(n=n, diameter=diam * um, length=np.full(n, sec.length / n) * um)
                built[sec.parent].children.add(_b2_name(sec.name), obj)
            built[sec.name] = obj
        return built[self.soma.name]

    def summary(self) -> dict:
        """Counts, total length and membrane area per region (um, um^2).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> sorted(ball_and_stick().summary()["regions"])
        ['axon', 'basal', 'hillock', 'soma']
        """
        t = self.compartments()
        regions = {}
        for r in t.regions:
            mask = t.region == r
            regions[r] = {
                "compartments": int(mask.sum()),
                "length_um": float(t.length[mask & (t.parent >= 0)].sum()),
                "area_um2": float(t.area[mask].sum()),
            }
        return {
            "name": self.name,
            "sections": len(self.sections),
            "compartments": len(t),
            "max_path_distance_um": float(t.end.max()),
            "regions": regions,
        }


def _recounted(sec: Section, n: int) -> Section:
    """``sec`` with ``n`` compartments (>= 1): a copy that keeps its checked points and cached
    lengths (what ``dataclasses.replace`` would check and compute again)."""
    if int(n) < 1:
        raise MorphologyError(f"section {sec.name!r}: n_compartments must be >= 1, got {n}")
    out = object.__new__(type(sec))  # a shallow copy (as copy.copy, without its overhead)
    out.__dict__.update(sec.__dict__, n_compartments=int(n))
    return out


def _b2_name(name: str) -> str:
    """Brian2 child names must be identifiers."""
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out[:1].isalpha() else f"s_{out}"


def _samples_per_compartment(sections: list[Section],
                             first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(compartments, SWC ids)`` of the points of ``sections`` whose first compartments are at
    ``first``: each point goes to the compartment holding its arc position (a point on a
    boundary goes to the proximal compartment; ids < 0 are skipped), in order."""
    with_ids = [k for k, sec in enumerate(sections) if sec.swc_ids is not None]
    for k in with_ids:
        sec = sections[k]
        if len(sec.swc_ids) != len(sec.points):
            raise MorphologyError(f"section {sec.name!r}: {len(sec.swc_ids)} SWC ids for"
                                  f" {len(sec.points)} points; give one id per point (-1 for none)")
    if not with_ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    chosen = [sections[k] for k in with_ids]
    arc = stacked_arcs([sec.points for sec in chosen])
    size = np.array([len(sec.points) for sec in chosen])
    n = np.array([sec.n_compartments for sec in chosen])
    length = np.array([sec.length for sec in chosen])
    step = np.repeat(length / n, size)
    tol = np.repeat(1e-9 * np.maximum(1.0, length), size)
    k = np.minimum(np.maximum(np.ceil((arc - tol) / step).astype(np.int64) - 1, 0),
                   np.repeat(n - 1, size))
    index = np.repeat(first[with_ids], size) + k
    try:
        ids = np.array([i for sec in chosen for i in sec.swc_ids], dtype=np.int64)
    except OverflowError as exc:
        raise MorphologyError("SWC ids must be whole numbers of magnitude below 2**63 (a file's"
                              " ids are below 2**53); give smaller ids") from exc
    return index[ids >= 0], ids[ids >= 0]
