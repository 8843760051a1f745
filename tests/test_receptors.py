"""Receptors and spike trains: conductance normalisation, input validation, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, cm, ms, mV, nS, second, siemens

from cablemodel import (
    AMPA,
    GABA_A,
    Cell,
    Morphology,
    Receptor,
    Section,
    Synapse,
    poisson_train,
    regular_train,
    simulate,
    spike_times,
)


@pytest.mark.parametrize("rec", [AMPA, GABA_A, Receptor("slow", 0 * mV, 5 * ms, 50 * ms)])
def test_peak_conductance_equals_weight(rec):
    t = np.linspace(0, 100, 200001) * ms
    g = rec.conductance(t, 2 * nS)
    assert float(g.max() / nS) == pytest.approx(2.0, rel=1e-6)
    assert float(t[np.argmax(g)] / ms) == pytest.approx(float(rec.peak_time / ms), abs=1e-3)


def test_single_compartment_psp_matches_ode_solution():
    """An isopotential soma: C dV/dt = gL A (EL - V) + g(t) (E - V), with g(t) the analytic
    double exponential, solved by scipy, against the simulated PSP."""
    from scipy.integrate import solve_ivp

    d_um = 20.0
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, d_um]]))
    cell = Cell(Morphology((soma,)), g_leak=1e-4 * siemens / cm**2, spike_site="soma")
    area = np.pi * (d_um * 1e-6) ** 2                       # m^2
    C, gL = 1e-2 * area, 1.0 * area                          # F, S (1 uF/cm2, 1e-4 S/cm2)
    w = 2e-9

    def g(t_s):
        return float(AMPA.conductance((t_s - 2e-3) * second, w * siemens) / siemens)

    sol = solve_ivp(lambda t, v: [(gL * (-0.065 - v[0]) + g(t) * (0.0 - v[0])) / C],
                    (0, 0.03), [-0.065], max_step=1e-5, rtol=1e-9, atol=1e-12)
    r = simulate(cell, [Synapse(AMPA, "soma", w * siemens, spike_times([2] * ms))],
                 duration=30 * ms, dt=0.005 * ms, engine="numpy")
    expected = (sol.y[0].max() + 0.065) * 1e3
    assert float(r.peak("soma") / mV) == pytest.approx(expected, rel=0.01)
    assert expected > 1.0


def test_single_exponential_receptor():
    rec = Receptor("fast", 0 * mV, 0 * ms, 3 * ms)
    assert rec.normalization == 1.0
    assert float(rec.conductance(3 * ms) / nS) == pytest.approx(np.exp(-1))


def test_bad_receptor_parameters():
    with pytest.raises(ValueError, match="tau_rise < tau_decay"):
        Receptor("x", 0 * mV, 5 * ms, 2 * ms)
    with pytest.raises(ValueError, match="identifier"):
        Receptor("not valid", 0 * mV, 1 * ms, 2 * ms)


def test_spike_trains():
    assert np.allclose(regular_train(10 * ms, 5 * ms, 3) / ms, [10, 15, 20])
    a = poisson_train(50 * Hz, 2 * second, seed=3)
    b = poisson_train(50 * Hz, 2 * second, seed=3)
    assert np.array_equal(a, b) and 60 < len(a) < 140
    assert not np.array_equal(a, poisson_train(50 * Hz, 2 * second, seed=4))
    with pytest.raises(ValueError, match=">= 0"):
        spike_times([-1] * ms)


def test_rerun_in_one_session_reuses_names(active_cell):
    """Re-running (as in a notebook) must not fail on duplicate Brian2 object names, even while
    an earlier result is still held."""
    syn = [Synapse(AMPA, "basal@100", 1 * nS, spike_times([2] * ms))]
    first = simulate(active_cell, syn, duration=10 * ms, engine="numpy")
    second = simulate(active_cell, syn, duration=10 * ms, engine="numpy")
    assert np.array_equal(first.v_mV, second.v_mV)


def test_spikes_closer_than_dt_are_refused(active_cell):
    syn = Synapse(AMPA, "basal@100", 1 * nS, spike_times([2, 2.01] * ms))
    with pytest.raises(ValueError, match="closer than dt"):
        simulate(active_cell, [syn], duration=10 * ms)
