"""Warm runs from a recipe (cablemodel.simulation.replay): no Brian2 objects, no code generation,
the same numbers as a generated run to the last bit; a recipe that does not fit, or a damaged
one, sends the run back to the generating path."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import ms, nA, nS

from cablemodel import (
    AMPA,
    GABA_A,
    CurrentClamp,
    Synapse,
    ball_and_stick,
    simulate,
    spike_times,
    standard_cell,
)
from cablemodel.simulation import replay
from cablemodel.simulation.assembly import CircuitSpec
from cablemodel.simulation.build_cache import VALUES_ARRAY
from cablemodel.simulation.engine import _cell_spec
from cablemodel.sweeps import Trial, run_trials

CELL = standard_cell(ball_and_stick())


def _synapses(weight_nS: float, site: str, t_ms: float) -> list[Synapse]:
    return [Synapse(AMPA, site, weight_nS * nS, spike_times([t_ms, t_ms + 4] * ms)),
            Synapse(GABA_A, "basal@50", 2 * nS, spike_times([3] * ms))]


def _run(monkeypatch, cache, weight_nS=1.0, site="basal@200", t_ms=2.0, amp_nA=0.2,
         clamp_site="soma", seed=None, replay_on=True):
    monkeypatch.setenv("CABLEMODEL_CACHE", str(cache))
    monkeypatch.setenv("CABLEMODEL_REPLAY", "1" if replay_on else "0")
    return simulate(CELL, _synapses(weight_nS, site, t_ms), duration=12 * ms,
                    clamps=[CurrentClamp(clamp_site, amp_nA * nA, 1 * ms, 4 * ms)],
                    record=["m_na@hillock", "g_syn@all"], engine="cpp_standalone", seed=seed)


def _same(a, b) -> None:
    assert a.labels == b.labels and np.array_equal(a.t_ms, b.t_ms)
    assert np.array_equal(a.v_mV, b.v_mV) and np.array_equal(a.spikes_ms, b.spikes_ms)
    for name in ("m_na@hillock", "g_syn@all"):
        assert np.array_equal(np.asarray(a.trace(name)), np.asarray(b.trace(name)))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A build cache holding the structure's binary and recipe (one cold run)."""
    folder = tmp_path_factory.mktemp("replay-cache")
    with pytest.MonkeyPatch.context() as mp:
        cold = _run(mp, folder)
    assert cold.info["generated"] is True and cold.info["replay"] is None
    (recipe,) = folder.glob("builds/*/recipes/*.npz")
    assert recipe.is_file()
    return folder


@pytest.mark.parametrize("change", [
    {"weight_nS": 3.0}, {"site": "basal@400"}, {"t_ms": 5.0}, {"amp_nA": 0.6},
    {"clamp_site": "basal@50"}, {"weight_nS": 2.0, "site": "basal@20", "amp_nA": 1.0}])
def test_replayed_equals_generated(cache, monkeypatch, change):
    warm = _run(monkeypatch, cache, **change)
    assert warm.info["replayed"] is True and warm.info["generated"] is False
    assert warm.info["compiled"] is False and warm.timing["compile"] == 0.0
    generated = _run(monkeypatch, cache, replay_on=False, **change)
    assert generated.info["generated"] is True and generated.info["compiled"] is False
    _same(warm, generated)
    base = _run(monkeypatch, cache)
    assert np.max(np.abs(warm.v_mV - base.v_mV)) > 1e-3  # mV: the change was not ignored


def test_a_damaged_recipe_is_regenerated(cache, monkeypatch):
    (recipe,) = cache.glob("builds/*/recipes/*.npz")
    recipe.write_bytes(b"not a recipe")
    r = _run(monkeypatch, cache, weight_nS=1.5)
    assert r.info["generated"] is True and r.info["compiled"] is False and r.info["replay"] is None
    again = _run(monkeypatch, cache, weight_nS=1.5)
    assert again.info["replayed"] is True
    _same(r, again)


def test_a_removed_binary_is_rebuilt(cache, monkeypatch):
    for binary in cache.glob("builds/*/bin/*"):
        binary.unlink()
    r = _run(monkeypatch, cache, weight_nS=0.5)
    assert r.info["generated"] is True and r.info["compiled"] is True
    assert _run(monkeypatch, cache, weight_nS=0.5).info["replayed"] is True


