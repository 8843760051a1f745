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
(as written by :func:`~cablemodel.morphology.swc_write.write_swc`, e.g. ``# REGION 10 hillock``)
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

import heapq
import json
import math
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brian2 import Quantity, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from .discretize import DEFAULT_CM, DEFAULT_D_LAMBDA, DEFAULT_FREQUENCY, DEFAULT_RI, discretize
from .discretize import _options as _discretize_options
from .model import Morphology, MorphologyError, Section

__all__ = ["read_swc", "LoadReport", "SWCError", "REPAIRS"]

#: Names of the optional repairs (``read_swc(..., repair={...})``).
REPAIRS = ("radius", "missing_parent", "duplicate_id", "extra_roots", "no_soma")
#: Type code -> region for the codes every SWC file shares.
SWC_REGIONS = {0: "undefined", 1: "soma", 2: "axon", 3: "basal", 4: "apical"}
#: Three-point soma tolerance: relative (to the centre radius) and absolute (um); the larger wins.
THREE_POINT_RTOL = 0.05
THREE_POINT_ATOL_UM = 0.5
#: Two samples closer than this (um) are at the same position.
ZERO_LENGTH_UM = 1e-9
#: Radii used by the ``"radius"`` repair when the file holds no valid radius at all (um).
FALLBACK_NEURITE_RADIUS_UM = 0.5
FALLBACK_SOMA_RADIUS_UM = 5.0
#: Nanometre heuristic, in file units.
NM_EXTENT = 20000.0
NM_SEGMENT = 200.0
NM_RADIUS = 20.0

_ORDER = ("parse", "units", "cycles", "duplicate_id", "missing_parent", "extra_roots", "no_soma",
          "radius", "detached_soma")
_FIX = {
    "parse": "fix the line or comment it out with '#'",
    "units": "load with scale=0.001 to convert nanometres to micrometres",
    "cycles": "fix the parent column: a sample cannot be its own ancestor (cannot be repaired)",
    "duplicate_id": "give every sample a unique id, or load with repair={'duplicate_id'}"
                    " (later copies get new ids)",
    "missing_parent": "restore the missing samples or fix the parent column, or load with"
                      " repair={'missing_parent'} (each orphaned subtree is attached to the"
                      " nearest sample of the main tree)",
    "extra_roots": "connect the pieces, or load with repair={'extra_roots'} (each extra tree is"
                   " attached by its root to the nearest sample of the main tree)",
    "no_soma": "add a soma sample (type 1), or load with repair={'no_soma'} (a sphere of the"
               " root's radius is made at the root)",
    "radius": "give positive radii, or load with repair={'radius'} (the nearest valid radius"
              " along the tree is used)",
    "detached_soma": "soma samples (type 1) must be connected to each other; change the type of"
                     " these samples",
}
_REGION_RE = re.compile(r"^#\s*REGION\s+([+-]?\d+)\s+([A-Za-z_][A-Za-z0-9_]*)\s*$")


class SWCError(MorphologyError):
    """An SWC file cannot be loaded as it is.

    The message starts with ``"<file>:<line>: <problem>; <how to fix>"``; further problems follow
    on their own lines. Attributes: ``file``, ``line`` (1-based, ``None`` if not about a line),
    ``ids`` (offending sample ids), ``kind`` (``"radius"``, ``"cycles"``, ``"units"``, ...; the
    repairable kinds are the names in :data:`REPAIRS`) and ``problems`` (every problem as a dict).

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bad.swc"
    >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 9 0 0 1\\n3 3 0 19 0 1 2\\n")
    >>> try:
    ...     read_swc(p)
    ... except SWCError as err:
    ...     print(err.kind, err.line, err.ids)
    radius 2 [2]
    """

    def __init__(self, message: str, *, file: str = "", line: int | None = None,
                 ids: Iterable[int] = (), kind: str = "",
                 problems: Iterable[dict] = ()) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.ids = list(ids)
        self.kind = kind
        self.problems = list(problems)


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


@dataclass
class _Problem:
    kind: str
    line: int | None
    ids: list[int]
    text: str

    def _message(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line is not None else file
        return f"{where}: {self.text}; {_FIX[self.kind]}"


@dataclass
class _Parsed:
    lines: list[int]
    ids: list[int]
    types: list[int]
    xyz: list[tuple[float, float, float]]
    radius: list[float]
    parents: list[int]
    declared: dict[int, str]
    conventions: list[str]
    warnings: list[str]
    problems: list[_Problem]


# -- helpers ----------------------------------------------------------------------------------------
def _fmt_ids(ids: Iterable, limit: int = 10) -> str:
    ids = list(ids)
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


def _to_int(token: str) -> int:
    try:
        return int(token)
    except ValueError:
        value = float(token)
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"{token!r} is not an integer") from None
        return int(value)


def _to_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"{token!r} is not a finite number")
    return value


