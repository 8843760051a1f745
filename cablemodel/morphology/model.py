"""Geometry: a neuron as a tree of named sections, and its discretization into compartments.

This is the project's own morphology model. Brian2's :class:`brian2.Morphology` is built from it
(:meth:`Morphology.to_brian2`), never the other way round, so that regions (soma, hillock, ais,
axon, basal, apical, custom), SWC sample ids and 3-D coordinates survive for placement, recording
and plotting.

Conventions
-----------
* Lengths and diameters are stored as plain floats in micrometres inside the model; the public
  constructors take Brian2 quantities.
* The soma is a single-compartment sphere whose *surface area* equals that of the original soma.
* A section's first point is where it starts: the end of its parent section, or the soma centre.
  A section attaches to the *end* of its parent (as in Brian2); the soma is the root.
* Path distance is measured from the soma surface along the tree (a dendrite starts at 0 um);
  a compartment's distance is that of its midpoint. This is what Brian2's ``distance`` gives.
* Compartments are numbered as Brian2 numbers them: depth first, children in insertion order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

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
        ``"soma"``, ``"hillock"``, ``"ais"``, ``"axon"``, ``"basal"``, ``"apical"`` or a custom name.
    parent : str or None
        Name of the parent section (``None`` only for the soma, the root).
    points : array (n_points, 4)
        ``x, y, z, diameter`` in um. For the soma a single row (centre and sphere diameter);
        for other sections a polyline of at least two points, starting where the section starts.
    n_compartments : int
        Number of compartments the section is divided into (1 for the soma).
    swc_ids : tuple of int, optional
        SWC sample ids of the points, when the section came from a file.

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

    def __post_init__(self) -> None:
        pts = np.asarray(self.points, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 4:
            raise MorphologyError(
                f"section {self.name!r}: points must be an (n, 4) array of x, y, z, diameter in um,"
                f" got shape {pts.shape}"
            )
        object.__setattr__(self, "points", pts)
        if not np.all(np.isfinite(pts)):
            raise MorphologyError(f"section {self.name!r}: points contain NaN or inf")
        if np.any(pts[:, 3] <= 0):
            bad = np.flatnonzero(pts[:, 3] <= 0)
            raise MorphologyError(
                f"section {self.name!r}: diameter must be > 0 um, got {pts[bad, 3].tolist()} at "
                f"point(s) {bad.tolist()}; fix the diameters (or repair the file on loading)"
            )
        if self.region == "soma":
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

    @property
    def segment_lengths(self) -> np.ndarray:
        """Lengths (um) of the straight pieces between consecutive points.

        Example
        -------
        >>> import numpy as np
        >>> s = Section("dend", "basal", "soma", np.array([[10, 0, 0, 2], [40, 40, 0, 2], [40, 40, 30, 1]]))
        >>> s.segment_lengths.tolist()
        [50.0, 30.0]
        """
        return np.linalg.norm(np.diff(self.points[:, :3], axis=0), axis=1)

    @property
    def length(self) -> float:
        """Total length in um (0 for the soma).

        Example
        -------
        >>> import numpy as np
        >>> s = Section("dend", "basal", "soma", np.array([[10, 0, 0, 2], [40, 40, 0, 2], [40, 40, 30, 1]]))
        >>> s.length
        80.0
        """
        return float(self.segment_lengths.sum()) if self.region != "soma" else 0.0

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
        if self.region == "soma":
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
        s = np.concatenate([[0.0], np.cumsum(self.segment_lengths)])
        keep = np.concatenate([[True], np.diff(s) > 0])  # drop repeated points for interpolation
        s, pts = s[keep], self.points[keep]
        t = np.linspace(0.0, s[-1], n + 1)
        xyz = np.column_stack([np.interp(t, s, pts[:, k]) for k in range(3)])
        return xyz, np.interp(t, s, pts[:, 3])


@dataclass(frozen=True)
class CompartmentTable:
    """Per-compartment geometry, in Brian2's flat compartment order (arrays; lengths in um).

    Attributes: ``section`` (name), ``region``, ``index`` (within its section), ``distance``
    (path distance of the midpoint from the soma surface), ``start``/``end`` (path distance of the
    compartment's ends), ``diameter`` (mean), ``length``, ``area`` (um^2), ``x, y, z`` (midpoint).

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
            elif sec.region == "soma":
                raise MorphologyError(f"section {sec.name!r}: only the root may be a soma")
            seen[sec.name] = sec

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
        return [s for s in self.sections if s.parent == name]

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
        order: list[Section] = []
        stack = [self.soma]
        while stack:
            sec = stack.pop()
            order.append(sec)
            stack.extend(reversed(self.children(sec.name)))
        return order

    def start_distance(self) -> dict[str, float]:
        """Path distance (um) from the soma surface at which each section starts.

        Example
        -------
        >>> from cablemodel import y_neuron
        >>> y_neuron().start_distance()
        {'soma': 0.0, 'hillock': 0.0, 'axon': 30.0, 'trunk': 0.0, 'left': 200.0, 'right': 200.0}
        """
        start: dict[str, float] = {self.soma.name: 0.0}
        for sec in self.sections[1:]:
            parent = self[sec.parent]
            start[sec.name] = start[parent.name] + parent.length
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
            if sec.region == "soma":
                new.append(sec)
                continue
            n = max(1, int(np.ceil(sec.length / max_length - 1e-9)))
            if odd and n % 2 == 0:
                n += 1
            new.append(replace(sec, n_compartments=n))
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
        start = self.start_distance()
        cols: dict[str, list] = {k: [] for k in CompartmentTable.__dataclass_fields__}
        n_child_sections = {s.name: 0 for s in self.sections}
        for sec in self.sections[1:]:
            n_child_sections[sec.parent] += 1
        last: dict[str, int] = {}  # section name -> index of its last compartment
        seen: set[int] = set()  # SWC ids already given to a compartment (first one wins)
        for sec in self.depth_first():
            first = len(cols["section"])
            if sec.region == "soma":
                d = sec.points[0, 3]
                rows = dict(index=[0], distance=[0.0], start=[0.0], end=[0.0], diameter=[d],
                            length=[d], area=[np.pi * d**2], x=[sec.points[0, 0]],
                            y=[sec.points[0, 1]], z=[sec.points[0, 2]], parent=[-1])
                samples = [[i for i in (sec.swc_ids or ()) if i >= 0]]
            else:
                xyz, diam = sec.resampled()
                n = sec.n_compartments
                L = sec.length / n
                r1, r2 = diam[:-1] / 2, diam[1:] / 2
                edges = start[sec.name] + L * np.arange(n + 1)
                mid = 0.5 * (xyz[1:] + xyz[:-1])
                rows = dict(index=list(range(n)), distance=list(edges[:-1] + L / 2),
                            start=list(edges[:-1]), end=list(edges[1:]),
                            diameter=list(r1 + r2), length=[L] * n,
                            area=list(np.pi * (r1 + r2) * np.sqrt(L**2 + (r1 - r2) ** 2)),
                            x=list(mid[:, 0]), y=list(mid[:, 1]), z=list(mid[:, 2]),
                            parent=[last[sec.parent]] + list(range(first, first + n - 1)))
                samples = _samples_per_compartment(sec)
            n_rows = len(rows["index"])
            rows["section"] = [sec.name] * n_rows
            rows["region"] = [sec.region] * n_rows
            rows["n_children"] = [1] * (n_rows - 1) + [n_child_sections[sec.name]]
            rows["swc_ids"] = []
            for ids in samples:
                rows["swc_ids"].append(tuple(int(i) for i in ids if int(i) not in seen))
                seen.update(int(i) for i in ids)
            last[sec.name] = first + n_rows - 1
            for k, v in rows.items():
                cols[k].extend(v)
        swc_ids = np.empty(len(cols["swc_ids"]), dtype=object)
        for k, ids in enumerate(cols.pop("swc_ids")):
            swc_ids[k] = ids
        arrays = {k: np.asarray(v) for k, v in cols.items()}
        arrays["parent"] = arrays["parent"].astype(int)
        arrays["n_children"] = arrays["n_children"].astype(int)
        return CompartmentTable(swc_ids=swc_ids, **arrays)

    # -- Brian2 ---------------------------------------------------------------------------------
    def to_brian2(self):
        """Build the equivalent :class:`brian2.Morphology` (soma sphere + tapered sections).

        Example
        -------
        >>> from cablemodel import ball_and_stick
        >>> b2 = ball_and_stick().to_brian2()
        >>> b2.total_compartments == ball_and_stick().n_compartments
        True
        """
        from brian2 import Section as B2Section
        from brian2 import Soma, um

        built = {}
        for sec in self.sections:
            if sec.region == "soma":
                obj = Soma(diameter=sec.points[0, 3] * um)
            else:
                _, diam = sec.resampled()
                n = sec.n_compartments
                obj = B2Section(n=n, diameter=diam * um,
                                length=np.full(n, sec.length / n) * um)
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
                "length_um": float(t.length[mask].sum()) if r != "soma" else 0.0,
                "area_um2": float(t.area[mask].sum()),
            }
        return {
            "name": self.name,
            "sections": len(self.sections),
            "compartments": len(t),
            "max_path_distance_um": float(t.end.max()),
            "regions": regions,
        }


def _b2_name(name: str) -> str:
    """Brian2 child names must be identifiers."""
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out[:1].isalpha() else f"s_{out}"


def _samples_per_compartment(sec: Section) -> list[list[int]]:
    """SWC ids of ``sec``'s points, grouped by the compartment holding each point's arc position
    (a point on a boundary goes to the proximal compartment; ids < 0 are skipped)."""
    n = sec.n_compartments
    out: list[list[int]] = [[] for _ in range(n)]
    if sec.swc_ids is None:
        return out
    if len(sec.swc_ids) != len(sec.points):
        raise MorphologyError(f"section {sec.name!r}: {len(sec.swc_ids)} SWC ids for"
                              f" {len(sec.points)} points; give one id per point (-1 for none)")
    arc = np.concatenate([[0.0], np.cumsum(sec.segment_lengths)])
    step = sec.length / n
    tol = 1e-9 * max(1.0, sec.length)
    for sample, s in zip(sec.swc_ids, arc, strict=True):
        if sample < 0:
            continue
        k = int(np.ceil((s - tol) / step)) - 1
        out[min(max(k, 0), n - 1)].append(int(sample))
    return out
