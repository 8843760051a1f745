"""Teaching experiments (issue 11) on attenuation and propagation: steady and transient length
constants against cable theory, an action potential that keeps its amplitude while a graded
potential decays, one-way propagation and collision, conduction with and without myelin; on
generated cells and on a shared real cell (numpy engine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, ms, mV, nA, nS, um

from cablemodel import Cell, Sine, WaveformClamp, ball_and_stick, read_swc, simulate, standard_cell
from cablemodel.analysis import fit_length_constant
from cablemodel.experiments import (
    ac_length_constant,
    attenuation_profile,
    collision,
    conduction,
    propagation,
    theory_length_constant,
)
from cablemodel.fibre import unmyelinated_cell
from cablemodel.morphology.myelin import axon_fibre

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies" / "real"
L23 = REAL / "l23pyr_rat_ssctx_C010398B-P2.CNG.swc"  # apical 480 um, axon 1378 um to its tip


def _real(path: Path):
    if not path.is_file():
        pytest.skip(f"shared test morphology not found at {path} (not part of an installed copy)")
    return read_swc(path)[0]


@pytest.fixture(scope="module")
def ball():
    """Passive ball-and-stick: dendrite 1500 x 1 um, lambda 288.7 um, tau_m 3.33 ms."""
    return attenuation_profile(Cell(ball_and_stick()), [25, 150, 300, 450, 600, 800] * um,
                               settle=30 * ms, engine="numpy", dt=0.1 * ms)


def test_steady_length_constant_matches_cable_theory(ball):
    """A sealed cable of L = 1500 um = 5.2 lambda with the current at the soma:
    V(x)/V(0) = cosh((L - x)/lambda) / cosh(L/lambda), near exp(-x/lambda) this far from the end;
    the soma (20 um) is the injection point, so it does not load the profile. Measured: fit
    290.1 um against 288.7 um (+0.5 %); the profile within 0.5 % of the cosh everywhere."""
    lam, L = ball.lambda_dc_theory_um, 1500.0
    assert lam == pytest.approx(288.675, rel=1e-4)
    assert ball.lambda_dc_fit_um == pytest.approx(lam, rel=0.02)
    x = np.array(ball.distances_um)
    np.testing.assert_allclose(ball.steady_ratio, np.cosh((L - x) / lam) / np.cosh(L / lam), rtol=0.01)


def test_transient_length_constant_is_shorter_and_near_the_ac_theory(ball):
    """The EPSP peak at the hillock falls faster than the steady state (252 um against 289 um):
    it charges the capacitance. The AC length constant at the EPSP's half-power frequency
    (40.4 Hz, tau_m 3.33 ms) is 268.6 um: between, since the peak also carries faster
    components. Asserted: the ordering, and the transient within 10 % of lambda_AC."""
    assert ball.tau_m_ms == pytest.approx(10 / 3)
    assert 30 < ball.frequency_hz < 50
    assert ball.lambda_ac_um == pytest.approx(float(ac_length_constant(
        ball.lambda_dc_theory_um * um, ball.tau_m_ms * ms, ball.frequency_hz * (1 / ms) / 1000) / um))
    assert ball.lambda_transient_um < ball.lambda_ac_um < ball.lambda_dc_theory_um
    assert ball.lambda_transient_um == pytest.approx(ball.lambda_ac_um, rel=0.10)
    assert ball.lambda_transient_um / ball.lambda_dc_fit_um < ball.lambda_ac_um / ball.lambda_dc_theory_um


def test_ac_length_constant_is_the_decay_of_a_simulated_sinusoid():
    """The formula against the model itself: a 100 Hz sinusoidal current at the soma of the
    passive ball-and-stick; its steady amplitude along the dendrite (100-700 um, far from the
    sealed end at 1500 um) decays with lambda_AC(100 Hz) = 224 um (lambda_DC 289 um, tau_m
    3.33 ms). Measured 222.5 um (-0.7 %, r2 = 1 - 7e-9); asserted within 2 %."""
    cell = Cell(ball_and_stick())
    x = np.arange(100, 701, 150)
    sites = [f"basal@{d}" for d in x]
    r = simulate(cell, [], duration=40 * ms, dt=0.05 * ms, record=sites, engine="numpy",
                 clamps=[WaveformClamp("soma", Sine(0.05 * nA, 100 * Hz, 0 * ms))])
    late = r.t_ms >= 20  # two whole cycles after the onset transient (6 tau_m)
    amp = np.array([np.ptp(np.asarray(r.v(s) / mV)[late]) / 2 for s in sites])
    xc = [float(r.distance(s) / um) for s in sites]
    fit = float(fit_length_constant(xc * um, amp * mV)["lambda"] / um)
    theory = float(ac_length_constant(theory_length_constant(cell), 10 / 3 * ms, 100 * Hz) / um)
    assert theory == pytest.approx(224.0, abs=0.5)
    assert fit == pytest.approx(theory, rel=0.02)


def test_epsp_grows_at_the_synapse_and_shrinks_at_the_hillock(ball):
    """Local input impedance rises towards the sealed end (3.3 -> 5.6 mV) while the transfer to
    the hillock falls (2.6 -> 0.12 mV)."""
    local, hill = np.array(ball.local_mV), np.array(ball.hillock_mV)
    assert np.all(np.diff(local) > 0) and np.all(np.diff(hill) < 0)
    assert local[-1] / hill[-1] > 30
    assert np.all(local > hill)


def test_attenuation_plot_draws_the_numbers(ball):
    a, b = ball.plot()
    ys = [line.get_ydata() for line in a.get_lines()]
    np.testing.assert_allclose(ys[0], ball.local_mV)
    np.testing.assert_allclose(ys[1], ball.hillock_mV)
    np.testing.assert_allclose(b.get_lines()[0].get_ydata(), ball.steady_ratio)
    assert a.get_yscale() == b.get_yscale() == "log"
    assert "(um)" in a.get_xlabel() and "(mV" in a.get_ylabel()
    labels = [t.get_text() for t in b.get_legend().get_texts()]
    assert f"{ball.lambda_dc_theory_um:.0f} um" in labels[2]
    assert f"{ball.lambda_ac_um:.0f} um" in labels[3]


def test_attenuation_refuses_too_few_distances_on_the_path_or_a_spike(active_cell):
    with pytest.raises(ValueError, match=r"only 2 of the distances .*\(1500 um long\)"):
        attenuation_profile(Cell(ball_and_stick()), [100, 200, 5000] * um)
    with pytest.raises(ValueError, match=r"EPSP at basal@50\[dend\], .* fired the cell: its peak"):
        attenuation_profile(active_cell, [50, 100, 150] * um, weight=30 * nS, period=40 * ms,
                            engine="numpy", dt=0.1 * ms)


@pytest.fixture(scope="module")
def real_cell():
    return Cell(_real(L23), spike_site="soma")


@pytest.fixture(scope="module")
def real_attenuation(real_cell):
    return attenuation_profile(real_cell, [20, 150, 300, 450] * um, region="apical",
                               period=20 * ms, settle=30 * ms, engine="numpy", dt=0.1 * ms)


def test_real_cell_attenuation(real_cell, real_attenuation):
    """L2/3 pyramidal apical path: 481 um, about 2 lambda (244 um for its mean diameter), so its
    sealed tips flatten the steady profile: a uniform sealed cable of that length fitted at the
    same distances gives 352 um. Its side branches load it, so the fit lies between (measured
    313 um). The sealed tips lengthen the transient's fit too (232 um, against lambda_AC 226 um
    of the infinite cable), so compare the shortening: transient / steady fit 0.74, at least as
    short as lambda_AC / lambda_DC = 0.93 predicts (0.87 and 0.93 on the ball-and-stick)."""
    r = real_attenuation
    assert np.all(np.diff(r.hillock_mV) < 0) and r.local_mV[-1] > r.local_mV[0]
    lam, x = r.lambda_dc_theory_um, np.array(r.distances_um)
    L = float(real_cell.table.end[real_cell.table.in_region("apical")].max())
    sealed = -1 / np.polyfit(x, np.log(np.cosh((L - x) / lam) / np.cosh(L / lam)), 1)[0]
    assert lam < r.lambda_dc_fit_um < sealed
    assert r.lambda_transient_um / r.lambda_dc_fit_um < r.lambda_ac_um / lam < 1


@pytest.fixture(scope="module")
def fibre_propagation():
    """The Hodgkin-Huxley fibre (1 um, 2500 um = 5.2 lambda; lambda 485 um with the leak)."""
    cell = unmyelinated_cell(axon_fibre(1 * um, 2500 * um))
    return propagation(cell, np.arange(250, 2000, 250) * um, duration=5 * ms, settle=30 * ms,
                       engine="numpy")


def test_action_potential_keeps_its_amplitude_while_the_graded_potential_decays(fibre_propagation):
    """The issue's test: the AP amplitude within 5 % along an unmyelinated axon (measured
    0.6 %) while the graded potential falls by e over lambda (measured 2.69, -1.1 %; fit
    490.8 um against 485.2 um; asserted within 6 %:
    the sealed end at 2500 um lifts the far sites by 1 + exp(-2 (L - x)/lambda), 4.5 % at the
    last)."""
    r = fibre_propagation
    assert r.lambda_theory_um == pytest.approx(485.19, rel=1e-3)
    assert r.ap_change < 0.05
    assert min(r.ap_mV) > 80
    assert all(a is not None for a in r.arrival_ms) and np.all(np.diff(r.arrival_ms) > 0)
    assert r.epsp_factor_per_lambda == pytest.approx(np.e, rel=0.06)
    assert r.epsp_mV[0] / r.epsp_mV[-1] > 10
    ax = r.plot()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), r.ap_mV)
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), r.epsp_mV)
    assert f"{r.ap_change:.1%}" in ax.get_legend().get_texts()[0].get_text()


def test_real_axon_propagates_without_decrement():
    """The L2/3 cell's own axon (0.33 um, branching) with the squid densities."""
    cell = standard_cell(_real(L23), spike_site="soma")  # soma, axon: squid HH, 6.3 degC
    r = propagation(cell, [100, 300, 500, 700, 900] * um, duration=6.5 * ms, settle=30 * ms,
                    engine="numpy", dt=0.05 * ms)
    assert r.ap_change < 0.05
    assert all(a is not None for a in r.arrival_ms)
    assert r.epsp_mV[0] > 5 * r.epsp_mV[-1]