def _frustum_area(r1, r2, length):
    """Lateral area of frustums (um^2) from end radii and axial lengths (arrays or floats)."""
    return np.pi * (r1 + r2) * np.sqrt(np.square(length) + np.square(r1 - r2))


def _decode(raw: bytes) -> tuple[str, list[str], list[str]]:
    conventions: list[str] = []
    warnings: list[str] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16", errors="replace")
        conventions.append("UTF-16 text")
    else:
        text = raw.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
        conventions.append("byte-order mark at the start of the file (ignored)")
    if "\ufffd" in text:
        warnings.append("bytes that are not valid UTF-8 were replaced by U+FFFD (comments only"
                        " are affected, or the data line is reported as unreadable)")
    if "\r\n" in text:
        conventions.append("CRLF line ends")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, conventions, warnings


def _parse(text: str) -> _Parsed:
    out = _Parsed([], [], [], [], [], [], {}, [], [], [])
    extra_cols: list[int] = []
    tabs = leading = False
    for lineno, raw_line in enumerate(text.split("\n"), start=1):
        stripped = raw_line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = _REGION_RE.match(stripped)
            if m:
                code, name = int(m.group(1)), m.group(2)
                if (code == 1) != (name == "soma"):
                    out.warnings.append(f"line {lineno}: '# REGION {code} {name}' ignored (type 1"
                                        " is the soma, and only type 1)")
                else:
                    out.declared[code] = name
            continue
        data = stripped.split("#", 1)[0]
        cols = data.split()
        tabs = tabs or "\t" in data
        leading = leading or raw_line[:1] in (" ", "\t")
        shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
        if len(cols) < 7:
            out.problems.append(_Problem(
                "parse", lineno, [], f"cannot read a sample from {shown!r}: {len(cols)} columns,"
                " expected 7 (id type x y z radius parent)"))
            continue
        if len(cols) > 7:
            extra_cols.append(lineno)
        try:
            sid, stype, parent = _to_int(cols[0]), _to_int(cols[1]), _to_int(cols[6])
            x, y, z, r = (_to_float(c) for c in cols[2:6])
        except ValueError as exc:
            out.problems.append(_Problem("parse", lineno, [], f"cannot read a sample from"
                                         f" {shown!r}: {exc}"))
            continue
        if sid < 0:
            out.problems.append(_Problem("parse", lineno, [sid], f"sample id {sid} is negative;"
                                         " ids must be >= 0"))
            continue
        out.lines.append(lineno)
        out.ids.append(sid)
        out.types.append(stype)
        out.xyz.append((x, y, z))
        out.radius.append(r)
        out.parents.append(parent)
    if extra_cols:
        out.warnings.append(f"{len(extra_cols)} data lines have more than 7 columns (first at line"
                            f" {extra_cols[0]}); the extra columns were ignored")
    if tabs:
        out.conventions.append("tab-separated columns")
    if leading:
        out.conventions.append("leading white space on data lines")
    return out


