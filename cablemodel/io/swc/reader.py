"""Reading SWC files into a :class:`~cablemodel.morphology.model.Morphology`, with a report that
says what was found, what was assumed and what was repaired ("an SWC reader that never lies").

File format
-----------
One sample per line: ``id type x y z radius parent`` (coordinates and radius in um; parent ``-1``
for the root). Blank lines, ``#`` comments (also after the data on a line), CRLF or CR line ends,
tabs, leading spaces, a UTF-8 (or UTF-16) byte-order mark and non-UTF-8 bytes in comments are
accepted. Columns beyond the seventh are ignored with a warning. Ids need not be sorted, contiguous
or 1-based: the tree is rebuilt from the parent column (children may come before their parents).

Regions
-------
Type 1 soma, 2 axon, 3 basal, 4 apical, 0 ``"undefined"``. Header lines ``# REGION <type> <name>``
(as written by :func:`~cablemodel.io.swc.write_swc`, e.g. ``# REGION 10 hillock``)
name further types. Any other type ``t`` becomes the custom region ``"custom<t>"``, with a
warning. The region of a segment is the type of its distal sample, so a section's region is the
type of its samples after the first.

Soma conventions (``LoadReport.soma_convention``)
-------------------------------------------------
The project's soma is always one sphere with the same membrane area as the file's soma, placed at
the soma centroid (diameter ``sqrt(area / pi)``).

* ``"single-point"``: one soma sample, a sphere of that radius: area ``4 pi r^2``.
* ``"three-point"`` (NeuroMorpho.Org): a centre sample and two samples on opposite sides of it at
  distance ``r``, all of radius ``r``. Accepted when both radii and both offsets are within
  ``max(5 % of r, 0.5 um)`` of the centre's radius ``r`` and the two offsets cancel to within the
  same tolerance (:data:`THREE_POINT_RTOL`, :data:`THREE_POINT_ATOL_UM`). Area ``4 pi r^2``: the
  convention's cylinder of length ``2r`` and diameter ``2r`` has exactly this lateral area.
* ``"contour"`` (Neurolucida export): an unbranched chain of at least 4 soma samples lying in one
  plane (out-of-plane spread below 15 % of the in-plane size, not along a line) that is closed
  (last sample within ``max(0.5 um, 5 % of the outline size)`` of the first) or whose radii are
  small compared to the outline. Area: the outline is turned about its long (principal) axis; the
  surface of that body of revolution, computed from the outline's width across 256 slices along
  the axis. A circle gives a sphere; an ellipse a prolate spheroid.
* ``"multi-point"``: a chain of soma samples on consecutive lines, each pair a frustum;
  area = sum of the frustums' lateral areas.
* ``"scattered"``: soma samples spread through the file and/or branching (as in tc200); same area
  as multi-point (sum of the lateral areas of the frustums between connected soma samples).
* ``"made-from-root"``: the file has no soma and the ``"no_soma"`` repair made one.

Neurites attached to *any* soma sample attach to the soma. A neurite's first point is its own
first sample: there is no segment from the soma centre (as in :func:`write_swc`).

Sections and compartments
-------------------------
The tree is cut at branch points and where the region changes. Sections are named
``<region>_<k>`` (``"basal_0"``, ``"apical_12"``, ...) in depth-first order (children by id);
``Section.swc_ids`` holds the sample id of every point (a child section's first point is its
parent's last sample).

Compartments (``discretization=``, summarized in ``LoadReport.discretization``):

* ``"d_lambda"`` (default): NEURON's d_lambda rule, d_lambda = 0.1 of the AC length constant at
  100 Hz computed with Ri = 100 ohm*cm and Cm = 1 uF/cm^2 (odd counts, the soma keeps one); see
  :func:`~cablemodel.morphology.discretize.discretize`. If your cell has another Ri or Cm, give
  them: ``discretization={"Ri": 150*ohm*cm, "Cm": 0.75*uF/cm**2}``.
* a dict: keyword arguments of :func:`~cablemodel.morphology.discretize.discretize`
  (``d_lambda``, ``frequency``, ``Ri``, ``Cm``, ``max_length``); the others keep the defaults.
* a length, e.g. ``10*um``: at most that long per compartment, odd counts
  (:meth:`Morphology.with_compartments`).
* ``"swc"``: one compartment per SWC segment (the file's own sampling).

``max_compartment_length_um`` (a number of um, or ``None``) is the older way and still works: when
given, it replaces ``discretization`` (``10`` is the same as ``discretization=10*um``; ``None`` the
same as ``"swc"``).

Always done and always reported
-------------------------------
* ``"merged_zero_length"``: a neurite sample at exactly (1e-9 um) the position of its neurite
  parent is removed, its children are re-attached to the parent, its radius is dropped. A neurite
  sample at the position of its *soma* parent is kept (it is the neurite's first point).
* ``"dropped_lone_point"``: a neurite of one sample attached to the soma has no length; it is
  dropped.

Defects and repairs
-------------------
Defects that change physics raise :class:`SWCError` with the message
``"<file>:<line>: <problem>; <how to fix>"`` naming the offending ids (further problems follow on
the next lines). With ``repair=True`` (all) or ``repair={"radius", ...}`` the file loads and each
repair is listed in ``LoadReport.repairs`` as ``{"repair", "count", "ids", "detail"}``:

* ``"radius"`` (radius <= 0): the radius of the nearest sample with a valid radius, by path length
  along the tree (neurites take neurite radii, soma samples soma radii). If the file has no valid
  radius at all, :data:`FALLBACK_NEURITE_RADIUS_UM` / :data:`FALLBACK_SOMA_RADIUS_UM` are used,
  and the report says so.
* ``"duplicate_id"``: every later copy of an id gets a new id (max id + 1, ...); references to the
  id keep pointing at the first copy, so each copy becomes a one-segment branch of its parent.
* ``"missing_parent"`` and ``"extra_roots"``: the tree that holds the soma is the main tree; every
  other piece (an orphaned subtree whose parent does not exist, or a tree with its own root) is
  attached by its first sample (the orphan, or the root) to the nearest sample of the tree built so
  far (3-D distance; pieces are attached closest first; a soma sample goes to the nearest soma
  sample). The added gap segments are reported.
* ``"no_soma"``: a spherical soma with the root sample's radius is made at the root sample; the
  root stays the first point of the neurites.

Cycles, unreadable lines, detached soma samples and coordinates that look like nanometres
(``(bounding box > 20000 or median segment > 200) and median radius > 20`` in file units) always
raise; for nanometres pass ``scale=0.001``. ``scale`` multiplies every coordinate and radius.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brian2 import Quantity, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from ...morphology.discretize import DEFAULT_CM, DEFAULT_D_LAMBDA, DEFAULT_FREQUENCY, DEFAULT_RI, discretize
from ...morphology.discretize import _options as _discretize_options
from ...morphology.model import Morphology, MorphologyError, Section
from .errors import SWCError, _fmt_ids, _Problem, _raise
from .parse import _decode, _parse
from .repair import REPAIRS, check_and_repair
from .soma import _frustum_area, _soma_shape

__all__ = ["read_swc", "LoadReport", "SWCError", "REPAIRS"]


@dataclass
class LoadReport:
    """What :func:`read_swc` found, assumed and repaired. Lengths in um, areas in um^2.

    Attributes
    ----------
    file : str
        The path as given.
    points : int
        Samples (data lines) read from the file.
    sections, compartments : int
        Sections (soma included) and compartments of the returned morphology.
    soma_convention : str
        ``"single-point"``, ``"three-point"``, ``"contour"``, ``"multi-point"``, ``"scattered"``
        or ``"made-from-root"``.
    soma_area_um2, soma_diameter_um : float
        Area of the file's soma and the diameter of the equal-area sphere.
    total_length_um, surface_um2 : dict
        Per region (soma excluded from lengths), from the loaded polylines (frustum lateral areas).
    max_path_distance_um : float
        Longest path from the soma surface to a tip.
    scale : float
        Factor applied to coordinates and radii.
    regions : dict
        Type code (as str) -> region name, for the codes present.
    conventions, warnings : list of str
        Conventions detected, and things to look at.
    repairs : list of dict
        ``{"repair": name, "count": n, "ids": [...], "detail": str}`` for every change.
    discretization : dict
        How the compartments were set: ``"method"`` (``"d_lambda"``, ``"max_length"`` or
        ``"swc"``), ``"compartments_before"`` (one per SWC segment, plus the soma),
        ``"compartments_after"``, ``"longest_compartment_um"``; for ``"d_lambda"`` also the
        parameters, the ``lambda_f`` range and the counts per region
        (:meth:`~cablemodel.morphology.discretize.DiscretizationReport.to_dict`); for
        ``"max_length"`` also ``"max_length_um"``.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
    >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
    >>> report = read_swc(p)[1]
    >>> report.soma_convention, report.total_length_um
    ('single-point', {'basal': 100.0})
    """

    file: str
    points: int
    sections: int
    compartments: int
    soma_convention: str
    soma_area_um2: float
    soma_diameter_um: float
    total_length_um: dict[str, float]
    surface_um2: dict[str, float]
    max_path_distance_um: float
    scale: float = 1.0
    regions: dict[str, str] = field(default_factory=dict)
    conventions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)
    discretization: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict of every field (floats, ints, str, lists, dicts).

        Example
        -------
        >>> import json, tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
        >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
        >>> json.loads(json.dumps(read_swc(p)[1].to_dict()))["points"]
        3
        """
        out = {
            "file": self.file, "points": int(self.points), "sections": int(self.sections),
            "compartments": int(self.compartments), "soma_convention": self.soma_convention,
            "soma_area_um2": float(self.soma_area_um2),
            "soma_diameter_um": float(self.soma_diameter_um),
            "total_length_um": {k: float(v) for k, v in self.total_length_um.items()},
            "surface_um2": {k: float(v) for k, v in self.surface_um2.items()},
            "max_path_distance_um": float(self.max_path_distance_um),
            "scale": float(self.scale), "regions": dict(self.regions),
            "conventions": list(self.conventions), "warnings": list(self.warnings),
            "repairs": [{"repair": r["repair"], "count": int(r["count"]),
                         "ids": [int(i) for i in r["ids"]], "detail": str(r.get("detail", ""))}
                        for r in self.repairs],
            "discretization": json.loads(json.dumps(self.discretization)),
        }
        json.dumps(out)  # fail here, not in the caller, if something is not serializable
        return out

    def format(self) -> str:
        """Readable multi-line summary (lengths in um, areas in um^2).

        Example
        -------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
        >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
        >>> print(read_swc(p)[1].format().splitlines()[2])
          soma: single-point, area 314.2 um^2 (sphere of diameter 10 um)
        """
        lines = [
            f"SWC file {self.file}",
            f"  {self.points} samples -> {self.sections} sections, {self.compartments} compartments"
            + (f" (scale {self.scale:g})" if self.scale != 1.0 else ""),
            f"  soma: {self.soma_convention}, area {self.soma_area_um2:.1f} um^2"
            f" (sphere of diameter {self.soma_diameter_um:.4g} um)",
        ]
        if self.discretization:
            lines.append(f"  compartments: {_describe_discretization(self.discretization)}")
        lines += [
            f"  {'region':<12}{'length (um)':>14}{'surface (um^2)':>17}",
        ]
        for region in self.surface_um2:
            length = self.total_length_um.get(region, 0.0)
            lines.append(f"  {region:<12}{length:>14.1f}{self.surface_um2[region]:>17.1f}")
        lines.append(f"  max path distance from the soma: {self.max_path_distance_um:.1f} um")
        for title, items in (("conventions", self.conventions), ("warnings", self.warnings)):
            if items:
                lines.append(f"  {title}:")
                lines += [f"    - {item}" for item in items]
        if self.repairs:
            lines.append("  repairs:")
            for r in self.repairs:
                lines.append(f"    - {r['repair']} x{r['count']} (ids {_fmt_ids(r['ids'])}):"
                             f" {r.get('detail', '')}")
        else:
            lines.append("  repairs: none")
        return "\n".join(lines)



