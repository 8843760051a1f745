"""Teaching experiments (issue 11): shunting vs hyperpolarising inhibition on a passive
ball-and-stick cell (numpy engine)."""

import pytest

from cablemodel import Cell, ball_and_stick
from cablemodel.experiments import shunting_inhibition, shunting_receptor
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