def _region_map(types: Iterable[int], declared: dict[int, str]) -> tuple[dict[int, str], list[str]]:
    regions: dict[int, str] = {}
    warnings: list[str] = []
    for t in sorted(set(types)):
        if t in declared:
            regions[t] = declared[t]
        elif t in SWC_REGIONS:
            regions[t] = SWC_REGIONS[t]
        else:
            regions[t] = f"custom{t}" if t >= 0 else f"custom_minus{-t}"
        if t == 0 or (t not in declared and t not in SWC_REGIONS):
            hint = {5: " (a 'fork point' label in the original SWC specification)",
                    6: " (an 'end point' label in the original SWC specification)"}.get(t, "")
            warnings.append(f"type {t} is not a standard SWC region{hint}: its samples form the"
                            f" region {regions[t]!r}")
    return regions, warnings


def _nearest_source(adj: list[list[int]], xyz: np.ndarray, sources: np.ndarray,
                    passable: np.ndarray) -> np.ndarray:
    """For every node, the source node nearest by path length through passable nodes (or -1)."""
    dist = np.full(len(adj), np.inf)
    src = np.full(len(adj), -1)
    heap = []
    for k in np.flatnonzero(sources):
        dist[k], src[k] = 0.0, k
        heap.append((0.0, int(k)))
    heapq.heapify(heap)
    while heap:
        d, k = heapq.heappop(heap)
        if d > dist[k]:
            continue
        for j in adj[k]:
            if not passable[j]:
                continue
            nd = d + float(np.linalg.norm(xyz[j] - xyz[k]))
            if nd < dist[j]:
                dist[j], src[j] = nd, src[k]
                heapq.heappush(heap, (nd, j))
    return src


def _attach(main_rows: np.ndarray, pieces: dict[int, np.ndarray], xyz: np.ndarray,
            is_soma: np.ndarray) -> list[tuple[int, int, float]]:
    """Attach each piece by its anchor to the nearest row of the growing main tree, closest first.

    Returns ``(anchor, target, distance)`` in the order of attachment.
    """
    from scipy.spatial import cKDTree

    remaining = dict(pieces)
    best_any = {a: (math.inf, -1) for a in remaining}
    best_soma = {a: (math.inf, -1) for a in remaining}

    def _update(batch: np.ndarray) -> None:
        if not remaining:
            return
        anchors = np.array(sorted(remaining))
        d, i = cKDTree(xyz[batch]).query(xyz[anchors])
        for a, dd, ii in zip(anchors.tolist(), np.atleast_1d(d), np.atleast_1d(i),
                                 strict=True):
            if dd < best_any[a][0]:
                best_any[a] = (float(dd), int(batch[ii]))
        soma_batch = batch[is_soma[batch]]
        soma_anchors = anchors[is_soma[anchors]]
        if soma_batch.size and soma_anchors.size:
            d, i = cKDTree(xyz[soma_batch]).query(xyz[soma_anchors])
            for a, dd, ii in zip(soma_anchors.tolist(), np.atleast_1d(d), np.atleast_1d(i),
                                 strict=True):
                if dd < best_soma[a][0]:
                    best_soma[a] = (float(dd), int(soma_batch[ii]))

    def _best(a: int) -> tuple[float, int]:
        return best_soma[a] if is_soma[a] and best_soma[a][1] >= 0 else best_any[a]

    done = []
    _update(main_rows)
    while remaining:
        anchor = min(remaining, key=lambda a: (_best(a)[0], a))
        dist, target = _best(anchor)
        done.append((anchor, target, dist))
        _update(remaining.pop(anchor))
    return done


def _revolution_area(outline: np.ndarray, slices: int = 256) -> float:
    """Surface (um^2) of the body made by turning a closed 2-D outline about its first axis."""
    a, b = outline[:, 0], outline[:, 1]
    a0, a1 = a, np.roll(a, -1)
    b0, b1 = b, np.roll(b, -1)
    xs = np.linspace(a.min(), a.max(), slices + 1)
    span = a1 - a0
    safe = np.where(span == 0, 1.0, span)
    t = (xs[:, None] - a0[None, :]) / safe[None, :]
    hit = (span[None, :] != 0) & (t >= 0) & (t <= 1)
    bv = b0[None, :] + t * (b1 - b0)[None, :]
    top = np.max(np.where(hit, bv, -np.inf), axis=1)
    bottom = np.min(np.where(hit, bv, np.inf), axis=1)
    radius = np.where(hit.any(axis=1), (top - bottom) / 2, 0.0)
    return float(_frustum_area(radius[:-1], radius[1:], np.diff(xs)).sum())


