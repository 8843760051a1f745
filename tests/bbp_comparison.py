"""cablemodel's BBP channels side by side with Arbor's compiled ``bbp`` catalogue in one
compartment: the runs of both simulators and the errors between them, shared by
``tests/test_bbp_channels.py`` and ``benchmarks/vs_arbor_channels.py``. Needs ``arbor``.

Voltage clamp
-------------
Every channel (density :data:`CLAMP_DENSITY`) in one compartment held at :data:`HOLD_MV`, stepped
to each of :data:`LEVELS_MV` for :data:`STEP_MS` (one cablemodel run: every sweep starts from the
cell's initial state, see :func:`cablemodel.simulation.assembly.trial_period`; a 1-ohm series
resistance makes the clamp ideal to 1e-4 mV). In both simulators the gates first move in the step
from ``dt`` (cablemodel advances them with ``v(t_k)``, the holding potential at ``t_0``; Arbor's
``v_clamp`` acts after the first step), so cablemodel's sample ``k >= 1`` (step ``dt``) is
compared with Arbor's sample at ``(k - 1) dt`` after its own first step. Under an ideal clamp
cablemodel's gates are exact at any ``dt``, which then only sets how many samples are compared.
Arbor runs with the finer step :data:`ARBOR_DT_MS`: its ``cnexp`` updates a gate with the (1,1)
Pade approximant of the exponential, cablemodel with the exponential itself (exact at a fixed
potential), and at 25 us Arbor's own error reaches 10 % for the fastest Na+ gates at +20 mV; at
2.5 us it is below 0.1 %.
Arbor's membrane capacitance is made huge in the clamp runs because its ``v_clamp`` resets ``v``
only after the gates were advanced with the potential the membrane current drove (at 1 uF/cm^2
up to 1 mV off the command); the capacitance changes nothing else there.

Calcium: both simulators hold the Ca2+ current over a step to advance cai, so cablemodel's cai at
25 us trails the fine-step Arbor by about half a step of influx. With Hay's somatic CaDynamics_E2
(gamma 0.000501, the default here) cai climbs to SK_E2's half-activation (0.43 uM) in 15 ms and
that costs 0.25 %; with the BBP file's default gamma 0.05 cai climbs 200-fold and the lag costs
about 4 % in cai and the SK current during the climb (the benchmark reports it).

A current is *non-negligible* where Arbor's is at least :data:`NEGLIGIBLE` times the largest
magnitude of that channel's current over all steps; the error is ``|ours - arbor| / |arbor|``
there.

Current clamp
-------------
One compartment with every channel (Hay et al. 2011 somatic densities, :data:`FULL_SET`) and
CaDynamics_E2, leak reversal set (cablemodel's rule, copied to Arbor's ``pas``) so that it rests at
:data:`SPIKE_V_REST_MV`, calcium starting at cablemodel's resting value in both, a current step.
Both simulators run at 25 us: their first-order schemes share most of their step error (each is
about 0.15 ms off Arbor's converged 1 us answer by the third spike). They differ in one ordering:
cablemodel advances cai before the gates that read it (SK_E2 sees this step's cai), Arbor's
SK_E2 sees the previous step's, which moves the spikes after a calcium-activated
afterhyperpolarization by a few hundredths of a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import arbor_reference as ar
import numpy as np
from brian2 import Mohm, cm, mA, mM, ms, mV, nA, siemens, uF

from cablemodel import Cell, CurrentClamp, Morphology, Section, simulate
from cablemodel.mechanisms import bbp
from cablemodel.mechanisms.stimuli import VoltageSteps
from cablemodel.simulation.assembly import trial_period

S_CM2 = siemens / cm**2
MA_CM2 = mA / cm**2
DIAMETER_UM = 20.0
DT_MS = 0.025  # cablemodel's step in the calcium clamp and the current clamp
CLAMP_DT_MS = 0.05  # and in the channel clamp (exact there at any step: sampling only)
ARBOR_DT_MS = 0.0025  # Arbor's step in the clamp runs
HOLD_MV = -80.0
LEVELS_MV = (-120.0, -100.0, -60.0, -40.0, -20.0, 0.0, 20.0)
#: The fewer steps of the quick test (``make test``); the full set is slow-marked.
QUICK_LEVELS_MV = (-100.0, -40.0, 0.0, 20.0)
QUICK_DT_MS = 0.1
STEP_MS = 15.0
CLAMP_DENSITY = 1e-3  # S/cm^2, every channel
CLAMP_CM_UF_CM2 = 1e6  # Arbor's, in the clamp runs only (see the module documentation)
SERIES_RESISTANCE = 1e-6 * Mohm
NEGLIGIBLE = 1e-3
#: The calcium set under voltage clamp: both Ca2+ channels feeding CaDynamics_E2 and the SK
#: channel it drives (S/cm^2).
CALCIUM_SET = {"ca_hva": 1e-3, "ca_lvast": 3e-3, "sk_e2": 1e-2}
CALCIUM_LEVELS_MV = (-60.0, -40.0, -20.0, 0.0, 20.0)
QUICK_CALCIUM_LEVELS_MV = (-40.0, 0.0)
#: Every channel of the library in one compartment (S/cm^2): Hay et al. (2011) somatic densities,
#: plus Im at Hay's apical density and NaTs2_t at a tenth of NaTa_t's, so every channel is in
#: play; CaDynamics_E2 with Hay's somatic gamma and decay.
FULL_SET = {**{k: float(v / S_CM2) for k, v in bbp.HAY_SOMA.items()}, "im": 6.75e-5,
            "nats2_t": 0.204}
SPIKE_V_REST_MV = -75.0
SPIKE_G_LEAK = 3.38e-5  # S/cm^2 (Hay soma)
SPIKE_STEP = (5.0, 25.0, 0.5)  # start ms, duration ms, amplitude nA
SPIKE_DURATION_MS = 30.0


def soma_cell(v_rest_mV: float, g_leak: float = 1e-4) -> Cell:
    """A one-compartment cell (a sphere of :data:`DIAMETER_UM`, area pi d^2) at 34 degC."""
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, DIAMETER_UM]]))
    return Cell(Morphology((soma,)), Cm=1 * uF / cm**2, g_leak=g_leak * S_CM2,
                v_rest=v_rest_mV * mV, celsius=bbp.BBP_CELSIUS, spike_site="soma")


def _arbor_mechanisms(densities: dict[str, float], calcium: dict | None) -> dict:
    mechs = {ar.BBP_ARBOR[k][0]: {ar.BBP_ARBOR[k][1]: g} for k, g in densities.items()}
    if calcium is not None:
        mechs["CaDynamics_E2"] = calcium
    return mechs


def _arbor_index(n: int, dt_ms: float) -> np.ndarray:
    """Arbor's sample for each of cablemodel's ``n`` samples of a sweep at step ``dt_ms``
    (module documentation)."""
    ratio = round(dt_ms / ARBOR_DT_MS)
    return np.concatenate([[0], 1 + ratio * np.arange(n - 1)])


@dataclass
class ClampComparison:
    """Both simulators' recordings as ``levels x samples`` arrays, by cablemodel's names
    (``i_<channel>``, ``i_ca``: mA/cm^2, positive inward; ``cai``: mM), and the relative error of
    each."""

    ours: dict[str, np.ndarray]
    arbor: dict[str, np.ndarray]
    errors: dict[str, float]

    def compared(self, key: str) -> float:
        """The fraction of the samples of ``key`` that are compared (non-negligible)."""
        return float(non_negligible(self.arbor[key]).mean())


def _our_sweeps(cell: Cell, levels: tuple[float, ...], names: list[str], dt_ms: float
                ) -> dict[str, np.ndarray]:
    steps = VoltageSteps(HOLD_MV * mV, np.asarray(levels) * mV, pre=0 * ms, step=STEP_MS * ms,
                         post=0 * ms)
    n = round(STEP_MS / dt_ms)
    with trial_period(STEP_MS):
        r = simulate(cell, [], duration=len(levels) * STEP_MS * ms, dt=dt_ms * ms,
                     clamps=[steps.all_sweeps("soma", SERIES_RESISTANCE)], engine="numpy",
                     record=[f"{name}@soma" for name in names])
    unit = {name: (mM if name == "cai" else MA_CM2) for name in names}
    return {name: np.asarray(r.trace(f"{name}@soma") / unit[name])[: n * len(levels)].reshape(
        len(levels), n) for name in names}


def non_negligible(arbor: np.ndarray) -> np.ndarray:
    """Where ``|arbor|`` is at least :data:`NEGLIGIBLE` times its largest magnitude."""
    return np.abs(arbor) >= NEGLIGIBLE * np.abs(arbor).max()


def relative_error(ours: np.ndarray, arbor: np.ndarray) -> float:
    """Largest ``|ours - arbor| / |arbor|`` where ``arbor`` is :func:`non_negligible`."""
    sel = non_negligible(arbor)
    return float(np.max(np.abs(ours[sel] - arbor[sel]) / np.abs(arbor[sel])))


def channel_clamp(levels: tuple[float, ...] = LEVELS_MV, dt_ms: float = CLAMP_DT_MS
                  ) -> ClampComparison:
    """Every channel but SK_E2 stepped to ``levels`` (mV), cablemodel at step ``dt_ms``, against
    Arbor (one Arbor run per channel and level; calcium at rest, its reversal Nernst's)."""
    names = [k for k in bbp.BBP_CHANNELS if k != "sk_e2"]
    cell = soma_cell(HOLD_MV)
    for name in names:
        cell.paint(bbp.BBP_CHANNELS[name](), "soma", CLAMP_DENSITY * S_CM2)
    ours = _our_sweeps(cell, levels, [f"i_{name}" for name in names], dt_ms)
    n = round(STEP_MS / dt_ms)
    arbor, errors = {}, {}
    for name in names:
        ion = ar.BBP_ARBOR[name][2]
        comp = ar.Compartment(_arbor_mechanisms({name: CLAMP_DENSITY}, None),
                              diameter_um=DIAMETER_UM, cm_uF_cm2=CLAMP_CM_UF_CM2, v_init=HOLD_MV)
        rows = []
        for level in levels:
            run = ar.run(comp, STEP_MS, ARBOR_DT_MS, clamp_mV=level)
            rows.append((run.total if ion is None else run.currents[ion])[_arbor_index(n, dt_ms)])
        arbor[f"i_{name}"] = np.array(rows)
        errors[f"i_{name}"] = relative_error(ours[f"i_{name}"], arbor[f"i_{name}"])
    return ClampComparison(ours, arbor, errors)


def calcium_clamp(levels: tuple[float, ...] = CALCIUM_LEVELS_MV,
                  gamma: float = bbp.HAY_SOMA_CALCIUM["gamma"],
                  decay_ms: float = float(bbp.HAY_SOMA_CALCIUM["decay"] / ms)) -> ClampComparison:
    """Ca_HVA, Ca_LVAst, CaDynamics_E2 (``gamma``, ``decay_ms``; Hay's somatic values by
    default) and SK_E2 together stepped to ``levels`` (mV): the summed Ca2+ current, cai and
    the SK current against Arbor (Arbor's calcium starting at cablemodel's resting cai)."""
    cell = soma_cell(HOLD_MV)
    for name, g in CALCIUM_SET.items():
        cell.paint(bbp.BBP_CHANNELS[name](), "soma", g * S_CM2)
    cell.paint(bbp.CaDynamics_E2(gamma=gamma, decay=decay_ms * ms), "soma")
    ours = _our_sweeps(cell, levels, ["i_ca", "i_sk_e2", "cai"], DT_MS)
    cai0 = float(ours["cai"][0, 0])
    comp = ar.Compartment(_arbor_mechanisms(CALCIUM_SET, {"gamma": gamma, "decay": decay_ms}),
                          diameter_um=DIAMETER_UM,
                          cm_uF_cm2=CLAMP_CM_UF_CM2, v_init=HOLD_MV, cai=cai0)
    n = round(STEP_MS / DT_MS)
    runs = [ar.run(comp, STEP_MS, ARBOR_DT_MS, clamp_mV=level) for level in levels]
    idx = _arbor_index(n, DT_MS)
    arbor = {"i_ca": np.array([r.currents["ca"][idx] for r in runs]),
             "i_sk_e2": np.array([r.currents["k"][idx] for r in runs]),
             "cai": np.array([r.cai[idx] for r in runs])}
    errors = {key: relative_error(ours[key], arbor[key]) for key in arbor}
    return ClampComparison(ours, arbor, errors)


@dataclass
class SpikeComparison:
    """Spike times (ms) of both simulators and the potentials (mV) on cablemodel's samples."""

    ours: np.ndarray
    arbor: np.ndarray
    v_ours: np.ndarray
    v_arbor: np.ndarray
    cai_rest: float

    @property
    def max_error_ms(self) -> float:
        """Largest spike-time difference (ms); infinite if the counts differ."""
        if self.ours.size != self.arbor.size:
            return float("inf")
        return float(np.max(np.abs(self.ours - self.arbor))) if self.ours.size else 0.0


def full_set_cell() -> Cell:
    """The one-compartment cell of the current-clamp comparison (:data:`FULL_SET`)."""
    cell = soma_cell(SPIKE_V_REST_MV, SPIKE_G_LEAK)
    for name, g in FULL_SET.items():
        cell.paint(bbp.BBP_CHANNELS[name](), "soma", g * S_CM2)
    return cell.paint(bbp.CaDynamics_E2(**bbp.HAY_SOMA_CALCIUM), "soma")


def full_set_spikes(arbor_dt_ms: float = DT_MS) -> SpikeComparison:
    """The full set under the current step :data:`SPIKE_STEP` in both simulators (cablemodel at
    :data:`DT_MS`, Arbor at ``arbor_dt_ms``)."""
    cell = full_set_cell()
    start, duration, amp = SPIKE_STEP
    r = simulate(cell, [], duration=SPIKE_DURATION_MS * ms, dt=DT_MS * ms, engine="numpy",
                 clamps=[CurrentClamp("soma", amp * nA, start * ms, (start + duration) * ms)],
                 record=["cai@soma"])
    cai_rest = float(np.asarray(r.trace("cai@soma") / mM)[0])
    e_leak = float(cell.leak_reversal()[0] / mV)
    calcium = {"gamma": bbp.HAY_SOMA_CALCIUM["gamma"],
               "decay": float(bbp.HAY_SOMA_CALCIUM["decay"] / ms)}
    comp = ar.Compartment(_arbor_mechanisms(FULL_SET, calcium), diameter_um=DIAMETER_UM,
                          v_init=SPIKE_V_REST_MV, leak=(SPIKE_G_LEAK, e_leak), cai=cai_rest)
    a = ar.run(comp, SPIKE_DURATION_MS, arbor_dt_ms, iclamp=SPIKE_STEP)
    v_ours = np.asarray(r.v("soma") / mV)
    step = round(DT_MS / arbor_dt_ms)
    return SpikeComparison(np.asarray(r.spikes / ms), a.spikes, v_ours,
                           a.v[::step][: v_ours.size], cai_rest)