def test_trials_are_replayed(tmp_path, monkeypatch):
    monkeypatch.setenv("CABLEMODEL_CACHE", str(tmp_path))

    def trials(weight_nS, sites):
        return [Trial([Synapse(AMPA, s, weight_nS * nS, spike_times([5] * ms))], s) for s in sites]

    cold = run_trials(CELL, trials(1.0, ["basal@100", "basal@300"]), period=40 * ms,
                      engine="cpp_standalone")
    assert cold.result.info["replay"] is None
    warm = run_trials(CELL, trials(2.0, ["basal@150", "basal@50"]), period=40 * ms,
                      engine="cpp_standalone")
    assert warm.result.info["replayed"] is True
    monkeypatch.setenv("CABLEMODEL_REPLAY", "0")
    generated = run_trials(CELL, trials(2.0, ["basal@150", "basal@50"]), period=40 * ms,
                           engine="cpp_standalone")
    assert generated.result.info["generated"] is True
    assert np.array_equal(warm.result.v_mV, generated.result.v_mV)
    assert float(warm.peak(1, "soma")) > float(warm.peak(0, "soma"))  # 50 um beats 150 um


# -- the recipe logic, without a simulation ---------------------------------------------------------
def _spec(synapses=(), clamps=()):
    return {"cell": _cell_spec("cell", CELL, list(synapses), list(clamps), None, 0.025, False,
                               [c.site for c in clamps])}


def test_signature_separates_structure_from_values():
    def sig(synapses, clamps=()):
        return replay.signature(CircuitSpec(_spec(synapses, clamps), [], []), 0.025, 0.025, "hines")

    base = sig(_synapses(1.0, "basal@200", 2.0))
    assert sig(_synapses(4.0, "basal@300", 6.0)) == base  # values
    one_spike = [Synapse(AMPA, "basal@200", 1 * nS, spike_times([2] * ms)), _synapses(1, "soma", 1)[1]]
    assert sig(one_spike) != base  # a train's length is structure
    assert sig(_synapses(1.0, "basal@200", 2.0), [CurrentClamp("soma", 1 * nA, 0 * ms, 1 * ms)]) != base
    assert replay.signature(CircuitSpec(_spec(_synapses(1.0, "basal@200", 2.0)), [], []),
                            0.025, 0.05, "hines") != base  # the sampling interval


def test_claims_sort_spikes_as_brian2_does():
    values = replay.claims(CircuitSpec(_spec(_synapses(1.0, "basal@200", 2.0)), [], []), 0.025)
    assert values["cell_inputs.spike_time"].tolist() == pytest.approx([0.002, 0.003, 0.006])
    assert values["cell_inputs.neuron_index"].tolist() == [0, 1, 0]
    assert values["cell_inputs._timebins"].tolist() == [80, 120, 240]


def _toy_recipe(writes, inputs):
    return replay.Recipe(inputs, writes, [], [], "code", {})


def test_replay_inputs_refuses_values_its_writes_cannot_leave():
    # Brian2 wrote element 3 of a 5-element variable as a literal (a value slot) only
    inputs = {VALUES_ARRAY: np.zeros(2)}
    recipe = _toy_recipe([{"claim": "cell.I_amp", "kind": "single", "target": 1, "index": 3}], inputs)
    ok = replay.replay_inputs(recipe, {"cell.I_amp": np.array([0, 0, 0, 2e-9, 0])}, None, None)
    assert ok[VALUES_ARRAY].tolist() == [0.0, 2e-9]
    moved = np.array([0, 2e-9, 0, 0, 0])  # the clamp moved: another literal index, another code
    assert replay.replay_inputs(recipe, {"cell.I_amp": moved}, None, None) is None


def test_replay_inputs_whole_writes_and_constants():
    inputs = {VALUES_ARRAY: np.zeros(1), "_static_array__array_cell_g": np.zeros(3)}
    writes = [{"claim": "cell.g", "kind": "array", "target": "_static_array__array_cell_g"},
              {"claim": "cell.v", "kind": "constant", "target": 0, "index": None}]
    recipe = _toy_recipe(writes, inputs)
    out = replay.replay_inputs(recipe, {"cell.g": np.array([1.0, 2.0, 3.0]),
                                        "cell.v": np.array(-0.07)}, None, None)
    assert out["_static_array__array_cell_g"].tolist() == [1.0, 2.0, 3.0]
    assert out[VALUES_ARRAY].tolist() == [-0.07]
    assert recipe.inputs["_static_array__array_cell_g"].tolist() == [0.0, 0.0, 0.0]  # a copy
    assert replay.replay_inputs(recipe, {"cell.g": np.ones(4), "cell.v": np.array(0.0)},
                                None, None) is None  # another size: another structure


