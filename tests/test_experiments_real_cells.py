"""The teaching experiments (issue 11) on shared real cells, where the generated-cell tests of
test_experiments_teaching.py, test_experiments_synapses.py and test_experiments_propagation.py
leave one out: summation, E/I cancellation, the IPSP veto, chemical vs electrical synapse,
clearance blockade, D1 vs D2 (the rat dentate granule cell with an added hillock) and collision
(the L2/3 pyramidal cell's own axon). Skip cleanly without ../shared. numpy engine, dt 0.1 ms."""

from pathlib import Path

import numpy as np
import pytest
from brian2 import ms, mV, nS

from cablemodel import Cell, read_swc, standard_cell
from cablemodel.experiments import (
    chemical_vs_electrical,
    clearance_blockade,
    collision,
    d1_vs_d2,
    ei_cancellation,
    inhibition_sites,
    ipsp_veto,
    spatial_summation,
    temporal_summation,
)

SIM = {"engine": "numpy", "dt": 0.1 * ms}
L23 = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies" / "real" / \
    "l23pyr_rat_ssctx_C010398B-P2.CNG.swc"


@pytest.fixture(scope="module")
def granule(granule_morphology):
    return Cell(granule_morphology)


@pytest.fixture(scope="module")
def granule_active(granule_morphology):
    return standard_cell(granule_morphology)


@pytest.fixture(scope="module")
def spatial_real(granule_active):
    return spatial_summation(granule_active, n_max=12, weight=2 * nS, period=40 * ms, **SIM)


def test_real_cell_spatial_summation_adds_up_to_a_spike(spatial_real, granule_active):
    """More simultaneous EPSPs, a larger hillock peak, until the cell fires; every volley from
    the threshold volley on fires."""
    out = spatial_real
    n = out.n_to_fire
    assert n is not None and n > 1, out.sentence()
    peaks = [float(out.trials.peak(k, granule_active.spike_site) / mV) for k in range(n - 1)]
    assert np.all(np.diff(peaks) > 0) and peaks[0] > 0
    assert all(s == 0 for s in out.spikes[:n - 1]) and all(s >= 1 for s in out.spikes[n - 1:])


def test_real_cell_temporal_summation_needs_short_intervals(granule_active, spatial_real):
    """A train of EPSPs fires when the intervals are short and not when they are long (the EPSP
    has decayed before the next one comes)."""
    weight = 2 * nS * spatial_real.n_to_fire / 2  # half the threshold volley's conductance
    out = temporal_summation(granule_active, weight=weight, n_spikes=5, intervals=[0.5, 20] * ms,
                             period=140 * ms, **SIM)
    assert out.fires == (True, False), out.sentence()


def test_real_cell_inhibition_on_the_path_cancels_more(granule):
    """GABA_A between the EPSP and the soma (the default site) removes a good part of the EPSP;
    the same inhibition off the path (another dendrite, similar distance) much less."""
    on = ei_cancellation(granule, **SIM)
    off = ei_cancellation(granule, inhibitory=inhibition_sites(granule).off_path, **SIM)
    assert 0 < on.ratio < 0.8
    assert on.ratio < off.ratio


def test_real_cell_ipsp_vetoes_the_spike(granule_active, spatial_real):
    n = spatial_real.n_to_fire
    out = ipsp_veto(granule_active, n, weight=2 * nS, ipsp_weight=30 * nS, **SIM)
    assert out.fires_without_ipsp and not out.fires_with_ipsp, out.sentence()
    assert out.vetoes


@pytest.mark.slow
def test_real_cell_chemical_vs_electrical(granule_morphology, granule):
    """Delay, sign and direction between two granule cells (the presynaptic one with HH)."""
    pair = chemical_vs_electrical(standard_cell(granule_morphology), granule, window=25 * ms, **SIM)
    assert pair.chemical_delay_ms - pair.electrical_delay_ms > 1.0
    assert pair.chemical_mV > 0 > pair.inhibitory_mV
    assert pair.electrical_mV > 0
    # nothing crosses backwards (the presynaptic cell's own drift from rest: 4e-9 mV)
    assert abs(pair.chemical_backward_mV) < 1e-6 and abs(pair.rectifying_backward_mV) < 1e-6
    assert pair.electrical_backward_mV > 0


def test_real_cell_clearance_blockade_follows_the_cleft_rates(granule):
    out = clearance_blockade(granule, **SIM)
    assert out.prolongation == pytest.approx(out.predicted_prolongation, rel=2e-2)
    assert out.v_blocked[1] > out.v_normal[1]  # the longer conductance gives a larger EPSP


@pytest.mark.slow
def test_real_cell_d1_depolarises_d2_hyperpolarises(granule):
    out = d1_vs_d2(granule, duration=500 * ms, engine="numpy", dt=0.5 * ms)
    assert out.peak_mV["d1"] > 0 > out.peak_mV["d2"]
    assert out.time_to_peak_ms["d1"] > 20 * out.time_to_peak_ms["ampa"]


@pytest.mark.slow
def test_real_axon_collision():
    """The L2/3 cell's own axon with squid HH: one spike per site in every condition, and the
    two spikes started at both ends meet between them."""
    if not L23.is_file():
        pytest.skip(f"shared test morphology not found at {L23}")
    cell = standard_cell(read_swc(L23)[0], spike_site="soma")
    out = collision(cell, n_sites=5, period=12 * ms, engine="numpy", dt=0.05 * ms)
    for condition in ("middle", "one end", "both ends"):
        assert set(out.counts(condition)) == {1}, (condition, out.counts(condition))
    lo, hi = out.distances_um[0], out.distances_um[-1]
    assert out.collision_um is not None and lo < out.collision_um < hi