# -- the reader -------------------------------------------------------------------------------------
def _repair_set(repair) -> set[str]:
    if repair is True:
        return set(REPAIRS)
    if repair is False or repair is None:
        return set()
    names = {repair} if isinstance(repair, str) else set(repair)
    unknown = sorted(str(n) for n in names - set(REPAIRS))
    if unknown:
        raise SWCError(f"unknown repair(s) {unknown}; choose from {list(REPAIRS)} (or True for all)",
                       kind="argument")
    return names


class _NotGiven:
    """Default of ``max_compartment_length_um``: tells "not given" from ``None``."""

    def __repr__(self) -> str:
        return "<not given>"


_NOT_GIVEN = _NotGiven()
#: Keywords a ``discretization`` dict may hold (those of :func:`discretize`).
DISCRETIZE_KEYS = ("d_lambda", "frequency", "Ri", "Cm", "max_length")


def read_swc(path: str | Path, *, repair: bool | Iterable[str] = False,
             scale: float | None = None,
             discretization: str | Quantity | dict = "d_lambda",
             max_compartment_length_um: float | None | _NotGiven = _NOT_GIVEN,
             ) -> tuple[Morphology, LoadReport]:
    """Read an SWC file (um) into a :class:`Morphology` and a :class:`LoadReport`.

    Parameters
    ----------
    path : str or Path
        The SWC file.
    repair : bool or iterable of str
        ``False``: any defect raises :class:`SWCError`. ``True``: every repair in :data:`REPAIRS`
        is allowed; or a set of repair names, e.g. ``{"radius", "extra_roots"}``. Every repair made
        is listed in ``report.repairs``.
    scale : float, optional
        Multiplies every coordinate and radius (``0.001`` for a file in nanometres). Without it, a
        file that looks like nanometres raises :class:`SWCError`.
    discretization : str, Quantity or dict
        How many compartments each section gets (the soma always has one):
        ``"d_lambda"`` (default): NEURON's d_lambda rule, 0.1 of the AC length constant at
        100 Hz with Ri = 100 ohm*cm and Cm = 1 uF/cm^2 (:func:`discretize`, odd counts);
        a dict of :func:`discretize` keywords (``d_lambda``, ``frequency``, ``Ri``, ``Cm``,
        ``max_length``) to change them; a length such as ``10*um``: at most that long per
        compartment (odd counts); ``"swc"``: one compartment per SWC segment.
    max_compartment_length_um : float or None
        Older form, kept working: when given it replaces ``discretization``; a number of um is
        the same as ``discretization=<number>*um``, ``None`` the same as ``"swc"``.

    Returns
    -------
    (Morphology, LoadReport)

    Raises
    ------
    SWCError
        ``"<file>:<line>: <problem>; <how to fix>"`` for unreadable lines, cycles, nanometre
        coordinates, and (unless repaired) duplicate ids, missing parents, several roots, no soma
        and radii <= 0; ``kind="argument"`` for invalid arguments. See the module documentation
        for the conventions and repairs.
    brian2.DimensionMismatchError
        A discretization parameter has the wrong units (the message names it).

    Example
    -------
    >>> import tempfile, pathlib
    >>> from brian2 import um
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
    >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
    >>> morph, report = read_swc(p)  # 100 um of 2 um dendrite: lambda_f(100 Hz) = 399 um
    >>> morph.section_names, morph["basal_0"].n_compartments, round(report.soma_area_um2, 1)
    (['soma', 'basal_0'], 3, 314.2)
    >>> read_swc(p, discretization=10 * um)[0]["basal_0"].n_compartments
    11
    """
    file = str(path)
    repairs = _repair_set(repair)
    if scale is not None and not (isinstance(scale, (int, float)) and math.isfinite(scale)
                                  and scale > 0):
        raise SWCError(f"{file}: scale must be a positive finite number, got {scale!r}",
                       file=file, kind="argument")
    discretizer = _discretizer(file, discretization, max_compartment_length_um)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SWCError(f"{file}: cannot read the file ({exc.strerror or exc}); check the path",
                       file=file, kind="io") from exc
    text, conventions, warnings = _decode(raw)
    parsed = _parse(text)
    conventions += parsed.conventions
    warnings += parsed.warnings
    if parsed.problems:
        _raise(file, parsed.problems)
    if not parsed.ids:
        _raise(file, [_Problem("parse", 1, [], "no samples found (no data lines)")])
    tree = check_and_repair(file, parsed, repairs, scale, conventions, warnings)
    return _build(file, tree, len(parsed.ids), discretizer, conventions, warnings)


