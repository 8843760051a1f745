"""Bad input gives an error that says what and where, never a NaN result."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import DimensionMismatchError, ms, mV, nA, nS, ohm, siemens, um
from brian2 import cm as brian_cm

from cablemodel import (
    AMPA,
    Cell,
    Channel,
    CurrentClamp,
    Gate,
    MorphologyError,
    Section,
    SimulationError,
    Synapse,
    ball_and_stick,
    simulate,
    spike_times,
)
from cablemodel.places import LocationError


@pytest.mark.parametrize("kwargs, words", [
    ({"dendrite_length": 0 * um}, "dendrite_length must be > 0"),
    ({"dendrite_length": -5 * um}, "dendrite_length must be > 0"),
    ({"dendrite_diameter": 0 * um}, "dendrite_diameter must be > 0"),
    ({"soma_diameter": -1 * um}, "soma_diameter must be > 0"),
])
def test_nonpositive_geometry(kwargs, words):
    with pytest.raises(MorphologyError, match=words):
        ball_and_stick(**kwargs)


def test_zero_diameter_point_names_section():
    with pytest.raises(MorphologyError, match=r"section 'd'.*diameter must be > 0"):
        Section("d", "basal", "soma", np.array([[0, 0, 0, 1.0], [10, 0, 0, 0.0]]))
    with pytest.raises(MorphologyError, match=r"section 'd'.*length must be > 0"):
        Section("d", "basal", "soma", np.array([[0, 0, 0, 1.0], [0, 0, 0, 1.0]]))


def test_wrong_units():
    with pytest.raises(DimensionMismatchError, match="dendrite_length must be a length"):
        ball_and_stick(dendrite_length=5 * ms)
    with pytest.raises(DimensionMismatchError, match="Ri"):
        Cell(ball_and_stick(), Ri=100 * ohm)
    with pytest.raises(DimensionMismatchError, match="synapse weight"):
        Synapse(AMPA, "basal@100", 1 * mV, spike_times([1] * ms))
    with pytest.raises(DimensionMismatchError, match="dt must be a time"):
        simulate(Cell(ball_and_stick()), duration=5 * ms, dt=0.1 * um)


def test_site_beyond_dendrite_end():
    cell = Cell(ball_and_stick(dendrite_length=500 * um))
    syn = Synapse(AMPA, "basal@800", 1 * nS, spike_times([1] * ms))
    with pytest.raises(LocationError, match=r"basal@800.*outside region 'basal'.*0-500 um"):
        simulate(cell, [syn], duration=5 * ms)


def test_unknown_region_lists_the_regions():
    cell = Cell(ball_and_stick())
    syn = Synapse(AMPA, "apical@100", 1 * nS, spike_times([1] * ms))
    with pytest.raises(LocationError, match=r"region 'apical' has no compartments.*basal"):
        simulate(cell, [syn], duration=5 * ms)


def test_dt_too_large_for_active_cell(active_cell):
    with pytest.raises(ValueError, match=r"dt = 0.5 ms is too large.*dt <= 0.1 ms"):
        simulate(active_cell, duration=5 * ms, dt=0.5 * ms)


def test_negative_density_and_weight():
    from cablemodel import HHSodium

    with pytest.raises(ValueError, match="density of 'na' must be >= 0"):
        Cell(ball_and_stick()).paint(HHSodium(), "soma", -1 * siemens / brian_cm**2)
    with pytest.raises(ValueError, match="weight must be >= 0"):
        Synapse(AMPA, "soma", -1 * nS, spike_times([1] * ms))


@pytest.mark.parametrize("engine", ["numpy", "cpp_standalone"])
def test_nan_during_run_is_reported_with_compartment_and_time(engine):
    """A channel whose opening rate overflows above -46 mV: fine at rest, NaN once a current
    depolarizes the soma. The run raises, naming compartment and time (during the run on runtime
    devices, from the recorded traces after a standalone run)."""
    bad = Channel("bad", 0 * mV, (Gate("x", 1, "exp((V + 60)*50)", "1"),))
    cell = Cell(ball_and_stick()).paint(bad, "soma", 1e-6 * siemens / brian_cm**2)
    clamp = CurrentClamp("soma", 1 * nA, 2 * ms, 10 * ms)
    with pytest.raises(SimulationError, match=r"became nan at #0 \(soma.* t = [\d.]+ ms"):
        simulate(cell, duration=10 * ms, clamps=[clamp], engine=engine)


def test_channel_with_undefined_resting_state_is_refused():
    bad = Channel("bad", 0 * mV, (Gate("x", 1, "exp(-V*20)", "exp(-V*20)"),))
    cell = Cell(ball_and_stick()).paint(bad, "soma", 0.01 * siemens / brian_cm**2)
    with pytest.raises(ValueError,
                       match=r"channel 'bad': gate x_bad at v_rest = -65 mV has steady state nan"):
        simulate(cell, duration=1 * ms, engine="numpy")