def test_propagation_refuses_a_cell_without_axon_or_channels():
    granule = REAL / "dg_granule_rat_mp_ma_40984_gc2.CNG.swc"
    with pytest.raises(ValueError, match=r"region 'axon', which this cell lacks \(its regions: soma, basal"):
        propagation(standard_cell(_real(granule), spike_site="soma"), [10, 20, 30] * um)
    with pytest.raises(ValueError, match="the cell is passive"):
        propagation(Cell(axon_fibre(1 * um, 500 * um), spike_site="axon"), [10, 20, 30] * um)


@pytest.fixture(scope="module")
def collided():
    cell = unmyelinated_cell(axon_fibre(1 * um, 1000 * um))
    return collision(cell, n_sites=5, period=5 * ms, engine="numpy", dt=0.05 * ms)


def test_collision_and_one_way_propagation(collided):
    """Every site fires exactly once in every condition: from the middle the spike runs both
    ways, from one end it passes each site once (no re-excitation behind it), and from both ends
    the two spikes annihilate where they meet (each end sees only its own spike)."""
    r = collided
    for condition in ("middle", "one end", "both ends"):
        assert r.counts(condition) == (1,) * 5
    mid, one, both = (np.array(a) for a in r.arrival_ms)
    assert np.all(np.diff(mid[2:]) > 0) and np.all(np.diff(mid[:3]) < 0)
    assert np.all(np.diff(one) > 0)
    assert both[0] == pytest.approx(both[-1], abs=0.05) and both[2] > both[1] > both[0]
    spacing = np.diff(r.distances_um)[0]
    assert r.collision_um == pytest.approx(np.mean(r.distances_um), abs=spacing / 2)
    ax = r.plot()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), mid)


def test_myelinated_conducts_faster_and_saltatory():
    """1 um axon, 18.5 degC: the project measured 5.49x in test_myelin; asserted > 3, node to
    node steps equal within 5 % in the middle of the fibre."""
    r = conduction(1 * um)
    assert r.ratio > 3
    assert r.unmyelinated_m_per_s == pytest.approx(18.8 * np.sqrt(1 / 476), rel=0.05)
    steps = np.diff(r.myelinated_ms)[8:18]
    assert np.ptp(steps) < 0.05 * steps.mean()
    ax = r.plot()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), r.myelinated_ms)
    np.testing.assert_allclose(ax.get_lines()[1].get_xdata(), r.unmyelinated_um)
    assert f"{r.ratio:.1f}x" in ax.get_title()