def _discretizer(file: str, discretization, max_compartment_length_um):
    """Check the discretization arguments; return ``Morphology -> (Morphology, summary dict)``."""
    if not isinstance(max_compartment_length_um, _NotGiven):
        if not (isinstance(discretization, str) and discretization == "d_lambda"):
            raise SWCError(f"{file}: give either discretization= or max_compartment_length_um=,"
                           " not both", file=file, kind="argument")
        value = max_compartment_length_um
        if value is None:
            return _by_segment
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value) and value > 0):
            raise SWCError(f"{file}: max_compartment_length_um must be a positive number of um or"
                           f" None, got {value!r}", file=file, kind="argument")
        return lambda morph: _by_max_length(morph, float(value))
    if isinstance(discretization, str):
        if discretization == "d_lambda":
            return lambda morph: _by_d_lambda(morph, {})
        if discretization == "swc":
            return _by_segment
        raise SWCError(f"{file}: unknown discretization {discretization!r}; use 'd_lambda',"
                       " 'swc', a length such as 10*um, or a dict of discretize() keywords",
                       file=file, kind="argument")
    if isinstance(discretization, dict):
        unknown = sorted(set(discretization) - set(DISCRETIZE_KEYS))
        if unknown:
            raise SWCError(f"{file}: unknown discretization keyword(s) {unknown}; allowed:"
                           f" {list(DISCRETIZE_KEYS)}", file=file, kind="argument")
        options = dict(discretization)
        try:  # units are checked here (DimensionMismatchError names the parameter)
            _discretize_options(**{k: options.get(k, v) for k, v in _DISCRETIZE_DEFAULTS.items()})
        except MorphologyError as exc:
            raise SWCError(f"{file}: {exc}", file=file, kind="argument") from exc
        return lambda morph: _by_d_lambda(morph, options)
    if isinstance(discretization, Quantity) or isinstance(discretization, (int, float)):
        fail_for_dimension_mismatch(
            discretization, um, "discretization given as a number must be a length (e.g. 10*um),"
            f" got {discretization!r}")
        value = float(discretization / um)
        if not (math.isfinite(value) and value > 0):
            raise SWCError(f"{file}: discretization length must be > 0 um, got {discretization!r}",
                           file=file, kind="argument")
        return lambda morph: _by_max_length(morph, value)
    raise SWCError(f"{file}: discretization must be 'd_lambda', 'swc', a length such as 10*um or a"
                   f" dict of discretize() keywords, got {discretization!r}", file=file,
                   kind="argument")


