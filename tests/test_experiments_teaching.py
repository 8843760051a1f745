"""Teaching experiments (issue 11) on a generated ball-and-stick cell (numpy engine): shunting
vs hyperpolarising inhibition (passive), all-or-none spike and refractory periods (squid HH)."""

import pytest
from brian2 import ms, nS

from cablemodel import Cell, ball_and_stick, standard_cell
from cablemodel.experiments import (
    all_or_none,
    ei_cancellation,
    refractory_periods,
    shunting_inhibition,
    shunting_receptor,
)
from cablemodel.mechanisms.synapses import GABA_A


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
