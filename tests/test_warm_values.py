"""Values are data: a warm ``cpp_standalone`` run of a known structure generates and compiles
nothing, whatever numeric value changed (weight, spike times, channel density, passive
parameters, clamp amplitude, receptor kinetics and reversal, calcium concentration and decay,
duration, a synapse site): it writes the values as the input files of the compiled program
(:mod:`cablemodel.simulation.replay`). Its traces equal those of a cold run in a new cache to
1e-9 mV, and those of a generated run (``CABLEMODEL_REPLAY=0``) with the same binary to the last
bit. Asserted from the timing report of :attr:`Result.timing <cablemodel.Result.timing>` and
``Result.info``.

Not data (compiled into Brian2's code: a new build): the number of spikes of a train and the
number of time steps of a waveform or voltage clamp (array sizes), and which compartments carry
each channel (the blocks of the fast formulation)."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import cm, mM, ms, mV, nA, nS, ohm, siemens, uF

from cablemodel import (
    Ca_HVA,
    CaDynamics_E2,
    CurrentClamp,
    Receptor,
    Synapse,
    ball_and_stick,
    simulate,
    spike_times,
    standard_cell,
)

#: The structure: HH at the soma (and the standard hillock and axon), Ca_HVA with calcium
#: dynamics at the soma, one synapse, one current clamp. Every entry is a value.
BASE = {"weight_nS": 1.0, "spikes_ms": (2.0,), "gna": 0.12, "g_leak": 3e-4, "Cm": 1.0, "Ri": 100.0,
        "e_leak": -65.0, "clamp_nA": 0.5, "tau_ms": (0.2, 2.0), "e_syn": 0.0, "cao": 2.0,
        "decay_ms": 80.0, "duration_ms": 20.0, "site": "basal@100"}
#: One change per value (each must change the traces), and all of them at once.
CHANGES = {"weight_nS": 3.0, "spikes_ms": (4.0,), "gna": 0.2, "g_leak": 4e-4, "Cm": 1.5, "Ri": 150.0,
           "e_leak": -70.0, "clamp_nA": 0.7, "tau_ms": (0.3, 3.0), "e_syn": -10.0, "cao": 4.0,
           "decay_ms": 20.0, "duration_ms": 25.0, "site": "basal@150"}


def _run(p: dict, cache, monkeypatch):
    monkeypatch.setenv("CABLEMODEL_CACHE", str(cache))
    cell = standard_cell(ball_and_stick(), {"soma": {"na": p["gna"], "k": 0.036}},
                         g_leak=p["g_leak"] * siemens / cm**2, Cm=p["Cm"] * uF / cm**2,
                         Ri=p["Ri"] * ohm * cm, e_leak=p["e_leak"] * mV)
    cell.paint(Ca_HVA(), "soma", 1e-3 * siemens / cm**2)
    cell.paint(CaDynamics_E2(decay=p["decay_ms"] * ms, outside=p["cao"] * mM), "soma")
    receptor = Receptor("ampa", p["e_syn"] * mV, p["tau_ms"][0] * ms, p["tau_ms"][1] * ms)
    synapse = Synapse(receptor, p["site"], p["weight_nS"] * nS, spike_times(list(p["spikes_ms"]) * ms))
    return simulate(cell, [synapse], duration=p["duration_ms"] * ms, engine="cpp_standalone",
                    clamps=[CurrentClamp("soma", p["clamp_nA"] * nA, 1 * ms, 3 * ms)],
                    record=["cai@soma"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """In a new cache: a cold run with every value changed, a warm run of the base values, and
    the changed values again, warm: the cold run is the reference of the last one."""
    cache = tmp_path_factory.mktemp("cache")
    changed = dict(BASE, **CHANGES)
    with pytest.MonkeyPatch.context() as mp:
        cold = _run(changed, cache, mp)
        first = _run(BASE, cache, mp)
        warm = _run(changed, cache, mp)
    return {"cache": cache, "first": first, "warm": warm, "cold": cold}


def _assert_same(a, b):
    assert a.labels == b.labels and np.array_equal(a.t_ms, b.t_ms)
    assert np.max(np.abs(a.v_mV - b.v_mV)) < 1e-9  # mV
    assert np.max(np.abs(a.trace("cai@soma") - b.trace("cai@soma")) / mM) < 1e-15
    np.testing.assert_allclose(a.spikes_ms, b.spikes_ms, atol=1e-9)


def test_warm_runs_with_new_values_compile_nothing(runs):
    first, warm, cold = runs["first"], runs["warm"], runs["cold"]
    assert cold.info["compiled"] is True and cold.timing["compile"] > 0
    assert cold.info["generated"] is True and cold.info["replay"] is None  # a recipe was kept
    for r in (first, warm):
        assert r.info["compiled"] is False and r.timing["compile"] == 0.0
        assert r.info["generated"] is False and r.info["replayed"] is True
        assert r.info["directory"] == cold.info["directory"]
    (binary,) = (runs["cache"] / "builds").glob("*/bin/*")  # one binary for all three
    assert binary.is_file()
    timing = warm.timing
    assert timing["run"] > 0 and timing["generation"] > 0 and timing["python"] > 0
    assert sum(timing[k] for k in ("python", "generation", "compile", "run")) == pytest.approx(
        timing["total"], abs=1e-9)


def test_warm_traces_equal_a_cold_run(runs):
    _assert_same(runs["warm"], runs["cold"])
    assert len(runs["warm"].t_ms) == round(CHANGES["duration_ms"] / 0.025)
    # the base values, run in between with the same binary, gave another response
    n = len(runs["first"].t_ms)
    assert np.max(np.abs(runs["warm"].v_mV[:, :n] - runs["first"].v_mV)) > 1.0  # mV


@pytest.mark.slow
def test_warm_base_run_equals_its_cold_run(runs, tmp_path, monkeypatch):
    """The other way round: the base values' warm run equals their cold run in a new cache."""
    cold = _run(BASE, tmp_path, monkeypatch)
    assert cold.info["compiled"] is True
    _assert_same(runs["first"], cold)


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_value_is_data(runs, name, monkeypatch):
    """Each value alone: no generation, no compilation, the traces of a generated run to the
    last bit, and its change shows in the traces (it is not ignored)."""
    values = dict(BASE, **{name: CHANGES[name]})
    r = _run(values, runs["cache"], monkeypatch)
    assert r.info["compiled"] is False and r.timing["compile"] == 0.0
    assert r.info["replayed"] is True
    monkeypatch.setenv("CABLEMODEL_REPLAY", "0")
    generated = _run(values, runs["cache"], monkeypatch)
    assert generated.info["generated"] is True and generated.info["compiled"] is False
    assert np.array_equal(r.v_mV, generated.v_mV) and np.array_equal(r.spikes_ms, generated.spikes_ms)
    assert np.array_equal(r.trace("cai@soma"), generated.trace("cai@soma"))
    first = runs["first"]
    n = min(len(r.t_ms), len(first.t_ms))
    assert len(r.t_ms) != len(first.t_ms) or r.labels != first.labels or np.max(
        np.abs(r.v_mV[:, :n] - first.v_mV[:, :n])) > 1e-6  # mV