@pytest.mark.slow  # a build of its own (about 35 s / 95 s of make test)
def test_waveform_and_voltage_clamps_are_replayed(tmp_path, monkeypatch):
    """Their sampled waveforms (TimedArray values) are input data too."""
    from brian2 import mV

    from cablemodel import Step, VoltageClamp, WaveformClamp

    monkeypatch.setenv("CABLEMODEL_CACHE", str(tmp_path))

    def run(amp_nA, step_mV):
        clamps = [WaveformClamp("soma", Step(amp_nA * nA, 2 * ms, 6 * ms)),
                  VoltageClamp("basal@100", -65 * mV, Step(step_mV * mV, 1 * ms, 5 * ms))]
        return simulate(CELL, [], clamps=clamps, duration=10 * ms, engine="cpp_standalone",
                        record=["i_vclamp@basal@100"])

    assert run(0.3, -40).info["replay"] is None
    warm = run(0.5, -30)
    assert warm.info["replayed"] is True
    monkeypatch.setenv("CABLEMODEL_REPLAY", "0")
    generated = run(0.5, -30)
    assert np.array_equal(warm.v_mV, generated.v_mV)
    assert np.array_equal(np.asarray(warm.trace("i_vclamp@basal@100")),
                          np.asarray(generated.trace("i_vclamp@basal@100")))


def test_recipes_are_pruned_least_recently_used_first(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(replay, "KEEP_RECIPES", 2)
    recipe = _toy_recipe([], {VALUES_ARRAY: np.zeros(1)})
    for k, sig in enumerate(("a", "b")):
        replay.save_recipe(tmp_path, sig, recipe)
        os.utime(tmp_path / "recipes" / f"{sig}.npz", (1000 + k, 1000 + k))
    assert replay.load_recipe(tmp_path, "a") is not None  # used: now the most recent
    replay.save_recipe(tmp_path, "c", recipe)
    assert sorted(p.stem for p in (tmp_path / "recipes").glob("*.npz")) == ["a", "c"]
    loaded = replay.load_recipe(tmp_path, "c")
    assert loaded.inputs[VALUES_ARRAY].tolist() == [0.0] and loaded.code == "code"


@pytest.mark.slow  # a build of its own (about 35 s / 95 s of make test)
def test_circuits_are_replayed(tmp_path, monkeypatch):
    """Two cells, a chemical connection and a gap junction: weights, delays, sites and the gap
    conductance are input data; the replayed run equals the generated one to the last bit."""
    from cablemodel import Connection, GapJunction, simulate_circuit

    monkeypatch.setenv("CABLEMODEL_CACHE", str(tmp_path))

    def run(w_nS, delay_ms, gap_nS, site):
        out = simulate_circuit(
            {"pre": CELL, "post": CELL},
            inputs={"pre": [Synapse(AMPA, "soma", 30 * nS, spike_times([1] * ms))]},
            connections=[Connection("pre", "post", AMPA, site, w_nS * nS, delay_ms * ms)],
            gap_junctions=[GapJunction("basal@300", "basal@300", gap_nS * nS, "pre", "post")],
            duration=12 * ms, engine="cpp_standalone", record={"post": ["g_conn@all"]})
        return out

    cold = run(2.0, 1.0, 1.0, "basal@100")
    assert cold["post"].info["replay"] is None and len(cold["pre"].spikes) == 1
    warm = run(5.0, 2.0, 3.0, "basal@150")
    assert warm["post"].info["replayed"] is True and warm["post"].info["generated"] is False
    monkeypatch.setenv("CABLEMODEL_REPLAY", "0")
    generated = run(5.0, 2.0, 3.0, "basal@150")
    for name in ("pre", "post"):
        assert np.array_equal(warm[name].v_mV, generated[name].v_mV)
        assert np.array_equal(warm[name].spikes_ms, generated[name].spikes_ms)
    assert np.array_equal(np.asarray(warm["post"].trace("g_conn@all")),
                          np.asarray(generated["post"].trace("g_conn@all")))
    assert np.max(np.abs(warm["post"].v_mV - cold["post"].v_mV)) > 0.1  # mV