_DISCRETIZE_DEFAULTS = {"d_lambda": DEFAULT_D_LAMBDA, "frequency": DEFAULT_FREQUENCY,
                        "Ri": DEFAULT_RI, "Cm": DEFAULT_CM, "max_length": None}


def _longest(morph: Morphology) -> float:
    return max((s.length / s.n_compartments for s in morph.sections[1:]), default=0.0)


def _by_segment(morph: Morphology) -> tuple[Morphology, dict]:
    n = morph.n_compartments
    return morph, {"method": "swc", "compartments_before": n, "compartments_after": n,
                   "longest_compartment_um": _longest(morph)}


def _by_max_length(morph: Morphology, max_um: float) -> tuple[Morphology, dict]:
    out = morph.with_compartments(max_um)
    return out, {"method": "max_length", "max_length_um": max_um,
                 "compartments_before": morph.n_compartments,
                 "compartments_after": out.n_compartments, "longest_compartment_um": _longest(out)}


def _by_d_lambda(morph: Morphology, options: dict) -> tuple[Morphology, dict]:
    out, report = discretize(morph, **options)
    return out, report.to_dict()


def _describe_discretization(d: dict) -> str:
    """One line for :meth:`LoadReport.format`."""
    method = d.get("method")
    head = f"{d.get('compartments_before', '?')} -> {d.get('compartments_after', '?')}"
    if method == "d_lambda":
        text = (f"d_lambda {d['d_lambda']:g} at {d['frequency_hz']:g} Hz (Ri {d['Ri_ohm_cm']:g}"
                f" ohm*cm, Cm {d['Cm_uF_per_cm2']:g} uF/cm^2)")
        if d.get("max_length_um") is not None:
            text += f", at most {d['max_length_um']:g} um"
        if d.get("lambda_f_min_um") is not None:
            text += f", lambda_f {d['lambda_f_min_um']:.1f}-{d['lambda_f_max_um']:.1f} um"
    elif method == "max_length":
        text = f"at most {d['max_length_um']:g} um per compartment (odd counts)"
    else:
        text = "one per SWC segment"
    return (f"{text}: {head} compartments, longest"
            f" {d.get('longest_compartment_um', float('nan')):.1f} um")



