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
type of its samples after the first. A pyramidal cell whose file types every dendrite 3 can have
its apical tree found with ``detect_apical=True`` (the rule is in :mod:`.apical`; the choice and
its reason are in ``LoadReport.apical``).

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

* ``"auto"`` (default): the file's own compartment counts and section names when it declares
  them (``# SECTION`` lines, as :func:`~cablemodel.io.swc.write_swc` writes them), so that a
  written cell reads back as the same cell; otherwise ``"d_lambda"``.
* ``"d_lambda"``: NEURON's d_lambda rule, d_lambda = 0.1 of the AC length constant at
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

import gc
import math
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from brian2 import Quantity, um
from brian2.units.fundamentalunits import fail_for_dimension_mismatch

from ...morphology.discretize import DEFAULT_CM, DEFAULT_D_LAMBDA, DEFAULT_FREQUENCY, DEFAULT_RI, discretize
from ...morphology.discretize import _options as _discretize_options
from ...morphology.model import Morphology, MorphologyError
from .build import ATTACHMENTS, build
from .errors import SWCError, _Problem, _raise
from .parse import _decode, _parse
from .repair import REPAIRS, check_and_repair
from .report import LoadReport

__all__ = ["read_swc", "LoadReport", "SWCError", "REPAIRS", "ATTACHMENTS", "DEFAULT_MAX_COMPARTMENTS"]


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


#: Default of ``read_swc(..., max_compartments=)``: more compartments than this raise SWCError.
DEFAULT_MAX_COMPARTMENTS = 100_000


def read_swc(path: str | Path, *, repair: bool | Iterable[str] = False,
             scale: float | None = None,
             discretization: str | Quantity | dict = "auto",
             max_compartment_length_um: float | None | _NotGiven = _NOT_GIVEN,
             attachment: str = "neuron",
             max_compartments: int | None = DEFAULT_MAX_COMPARTMENTS,
             detect_apical: bool = False) -> tuple[Morphology, LoadReport]:
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
        ``"auto"`` (default): the counts (and section names) the file declares in ``# SECTION``
        lines (files written by :func:`write_swc`), else ``"d_lambda"``;
        ``"d_lambda"``: NEURON's d_lambda rule, 0.1 of the AC length constant at
        100 Hz with Ri = 100 ohm*cm and Cm = 1 uF/cm^2 (:func:`discretize`, odd counts);
        a dict of :func:`discretize` keywords (``d_lambda``, ``frequency``, ``Ri``, ``Cm``,
        ``max_length``) to change them; a length such as ``10*um``: at most that long per
        compartment (odd counts); ``"swc"``: one compartment per SWC segment.
    max_compartment_length_um : float or None
        Older form, kept working: when given it replaces ``discretization``; a number of um is
        the same as ``discretization=<number>*um``, ``None`` the same as ``"swc"``.
    attachment : str
        How neurites are attached to the soma. ``"neuron"`` (default): as NEURON's Import3d
        attaches them, so that geometry and path distances agree with NEURON, the simulator
        users compare with (:mod:`cablemodel.io.swc.import3d`; for a single-point or three-point
        soma this is the same as ``"sphere"``). ``"sphere"``: every neurite starts at its own
        first sample on the soma sphere, path distances start at 0 there.
    max_compartments : int or None
        Refuse (:class:`SWCError`) a morphology that would have more compartments than this
        (:data:`DEFAULT_MAX_COMPARTMENTS`, 100,000, by default; ``None``: no limit). A
        reconstruction in d_lambda compartments has a few thousand; far more means a wrong unit,
        an absurd coordinate or too fine a discretization.

    Returns
    -------
    (Morphology, LoadReport)

    Raises
    ------
    SWCError
        ``"<file>:<line>: <problem>; <how to fix>"`` for unreadable lines (also a line that
        holds two samples), cycles, nanometre coordinates, coordinates no neuron has, too many
        compartments, and (unless repaired) duplicate ids, missing parents, several roots, no
        soma and radii that are <= 0 or that no neuron has; ``kind="argument"`` for invalid
        arguments. See the module documentation for the conventions and repairs.
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
    >>> read_swc(p, detect_apical=True)[1].apical["reason"]
    '1 dendritic stem(s) leave the soma: an apical tree cannot be told from basal ones; nothing changed'
    """
    file = str(path)
    repairs = _repair_set(repair)
    if scale is not None and not (isinstance(scale, (int, float)) and math.isfinite(scale)
                                  and scale > 0):
        raise SWCError(f"{file}: scale must be a positive finite number, got {scale!r}",
                       file=file, kind="argument")
    discretizer = _discretizer(file, discretization, max_compartment_length_um)
    if attachment not in ATTACHMENTS:
        raise SWCError(f"{file}: attachment must be one of {list(ATTACHMENTS)}, got {attachment!r}",
                       file=file, kind="argument")
    if max_compartments is not None and not (isinstance(max_compartments, int)
                                             and not isinstance(max_compartments, bool)
                                             and max_compartments >= 1):
        raise SWCError(f"{file}: max_compartments must be a whole number >= 1 or None, got"
                       f" {max_compartments!r}", file=file, kind="argument")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SWCError(f"{file}: cannot read the file ({exc.strerror or exc}); check the path",
                       file=file, kind="io") from exc
    with _no_cycle_collection():
        text, conventions, warnings = _decode(raw)
        parsed = _parse(text)
        conventions += parsed.conventions
        warnings += parsed.warnings
        if parsed.problems:
            _raise(file, parsed.problems)
        if not parsed.ids:
            _raise(file, [_Problem("parse", 1, [], "no samples found (no data lines)")])
        tree = check_and_repair(file, parsed, repairs, scale, conventions, warnings)
        auto = isinstance(discretization, str) and discretization == "auto" and isinstance(
            max_compartment_length_um, _NotGiven)
        if not isinstance(detect_apical, bool):
            raise SWCError(f"{file}: detect_apical must be True or False, got {detect_apical!r}",
                           file=file, kind="argument")
        return build(file, tree, len(parsed.ids), discretizer, attachment, conventions,
                     warnings, declared=parsed.sections if auto else {},
                     max_compartments=max_compartments, detect_apical=detect_apical)


@contextmanager
def _no_cycle_collection():
    """Python's cycle collector paused (then restored as it was): reading makes a few small
    lists and tuples per sample, which hold no reference cycles, and with Brian2 loaded each
    full collection they trigger walks every object of the process (a fifth of the time to read
    a file of 20,000 samples). Any cycle made meanwhile is collected once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _discretizer(file: str, discretization, max_compartment_length_um):
    """Check the discretization arguments; return ``Morphology -> (Morphology, summary dict)``."""
    if not isinstance(max_compartment_length_um, _NotGiven):
        if not (isinstance(discretization, str) and discretization in ("auto", "d_lambda")):
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
        if discretization in ("auto", "d_lambda"):
            return lambda morph: _by_d_lambda(morph, {})
        if discretization == "swc":
            return _by_segment
        raise SWCError(f"{file}: unknown discretization {discretization!r}; use 'auto',"
                       " 'd_lambda', 'swc', a length such as 10*um, or a dict of discretize()"
                       " keywords",
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