# -- soma -------------------------------------------------------------------------------------------
@dataclass
class _Soma:
    convention: str
    area: float
    centre: np.ndarray
    detail: str
    warnings: list[str]


def _soma_shape(rows: list[int], parent: np.ndarray, xyz: np.ndarray, r: np.ndarray,
                seq: np.ndarray) -> _Soma:
    """Classify the soma samples ``rows`` (connected through soma-soma parent links)."""
    n = len(rows)
    if n == 1:
        k = rows[0]
        return _Soma("single-point", 4 * np.pi * r[k] ** 2, xyz[k].copy(),
                     f"one sample, a sphere of radius {r[k]:.4g} um", [])
    in_soma = set(rows)
    edges = [(k, int(parent[k])) for k in rows if parent[k] in in_soma]
    if n == 3:
        for c in rows:
            a, b = (k for k in rows if k != c)
            rc = r[c]
            tol = max(THREE_POINT_RTOL * rc, THREE_POINT_ATOL_UM)
            da, db = xyz[a] - xyz[c], xyz[b] - xyz[c]
            if (abs(r[a] - rc) <= tol and abs(r[b] - rc) <= tol
                    and abs(np.linalg.norm(da) - rc) <= tol and abs(np.linalg.norm(db) - rc) <= tol
                    and np.linalg.norm(da + db) <= tol):
                return _Soma("three-point", 4 * np.pi * rc**2, xyz[c].copy(),
                             f"centre sample and two samples at +-r, r = {rc:.4g} um"
                             f" (tolerance {tol:.3g} um): a sphere of radius r", [])
    degree = {k: 0 for k in rows}
    for k, p in edges:
        degree[k] += 1
        degree[p] += 1
    if n >= 4 and max(degree.values()) <= 2:
        contour = _contour(rows, edges, degree, xyz, r)
        if contour is not None:
            return contour
    kids = np.array([k for k, _ in edges])
    pars = np.array([p for _, p in edges])
    lengths = np.linalg.norm(xyz[kids] - xyz[pars], axis=1)
    pieces = _frustum_area(r[kids], r[pars], lengths)
    area = float(pieces.sum())
    contiguous = int(seq[rows].max() - seq[rows].min()) == n - 1
    convention = "multi-point" if contiguous and max(degree.values()) <= 2 else "scattered"
    warnings = []
    rmax = float(r[rows].max())
    if area > 0:
        centre = (0.5 * (xyz[kids] + xyz[pars]) * pieces[:, None]).sum(axis=0) / area
    else:
        centre = xyz[rows].mean(axis=0)
        area = 4 * np.pi * rmax**2
        warnings.append(f"the {n} soma samples all lie at one point: the soma was taken as a"
                        f" sphere of their largest radius ({rmax:.4g} um)")
    if area < 0.5 * 4 * np.pi * rmax**2:
        warnings.append(f"the {convention} soma's area ({area:.1f} um^2) is less than half that of"
                        f" a sphere of its largest radius ({rmax:.4g} um); check the soma samples")
    detail = (f"{n} samples, {len(edges)} frustums; area = sum of their lateral areas")
    return _Soma(convention, area, centre, detail, warnings)


