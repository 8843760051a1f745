"""Synapse and ion experiments (issue 11): chemical vs electrical synapse (delay, sign,
direction), clearance blockade (conductance tail against the cleft rates), dopamine on D1 vs
D2, reversal potential vs concentration (voltage clamp against Nernst). Small ball-and-stick
cells (12 compartments), numpy engine; one test on a shared real cell."""

from dataclasses import replace

import matplotlib
import numpy as np
import pytest
from brian2 import mM, ms, mV, um

matplotlib.use("Agg")

from cablemodel import Cell, ball_and_stick, read_swc, standard_cell  # noqa: E402
from cablemodel.experiments import (  # noqa: E402
    chemical_vs_electrical,
    clearance_blockade,
    d1_vs_d2,
    nernst_slope,
    reversal_vs_concentration,
)
from cablemodel.mechanisms.ions import Ions, nernst  # noqa: E402
from cablemodel.mechanisms.receptors import GLUTAMATE, ampa  # noqa: E402

SMALL = dict(dendrite_length=300 * um, axon_length=100 * um, max_compartment_length=50 * um)


@pytest.fixture(scope="module")
def passive():
    return Cell(ball_and_stick(**SMALL))


@pytest.fixture(scope="module")
def pair(passive):
    """An active presynaptic cell (squid HH), passive postsynaptic copies."""
    return chemical_vs_electrical(standard_cell(ball_and_stick(**SMALL)), passive,
                                  window=25 * ms, engine="numpy", dt=0.1 * ms)


def test_chemical_synapse_has_a_delay_the_gap_junction_none(pair):
    # onset (10 % of the peak) after the presynaptic crossing: chemical = connection delay
    # (1 ms) + the AMPA rise; the gap junction passes the depolarisation as it happens
    assert pair.delay_ms == 1.0
    assert pair.post_spikes == {"chem": 0, "inhib": 0, "gap": 0, "rect": 0}  # passive copies
    assert 1.0 < pair.chemical_delay_ms < 1.6
    assert 1.0 < pair.inhibitory_delay_ms < 2.5
    assert pair.electrical_delay_ms < 0.2
    assert pair.chemical_delay_ms - pair.electrical_delay_ms > 1.0


def test_only_the_chemical_synapse_inverts_the_sign(pair):
    assert pair.chemical_mV > 0.5
    assert pair.inhibitory_mV < -0.5  # the presynaptic spike hyperpolarises through GABA_A
    assert pair.electrical_mV > 0.5  # the gap junction follows the spike's sign ...
    assert pair.pre_at_trough_mV < 0 and pair.electrical_trough_mV < 0  # ... and its AHP
    assert np.min(pair.pre_mV) < -5  # the squid HH afterhyperpolarisation


def test_only_the_plain_gap_junction_transmits_backwards(pair):
    assert pair.chemical_backward_mV == 0.0
    assert pair.rectifying_backward_mV == 0.0
    assert pair.electrical_backward_mV > 0.5
    assert pair.rectifying_forward_mV > 0.5  # the rectifier does pass from pre to post


def test_pair_plot_draws_the_result_arrays(pair):
    ax = pair.plot()
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), pair.chemical_trace_mV)
    np.testing.assert_array_equal(lines[1].get_ydata(), pair.inhibitory_trace_mV)
    np.testing.assert_array_equal(lines[2].get_ydata(), pair.electrical_trace_mV)
    assert "(ms)" in ax.get_xlabel() and "(mV from rest)" in ax.get_ylabel()
    assert f"{pair.chemical_delay_ms:.2f} ms" in ax.get_title()


@pytest.fixture(scope="module")
def fast_unbinding(passive):
    """Unbinding (5/ms) faster than clearance: the cleft sets the conductance's tail."""
    rec = replace(ampa(cleft=GLUTAMATE), name="fast", beta=5 / ms)
    return clearance_blockade(passive, rec, engine="numpy", dt=0.1 * ms)


def test_blocked_reuptake_prolongs_the_conductance_by_the_cleft_rates(fast_unbinding):
    out = fast_unbinding
    assert (out.k_total_normal, out.k_total_blocked) == pytest.approx((1.0, 0.3))
    # tail of g = A exp(-k t) + B exp(-beta t) fitted from 1 % to 0.01 % of the peak: the
    # beta term (5/ms) is gone there, so tau = 1/k_total to the fit's rounding (measured
    # 1.0003 and 3.3343 ms)
    assert out.tau_normal == pytest.approx(1 / out.k_total_normal, rel=2e-3)
    assert out.tau_blocked == pytest.approx(1 / out.k_total_blocked, rel=2e-3)
    assert out.prolongation == pytest.approx(out.k_total_normal / out.k_total_blocked, rel=3e-3)
    # the same receptor number: a larger, longer conductance and EPSP
    assert out.g_normal[0] == pytest.approx(1.0, rel=5e-3)  # 1.003: the 0.1 ms step
    assert out.g_blocked[0] > out.g_normal[0]
    assert out.v_blocked[1] > out.v_normal[1] and out.v_blocked[2] > 2 * out.v_normal[2]


