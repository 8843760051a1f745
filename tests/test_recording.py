"""Recording any variable (cablemodel.simulation.recording): gates, currents, synapses, clamps at
sites, regions and everywhere; values checked against the equations they come from."""

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, nS, siemens, uF

from cablemodel import (
    AMPA,
    GABA_A,
    Cell,
    CurrentClamp,
    Synapse,
    ball_and_stick,
    nmda,
    simulate,
    spike_times,
    standard_cell,
)
from cablemodel.places import LocationError, region
from cablemodel.simulation.memory import MemoryLimitError
from cablemodel.simulation.recording import RecordingError

FIRST_EVENT = 3.0  # ms: the cell is at rest before
REQUESTS = ["hillock", "m_na@hillock", "h_na@hillock", "i_na@hillock", "n_k@all", "i_k@soma",
            "Im@all", "g_syn@all", "i_syn@all", "i_clamp@soma", ("m_na", region("soma"))]


@pytest.fixture(scope="module")
def cell():
    return standard_cell(ball_and_stick())


@pytest.fixture(scope="module")
def synapses():
    return [Synapse(AMPA, "basal@100", 3 * nS, spike_times([FIRST_EVENT] * ms)),
            Synapse(GABA_A, "basal@100", 2 * nS, spike_times([5.0] * ms)),
            Synapse(nmda(), "basal@300", 2 * nS, spike_times([4.0] * ms))]


@pytest.fixture(scope="module")
def run(cell, synapses):
    """An HH ball-and-stick with three receptors and a clamp that makes it spike (numpy)."""
    clamp = CurrentClamp("soma", 1.5 * nA, 6 * ms, 9 * ms)
    return simulate(cell, synapses, duration=12 * ms, clamps=[clamp], record=REQUESTS,
                    engine="numpy")


def _rest(r):
    return r.t_ms < FIRST_EVENT


def test_gates_at_rest_are_the_channel_steady_states(cell, run):
    """Before any input every gate equals its channel's steady state at v_rest."""
    gates = {k: x for ch in cell.channels for k, x in ch.initial_values(cell.v_rest, cell.celsius).items()}
    for name in ("m_na", "h_na", "n_k"):
        values = run.recorded[name].values[:, _rest(run)]
        np.testing.assert_allclose(values, gates[name], rtol=1e-7, err_msg=name)
    spiking = run.trace("m_na@hillock")
    assert run.spike_count() >= 1 and float(np.max(spiking)) > 0.9  # and they move in a spike


def test_gates_exist_only_where_painted(cell, run):
    dens = cell.densities()
    assert run.recorded["n_k"].compartments.tolist() == np.flatnonzero(dens["k"] > 0).tolist()
    assert run.recorded["m_na"].compartments.tolist() == [1, 2, 3, 0]  # hillock, then soma


def test_membrane_current_is_zero_at_rest_and_conserves_charge(cell, run):
    """Im is 0 at rest in every compartment; in a spike, the capacitive current of the whole
    cell equals the area integral of Im (the axial currents cancel), step by step."""
    assert np.abs(run.recorded["Im"].values[:, _rest(run)]).max() < 1e-9  # mA/cm^2
    run = simulate(cell, clamps=[CurrentClamp("soma", 1.5 * nA, 1 * ms, 4 * ms)],
                   duration=6 * ms, record=["all", "Im@all", "i_clamp@soma"], engine="numpy")
    im = run.recorded["Im"].values
    area = cell.table.area * 1e-8  # cm^2
    v = run.v_mV
    capacitive = float(cell.Cm / (uF / cm**2)) * (area[:, None] * np.diff(v, axis=1)).sum(0) / 0.025
    membrane = (area[:, None] * im[:, 1:]).sum(0) * 1e3  # uA
    clamp = run.recorded["i_clamp"].values[0]
    steady = np.diff(clamp) == 0  # the clamp's switching steps use its value at the step's start
    scale = np.abs(capacitive).max()
    assert run.spike_count() == 1 and scale > 1e-3  # uA
    np.testing.assert_allclose(capacitive[steady], membrane[steady], atol=1e-7 * scale)


def test_channel_current_is_conductance_times_driving_force(cell, run):
    """i_na = g_na m^3 h (E_na - v) from the recorded gates and potentials, every sample."""
    na = next(ch for ch in cell.channels if ch.name == "na")
    rows = run.recorded["i_na"].compartments
    g = cell.densities()["na"][rows][:, None] * 1e-4  # S/cm^2
    v = np.array([run.v_mV[run.labels.index(lab)] for lab in run.recorded["i_na"].labels])
    m, h = run.recorded["m_na"].values[:3], run.recorded["h_na"].values
    expected = g * m**3 * h * (float(na.reversal / mV) - v)  # S/cm^2 * mV = mA/cm^2
    np.testing.assert_allclose(run.recorded["i_na"].values, expected, rtol=1e-9, atol=1e-15)
    assert run.recorded["i_na"].values.max() > 1.0  # mA/cm^2: inward Na+ current in the spike


def test_synaptic_current_is_conductance_times_driving_force(synapses, run):
    """Each synapse's recorded current is its recorded conductance times (E - v) at its site
    (times the Mg2+ block for NMDA), and the conductance peaks at the synapse's weight."""
    g, i = run.recorded["g_syn"], run.recorded["i_syn"]
    assert g.labels == i.labels == ["syn0", "syn1", "syn2"]
    for k, syn in enumerate(synapses):
        v = run.trace(f"v@{syn.site}")
        block = syn.receptor.block(v) if hasattr(syn.receptor, "block") else 1.0
        drive = np.asarray((syn.receptor.reversal - v) / mV)
        expected = g.values[k] * block * drive * 1e-3  # nS * mV = pA
        np.testing.assert_allclose(i.values[k], expected, rtol=1e-9, atol=1e-15)
        assert g.values[k].max() == pytest.approx(float(syn.weight / nS), rel=0.02)
    assert i.values[0].max() > 0 > i.values[1].min()  # AMPA inward, GABA_A outward