def _contour(rows, edges, degree, xyz, r) -> _Soma | None:
    nbrs: dict[int, list[int]] = {k: [] for k in rows}
    for k, p in edges:
        nbrs[k].append(p)
        nbrs[p].append(k)
    ends = [k for k in rows if degree[k] <= 1]
    if len(ends) != 2:
        return None
    path, prev = [ends[0]], -1
    while len(path) < len(rows):
        nxt = [j for j in nbrs[path[-1]] if j != prev]
        prev = path[-1]
        path.append(nxt[0])
    pts = xyz[path]
    centre0 = pts.mean(axis=0)
    size = 2 * float(np.linalg.norm(pts - centre0, axis=1).max())
    if size <= 0:
        return None
    gap = float(np.linalg.norm(pts[0] - pts[-1]))
    closed = gap <= max(0.5, 0.05 * size)
    unique = pts[:-1] if closed else pts
    centre = unique.mean(axis=0)
    _, s, vt = np.linalg.svd(unique - centre, full_matrices=False)
    s = np.concatenate([s, np.zeros(3 - len(s))])
    planar = s[2] <= 0.15 * s[0]
    not_line = s[1] >= 0.2 * s[0]
    mean_dist = float(np.linalg.norm(unique - centre, axis=1).mean())
    thin = float(np.median(r[path])) <= 0.25 * mean_dist
    if not (planar and not_line and (closed or thin)):
        return None
    outline = (unique - centre) @ vt[:2].T
    area = _revolution_area(outline)
    if not area > 0:
        return None
    return _Soma("contour", area, centre,
                 f"{len(unique)}-point {'closed' if closed else 'open'} outline in one plane;"
                 " area of the body of revolution about its long axis", [])


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
    return _build(file, parsed, repairs, scale, discretizer, conventions, warnings)


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


def _raise(file: str, problems: list[_Problem]) -> None:
    problems = sorted(problems, key=lambda p: (_ORDER.index(p.kind), p.line or 0))
    first = problems[0]
    message = first._message(file)
    if len(problems) > 1:
        shown = problems[1:11]
        message += "".join(f"\n  also {p._message(file)}" for p in shown)
        if len(problems) > 11:
            message += f"\n  ... and {len(problems) - 11} more problems"
    raise SWCError(message, file=file, line=first.line, ids=first.ids, kind=first.kind,
                   problems=[{"kind": p.kind, "line": p.line, "ids": p.ids,
                              "message": p._message(file)} for p in problems])