def test_ampa_tail_is_set_by_the_slower_of_unbinding_and_clearance(passive):
    out = clearance_blockade(passive, engine="numpy", dt=0.1 * ms)
    # beta = 0.5/ms: normal clearance (1/ms) is faster, so the tail is 1/beta = 2 ms; blocked
    # (0.3/ms) it is 1/k_total = 3.33 ms. The other term decays (beta - k) = 0.2/ms faster: at
    # the fit window it still adds ~1 % to the measured time constant (measured 3.368 ms)
    assert out.predicted_tau_normal == pytest.approx(2.0)
    assert out.tau_normal == pytest.approx(2.0, rel=5e-3)
    assert out.tau_blocked == pytest.approx(1 / 0.3, rel=2e-2)
    assert out.prolongation == pytest.approx(out.predicted_prolongation, rel=2e-2)
    ax = out.plot()
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), out.g_blocked_nS)
    assert "(nS)" in ax.get_ylabel() and f"x{out.prolongation:.2f}" in ax.get_title()


def test_clearance_refuses_a_missing_pathway(passive):
    with pytest.raises(ValueError, match="no enzyme pathway"):
        clearance_blockade(passive, block="enzyme")


@pytest.fixture(scope="module")
def dopamine(passive):
    return d1_vs_d2(passive, duration=500 * ms, engine="numpy", dt=0.5 * ms)


def test_d1_depolarises_d2_hyperpolarises_slowly(dopamine):
    out = dopamine
    assert out.reversal_mV["d1"] > -65 > out.reversal_mV["d2"]
    assert out.peak_mV["d1"] > 0.5 and out.peak_mV["d2"] < -0.5
    # the same cascade: the same time course (measured 114.5 ms to peak, half-width ~307 ms)
    assert out.time_to_peak_ms["d1"] == pytest.approx(out.time_to_peak_ms["d2"], abs=1.0)
    assert 80 < out.time_to_peak_ms["d1"] < 160
    assert out.half_width_ms["d1"] > 150
    assert out.time_to_peak_ms["ampa"] < 5 and out.slowing > 20
    ax = out.plot()
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), out.d2_mV)
    assert "(mV from rest)" in ax.get_ylabel() and "(ms)" in ax.get_xlabel()


def test_nernst_slope_is_ln10_rt_over_zf():
    assert nernst_slope("k", "out") == pytest.approx(61.54, abs=0.01)  # 37 degC
    assert nernst_slope("na", "in") == pytest.approx(-61.54, abs=0.01)
    assert nernst_slope("cl", "in", 20.0) == pytest.approx(58.17, abs=0.01)


@pytest.fixture(scope="module")
def chloride(passive):
    return reversal_vs_concentration(passive, "cl", [5, 15, 45] * mM, holdings=[-90, -40] * mV,
                                     engine="numpy", dt=0.1 * ms)


def test_gaba_a_reversal_follows_nernst_for_chloride(chloride):
    out = chloride
    expected = [float(nernst("cl", c * mM, 110 * mM) / mV) for c in (5, 15, 45)]
    np.testing.assert_allclose(out.nernst_mV, expected)
    # measured within 0.05 mV (0.01-0.015 mV: the clamp's baseline fit); theory 61.5 mV/decade
    assert out.error_mV < 0.05
    assert out.slope == pytest.approx(out.theory_slope, abs=0.2)
    assert out.theory_slope == pytest.approx(61.54, abs=0.01)
    # the clamp current reverses between the holdings: inward (< 0) above E_Cl at -90 mV...
    assert np.all(np.sign(out.current_nA[:, 0]) == np.sign(out.clamped_mV[:, 0] - out.measured_mV))
    ax = out.plot()
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), out.measured_mV)
    assert "(mM)" in ax.get_xlabel() and "(mV)" in ax.get_ylabel()


def test_potassium_reversal_on_a_real_cell(shared):
    morph, _ = read_swc(shared / "real" / "dg_granule_rat_mp_ma_40984_gc2.CNG.swc")
    out = reversal_vs_concentration(Cell(morph, spike_site="soma"), "k", [5, 50] * mM,
                                    holdings=[-100, -60] * mV, ions=Ions(), engine="numpy",
                                    dt=0.1 * ms)
    assert out.error_mV < 0.05
    assert out.slope == pytest.approx(61.54, abs=0.2)


def test_bad_requests_are_refused_before_any_simulation(passive):
    with pytest.raises(ValueError, match="share the name"):
        chemical_vs_electrical(passive, passive, excitatory=ampa(), inhibitory=ampa())
    with pytest.raises(ValueError, match="window"):
        chemical_vs_electrical(passive, passive, window=3 * ms)
    with pytest.raises(ValueError, match="cannot block"):
        clearance_blockade(passive, block="diffusion")
    with pytest.raises(ValueError, match="ionotropic kit receptor with a cleft"):
        clearance_blockade(passive, ampa())
    with pytest.raises(ValueError, match="ion must be one of"):
        reversal_vs_concentration(passive, "ca")
    with pytest.raises(ValueError, match="at least two distinct"):
        reversal_vs_concentration(passive, "k", [5, 5] * mM)
