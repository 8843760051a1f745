"""Parameters are checked before any build; errors name the parameter (issue 8, item 6)."""

from __future__ import annotations

import re

import pytest
from brian2 import cm as brian_cm
from brian2 import mM, ms, mV, nA, nS, ohm, siemens, uF

from cablemodel import (
    AMPA,
    Cell,
    Cleft,
    Connection,
    CurrentClamp,
    GapJunction,
    HHSodium,
    Receptor,
    Synapse,
    Terminal,
    ball_and_stick,
    poisson_train,
    regular_train,
    simulate,
    simulate_circuit,
    spike_times,
    standard_cell,
)
from cablemodel.cli import main
from cablemodel.mechanisms.ions import Ions
from cablemodel.mechanisms.receptors import gaba_a
from cablemodel.simulation.assembly import CircuitSpec

NAN, INF = float("nan"), float("inf")
S_CM2 = siemens / brian_cm**2
ONE = spike_times([1] * ms)


@pytest.fixture
def no_build(monkeypatch):
    """Fail the test if a Brian2 network is built: the error must come before."""
    def build(*_args, **_kwargs):
        raise AssertionError("a network was built before the parameters were checked")
    monkeypatch.setattr(CircuitSpec, "build", build)


@pytest.mark.parametrize("densities, words", [
    ({"hilock": {"na": 1.2}}, "unknown region 'hilock'; valid regions: soma, hillock, ais, axon,"
                              " basal, apical, dendrite, all"),
    ({"soma": {"Na": 0.05}}, r"densities\['soma'\]: unknown channel 'Na'; valid channels: na, k"),
    ({"soma": {"na": NAN}}, r"densities\['soma'\]\['na'\] must be a finite number >= 0"),
    ({"soma": {"k": -1}}, r"densities\['soma'\]\['k'\] must be a finite number >= 0"),
])
def test_standard_cell_density_typos_are_errors(densities, words):
    with pytest.raises(ValueError, match=words):
        standard_cell(ball_and_stick(), densities)
    with pytest.raises(TypeError, match="densities must map regions"):
        standard_cell(ball_and_stick(), [("soma", {"na": 1})])


def test_a_standard_region_the_cell_lacks_is_still_skipped():
    cell = standard_cell(ball_and_stick(), {"ais": {"na": 0.5}, "hillock": {"na": 1.2, "k": 0.1}})
    assert [c.name for c in cell.channels] == ["na", "k"]


@pytest.mark.parametrize("make, words", [
    (lambda: Cell(ball_and_stick(), Cm=INF * uF / brian_cm**2), "Cm must be one finite value"),
    (lambda: Cell(ball_and_stick(), Ri=1e-9 * ohm * brian_cm), "Ri = 1e-09 ohm.cm is outside 1"),
    (lambda: Cell(ball_and_stick(), Ri=NAN * ohm * brian_cm), "Ri must be one finite value"),
    (lambda: Cell(ball_and_stick(), g_leak=INF * S_CM2), "g_leak must be one finite value"),
    (lambda: Cell(ball_and_stick(), g_leak=0 * S_CM2), "g_leak must be > 0"),
    (lambda: Cell(ball_and_stick(), v_rest=NAN * mV), "v_rest must be one finite value"),
    (lambda: Cell(ball_and_stick(), spike_threshold=NAN * mV), "spike_threshold must be one finite"),
    (lambda: Cell(ball_and_stick(), spike_threshold=-70 * mV), "spike_threshold .* above v_rest"),
    (lambda: Cell(ball_and_stick(), celsius=NAN), "celsius must be a temperature"),
    (lambda: Cell(ball_and_stick()).paint(HHSodium(), "soma", NAN * S_CM2), "density of 'na'"),
    (lambda: HHSodium(reversal=NAN * mV), "channel 'na': reversal must be one finite value"),
    (lambda: Receptor("r", NAN * mV, 0 * ms, 2 * ms), "r: reversal must be one finite value"),
    (lambda: gaba_a(ions=Ions(cl_in=NAN * mM)), "cl_in must be > 0 mM"),
    (lambda: Synapse(AMPA, "soma", INF * nS, ONE), "synapse weight .* must be one finite value"),
    (lambda: Synapse(Terminal(AMPA), "soma", 1 * nS, ONE, params={"p_scale": NAN}),
     "synapse parameter 'p_scale' of 'ampa' must be one finite value"),
    (lambda: Terminal(AMPA, n_ca=INF), "n_ca > 0"),
    (lambda: Terminal(AMPA, p_max=NAN), "p_max <= 1"),
    (lambda: Cleft("glutamate", INF * mM, 0.7 / ms, 0 / ms, 0.3 / ms), "release concentration"),
    (lambda: Connection("a", "b", AMPA, "soma", 1 * nS, NAN * ms), "connection delay must be one"),
    (lambda: CurrentClamp("soma", INF * nA, 0 * ms, 5 * ms), "clamp amplitude must be one finite"),
    (lambda: CurrentClamp("soma", 1 * nA, 0 * ms, INF * ms), "clamp stop .* must be one finite"),
    (lambda: GapJunction("soma", "basal@10", INF * nS), "gap junction conductance must be one"),
    (lambda: regular_train(0 * ms, 5 * ms, 2.5), "an integer n >= 1"),
    (lambda: poisson_train(10 / ms, 10 * ms, seed=-1), "seed must be an integer from 0"),
])
def test_nan_inf_and_absurd_values_name_the_parameter(make, words):
    with pytest.raises(ValueError, match=words) as err:
        make()
    assert "reduce dt" not in str(err.value)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "1"])
def test_seed_checked_before_the_build(seed, no_build):
    with pytest.raises(ValueError, match="seed must be an integer from 0 to 4294967295"):
        simulate(Cell(ball_and_stick()), duration=1 * ms, engine="numpy", seed=seed)
    with pytest.raises(ValueError, match="seed must be an integer"):
        simulate_circuit({"a": Cell(ball_and_stick())}, duration=1 * ms, seed=seed)


def _cli(capsys, *args) -> tuple[int, str]:
    try:
        status = main(["psp", "ball_and_stick", "--site", "basal@100", *args])
    except SystemExit as stop:
        status = stop.code
    return status, capsys.readouterr().err


@pytest.mark.parametrize("args, words", [
    (["--weight", "inf"], "argument --weight: must be a finite number >= 0, got 'inf'"),
    (["--weight", "nan"], "argument --weight: must be a finite number >= 0"),
    (["--duration", "0"], "argument --duration: must be a finite number > 0, got '0'"),
    (["--dt", "-1"], "argument --dt: must be a finite number > 0"),
    (["--cm", "inf"], "argument --cm: must be a finite number > 0"),
    (["--el", "nan"], "argument --el: must be a finite number"),
    (["--weight", "abc"], "argument --weight: not a number: 'abc'"),
    (["--ra", "1e-9"], "Ri = 1e-09 ohm.cm is outside 1 to 100000 ohm.cm"),
    (["--el", "300"], "v_rest = 300 mV is outside"),
    (["--dt", "1"], r"dt = 1 ms is too large .* dt <= 0.1 ms"),
    (["--tau-rise", "5", "--tau-decay", "2"], "need 0 <= tau_rise < tau_decay"),
    (["--site", "basal@@3"], "cannot read site 'basal@@3'"),
])
def test_cli_psp_user_errors_exit_2_with_one_line(capsys, no_build, args, words):
    status, err = _cli(capsys, *args)
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("cablemodel psp")
    assert re.search(words, err), err
    assert "Traceback" not in err and "Brian 2" not in err
