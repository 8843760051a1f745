"""The mechanism language in the engine: states integrated only where their mechanism is painted
(same traces as the reference formulation), an exact resting state for any mix of mechanisms,
calcium influx and decay against the analytic solution, Nernst E_Ca following cai, SK gates
opening with cai, GHK currents, and the refusals (linearized impedance, NEURON export)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brian2 import Hz, Mohm, cm, ms, mV, nA, second, siemens, um

from cablemodel import (
    CalciumDynamics,
    Cell,
    Channel,
    CurrentClamp,
    Gate,
    HHPotassium,
    HHSodium,
    Step,
    VoltageClamp,
    ball_and_stick,
    impedance,
    simulate,
)
from cablemodel.mechanisms.ions import FARADAY, GAS_CONSTANT
from cablemodel.simulation.assembly import CellSpec

S = siemens / cm**2
CELSIUS = 34.0
DT = 0.05 * ms


def _kx():  # an inf/tau K+ channel with a piecewise time constant
    return Channel("kx", -85 * mV, (Gate("m", 1, inf="1/(1 + exp(-(V + 50)/8))",
                                         tau="(V < -40)*5 + (V >= -40)*2"),),
                   q10=2.3, reference_celsius=21.0, ion="k")


def _cal():  # a Ca2+ channel with a Nernst reversal
    return Channel("cal", "nernst", (Gate("m", 2, inf="1/(1 + exp(-(V + 20)/5))", tau="0.5"),
                                     Gate("h", 1, inf="1/(1 + exp((V + 40)/7))", tau="30")),
                   q10=2.3, reference_celsius=21.0, ion="ca")


def _cat():  # a Ca2+ channel with a GHK current
    return Channel("cat", "nernst", (Gate("m", 2, "0.5*exp((V + 30)/10)", "0.5*exp(-(V + 30)/10)"),),
                   q10=2.3, reference_celsius=21.0, ion="ca", current="ghk")


def _sk():  # an SK-type gate of cai alone
    return Channel("sk", -85 * mV, (Gate("z", 1, inf="cai**4.8/(cai**4.8 + 0.00043**4.8)",
                                         tau="1"),), q10=2.3, reference_celsius=21.0, ion="k")


def mix_cell() -> Cell:
    """18 compartments: HH spikes at soma and hillock, the inf/tau K+ on the dendrite, Ca2+
    channels, SK and calcium dynamics (two parameter sets) on soma and hillock."""
    cell = Cell(ball_and_stick(dendrite_length=300 * um, axon_length=100 * um,
                               max_compartment_length=30 * um), celsius=CELSIUS)
    cell.paint(HHSodium(), "hillock", 0.5 * S).paint(HHPotassium(), "hillock", 0.1 * S)
    cell.paint(HHSodium(), "soma", 0.05 * S).paint(HHPotassium(), "soma", 0.03 * S)
    cell.paint(_kx(), "basal", 2e-3 * S)
    cell.paint(_cal(), "soma", 2e-2 * S).paint(_cal(), "hillock", 1e-3 * S)
    cell.paint(_cat(), "hillock", 1e-4 * cm / second)
    cell.paint(_sk(), "soma", 5e-3 * S)
    cell.paint(CalciumDynamics(), "soma")
    cell.paint(CalciumDynamics(decay=20 * ms, gamma=0.02), "hillock")
    return cell


MIX_RECORD = ["all", "cai@all", "i_ca@all", "z_sk@all", "m_kx@all", "m_cal@all", "h_cal@all",
              "m_cat@all", "i_cal@soma", "m_na@all", "n_k@all", "i_cat@all"]


@pytest.fixture(scope="module")
def mix():
    cell = mix_cell()
    kw = dict(duration=25 * ms, dt=DT, engine="numpy", record=MIX_RECORD,
              clamps=[CurrentClamp("soma", 3 * nA, 2 * ms, 20 * ms)])
    return cell, simulate(cell, **kw), simulate(cell, integrate_gates_everywhere=True, **kw)


def test_restricted_states_equal_the_reference_formulation(mix):
    cell, fast, ref = mix
    assert fast.spikes.size >= 1  # the run does something
    assert np.abs(fast.v_mV - ref.v_mV).max() < 1e-6  # mV
    for name in fast.recorded:
        a, b = fast.recorded[name].values, ref.recorded[name].values
        scale = max(np.abs(b).max(), 1e-30)
        assert np.abs(a - b).max() <= 1e-9 * scale, name
    assert fast.info["gated_compartments"] == cell.active_compartments.size < len(cell.table)
    # the states exist where painted only
    assert fast.recorded["cai"].compartments.tolist() == [0, 1]  # soma, hillock
    assert fast.recorded["m_kx"].compartments.tolist() == np.flatnonzero(
        cell.table.region == "basal").tolist()


def test_one_mechanism_per_block_group():
    spec = CellSpec("cell", mix_cell(), [], [], [], [], {})
    region = spec.cell.table.region
    basal = np.flatnonzero(region == "basal")
    blocks = spec.mechanism_blocks()
    assert blocks == {"na": [(0, 2)], "k": [(0, 2)], "kx": [(int(basal[0]), int(basal[-1]) + 1)],
                      "cal": [(0, 2)], "cat": [(1, 2)], "sk": [(0, 1)], "cai": [(0, 2)]}
    assert region[1] == "hillock" and spec.gate_blocks() == [(0, 2), blocks["kx"][0]]
    # the generated code does not depend on the densities or parameter values
    other = mix_cell().paint(_cal(), "soma", 3e-2 * S).paint(CalciumDynamics(decay=50 * ms), "soma")
    assert CellSpec("cell", other, [], [], [], [], {}).key() == spec.key()


def test_calcium_rises_with_spikes_and_sk_follows(mix):
    _, fast, _ = mix
    cai = fast.recorded["cai"]
    soma = cai.values[list(cai.labels).index("soma")]
    assert soma.max() > 3 * soma[0]
    z = fast.recorded["z_sk"].values[0]
    # tau_z = 1 ms / phi: z tracks its steady state of the cai trace within a few percent
    inf = soma**4.8 / (soma**4.8 + 0.00043**4.8)
    assert z.max() > 20 * z[0]
    late = slice(len(z) // 2, None)
    np.testing.assert_allclose(z[late], inf[late], rtol=0.05, atol=1e-3)


def test_nernst_reversal_follows_cai(mix):
    cell, fast, _ = mix
    cai = fast.recorded["cai"].values[0]  # soma
    m, h = fast.recorded["m_cal"].values[0], fast.recorded["h_cal"].values[0]
    v = fast.v_mV[fast.labels.index("soma")] * 1e-3
    e_ca = GAS_CONSTANT * (CELSIUS + 273.15) / (2 * FARADAY) * np.log(2.0 / cai)
    g = 2e-2 * 1e4  # S/m^2
    i = g * m**2 * h * (e_ca - v) * 0.1  # mA/cm^2
    np.testing.assert_allclose(fast.recorded["i_cal"].values[0], i, rtol=1e-9, atol=1e-15)
    assert e_ca.max() - e_ca.min() > 5e-3  # E_Ca moved by more than 5 mV


def _assert_at_rest(r, v_tol_mV: float, state_rtol: float) -> None:
    assert np.abs(r.v_mV - -65.0).max() < v_tol_mV
    for name, trace in r.recorded.items():
        drift = np.abs(trace.values - trace.values[:, :1]).max()
        assert drift <= state_rtol * max(np.abs(trace.values).max(), 1e-12), name


def test_resting_state_is_exact_for_the_mix():
    """No net membrane current anywhere at the start (the leak absorbs every resting current,
    cai at its own steady state), so nothing moves but the round-off of Brian2's numpy cable
    solver (a passive cell drifts by 9e-7 mV in it; see the standalone test below for 1e-9)."""
    cell = mix_cell()
    r = simulate(cell, duration=100 * ms, dt=0.1 * ms, engine="numpy",
                 record=[*MIX_RECORD, "Im@all"], record_dt=1 * ms)
    assert np.abs(r.recorded["Im"].values[:, 0]).max() < 1e-15  # mA/cm^2, every compartment
    del r.recorded["Im"]
    _assert_at_rest(r, v_tol_mV=1e-7, state_rtol=1e-7)
    assert np.abs(r.recorded["cai"].values - r.recorded["cai"].values[:, :1]).max() < 1e-9 * 1e-4
    assert r.recorded["cai"].values[0, 0] > 1.001e-4  # the soma's resting influx raises cai


@pytest.mark.slow
def test_resting_state_is_exact_for_the_mix_standalone():
    """With the Hines solver (cpp_standalone) every state is constant to 1e-9 over 100 ms
    (measured: v 1.4e-14 mV, states 2e-16 relative)."""
    r = simulate(mix_cell(), duration=100 * ms, dt=0.1 * ms, engine="cpp_standalone",
                 record=MIX_RECORD, record_dt=1 * ms)
    _assert_at_rest(r, v_tol_mV=1e-9, state_rtol=1e-9)


# -- calcium dynamics against the analytic solution ------------------------------------------------
def _clamp_cell(g_caf=1e-3 * S, gamma=0.05):
    cell = Cell(ball_and_stick(dendrite_length=100 * um, axon_length=50 * um,
                               max_compartment_length=50 * um))
    caf = Channel("caf", 120 * mV, (Gate("m", 1, inf="(V > -40)*1", tau="0.001"),), ion="ca")
    cell.paint(caf, "soma", g_caf)
    cell.paint(CalciumDynamics(gamma=gamma, decay=20 * ms, depth=0.2 * um), "soma")
    cell.paint(_sk(), "soma", 1e-4 * S)
    return cell, caf


@pytest.fixture(scope="module")
def clamped():
    """A voltage-clamped soma carrying a Ca2+ channel of fixed reversal (+120 mV) that is open
    above -40 mV and shut below (an instantaneous gate): i_ca = g (E - V) is constant while V is
    held at -20 mV and zero at rest, so cai relaxes exponentially both ways."""
    cell, _ = _clamp_cell()
    clamp = VoltageClamp("soma", -65 * mV, Step(45 * mV, 10 * ms, 60 * ms), 1e-4 * Mohm)
    r = simulate(cell, duration=100 * ms, dt=DT, clamps=[clamp], engine="numpy",
                 record=["cai@soma", "i_ca@soma", "z_sk@soma"])
    return cell, r


def _relax(c_start, c_inf, t, decay):
    return c_inf + (c_start - c_inf) * np.exp(-t / decay)


def test_calcium_influx_and_decay_match_the_analytic_solution(clamped):
    """cai(t) = c_inf + (c0 - c_inf) exp(-t/decay), c_inf = minimum + decay gamma i/(2 F depth).
    Timing: the clamp moves v in the step from 10 ms, the gate opens in the next step, and from
    the step after (10 ms + 2 dt) cai integrates the current; switching off, the last step still
    carries the open channel at -65 mV, then cai decays to the minimum."""
    cell, r = clamped
    t, dt = r.t_ms, float(DT / ms)
    cai = r.recorded["cai"].values[0]
    factor, decay = 0.05 / (2 * FARADAY * 0.2e-6), 20.0  # mM/s per A/m^2; ms
    c0 = float(cell.resting_concentrations()["cai"][0])
    assert c0 == 1e-4  # no current at rest: exactly the minimum
    g = 1e-3 * 1e4  # S/m^2
    c_inf = 1e-4 + decay * 1e-3 * factor * g * (120 - -20) * 1e-3
    t_on = 10 + 2 * dt
    on = (t >= t_on) & (t <= 60 + dt)
    np.testing.assert_allclose(cai[on], _relax(c0, c_inf, t[on] - t_on, decay), rtol=1e-5)
    last = _relax(c0, c_inf, 60 + dt - t_on, decay)  # at 60 ms + dt, then one step at -65 mV
    c_off = _relax(last, 1e-4 + decay * 1e-3 * factor * g * (120 - -65) * 1e-3, dt, decay)
    off = t >= 60 + 2 * dt
    np.testing.assert_allclose(cai[off], _relax(c_off, c0, t[off] - 60 - 2 * dt, decay), rtol=1e-5)
    # i_ca is positive (inward) while the channel is open, and cai rises with it
    i_ca = r.recorded["i_ca"].values[0] * 10  # A/m^2
    inside = (t > t_on) & (t < 60)
    np.testing.assert_allclose(i_ca[inside], g * 0.14, rtol=1e-5)
    assert np.all(i_ca >= 0) and np.all(i_ca[t < 10] == 0)
    assert cai.max() > 100 * c0


def test_sk_gate_opens_with_cai_under_clamp(clamped):
    _, r = clamped
    cai, z = r.recorded["cai"].values[0], r.recorded["z_sk"].values[0]
    inf = cai**4.8 / (cai**4.8 + 0.00043**4.8)
    held = (r.t_ms > 45) & (r.t_ms < 60)  # 10 time constants (1 ms / phi = 3.4 ms) after onset
    assert z[0] < 0.01 and z[held].min() > 0.99
    np.testing.assert_allclose(z[held], inf[held], atol=1e-4)


# -- refusals and the small-signal formula ---------------------------------------------------------
def _one_compartment(channel, density):
    cell = Cell(ball_and_stick(dendrite_length=10 * um, dendrite_diameter=0.1 * um,
                               axon_length=10 * um, axon_diameter=0.1 * um,
                               hillock_length=1 * um, hillock_diameter=0.1 * um,
                               max_compartment_length=10 * um))
    return cell.paint(channel, "soma", density)


def test_linearized_impedance_of_an_inf_tau_channel():
    """On the soma: the channel adds to the input admittance exactly its small-signal admittance
    g m + g (V - E) inf'(V)/(1 + j w tau) per area (the neurites' load is the same with the
    channel removed)."""
    ch = Channel("kinf", -85 * mV, (Gate("m", 1, inf="1/(1 + exp(-(V + 60)/6))", tau="8"),))
    cell = _one_compartment(ch, 1e-3 * S)
    freqs = [0, 10, 100]
    lin = impedance(cell, "soma", freqs * Hz)
    removed = impedance(cell, "soma", freqs * Hz, channels="removed")
    area = cell.table.brian2_values()["area_"][0]
    v, g, phi = -65.0, 10.0, ch.phi(6.3)  # mV, S/m^2
    m = 1 / (1 + math.exp(-(v + 60) / 6))
    slope = m * (1 - m) / 6 * 1e3  # d inf/dV, 1/V

    def admittance(res):
        z = np.asarray(res.input_impedance[:, 0] / Mohm) * 1e6 * np.exp(1j * res.input_phase[:, 0])
        return 1 / z

    for k, f in enumerate(freqs):
        w = 2 * math.pi * f
        y = g * m + g * (v - -85) * 1e-3 * slope / (1 + 1j * w * 8e-3 / phi)
        got = (admittance(lin)[k] - admittance(removed)[k]) / area
        assert abs(got - y) < 1e-5 * abs(y), f
    assert lin.input_impedance[1, 0] != lin.input_impedance[2, 0]


def test_impedance_of_a_ghk_channel():
    """Frozen: the slope of the GHK current at rest, P perm dI/dV of the textbook equation;
    linearized adds its gate's response through the current with the gate open."""
    ch = _cat()
    cell = _one_compartment(ch, 1e-4 * cm / second)
    freqs = [0, 100]
    area = cell.table.brian2_values()["area_"][0]
    removed = impedance(cell, "soma", freqs * Hz, channels="removed")

    def admittance(res):
        z = np.asarray(res.input_impedance[:, 0] / Mohm) * 1e6 * np.exp(1j * res.input_phase[:, 0])
        return 1 / z - 1 / (np.asarray(removed.input_impedance[:, 0] / Mohm) * 1e6
                            * np.exp(1j * removed.input_phase[:, 0]))

    rtf = GAS_CONSTANT * (6.3 + 273.15) / (2 * FARADAY)
    perm, ci, co = 1e-6, 1e-4, 2.0  # m/s, mM

    def ghk(v):  # textbook, positive inward, per open permeability (V -> A/m^2)
        u = v / rtf
        return perm * 2 * FARADAY * u * (co * np.exp(-u) - ci) / -np.expm1(-u)

    v, h = -65e-3, 1e-6
    a, b = (0.5 * math.exp(x * (-65 + 30) / 10) for x in (1, -1))
    m = a / (a + b)
    slope_i = (ghk(v + h) - ghk(v - h)) / (2 * h)
    frozen = admittance(impedance(cell, "soma", freqs * Hz, channels="frozen")) / area
    np.testing.assert_allclose(frozen, -m**2 * slope_i, rtol=1e-6)
    dm = m * (1 - m) / 5 * 1e3  # d m_inf / dV (1/V) of these rates
    tau = 1 / (a + b) * 1e-3 / ch.phi(6.3)
    lin = admittance(impedance(cell, "soma", freqs * Hz)) / area
    for k, f in enumerate(freqs):
        want = -m**2 * slope_i - 2 * m * ghk(v) * dm / (1 + 2j * math.pi * f * tau)
        assert abs(lin[k] - want) < 1e-5 * abs(want)


