"""The seeds' claims on the default active cell: EPSPs depolarize and IPSPs hyperpolarize, they
attenuate with distance, sum to threshold at the hillock, where the spike starts, and inhibition
prevents it."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import ms, mV, nS, um

from cablemodel import AMPA, GABA_A, Synapse, simulate, spike_times
from cablemodel.experiments import attenuation, ipsp_veto, volley


@pytest.fixture(scope="module")
def psp_rows(active_cell):
    rows, ts = attenuation(active_cell, [25, 100, 200, 400, 600, 800] * um)
    return rows, ts


def test_epsp_depolarizes_ipsp_hyperpolarizes(active_cell):
    syns = [Synapse(AMPA, "basal@150", 1 * nS, spike_times([5] * ms)),
            Synapse(GABA_A, "basal@300", 2 * nS, spike_times([5] * ms))]
    r = simulate(active_cell, syns, duration=40 * ms)
    assert float(r.peak("basal@150") / mV) > 2.0          # local EPSP, mV above rest
    assert float(r.peak("basal@300") / mV) < -0.5         # local IPSP below rest (E_Cl = -75 mV)
    # each alone at the hillock
    e = simulate(active_cell, syns[:1], duration=40 * ms)
    i = simulate(active_cell, syns[1:], duration=40 * ms)
    assert float(e.peak("hillock") / mV) > 0.5
    assert float(i.peak("hillock") / mV) < -0.05
    # an IPSP cannot push the membrane below its reversal potential
    assert i.v_mV.min() > -75.0


def test_hillock_epsp_decreases_monotonically_with_distance(psp_rows):
    rows, _ = psp_rows
    hill = np.array([r["hillock_peak_mV"] for r in rows])
    local = np.array([r["local_peak_mV"] for r in rows])
    assert np.all(np.diff(hill) < 0), hill
    assert np.all(local > hill)                            # attenuation on the way
    assert hill[0] > 2.0 and hill[-1] < 0.2                # mV: 25 um vs 800 um


def test_single_epsp_is_subthreshold(spatial):
    assert spatial.spikes[0] == 0


def test_summation_fires_and_spike_starts_at_hillock(spatial, n_to_fire, active_cell):
    assert all(s == 0 for s in spatial.spikes[: n_to_fire - 1])
    assert all(s == 1 for s in spatial.spikes[n_to_fire - 1:])   # one spike per volley
    ts = spatial.trials
    k = n_to_fire - 1
    thr = active_cell.spike_threshold
    t_hill = ts.result.crossing_time("hillock", thr, *ts.window(k))
    t_soma = ts.result.crossing_time("soma", thr, *ts.window(k))
    t_dend = ts.result.crossing_time("basal@50[dend]", thr, *ts.window(k))
    assert t_hill is not None and t_soma is not None
    assert float((t_soma - t_hill) / ms) > 0.025           # hillock leads the soma by > 1 dt
    assert t_dend is None or t_dend > t_soma
    assert ts.first_crossing(k, thr) == "hillock"
    # the axon follows: the spike propagates away from the hillock
    assert ts.result.crossing_time("axon@50", thr, *ts.window(k)) > t_hill


def test_ipsp_prevents_the_spike(active_cell, n_to_fire):
    out = ipsp_veto(active_cell, n_to_fire, far=300 * um)
    assert out.fires_without_ipsp is True
    assert out.fires_with_ipsp is False


def test_all_or_none_spike_amplitude(active_cell, n_to_fire):
    just = volley(active_cell, n_to_fire, 50 * um, 300 * um, "basal", 1 * nS)
    triple = volley(active_cell, n_to_fire, 50 * um, 300 * um, "basal", 3 * nS)
    a = simulate(active_cell, just, duration=30 * ms)
    b = simulate(active_cell, triple, duration=30 * ms)
    assert len(a.spikes_ms) == len(b.spikes_ms) == 1
    peak_a, peak_b = a.v("hillock").max(), b.v("hillock").max()
    assert float(peak_a / mV) > 20
    assert abs(float((peak_a - peak_b) / mV)) < 2.0
    assert b.spikes_ms[0] < a.spikes_ms[0]                 # stronger input, earlier spike


def test_refractory_period(active_cell, n_to_fire):
    syns = volley(active_cell, n_to_fire, 50 * um, 300 * um, "basal", 1 * nS)
    first = simulate(active_cell, syns, duration=20 * ms)
    t_spike = float(first.spikes_ms[0])
    results = {}
    for delay in (1.5, 20.0):
        t2 = t_spike + delay
        second = [Synapse(s.receptor, s.site, s.weight, spike_times([5, t2] * ms)) for s in syns]
        r = simulate(active_cell, second, duration=(t2 + 20) * ms)
        results[delay] = len(r.spikes_ms)
    assert results[1.5] == 1        # second input during the refractory period fails
    assert results[20.0] == 2       # 20 ms later it succeeds


def test_restricted_gating_matches_all_compartment_formulation(active_cell, n_to_fire):
    syns = volley(active_cell, n_to_fire + 1, 50 * um, 300 * um, "basal", 1 * nS)
    fast = simulate(active_cell, syns, duration=25 * ms, record="all")
    ref = simulate(active_cell, syns, duration=25 * ms, record="all",
                   integrate_gates_everywhere=True)
    assert len(fast.spikes_ms) == 1
    assert np.abs(fast.v_mV - ref.v_mV).max() < 0.1       # mV, every compartment, whole spike
    assert fast.info["gated_compartments"] < 0.2 * ref.info["gated_compartments"]


def test_several_synapses_on_one_compartment_keep_their_own_state(active_cell):
    """Two synapses on one compartment, spiking at different times, each with its own conductance
    time course: the response equals that of one synapse receiving both spikes (linear
    conductances), and differs from one synapse receiving only the first."""
    both = [Synapse(AMPA, "basal@200", 1 * nS, spike_times([5] * ms)),
            Synapse(AMPA, "basal@200", 2 * nS, spike_times([7] * ms))]
    r = simulate(active_cell, both, duration=30 * ms)
    alone = simulate(active_cell, both[:1], duration=30 * ms)
    assert r.peak("basal@200") > alone.peak("basal@200") + 1 * mV
    r3 = simulate(active_cell, [Synapse(AMPA, "basal@200", 3 * nS, spike_times([5] * ms))],
                  duration=30 * ms)
    # 1 nS at 5 ms + 2 nS at 5 ms would equal 3 nS at 5 ms: check exact superposition
    same_time = [Synapse(AMPA, "basal@200", 1 * nS, spike_times([5] * ms)),
                 Synapse(AMPA, "basal@200", 2 * nS, spike_times([5] * ms))]
    r12 = simulate(active_cell, same_time, duration=30 * ms)
    assert np.abs(r12.v_mV - r3.v_mV).max() < 1e-9
