"""Arbor reference runs of one compartment with mechanisms of Arbor's compiled ``bbp`` catalogue
(the Blue Brain Project / Hay et al. 2011 NMODL files), for the tests and benchmarks that check
:mod:`cablemodel.mechanisms.bbp` against Arbor. Importing it needs ``arbor`` (callers skip with
``pytest.importorskip("arbor")`` first).

The compartment is one CV (``cv_policy_single``) of a cylinder of length = diameter: its membrane
area, pi*d^2 (Arbor counts the lateral surface only), equals that of cablemodel's one-point soma
of diameter d (a sphere). Arbor sample at ``t_k`` holds ``v(t_k)``, the states at ``t_k`` and the
current density computed from both, the same bookkeeping as cablemodel's monitors.

Voltage clamp: Arbor's ``v_clamp`` voltage process holds ``v`` at one level; a run starts with
the states at their steady state at ``v_init`` (the holding potential) and the clamp sets
``v`` to the level after the first step, so the run is a step from holding to level at ``t = 0``
whose states first move in the step from ``dt`` (cablemodel with a command stepping at ``t = 0``
and an ideal clamp does the same: its gates advance with ``v(t_k)``). Arbor advances the states
with the potential the membrane current drove in the step, before ``v_clamp`` resets it: a clamp
run wants a huge ``cm_uF_cm2`` so that this potential is the command (see bbp_comparison).

Units in and out are plain floats: mV, ms, um, uF/cm^2, S/cm^2, nA, mM; current densities are
returned in mA/cm^2 with cablemodel's sign (positive into the cell).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import arbor
import numpy as np

U = arbor.units

#: cablemodel channel name -> (Arbor bbp mechanism, its density parameter, the ion it writes or
#: None for the nonspecific Ih).
BBP_ARBOR: dict[str, tuple[str, str, str | None]] = {
    "nata_t": ("NaTa_t", "gNaTa_tbar", "na"),
    "nats2_t": ("NaTs2_t", "gNaTs2_tbar", "na"),
    "nap_et2": ("Nap_Et2", "gNap_Et2bar", "na"),
    "k_pst": ("K_Pst", "gK_Pstbar", "k"),
    "k_tst": ("K_Tst", "gK_Tstbar", "k"),
    "skv3_1": ("SKv3_1", "gSKv3_1bar", "k"),
    "sk_e2": ("SK_E2", "gSK_E2bar", "k"),
    "im": ("Im", "gImbar", "k"),
    "ih": ("Ih", "gIhbar", None),
    "ca_hva": ("Ca_HVA", "gCa_HVAbar", "ca"),
    "ca_lvast": ("Ca_LVAst", "gCa_LVAstbar", "ca"),
}

#: Arbor bbp mechanism -> the ion whose current it writes (None: nonspecific or none).
BBP_ARBOR_ION: dict[str, str | None] = {mech: ion for mech, _, ion in BBP_ARBOR.values()}

#: Arbor's current densities are A/m^2, positive outward; cablemodel's mA/cm^2, positive inward.
_TO_MA_CM2 = -0.1


@dataclass(frozen=True)
class Compartment:
    """One Arbor CV: geometry, passive membrane, temperature and ions.

    ``mechanisms`` maps Arbor mechanism names to their parameters (e.g. ``{"NaTa_t":
    {"gNaTa_tbar": 0.1}}``; ``"CaDynamics_E2"`` too). ``leak`` is ``(g S/cm^2, e mV)`` of a
    ``pas`` mechanism or None. ``ena``/``ek`` are fixed reversals (mV); calcium's reversal is
    Nernst (Arbor's ``nernst/x=ca``) from ``cai`` / ``cao`` (mM) at ``celsius``; ``cai`` is also
    CaDynamics_E2's ``initCai`` when it is painted.
    """

    mechanisms: Mapping[str, Mapping[str, float]]
    diameter_um: float = 20.0
    cm_uF_cm2: float = 1.0
    celsius: float = 34.0
    v_init: float = -80.0
    leak: tuple[float, float] | None = None
    ena: float = 50.0
    ek: float = -85.0
    cai: float = 1e-4
    cao: float = 2.0


@dataclass
class ArborRun:
    """Samples of one Arbor run: ``t`` (ms), ``v`` (mV), ion current densities ``currents[ion]``
    (mA/cm^2, positive inward), ``total`` (all membrane mechanisms' current density, mA/cm^2,
    positive inward: nonspecific currents included), ``states[(mechanism, state)]``, ``cai``
    (mM), ``eca`` (mV) and ``spikes`` (ms)."""

    t: np.ndarray
    v: np.ndarray
    currents: dict[str, np.ndarray] = field(default_factory=dict)
    total: np.ndarray | None = None
    states: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    cai: np.ndarray | None = None
    eca: np.ndarray | None = None
    spikes: np.ndarray = field(default_factory=lambda: np.zeros(0))


def catalogue() -> arbor.catalogue:
    """Arbor's default catalogue (``v_clamp``, ``pas``, ``nernst``) with the bbp mechanisms."""
    cat = arbor.default_catalogue()
    cat.extend(arbor.bbp_catalogue(), "")
    return cat


def _cell(comp: Compartment, clamp_mV: float | None,
          iclamp: tuple[float, float, float] | None) -> arbor.cable_cell:
    d = comp.diameter_um
    tree = arbor.segment_tree()
    tree.append(arbor.mnpos, arbor.mpoint(-d / 2, 0, 0, d / 2), arbor.mpoint(d / 2, 0, 0, d / 2), tag=1)
    labels = arbor.label_dict({"cv": "(tag 1)", "mid": "(location 0 0.5)"})
    dec = arbor.decor()
    dec.set_property(Vm=comp.v_init * U.mV, cm=comp.cm_uF_cm2 * 1e-2 * U.F / U.m2,
                     tempK=(comp.celsius + 273.15) * U.Kelvin, rL=100 * U.Ohm * U.cm)
    dec.set_ion("na", rev_pot=comp.ena * U.mV)
    dec.set_ion("k", rev_pot=comp.ek * U.mV)
    dec.set_ion("ca", int_con=comp.cai * U.mM, ext_con=comp.cao * U.mM,
                method=arbor.mechanism("nernst/x=ca"))
    for name, params in comp.mechanisms.items():
        params = dict(params)
        if name == "CaDynamics_E2":
            params.setdefault("initCai", comp.cai)
        dec.paint('"cv"', arbor.density(name, params))
    if comp.leak is not None:
        g, e = comp.leak
        dec.paint('"cv"', arbor.density(f"pas/e={e!r}", {"g": g}))
    if clamp_mV is not None:
        dec.paint('"cv"', arbor.voltage_process(f"v_clamp/v0={clamp_mV!r}"))
    if iclamp is not None:
        start, duration, amp = iclamp
        dec.place('"mid"', arbor.i_clamp(start * U.ms, duration * U.ms, amp * U.nA))
    return arbor.cable_cell(tree, dec, labels, discretization=arbor.cv_policy_single())


class _Recipe(arbor.recipe):
    def __init__(self, cell: arbor.cable_cell, probes: list) -> None:
        super().__init__()
        self._cell, self._probes = cell, probes
        self._props = arbor.neuron_cable_properties()
        self._props.catalogue = catalogue()

    def num_cells(self) -> int:
        return 1

    def cell_kind(self, gid: int) -> arbor.cell_kind:
        return arbor.cell_kind.cable

    def cell_description(self, gid: int) -> arbor.cable_cell:
        return self._cell

    def global_properties(self, kind: arbor.cell_kind) -> arbor.cable_global_properties:
        return self._props

    def probes(self, gid: int) -> list:
        return self._probes


def run(comp: Compartment, duration_ms: float, dt_ms: float = 0.025, *,
        clamp_mV: float | None = None, iclamp: tuple[float, float, float] | None = None,
        states: Sequence[tuple[str, str]] = (), threshold: float = -20.0) -> ArborRun:
    """Run ``comp`` for ``duration_ms`` at step ``dt_ms``, sampled every step.

    ``clamp_mV``: an ideal voltage clamp at that level from the first step (see the module
    documentation); ``iclamp``: a current step ``(start ms, duration ms, amplitude nA)``;
    ``states``: ``(mechanism, state)`` pairs to record (e.g. ``("NaTa_t", "m")``). Spikes are
    upward crossings of ``threshold`` (mV) (:func:`crossings`).
    """
    ions = sorted({BBP_ARBOR_ION[m] for m in comp.mechanisms if BBP_ARBOR_ION.get(m)})
    probes = {"v": arbor.cable_probe_membrane_voltage('"mid"', "v"),
              "total": arbor.cable_probe_total_ion_current_density('"mid"', "total")}
    probes |= {f"i_{ion}": arbor.cable_probe_ion_current_density('"mid"', ion, f"i_{ion}")
               for ion in ions}
    probes |= {f"{m}.{s}": arbor.cable_probe_density_state('"mid"', m, s, f"{m}.{s}")
               for m, s in states}
    if "ca" in ions or "CaDynamics_E2" in comp.mechanisms:
        probes["cai"] = arbor.cable_probe_ion_int_concentration('"mid"', "ca", "cai")
        probes["eca"] = arbor.cable_probe_ion_reversal_potential('"mid"', "ca", "eca")
    sim = arbor.simulation(_Recipe(_cell(comp, clamp_mV, iclamp), list(probes.values())))
    schedule = arbor.regular_schedule(0 * U.ms, dt_ms * U.ms, (duration_ms + dt_ms / 2) * U.ms)
    handles = {tag: sim.sample((0, tag), schedule) for tag in probes}
    sim.run((duration_ms + dt_ms / 2) * U.ms, dt_ms * U.ms)
    data = {}
    for tag, h in handles.items():
        ((samples, _meta),) = sim.samples(h)
        data[tag] = np.asarray(samples)
    t = data["v"][:, 0]
    out = ArborRun(t=t, v=data["v"][:, 1], total=_TO_MA_CM2 * data["total"][:, 1])
    out.currents = {ion: _TO_MA_CM2 * data[f"i_{ion}"][:, 1] for ion in ions}
    out.states = {(m, s): data[f"{m}.{s}"][:, 1] for m, s in states}
    if "cai" in data:
        out.cai, out.eca = data["cai"][:, 1], data["eca"][:, 1]
    out.spikes = crossings(t, out.v, threshold)
    return out


def crossings(t: np.ndarray, v: np.ndarray, threshold: float) -> np.ndarray:
    """Upward crossings of ``threshold`` by ``v`` sampled at ``t``, interpolated linearly between
    samples: Arbor's threshold detector's rule (with samples every step the two agree to
    rounding; the Python ``simulation.spikes()`` of a one-cell recipe without connections
    returns nothing in Arbor 0.12, so the spikes are taken from the potential)."""
    k = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    return t[k] + (threshold - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])