def _build(file: str, tree, n_points: int, discretizer, conventions: list[str],
           warnings: list[str]) -> tuple[Morphology, LoadReport]:
    """Soma, sections, discretization and the report, from a checked tree."""
    n, ids, types, xyz, r = tree.n, tree.ids, tree.types, tree.xyz, tree.r
    regions, order, tree_parent, new_parent = tree.regions, tree.order, tree.tree_parent, tree.new_parent
    soma_rows, alive, kids, seq, factor, done = (tree.soma_rows, tree.alive, tree.kids, tree.seq,
                                                 tree.factor, tree.done)
    soma_from_root = tree.soma_from_root
    id_arr = np.array(ids)
    # -- soma
    soma = _soma_shape(soma_rows, tree_parent, xyz, r, seq)
    if soma_from_root:
        soma.convention, soma.detail = "made-from-root", "no soma in the file (repair no_soma)"
    warnings += soma.warnings
    soma_d = math.sqrt(soma.area / math.pi)
    soma_ids = tuple(sorted({ids[k] for k in soma_rows}))
    sections = [Section("soma", "soma", None, np.array([[*soma.centre, soma_d]]), 1, soma_ids)]
    conventions.append(f"soma: {soma.convention} ({soma.detail}); area {soma.area:.4g} um^2 ->"
                       f" sphere of diameter {soma_d:.4g} um at the soma centroid")
    conventions.append("neurites start at their own first sample (no segment from the soma"
                       " centre); a segment's region is the type of its distal sample")

    # -- sections
    in_soma = np.zeros(n, dtype=bool)
    in_soma[soma_rows] = True
    soma_roots = sorted((k for k in order if alive[k] and not in_soma[k]
                         and tree_parent[k] >= 0 and in_soma[new_parent[k]]),
                        key=lambda j: id_arr[j])
    lone = [k for k in soma_roots if not kids[k]]
    if lone:
        done.append({"repair": "dropped_lone_point", "count": len(lone),
                     "ids": [ids[k] for k in lone],
                     "detail": "neurites made of a single sample attached to the soma have no"
                               " length and were dropped"})
    stack = [(c, k, "soma") for c in soma_roots for k in kids[c]][::-1]
    counters: dict[str, int] = {}
    while stack:
        first, nxt, parent_name = stack.pop()
        region = regions[int(types[nxt])]
        rows = [first, nxt]
        while len(kids[rows[-1]]) == 1 and regions[int(types[kids[rows[-1]][0]])] == region:
            rows.append(kids[rows[-1]][0])
        name = f"{region}_{counters.get(region, 0)}"
        counters[region] = counters.get(region, 0) + 1
        pts = np.column_stack([xyz[rows], 2 * r[rows]])
        n_comp = len(rows) - 1
        sections.append(Section(name, region, parent_name, pts, n_comp,
                                tuple(ids[k] for k in rows)))
        stack.extend((rows[-1], k, name) for k in reversed(kids[rows[-1]]))

    notes = [f"read from {file}", f"soma: {soma.convention}, area {soma.area:.4g} um^2"]
    notes += [f"repair {d['repair']}: {d['count']} sample(s)" for d in done]
    try:
        morph = Morphology(tuple(sections), name=Path(file).stem, notes=tuple(notes))
        morph, discretization = discretizer(morph)
    except MorphologyError as exc:  # should not happen: report it with the file name
        raise SWCError(f"{file}: the loaded geometry is invalid ({exc}); please report this file",
                       file=file, kind="internal") from exc

    lengths: dict[str, float] = {}
    surface: dict[str, float] = {"soma": float(soma.area)}
    for sec in morph.sections[1:]:
        seg_len = sec.segment_lengths
        rr = sec.points[:, 3] / 2
        lengths[sec.region] = lengths.get(sec.region, 0.0) + float(seg_len.sum())
        surface[sec.region] = surface.get(sec.region, 0.0) + float(
            _frustum_area(rr[:-1], rr[1:], seg_len).sum())
    start_d = morph.start_distance()
    max_path = max([start_d[s.name] + s.length for s in morph.sections[1:]], default=0.0)
    used = sorted({int(t) for k, t in enumerate(types) if k < n_points})
    report = LoadReport(
        file=file, points=n_points, sections=len(morph.sections),
        compartments=morph.n_compartments, soma_convention=soma.convention,
        soma_area_um2=float(soma.area), soma_diameter_um=soma_d, total_length_um=lengths,
        surface_um2=surface, max_path_distance_um=float(max_path), scale=factor,
        regions={str(t): regions[t] for t in used}, conventions=conventions,
        warnings=warnings, repairs=done, discretization=discretization)
    return morph, report