def _build(file, parsed: _Parsed, repairs: set[str], scale, discretizer, conventions, warnings):
    n = len(parsed.ids)
    lines = np.array(parsed.lines)
    orig_ids = list(parsed.ids)
    ids = list(parsed.ids)
    types = np.array(parsed.types)
    xyz = np.array(parsed.xyz, dtype=float).reshape(n, 3)
    r = np.array(parsed.radius, dtype=float)
    factor = 1.0 if scale is None else float(scale)
    if scale is not None:
        xyz = xyz * factor
        r = r * factor
        conventions.append(f"coordinates and radii multiplied by scale={factor:g}")
    regions, region_warnings = _region_map(types.tolist(), parsed.declared)
    warnings += region_warnings
    is_soma = types == 1
    problems: list[_Problem] = []
    done: list[dict] = []

    # ids: duplicates get new ids (used only if the repair is allowed)
    id_to_row: dict[int, int] = {}
    dup_rows = []
    for k, sid in enumerate(ids):
        if sid in id_to_row:
            dup_rows.append(k)
        else:
            id_to_row[sid] = k
    if dup_rows:
        next_id = max(ids) + 1
        for k in dup_rows:
            ids[k] = next_id
            id_to_row[next_id] = k
            next_id += 1
        dup_orig = sorted({orig_ids[k] for k in dup_rows})
        problems.append(_Problem(
            "duplicate_id", int(lines[dup_rows[0]]), dup_orig,
            f"id(s) {_fmt_ids(dup_orig)} used more than once (again at line(s)"
            f" {_fmt_ids(lines[dup_rows].tolist())})"))
    parent = np.array([-1 if p < 0 else id_to_row.get(p, -2) for p in parsed.parents])
    if min(ids) == 0:
        conventions.append("ids start at 0")
    if max(ids) - min(ids) + 1 != n and not dup_rows:
        conventions.append(f"ids are not contiguous ({max(ids) - min(ids) + 1 - n} gaps)")
    forward = int(np.sum(parent > np.arange(n)))
    if forward:
        conventions.append(f"{forward} samples are listed before their parent: the tree was"
                           " sorted by parent links")

    # units
    has_parent = parent >= 0
    seg = np.linalg.norm(xyz[has_parent] - xyz[parent[has_parent]], axis=1) / factor
    extent = float((xyz.max(axis=0) - xyz.min(axis=0)).max()) / factor
    positive = r[r > 0] / factor
    med_seg = float(np.median(seg)) if seg.size else 0.0
    med_r = float(np.median(positive)) if positive.size else 0.0
    if scale is None and (extent > NM_EXTENT or med_seg > NM_SEGMENT) and (
            med_r > NM_RADIUS or positive.size == 0):
        problems.append(_Problem(
            "units", int(lines[0]), [],
            f"coordinates look like nanometres (bounding box {extent:.4g}, median segment"
            f" {med_seg:.4g}, median radius {med_r:.4g} file units; a neuron in um has"
            " segments of a few um and radii of about 1 um)"))

    # missing parents, cycles, pieces
    orphans = np.flatnonzero(parent == -2)
    if orphans.size:
        missing = sorted({parsed.parents[k] for k in orphans})
        problems.append(_Problem(
            "missing_parent", int(lines[orphans[0]]), [ids[k] for k in orphans],
            f"sample(s) {_fmt_ids(ids[k] for k in orphans)} name parent(s)"
            f" {_fmt_ids(missing)} that do not exist"))
    anchor, cycles = _anchors(parent)
    if cycles:
        for cyc in cycles:
            cyc_ids = [ids[k] for k in sorted(cyc, key=lambda k: lines[k])]
            problems.append(_Problem(
                "cycles", int(min(lines[cyc])), cyc_ids,
                f"samples {_fmt_ids(cyc_ids)} form a cycle through the parent column"))
    pieces: dict[int, list[int]] = {}
    for k in range(n):
        if anchor[k] >= 0:
            pieces.setdefault(int(anchor[k]), []).append(k)
    main = -1
    if pieces:
        main = min(pieces, key=lambda a: (-int(is_soma[pieces[a]].sum()), int(parent[a] == -2),
                                          -len(pieces[a]), a))
        roots = [a for a in sorted(pieces) if parent[a] == -1 and a != main]
        if roots:
            problems.append(_Problem(
                "extra_roots", int(lines[roots[0]]), [ids[a] for a in roots],
                f"{len(roots)} tree(s) besides the main one start at root(s) (parent -1) with"
                f" id(s) {_fmt_ids(ids[a] for a in roots)}"))
        if not is_soma[pieces[main]].any():
            problems.append(_Problem(
                "no_soma", int(lines[main]), [ids[main]],
                f"no soma: no sample of type 1 (the root, id {ids[main]}, is of type"
                f" {types[main]})"))
    bad_r = np.flatnonzero(r <= 0)
    if bad_r.size:
        problems.append(_Problem(
            "radius", int(lines[bad_r[0]]), [ids[k] for k in bad_r],
            f"radius <= 0 at {bad_r.size} sample(s): id(s) {_fmt_ids(ids[k] for k in bad_r)}"))
    blocking = [p for p in problems if p.kind not in repairs]
    if blocking:
        _raise(file, problems)

    # -- repairs that change the topology
    if dup_rows:
        done.append({"repair": "duplicate_id", "count": len(dup_rows),
                     "ids": [orig_ids[k] for k in dup_rows],
                     "detail": "later copies renumbered: " + ", ".join(
                         f"{orig_ids[k]} (line {lines[k]}) -> {ids[k]}" for k in dup_rows[:20])
                     + (" ..." if len(dup_rows) > 20 else "")})
    others = {a: np.array(rows) for a, rows in pieces.items() if a != main}
    if others:
        attached = _attach(np.array(pieces[main]), others, xyz, is_soma)
        for kind in ("missing_parent", "extra_roots"):
            sel = [(a, t, d) for a, t, d in attached if (parent[a] == -2) == (kind ==
                                                                             "missing_parent")]
            if not sel:
                continue
            gaps = [d for _, _, d in sel]
            detail = (f"{len(sel)} piece(s) attached to the nearest sample; added gap length"
                      f" {sum(gaps):.4g} um in all, longest {max(gaps):.4g} um: "
                      + ", ".join(f"{ids[a]} -> {ids[t]} ({d:.3g} um)" for a, t, d in sel[:20])
                      + (" ..." if len(sel) > 20 else ""))
            done.append({"repair": kind, "count": len(sel), "ids": [ids[a] for a, _, _ in sel],
                         "detail": detail})
        for a, t, _ in attached:
            parent[a] = t
    if parent[main] == -2:
        done.append({"repair": "missing_parent", "count": 1, "ids": [ids[main]],
                     "detail": f"{ids[main]} (the largest piece) names a missing parent: it was"
                               " made the root"})
        parent[main] = -1
    soma_from_root = False
    if not is_soma[pieces[main]].any():
        soma_from_root = True
        k = main
        rad = r[k] if r[k] > 0 else FALLBACK_SOMA_RADIUS_UM
        done.append({"repair": "no_soma", "count": 1, "ids": [ids[k]],
                     "detail": f"made a spherical soma of radius {rad:.4g} um"
                               f"{' (fallback: the root radius is not valid)' if r[k] <= 0 else ''}"
                               f" at the root sample {ids[k]} (line {lines[k]}); the root stays"
                               " the first point of its neurites"})
        lines = np.append(lines, lines[k])
        ids.append(ids[k])
        orig_ids.append(orig_ids[k])
        types = np.append(types, 1)
        xyz = np.vstack([xyz, xyz[k]])
        r = np.append(r, rad)
        parent = np.append(parent, -1)
        parent[k] = n
        is_soma = np.append(is_soma, True)
        n += 1
    seq = np.arange(n)

    # -- root the tree at the soma
    adj: list[list[int]] = [[] for _ in range(n)]
    for k in range(n):
        if parent[k] >= 0:
            adj[k].append(int(parent[k]))
            adj[int(parent[k])].append(k)
    id_arr = np.array(ids)
    for nb in adj:
        nb.sort(key=lambda j: id_arr[j])
    root = int(np.flatnonzero(parent == -1)[0])
    start = root
    if not is_soma[root]:
        order = _bfs(adj, root)[0]
        start = next(k for k in order if is_soma[k])
        warnings.append(f"the root (id {ids[root]}) is not a soma sample: the tree was re-rooted"
                        f" at the soma sample {ids[start]}")
    order, tree_parent = _bfs(adj, start)
    soma_rows = _bfs(adj, start, passable=is_soma)[0]
    detached = sorted(set(np.flatnonzero(is_soma).tolist()) - set(soma_rows))
    if detached:
        _raise(file, [_Problem("detached_soma", int(lines[detached[0]]),
                               [ids[k] for k in detached],
                               f"soma sample(s) {_fmt_ids(ids[k] for k in detached)} are not"
                               f" connected to the soma at id {ids[start]}")])

    # -- radii
    bad_r = np.flatnonzero(r <= 0)
    if bad_r.size:
        done.append(_repair_radii(bad_r, adj, xyz, r, is_soma, ids))

    # -- zero-length segments
    rep = np.arange(n)
    new_parent = tree_parent.copy()
    merged = []
    for k in order[1:]:
        p = rep[tree_parent[k]]
        new_parent[k] = p
        if not is_soma[k] and not is_soma[p] and np.linalg.norm(xyz[k] - xyz[p]) <= ZERO_LENGTH_UM:
            rep[k] = p
            merged.append(k)
    if merged:
        merged.sort(key=lambda j: id_arr[j])
        done.append({"repair": "merged_zero_length", "count": len(merged),
                     "ids": [ids[k] for k in merged],
                     "detail": "samples at exactly the position of their parent were removed"
                               " (their radius dropped) and their children re-attached to the"
                               " parent"})
    alive = np.ones(n, dtype=bool)
    alive[merged] = False
    kids: list[list[int]] = [[] for _ in range(n)]
    for k in order[1:]:
        if alive[k]:
            kids[int(new_parent[k])].append(k)
    for lst in kids:
        lst.sort(key=lambda j: id_arr[j])

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
    used = sorted({int(t) for k, t in enumerate(types) if k < len(parsed.ids)})
    report = LoadReport(
        file=file, points=len(parsed.ids), sections=len(morph.sections),
        compartments=morph.n_compartments, soma_convention=soma.convention,
        soma_area_um2=float(soma.area), soma_diameter_um=soma_d, total_length_um=lengths,
        surface_um2=surface, max_path_distance_um=float(max_path), scale=factor,
        regions={str(t): regions[t] for t in used}, conventions=conventions,
        warnings=warnings, repairs=done, discretization=discretization)
    return morph, report