def test_linearized_impedance_refuses_concentration_dependence():
    with pytest.raises(ValueError, match="use channels='frozen'"):
        impedance(_one_compartment(_sk(), 1e-3 * S))
    cell = _one_compartment(_cal(), 1e-3 * S).paint(CalciumDynamics(), "soma")
    with pytest.raises(ValueError, match="calcium dynamics"):
        impedance(cell)
    frozen = impedance(cell, channels="frozen")
    removed = impedance(cell, channels="removed")
    assert frozen.input_impedance[0] < removed.input_impedance[0]


def test_neuron_export_refuses_other_channels():
    from cablemodel.io.neuron import to_neuron

    with pytest.raises(ValueError, match="cannot be exported to NEURON"):
        to_neuron(_one_compartment(_kx(), 1e-3 * S))
    cell = Cell(ball_and_stick()).paint(CalciumDynamics(), "soma")
    with pytest.raises(ValueError, match="calcium dynamics"):
        to_neuron(cell)


def test_trials_reset_calcium_and_its_gates():
    """Back-to-back trials (cablemodel.sweeps.run_trials) restore cai and the gates reading it:
    the second trial repeats the first, although cai (decay 20 ms) has not relaxed by then."""
    from brian2 import nS

    from cablemodel import AMPA, Synapse, spike_times
    from cablemodel.sweeps import Trial, run_trials

    cell, _ = _clamp_cell(2e-5 * S, gamma=1.0)  # too little Ca2+ current for a plateau
    trial = Trial([Synapse(AMPA, "soma", 20 * nS, spike_times([1] * ms))])
    ts = run_trials(cell, [trial, trial], period=30 * ms, dt=DT, engine="numpy",
                    record=["cai@soma", "z_sk@soma"], rest_tolerance=10 * mV)
    n = int(round(30 / float(DT / ms)))
    cai = ts.result.recorded["cai"].values[0]
    assert cai[:n].max() > 10 * cai[0] and cai[n - 1] > 2 * cai[0]  # not back at rest yet
    for values in (ts.result.v_mV, ts.result.recorded["cai"].values,
                   ts.result.recorded["z_sk"].values):
        np.testing.assert_allclose(values[:, n:2 * n], values[:, :n], rtol=1e-9, atol=1e-12)