def test_clamp_current(run):
    i = run.trace("i_clamp@soma") / nA
    on = (run.t_ms >= 6) & (run.t_ms < 9)
    assert np.all(i[on] == pytest.approx(1.5)) and np.all(i[~on] == 0)


def test_region_records_every_compartment(cell, run):
    """record=["hillock"] records v in all three hillock compartments (not one middle one);
    "m_na@hillock" the gate in each of them."""
    hillock = np.flatnonzero(region("hillock").mask(cell.table)).tolist()
    assert len(hillock) == 3
    assert set(hillock) <= set(run.compartments.tolist())
    assert run.trace("hillock").shape == (3, run.t_ms.size)
    assert run.trace("m_na@hillock").shape == (3, run.t_ms.size)
    np.testing.assert_array_equal(run.trace("m_na@hillock")[1], run.trace("m_na@#2"))
    assert run["m_na", "soma"].shape == (run.t_ms.size,)  # one row: samples
    assert run.v("hillock") is not None and run.labels[1] == "hillock"  # the spike site, as before


def test_missing_variable_error_lists_what_exists(cell):
    with pytest.raises(RecordingError, match=r"m_na does not exist at basal@100 .*exists in 25"
                       r" compartment\(s\) of region\(s\) axon, hillock, soma; recordable at #35: v, Im"):
        simulate(cell, duration=1 * ms, record=["m_na@basal@100"], engine="numpy")
    with pytest.raises(RecordingError, match="no such variable on this cell; recordable: v, Im, m_na"):
        simulate(cell, duration=1 * ms, record=["m_ca@soma"], engine="numpy")
    with pytest.raises(RecordingError, match="m_na does not exist in region basal"):
        simulate(cell, duration=1 * ms, record=["m_na@basal"], engine="numpy")
    with pytest.raises(LocationError, match="region apical has no compartments"):
        simulate(cell, duration=1 * ms, record=["apical"], engine="numpy")
    with pytest.raises(RecordingError, match="g_syn"):  # no synapses: no synaptic variables
        simulate(cell, duration=1 * ms, record=["g_syn@all"], engine="numpy")


def test_record_dt_decimates(cell, synapses):
    """With record_dt = 4 dt every 4th sample of the full-rate run, exactly."""
    full = simulate(cell, synapses[:1], duration=5 * ms, record=["m_na@hillock", "i_syn@all"],
                    engine="numpy")
    sparse = simulate(cell, synapses[:1], duration=5 * ms, record=["m_na@hillock", "i_syn@all"],
                      record_dt=0.1 * ms, engine="numpy")
    assert sparse.t_ms.size == 50 and np.allclose(np.diff(sparse.t_ms), 0.1)
    for name in ("m_na", "i_syn"):
        np.testing.assert_array_equal(sparse.recorded[name].values, full.recorded[name].values[:, ::4])
    np.testing.assert_array_equal(sparse.v_mV, full.v_mV[:, ::4])


def test_memory_estimate_counts_every_trace(cell):
    """The guard counts every monitored row: 2 v sites (soma, hillock) + 176 Im + 25 m_na."""
    with pytest.raises(MemoryLimitError, match="recording 203 sites x 400 samples"):
        simulate(cell, duration=10 * ms, record=["Im@all", "m_na@all"], engine="numpy",
                 memory_limit="100kB")


def test_passive_cell_has_only_membrane_variables():
    cell = Cell(ball_and_stick(), g_leak=1e-4 * siemens / cm**2)
    with pytest.raises(RecordingError, match="recordable: v, Im$"):
        simulate(cell, duration=1 * ms, record=["m_na@soma"], engine="numpy")


@pytest.mark.slow
def test_cython_agrees_with_numpy(cell, synapses):
    """One short compiled run: the same gates and synaptic currents as numpy (about 50 s of
    compilation on a cold cache: slow; make test compares the engines in
    tests/test_geometry.py)."""
    args = dict(duration=2 * ms, record=["m_na@hillock", "i_syn@all"])
    fast = [Synapse(AMPA, "basal@100", 3 * nS, spike_times([0.5] * ms))]
    a = simulate(cell, fast, engine="numpy", **args)
    b = simulate(cell, fast, engine="cython", **args)
    for name in ("m_na", "i_syn"):  # engines differ in the last digits (libm, operation order)
        np.testing.assert_allclose(b.recorded[name].values, a.recorded[name].values, rtol=1e-6,
                                   atol=1e-12)


def test_standalone_reads_every_recorded_variable(cell, synapses):
    """cpp_standalone writes each monitored variable to its own file; read back, they equal the
    numpy run's values (gates, a subexpression, a synapse parameter, the clamp current)."""
    args = dict(duration=2 * ms, record=["m_na@hillock", "i_na@soma", "g_syn@all", "i_syn@all",
                                         "i_clamp@soma"],
                clamps=[CurrentClamp("soma", 0.2 * nA, 0.5 * ms, 1.5 * ms)])
    fast = [Synapse(AMPA, "basal@100", 3 * nS, spike_times([0.5] * ms))]
    a = simulate(cell, fast, engine="numpy", **args)
    b = simulate(cell, fast, engine="cpp_standalone", **args)
    assert b.variables == a.variables
    for name in a.recorded:
        np.testing.assert_allclose(b.recorded[name].values, a.recorded[name].values, rtol=1e-6,
                                   atol=1e-12, err_msg=name)