def _anchors(parent: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Top of each row's chain of parents (a root or an orphan), or -1 inside/under a cycle."""
    n = len(parent)
    state = np.zeros(n, dtype=np.int8)
    anchor = np.full(n, -1)
    cycles = []
    for i in range(n):
        if state[i]:
            continue
        path: list[int] = []
        on_path: dict[int, int] = {}
        j = i
        while True:
            if state[j] == 2:
                top = anchor[j]
                break
            if j in on_path:
                cycles.append(path[on_path[j]:])
                top = -1
                break
            on_path[j] = len(path)
            path.append(j)
            if parent[j] < 0:
                top = j
                break
            j = int(parent[j])
        for k in path:
            state[k] = 2
            anchor[k] = top
    return anchor, cycles


def _bfs(adj: list[list[int]], start: int,
         passable: np.ndarray | None = None) -> tuple[list[int], np.ndarray]:
    order = [start]
    par = np.full(len(adj), -1)
    seen = {start}
    queue = deque([start])
    while queue:
        k = queue.popleft()
        for j in adj[k]:
            if j in seen or (passable is not None and not passable[j]):
                continue
            seen.add(j)
            par[j] = k
            order.append(j)
            queue.append(j)
    return order, par


def _repair_radii(bad: np.ndarray, adj, xyz, r, is_soma, ids) -> dict:
    """Replace radii <= 0 in place by the nearest valid radius along the tree; returns the entry."""
    valid = r > 0
    notes = []
    everyone = np.ones(len(r), dtype=bool)
    src_neurite = _nearest_source(adj, xyz, valid & ~is_soma, everyone)
    src_soma = _nearest_source(adj, xyz, valid & is_soma, is_soma)
    old = r.copy()
    fallback_n = fallback_s = 0
    for k in bad:
        src = src_soma[k] if is_soma[k] else src_neurite[k]
        if src >= 0:
            r[k] = old[src]
        elif is_soma[k]:
            r[k] = FALLBACK_SOMA_RADIUS_UM
            fallback_s += 1
        else:
            r[k] = FALLBACK_NEURITE_RADIUS_UM
            fallback_n += 1
    if fallback_n:
        notes.append(f"{fallback_n} neurite sample(s) had no valid neurite radius anywhere: the"
                     f" fallback {FALLBACK_NEURITE_RADIUS_UM} um was used (a guess)")
    if fallback_s:
        notes.append(f"{fallback_s} soma sample(s) had no valid soma radius: the fallback"
                     f" {FALLBACK_SOMA_RADIUS_UM} um was used (a guess; set the soma size"
                     " yourself)")
    neg, zero = int(np.sum(old[bad] < 0)), int(np.sum(old[bad] == 0))
    detail = (f"{neg} negative and {zero} zero radii replaced by the radius of the nearest sample"
              " with a valid radius, by path length along the tree")
    return {"repair": "radius", "count": int(bad.size), "ids": [ids[k] for k in bad],
            "detail": "; ".join([detail, *notes])}

