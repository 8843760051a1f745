"""Teaching experiments (issue 11) on a generated ball-and-stick cell and on a shared real cell
(numpy engine): shunting vs hyperpolarising inhibition (passive), all-or-none spike and
refractory periods (squid HH), the summation figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from brian2 import ms, nS

from cablemodel import Cell, ball_and_stick, standard_cell
from cablemodel.experiments import (
    all_or_none,
    ei_cancellation,
    inhibition_sites,
    refractory_periods,
    shunting_inhibition,
    shunting_receptor,
    temporal_summation,
)
from cablemodel.mechanisms.synapses import GABA_A
from cablemodel.places import parse_site


@pytest.fixture(scope="module")
def cell():
    return Cell(ball_and_stick())


@pytest.fixture(scope="module")
def shunt(cell):
    return shunting_inhibition(cell, engine="numpy")


@pytest.fixture(scope="module")
def hyper(cell):
    return shunting_inhibition(cell, GABA_A, engine="numpy")


def test_shunting_receptor_reverses_at_rest(cell):
    rec = shunting_receptor(cell)
    assert rec.reversal == cell.v_rest
    assert (rec.tau_rise, rec.tau_decay) == (GABA_A.tau_rise, GABA_A.tau_decay)


def test_shunting_is_invisible_alone_but_vetoes_on_path_only(shunt):
    assert shunt.reversal_mV == pytest.approx(-65.0)
    assert abs(shunt.ipsp_mV) < 0.05
    assert shunt.epsp_mV > 1.0
    # measured 0.65 on path (between the EPSP and the soma), 0.09 off path (distal to it)
    assert shunt.veto_on_path > 0.5
    assert shunt.veto_off_path < 0.2
    assert shunt.on_path_mV < shunt.off_path_mV < shunt.epsp_mV


def test_hyperpolarising_ipsp_is_visible_and_stronger_than_the_shunt(shunt, hyper):
    assert hyper.ipsp_mV < -1.0
    assert abs(hyper.ipsp_mV) > 20 * abs(shunt.ipsp_mV)
    assert hyper.epsp_mV == pytest.approx(shunt.epsp_mV)
    assert hyper.veto_on_path > shunt.veto_on_path > 0


def test_plot_labels_the_numbers(shunt):
    ax = shunt.plot()
    assert ax.get_xlabel() == "time in trial (ms)" and ax.get_ylabel() == "soma V (mV)"
    assert f"{shunt.veto_on_path:.0%}" in ax.get_title()
    assert len(ax.get_lines()) == 4


@pytest.fixture(scope="module")
def active():
    return standard_cell(ball_and_stick())


def test_all_or_none_jumps_at_threshold_and_is_flat_above(active):
    out = all_or_none(active, [0.5, 1, 1.5, 2, 3] * nS, engine="numpy", dt=0.1 * ms)
    # measured (dt 0.025 ms): 1.1, 3.1, 6.3 mV below, 106.5, 107.3 mV above 2 nS
    assert out.spikes == (0, 0, 0, 1, 1)
    assert (out.below_threshold_nS, out.threshold_nS) == (1.5, 2.0)
    below, above = out.peaks_mV[:3], out.peaks_mV[3:]
    assert max(below) < 15 and min(above) > 90
    assert max(above) - min(above) < 0.05 * min(above)
    assert out.plot().get_xlabel() == "stimulus: synaptic weight (nS)"


def test_refractory_absolute_then_relative_threshold_falling(active):
    out = refractory_periods(active, [3, 8, 20] * ms, [2, 5, 12, 30] * nS, engine="numpy",
                             dt=0.1 * ms)
    # measured (dt 0.025 ms, finer grid): no spike up to 30 nS at 2 and 5 ms; 12 nS at 8 ms,
    # 5 nS at 12 ms, 2 nS (the resting threshold) at 20 ms
    assert out.rest_threshold_nS == 2.0
    assert out.absolute_ms == (3.0,)
    t8, t20 = out.thresholds_nS[1:]
    assert t8 > t20 >= out.rest_threshold_nS
    assert out.relative_ms[0] == 8.0


def test_ei_cancellation_is_sublinear_on_path(cell, shunt):
    out = ei_cancellation(cell, GABA_A, engine="numpy")
    # a linear sum would leave the EPSP at 1.54 mV; measured 0.56 mV (0.37) on path, while
    # GABA_A off path (basal@500) leaves 1.47 mV (0.95)
    assert out.epsp_alone_mV == pytest.approx(shunt.epsp_mV)
    assert 0.2 < out.ratio < 0.5
    assert out.plot().get_ylabel() == "V at soma (mV from rest)"


def test_summation_figures_state_their_numbers(spatial, n_to_fire):
    ax = spatial.plot()
    assert ax.get_title() == spatial.sentence()
    assert spatial.sentence().startswith(f"{n_to_fire} simultaneous 1 nS EPSPs over 50-300 um")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        f"{n_to_fire - 1} EPSPs", f"{n_to_fire} EPSPs"]


def test_temporal_figure_sequential_colours_legend_with_unit_and_a_readable_axis(active):
    out = temporal_summation(active, n_spikes=3, intervals=[3, 1, 4, 2] * ms, period=50 * ms,
                             engine="numpy", dt=0.1 * ms)
    assert out.site == "basal@100[dend]" and out.fires == (False,) * 4   # 3 EPSPs: subthreshold
    ax = out.plot()
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "interval (ms)"
    assert [t.get_text() for t in legend.get_texts()] == ["1", "2", "3", "4"]  # in order
    colours = [tuple(line.get_color()) for line in ax.get_lines()]
    assert len(set(colours)) == 4
    expected = plt.get_cmap("viridis")(np.linspace(0.0, 0.92, 4))
    assert np.allclose(colours, expected)
    # the axis holds the trains up to the first interval that does not fire, not the period
    assert ax.get_xlim()[1] == out.window_ms() == 5 + 2 * 1 + 25 < out.trials.period_ms
    assert ax.get_title() == out.sentence() == (
        "3 EPSPs of 1 nS at basal@100[dend]: no spike at any interval tested (1-4 ms)")


@pytest.fixture(scope="module")
def granule(granule_morphology):
    return Cell(granule_morphology)


def test_real_cell_sites_on_and_off_the_path(granule):
    s = inhibition_sites(granule)
    t = granule.table

    def up(i):
        out = [i]
        while t.parent[out[-1]] >= 0:
            out.append(int(t.parent[out[-1]]))
        return out

    e, on, off = (parse_site(x).resolve(t) for x in (s.excitatory, s.on_path, s.off_path))
    assert (s.excitatory_um, s.on_path_um) == (180.0, 60.0)    # 0.6 of the 301 um path, a third
    assert on in up(e) and off not in up(e) and e not in up(off)
    assert s.off_path_branch == "other branch" and s.off_path_divergence_um == 0.0
    assert abs(s.off_path_um - s.on_path_um) < 10          # another dendrite, similar distance


def test_real_cell_shunting_vetoes_on_path_but_not_off_path(granule):
    out = shunting_inhibition(granule, engine="numpy", dt=0.1 * ms, period=50 * ms)
    # measured (dt 0.1 ms): EPSP 1.11 mV at the soma, the shunt alone 7e-7 mV; together 0.44 mV
    # on the path (veto 0.60), 1.01 mV off it on another dendrite (veto 0.09)
    assert abs(out.ipsp_mV) < 0.01 and out.epsp_mV > 0.8
    assert out.veto_on_path > 0.45 and out.veto_off_path < 0.15
    assert out.veto_on_path > 4 * out.veto_off_path
    assert out.excitatory.startswith("basal@180") and out.distances_um[0] == pytest.approx(180, abs=6)


@pytest.fixture(scope="module")
def granule_active(granule_morphology):
    return standard_cell(granule_morphology)


def test_real_cell_all_or_none(granule_active):
    out = all_or_none(granule_active, [1, 3, 8, 16] * nS, engine="numpy", dt=0.1 * ms)
    # measured: 1.8 and 6.0 mV below threshold (graded, ~ the weight), 98.0 and 99.2 mV above
    assert out.spikes == (0, 0, 1, 1)
    sub, supra = out.peaks_mV[:2], out.peaks_mV[2:]
    assert 0 < sub[0] < sub[1] < 15 and 2.5 < sub[1] / sub[0] < 4
    assert min(supra) > 80 and abs(supra[1] - supra[0]) < 0.03 * supra[0]


def test_real_cell_relative_refractory_threshold_falls_with_the_interval(granule_active):
    out = refractory_periods(granule_active, [8, 16] * ms, [4, 8, 30] * nS, engine="numpy",
                             dt=0.1 * ms)
    # measured on the grid 2, 4, 8, 16, 30 nS: no spike up to 30 nS 4 ms after the first, 30 nS
    # at 8 ms, 8 nS at 16 ms, the resting 4 nS at 30 ms
    assert out.rest_threshold_nS == 4.0
    assert out.thresholds_nS == (30.0, 8.0)
    assert out.relative_ms == (8.0, 16.0) and out.absolute_ms == ()
    assert out.n_trials == 9


@pytest.mark.slow
def test_refractory_bisection_brackets_the_grid_threshold(active):
    out = refractory_periods(active, [3, 8] * ms, engine="numpy", dt=0.1 * ms, tolerance=0.25)
    # the grid (2, 5, 12, 30 nS) puts the threshold at 8 ms in (5, 12]; bisection (tolerance 0.1)
    # measured 12.6 nS, 1.72 nS at rest, none up to 30 nS at 3 ms
    assert out.absolute_ms == (3.0,) and out.relative_ms == (8.0,)
    lo, hi = out.lower_nS[1], out.thresholds_nS[1]
    assert 5 < lo < hi <= 1.25 * lo + 1e-9 and 10 < hi < 16
    assert out.rest_lower_nS < out.rest_threshold_nS < 2.0
