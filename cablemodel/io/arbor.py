"""The same discrete cell in Arbor: a :class:`cablemodel.Cell` as an ``arbor.cable_cell`` whose
control volumes (CVs) are cablemodel's compartments (:func:`to_arbor`), a runner
(:func:`run_arbor`) and Arbor's own geometry of those CVs (:func:`arbor_geometry`).

How the two discrete systems are made the same
----------------------------------------------
* **Morphology from cablemodel's sections**, not from Arbor's SWC loader (whose soma and
  first-segment rules differ from NEURON's Import3d, which cablemodel follows): every straight
  piece between consecutive points of a section becomes one Arbor segment with the same end
  points and diameters; a section's first piece hangs from its parent section's last piece.
  The soma sphere becomes a cylinder with length = diameter = the sphere's diameter (the same
  membrane area, ``pi d^2``), and the neurites attached to it start at their own first point.
* **CV boundaries at the compartment boundaries** (``arbor.cv_policy_explicit``): inside a
  section at its equal arc-length cuts; where sections branch, at the end of the parent and at
  the start of every child, so that the branch point is a CV of zero area joined to the parent
  compartment's centre and to the children's centres. That is the node through which Brian2
  joins them: in both, the axial resistance from the parent's centre to a child's is the
  parent's distal half plus the child's proximal half, integrated over the frustums (Arbor
  ``integrate_ixa``, cablemodel :func:`~cablemodel.morphology.model.compartment_geometry`).
  The soma carries no such cut: it is one CV that contains the branch point, so its children
  connect to it through their own proximal halves only, as to cablemodel's isopotential soma.
* **The same values per CV**: ``cm``, ``rL`` and the leak (``pas``: ``g`` per CV, its reversal
  ``e`` an Arbor global, so one ``pas/e=...`` variant per distinct value), and every channel's
  density, painted on each compartment's cable from :meth:`cablemodel.Cell.densities`; the
  initial potential ``v_rest``; the temperature ``celsius``.

Arbor is an optional dependency (``pip install arbor``); the functions import it when called.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from brian2 import cm, farad, meter, ms, mV, nA, ohm, siemens

from ..cell import Cell
from ..mechanisms import bbp
from ..mechanisms.synapses import CurrentClamp
from ..morphology.model import Morphology
from ..places import parse_site

__all__ = ["ArborLayout", "arbor_available", "arbor_layout", "to_arbor", "run_arbor",
           "arbor_geometry", "arbor_initial_currents", "ARBOR_BBP", "ARBOR_INSTALL_HINT"]

#: How to get Arbor, for error messages.
ARBOR_INSTALL_HINT = "pip install arbor"
#: cablemodel's BBP channels (:mod:`cablemodel.mechanisms.bbp`) -> (Arbor ``bbp`` catalogue
#: mechanism, its density parameter in S/cm^2).
ARBOR_BBP: dict[str, tuple[str, str]] = {
    "nata_t": ("NaTa_t", "gNaTa_tbar"), "nats2_t": ("NaTs2_t", "gNaTs2_tbar"),
    "nap_et2": ("Nap_Et2", "gNap_Et2bar"), "k_pst": ("K_Pst", "gK_Pstbar"),
    "k_tst": ("K_Tst", "gK_Tstbar"), "skv3_1": ("SKv3_1", "gSKv3_1bar"),
    "sk_e2": ("SK_E2", "gSK_E2bar"), "im": ("Im", "gImbar"), "ih": ("Ih", "gIhbar"),
    "ca_hva": ("Ca_HVA", "gCa_HVAbar"), "ca_lvast": ("Ca_LVAst", "gCa_LVAstbar"),
}
#: SWC-like tags of the Arbor segments by region (others get 5, 6, ... in order of appearance).
_TAGS = {"soma": 1, "axon": 2, "basal": 3, "apical": 4}


def arbor_available() -> bool:
    """Whether the ``arbor`` package can be imported by this Python.

    Example
    -------
    >>> isinstance(arbor_available(), bool)
    True
    """
    return importlib.util.find_spec("arbor") is not None


def _arbor():
    if not arbor_available():
        raise ImportError(f"this needs Arbor, which is not installed: {ARBOR_INSTALL_HINT}")
    import arbor

    return arbor


@dataclass(frozen=True)
class ArborLayout:
    """Where cablemodel's compartments are on an Arbor morphology built from the same sections.

    ``morphology`` is the ``arbor.morphology``; per compartment (cablemodel's order) ``branch``
    (Arbor branch id), ``prox``/``dist`` (its cable's ends as fractions of the branch length)
    and ``cv_boundaries``, the locset expression that makes one CV per compartment (plus a
    zero-area CV at every branch point away from the soma).

    Example
    -------
    >>> from cablemodel import ball_and_stick
    >>> lay = arbor_layout(ball_and_stick())
    >>> len(lay.branch) == ball_and_stick().n_compartments, lay.cable(0)
    (True, '(cable 0 0.0 1.0)')
    """

    morphology: object
    branch: np.ndarray
    prox: np.ndarray
    dist: np.ndarray
    cv_boundaries: str

    def cable(self, k: int) -> str:
        """Arbor region expression of compartment ``k``'s cable."""
        return f"(cable {int(self.branch[k])} {float(self.prox[k])!r} {float(self.dist[k])!r})"

    def centre(self, k: int) -> str:
        """Arbor locset expression of compartment ``k``'s centre."""
        return f"(location {int(self.branch[k])} {float(0.5 * (self.prox[k] + self.dist[k]))!r})"


def arbor_layout(morphology: Morphology) -> ArborLayout:
    """Build the Arbor morphology of ``morphology`` (its sections' pieces as Arbor segments, the
    soma sphere as a cylinder of the same area) and place its compartments on Arbor's branches.

    Example
    -------
    >>> from cablemodel import y_neuron
    >>> lay = arbor_layout(y_neuron())
    >>> lay.morphology.num_branches, lay.cv_boundaries.count("location") > 10
    (5, True)
    """
    arbor = _arbor()
    tree = arbor.segment_tree()
    tags = dict(_TAGS)
    soma = morphology.soma
    x, y, z, d = (float(v) for v in soma.points[0])
    r = 0.5 * d
    pieces = {soma.name: [np.array([[x, y - r, z, d], [x, y + r, z, d]])]}
    for sec in morphology.sections[1:]:
        if (sec.segment_lengths <= 0).any():
            raise ValueError(f"arbor_layout: section {sec.name!r} has a diameter step (two points"
                             " at one position): cablemodel counts its annulus as membrane, Arbor"
                             " has none; merge the two points to export this cell")
        pieces[sec.name] = [sec.points[j:j + 2] for j in range(len(sec.points) - 1)]
    seg_of: dict[tuple, tuple[str, int]] = {}  # a piece's coordinates -> (section, piece)
    last_seg: dict[str, int] = {}
    for sec in morphology.sections:
        tag = tags.setdefault(sec.region, max(tags.values()) + 1)
        parent = arbor.mnpos if sec.parent is None else last_seg[sec.parent]
        for j, (a, b) in enumerate(pieces[sec.name]):
            key = _key(a, b)
            if key in seg_of:
                raise ValueError(f"arbor_layout: sections {seg_of[key][0]!r} and {sec.name!r} have"
                                 " a piece with the same end points; remove the duplicate")
            seg_of[key] = (sec.name, j)
            parent = tree.append(parent, arbor.mpoint(*a[:3], 0.5 * a[3]),
                                 arbor.mpoint(*b[:3], 0.5 * b[3]), tag=tag)
        last_seg[sec.name] = parent
    morph = arbor.morphology(tree)
    start_of: dict[str, tuple[int, float]] = {}  # section -> (branch, arc length before it)
    end_branch: dict[str, int] = {}
    branch_len = []
    for b in range(morph.num_branches):
        s = 0.0
        for seg in morph.branch_segments(b):
            p, q = seg.prox, seg.dist
            name, j = seg_of[_key(np.array([p.x, p.y, p.z, 2 * p.radius]),
                                  np.array([q.x, q.y, q.z, 2 * q.radius]))]
            if j == 0:
                start_of[name] = (b, s)
            end_branch[name] = b
            s += float(np.linalg.norm([q.x - p.x, q.y - p.y, q.z - p.z]))
        branch_len.append(s)
    branch, prox, dist, bounds = [], [], [], []
    for sec in morphology.depth_first():
        b, start = start_of[sec.name]
        L = branch_len[b]
        length = d if sec.parent is None else sec.length
        n = sec.n_compartments
        edges = (start + length * np.arange(n + 1) / n) / L
        edges[-1] = min(edges[-1], 1.0)
        branch += [b] * n
        prox += edges[:-1].tolist()
        dist += edges[1:].tolist()
        bounds += [(b, float(e)) for e in edges[1:-1]]
        if sec.parent is not None:
            if start == 0.0:  # first on its branch: the child side of a branch point
                bounds.append((b, 0.0))
                if sec.parent != soma.name:  # the parent side: a zero-area CV at the fork
                    bounds.append((end_branch[sec.parent], 1.0))
            else:  # continues its parent's branch (the parent has this one child)
                bounds.append((b, float(start / L)))
    locs = " ".join(f"(location {b} {p!r})" for b, p in sorted(set(bounds)))
    return ArborLayout(morph, np.array(branch), np.array(prox), np.array(dist),
                       f"(join {locs} (root))" if locs else "(root)")


def _key(a: np.ndarray, b: np.ndarray) -> tuple:
    """A piece by its end points and diameters (um), rounded as Arbor stores them."""
    return tuple(np.round(np.concatenate([a[:4], b[:4]]).astype(np.float64), 6).tolist())


def _grouped(layout: ArborLayout, values: np.ndarray, mask: np.ndarray | None = None
             ) -> list[tuple[float, str]]:
    """``(value, region expression)`` for the compartments with equal ``values``."""
    out: dict[float, list[str]] = {}
    for k, v in enumerate(values):
        if mask is None or mask[k]:
            out.setdefault(float(v), []).append(layout.cable(k))
    return [(v, _union(c)) for v, c in out.items()]


def _union(regions: list[str]) -> str:
    """One Arbor region expression for several."""
    return f"(join {' '.join(regions)})" if len(regions) > 1 else regions[0]


def to_arbor(cell: Cell, clamps: Sequence[CurrentClamp] = (), layout: ArborLayout | None = None):
    """The Arbor ``cable_cell`` of ``cell`` with ``clamps`` (one CV per compartment, the same
    passive values and initial potential; see the module notes). Cells with channels are
    refused unless they are the BBP library's (:mod:`cablemodel.mechanisms.bbp`, Arbor's ``bbp``
    catalogue), at 34 degC.

    Example
    -------
    >>> from cablemodel import Cell, ball_and_stick
    >>> c = to_arbor(Cell(ball_and_stick()))
    >>> type(c).__name__
    'cable_cell'
    """
    arbor = _arbor()
    U = arbor.units
    layout = layout or arbor_layout(cell.morphology)
    table = cell.table
    decor = arbor.decor()
    decor.set_property(Vm=float(cell.v_rest / mV) * U.mV, tempK=(cell.celsius + 273.15) * U.Kelvin)
    mem = cell.membrane()
    cm_f = np.asarray(mem.Cm / (farad / meter**2), float)
    ri = np.asarray(mem.Ri / (ohm * cm), float)
    gl = np.asarray(mem.g_leak / (siemens / cm**2), float)
    el = np.asarray(cell.leak_reversal() / mV, float)
    for v, reg in _grouped(layout, cm_f):
        decor.paint(reg, cm=v * U.F / U.m2)
    for v, reg in _grouped(layout, ri):
        decor.paint(reg, rL=v * U.Ohm * U.cm)
    for e in map(float, np.unique(el)):
        for g, reg in _grouped(layout, gl, el == e):
            decor.paint(reg, arbor.density(f"pas/e={e!r}", g=g))
    _paint_mechanisms(arbor, decor, cell, layout)
    for c in clamps:
        t0, t1 = float(c.start / ms), float(c.stop / ms)
        decor.place(layout.centre(c.site.resolve(table)),
                    arbor.i_clamp(t0 * U.ms, (t1 - t0) * U.ms, float(c.amplitude / nA) * U.nA))
    return arbor.cable_cell(layout.morphology, decor, arbor.label_dict(),
                            arbor.cv_policy_explicit(layout.cv_boundaries))


def _bbp_counterpart(ch) -> tuple[str, str]:
    """Arbor's bbp mechanism and density parameter of channel ``ch``, which must be one of
    :mod:`cablemodel.mechanisms.bbp` (any reversal), else a ``ValueError``."""
    ref = bbp.BBP_CHANNELS[ch.name]() if ch.name in bbp.BBP_CHANNELS else None
    if ref is None or (ch.gates, ch.q10, ch.reference_celsius, ch.ion, ch.current_kind) != (
            ref.gates, ref.q10, ref.reference_celsius, ref.ion, ref.current_kind):
        raise ValueError(f"to_arbor: channel {ch.name!r} is not one of the BBP library"
                         f" (cablemodel.mechanisms.bbp: {sorted(bbp.BBP_CHANNELS)}); only those"
                         " have an Arbor counterpart (Arbor's bbp catalogue)")
    return ARBOR_BBP[ch.name]


def _reversals(cell: Cell) -> dict[str, float | str]:
    """One reversal per ion (mV, or ``"nernst"``) over the cell's channels, and ``"h"`` for Ih."""
    out: dict[str, float | str] = {}
    for ch in cell.channels:
        key = ch.ion or "h"
        e = ch.reversal if isinstance(ch.reversal, str) else float(ch.reversal / mV)
        if out.setdefault(key, e) != e:
            raise ValueError(f"to_arbor: the {key} channels have different reversals ({out[key]}"
                             f" and {e} for {ch.name!r}); Arbor has one per ion and cell")
    return out


def _paint_mechanisms(arbor, decor, cell: Cell, layout: ArborLayout) -> None:
    """Paint the BBP channels and CaDynamics_E2 of ``cell`` per compartment; set the ions."""
    U = arbor.units
    channels = cell.channels
    mechs = {ch.name: _bbp_counterpart(ch) for ch in channels}
    corrected = [ch.name for ch in channels if ch.q10 != 1.0]
    if corrected and cell.celsius != bbp.BBP_CELSIUS:
        raise ValueError(f"to_arbor: Arbor's bbp files fix their temperature correction at"
                         f" {bbp.BBP_CELSIUS:g} degC, this cell runs at {cell.celsius:g} degC"
                         f" (channels {corrected}); compare at {bbp.BBP_CELSIUS:g} degC")
    reversal = _reversals(cell)
    for ion in ("na", "k"):
        if ion in reversal:
            if reversal[ion] == "nernst":
                raise ValueError(f"to_arbor: a Nernst {ion} reversal is not exported; give the"
                                 f" {ion} channels a fixed reversal")
            decor.set_ion(ion, rev_pot=reversal[ion] * U.mV)
    conc = cell.resting_concentrations()
    cao = float(np.unique(conc["cao"])[0]) if np.unique(conc["cao"]).size == 1 else None
    if cao is None:
        raise ValueError("to_arbor: the outside calcium differs between compartments; Arbor's"
                         " Nernst method needs one")
    ca_kwargs = {"ext_con": cao * U.mM}
    if reversal.get("ca") == "nernst":
        ca_kwargs["method"] = arbor.mechanism("nernst/x=ca")
    elif "ca" in reversal:
        ca_kwargs["rev_pot"] = reversal["ca"] * U.mV
    decor.set_ion("ca", **ca_kwargs)
    for v, reg in _grouped(layout, conc["cai"]):
        decor.paint(reg, ion="ca", int_con=v * U.mM)
    dens = cell.densities()
    for ch in channels:
        mech, param = mechs[ch.name]
        if ch.name == "ih":
            mech = f"{mech}/ehcn={reversal['h']!r}"
        for g, reg in _grouped(layout, dens[ch.name] * 1e-4, dens[ch.name] > 0):  # S/cm^2
            decor.paint(reg, arbor.density(mech, {param: g}))
    params = cell.calcium_parameters()
    if params is not None:
        rows = np.stack([params["gamma_cai"], params["decay_cai"] * 1e3, params["depth_cai"] * 1e6,
                         params["minimum_cai"], conc["cai"]], axis=1)
        groups: dict[tuple, list[str]] = {}
        for k in np.flatnonzero(params["painted"]):
            groups.setdefault(tuple(rows[k].tolist()), []).append(layout.cable(int(k)))
        for (gamma, decay, depth, minimum, cai), cables in groups.items():
            decor.paint(_union(cables), arbor.density(
                "CaDynamics_E2", {"gamma": gamma, "decay": decay, "depth": depth,
                                  "minCai": minimum, "initCai": cai}))


def _recipe(arbor, cell, probes):
    class Recipe(arbor.recipe):
        def __init__(self):
            super().__init__()
            self.props = arbor.neuron_cable_properties()
            self.props.catalogue.extend(arbor.bbp_catalogue(), "")

        def num_cells(self):
            return 1

        def cell_kind(self, gid):
            return arbor.cell_kind.cable

        def cell_description(self, gid):
            return cell

        def probes(self, gid):
            return probes

        def global_properties(self, kind):
            return self.props

    return Recipe()


def run_arbor(cell: Cell, clamps: Sequence[CurrentClamp] = (), duration=50 * ms,
              dt=0.025 * ms, record: Sequence[str] = ("soma",)) -> dict:
    """Run ``cell`` with ``clamps`` in Arbor (fixed step ``dt``, from ``v_rest``).

    Returns ``t_ms`` (``0, dt, ..`` below ``duration``), ``v_mV`` (site label -> trace, the
    potential of each site's compartment, sampled at its centre), ``spikes_ms`` (upward
    crossings of ``cell.spike_threshold`` at the spike site, interpolated linearly between the
    samples of every step, as cablemodel's detector does), ``build_seconds`` (recipe and
    simulation) and ``run_seconds`` (Arbor's ``simulation.run``).

    Example
    -------
    >>> from brian2 import nA, ms
    >>> from cablemodel import Cell, ball_and_stick, CurrentClamp
    >>> out = run_arbor(Cell(ball_and_stick()), [CurrentClamp("soma", 0.1 * nA, 1 * ms, 20 * ms)],
    ...                 duration=20 * ms)
    >>> round(float(out["v_mV"]["soma"][-1] - out["v_mV"]["soma"][0]), 1)  # mV
    11.8
    """
    arbor = _arbor()
    U = arbor.units
    t0 = time.perf_counter()
    layout = arbor_layout(cell.morphology)
    acell = to_arbor(cell, clamps, layout)
    table = cell.table
    where = {s: parse_site(s).resolve(table) for s in record}
    where["_spike_site"] = cell.spike_compartment
    probes = [arbor.cable_probe_membrane_voltage(layout.centre(i), s) for s, i in where.items()]
    sim = arbor.simulation(_recipe(arbor, acell, probes))
    step = float(dt / ms)
    handles = {s: sim.sample((0, s), arbor.regular_schedule(step * U.ms)) for s in where}
    t1 = time.perf_counter()
    sim.run(float(duration / ms) * U.ms, step * U.ms)
    t2 = time.perf_counter()
    v, t = {}, None
    for s, h in handles.items():
        data, _ = sim.samples(h)[0]
        t, v[s] = data[:, 0], data[:, 1]
    spike_v = v.pop("_spike_site")
    threshold = float(cell.spike_threshold / mV)
    k = np.flatnonzero((spike_v[:-1] < threshold) & (spike_v[1:] >= threshold))
    spikes = t[k] + (threshold - spike_v[k]) / (spike_v[k + 1] - spike_v[k]) * (t[k + 1] - t[k])
    return {"t_ms": t, "v_mV": v, "spikes_ms": spikes, "build_seconds": t1 - t0,
            "run_seconds": t2 - t1}


def arbor_geometry(cell: Cell) -> dict:
    """Arbor's own geometry of ``cell``'s CVs, in cablemodel's compartment order.

    * ``area_um2``: measured in Arbor, the leak current of each CV at t = 0 with a 1 mV driving
      force, divided by the leak density.
    * ``axial``: the axial path (1/um) by which Arbor joins each compartment to its parent CV
      (the soma: ``nan``), from the CV layout Arbor made (``arbor.cv_data``) and Arbor's
      embedding of the morphology (``arbor.place_pwlin``), following Arbor's rule: from the
      parent CV's reference point to this CV's (a CV's midpoint, or the branch point in a CV
      that holds one), the integral of ``1 / (pi r^2)`` over the frustums in between (times
      ``Ri``: the resistance; cablemodel's ``axial_1 + axial_2``).
    * ``parent_is_node``: whether that parent CV holds a branch point (the soma, or a zero-area
      CV at a fork); then the parent compartment's distal half, from its centre to the branch
      point, is in ``node_axial`` (else ``nan``).
    * ``n_cv``: all CVs, including the zero-area ones at the branch points.

    Example
    -------
    >>> import numpy as np
    >>> from cablemodel import Cell, ball_and_stick
    >>> c = Cell(ball_and_stick())
    >>> g = arbor_geometry(c)
    >>> bool(np.allclose(g["area_um2"], c.table.area, rtol=1e-9)), g["n_cv"]
    (True, 176)
    """
    arbor = _arbor()
    layout = arbor_layout(cell.morphology)
    sim_cell = _leak_probe_cell(arbor, layout)
    current = _initial_currents(arbor, sim_cell, layout)
    cvd = arbor.cv_data(sim_cell)
    n = len(cell.table)
    mid = {(int(layout.branch[k]), round(0.5 * (layout.prox[k] + layout.dist[k]), 6)): k
           for k in range(n)}
    cv_of = np.full(n, -1)
    for j in range(cvd.num_cv):
        c = cvd.cables(j)
        if len(c) == 1:
            cv_of[mid[(c[0].branch, round(0.5 * (c[0].prox + c[0].dist), 6))]] = j
        elif c[0].branch == layout.branch[0] and c[0].prox == 0.0:
            cv_of[0] = j  # the soma: its cable and the branch point at its end
    pw = arbor.place_pwlin(layout.morphology)

    def resistance(branch: int, a: float, b: float) -> float:  # 1/um
        total = 0.0
        for seg in pw.segments([arbor.cable(branch, a, b)]):
            p, q = seg.prox, seg.dist
            length = float(np.linalg.norm([q.x - p.x, q.y - p.y, q.z - p.z]))
            total += length / (np.pi * p.radius * q.radius)
        return total

    def refpt(j: int, branch: int) -> float:
        c = cvd.cables(j)
        return 0.5 * (c[0].prox + c[0].dist) if len(c) == 1 and c[0].branch == branch else \
            (0.0 if len(c) > 1 else 1.0)

    axial = np.full(n, np.nan)
    node = np.full(n, np.nan)
    is_node = np.zeros(n, dtype=bool)
    table = cell.table
    for k in range(1, n):
        j, b = int(cv_of[k]), int(layout.branch[k])
        p = cvd.parent(j)
        axial[k] = resistance(b, refpt(p, b), refpt(j, b))
        is_node[k] = len(cvd.cables(p)) > 1
        if is_node[k] and cvd.parent(p) >= 0:  # a fork CV: its own face to the parent
            pk = int(table.parent[k])
            node[k] = resistance(int(layout.branch[pk]), refpt(cvd.parent(p), int(layout.branch[pk])),
                                 1.0)
    area = current / 1e-6  # 1e-4 S/cm^2 * 1 mV * 1 um^2 = 1e-15 A = 1e-6 nA
    return {"area_um2": area, "cv": cv_of,
            "axial": axial, "parent_is_node": is_node, "node_axial": node,
            "n_cv": cvd.num_cv}


def arbor_initial_currents(cell: Cell) -> np.ndarray:
    """The membrane current (nA, positive outward; capacitive current excluded) of each
    compartment in Arbor at t = 0, from ``v_rest`` and the initial states Arbor was given: a
    check of everything painted (densities, reversals, leak, temperature, initial gates and
    calcium), to compare with the sum of cablemodel's channel and leak currents.

    Example
    -------
    >>> from brian2 import mV
    >>> from cablemodel import Cell, ball_and_stick
    >>> i = arbor_initial_currents(Cell(ball_and_stick(), e_leak=-75 * mV))  # 10 mV of leak
    >>> round(float(i[0] * 1e3), 3)  # pA: 3e-4 S/cm^2 * 10 mV * 1257 um^2
    37.699
    """
    arbor = _arbor()
    layout = arbor_layout(cell.morphology)
    return _initial_currents(arbor, to_arbor(cell, layout=layout), layout)


def _initial_currents(arbor, acell, layout: ArborLayout) -> np.ndarray:
    """Arbor's total ion current (nA) of each compartment at t = 0, in cablemodel's order."""
    U = arbor.units
    sim = arbor.simulation(_recipe(arbor, acell, [arbor.cable_probe_total_ion_current_cell("i")]))
    h = sim.sample((0, "i"), arbor.regular_schedule(0.025 * U.ms))
    sim.run(0.025 * U.ms, 0.025 * U.ms)
    data, meta = sim.samples(h)[0]
    column = {(c.branch, round(0.5 * (c.prox + c.dist), 6)): j for j, c in enumerate(meta)}
    cols = [column[(int(layout.branch[k]), round(0.5 * (layout.prox[k] + layout.dist[k]), 6))]
            for k in range(len(layout.branch))]
    return data[0, 1:][cols]


def _leak_probe_cell(arbor, layout: ArborLayout):
    """A passive Arbor cell on ``layout`` whose leak (1e-4 S/cm^2) has a 1 mV driving force."""
    U = arbor.units
    decor = arbor.decor()
    decor.set_property(Vm=-64 * U.mV, cm=0.01 * U.F / U.m2, rL=100 * U.Ohm * U.cm)
    decor.paint("(all)", arbor.density("pas/e=-65", g=1e-4))
    return arbor.cable_cell(layout.morphology, decor, arbor.label_dict(),
                            arbor.cv_policy_explicit(layout.cv_boundaries))
