"""NEURON export (cablemodel.export.to_neuron, run_neuron) and `cablemodel crosscheck`: our geometry
in NEURON equals our own run (solver check), the script is self-contained, unsupported mechanisms
are refused clearly. Tests that run NEURON skip when it is not installed."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, mM, ms, mV, nA, nS, ohm, siemens

from cablemodel import (
    AMPA,
    Cell,
    Channel,
    CurrentClamp,
    Gate,
    Morphology,
    Receptor,
    Synapse,
    Terminal,
    add_hillock,
    ampa,
    ball_and_stick,
    gaba_b,
    nmda,
    read_swc,
    simulate,
    spike_times,
    standard_cell,
)
from cablemodel.cli import main
from cablemodel.export import run_neuron, to_neuron
from cablemodel.mechanisms.receptors import GLUTAMATE

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"
GRANULE = SHARED / "real" / "dg_granule_rat_mp_ma_40984_gc2.CNG.swc"
EXP2 = Receptor("exp2", 0 * mV, 0.2 * ms, 2 * ms)
RTOL = 1e-4


@pytest.fixture
def nrn():
    return pytest.importorskip("neuron", reason="NEURON is not installed (pip install neuron)")


def _granule(shared) -> Morphology:
    return read_swc(shared / "real" / GRANULE.name, discretization={"Ri": 150 * ohm * cm})[0]


def _straightened(morph: Morphology) -> Morphology:
    """Each section a straight line through its compartment boundaries (diameters there): the
    3-D pieces are then exactly cablemodel's compartment frusta, whatever the geometry rule."""
    out = [morph.soma]
    for sec in morph.sections[1:]:
        _, diam = sec.resampled()
        x = np.linspace(0.0, sec.length, sec.n_compartments + 1)
        pts = np.column_stack([x, np.zeros_like(x), np.zeros_like(x), diam])
        out.append(replace(sec, points=pts, swc_ids=None))
    return replace(morph, sections=tuple(out))


def _solver_check(cell: Cell, synapse: Synapse, record: list[str], duration=15 * ms) -> None:
    """Peaks and traces of our run and of the exported NEURON run agree to RTOL (relative to the
    PSP peak); areas and distances of the compartments agree too."""
    ours = simulate(cell, [synapse], duration=duration, record=record, engine="numpy")
    out = run_neuron(to_neuron(cell, [synapse], record=record, duration=duration))
    geo = out["geometry"]
    np.testing.assert_allclose(geo["area_um2"], cell.table.area, rtol=1e-6)  # pt3d: float32
    np.testing.assert_allclose(geo["distance_um"], cell.table.distance, rtol=1e-6, atol=1e-4)
    assert set(out["v_mV"]) == set(ours.labels)
    for label in ours.labels:
        a, b = ours.v(label) / mV - ours.v_rest_mV, np.asarray(out["v_mV"][label]) - ours.v_rest_mV
        peak = a[np.argmax(np.abs(a))]
        assert b[np.argmax(np.abs(b))] == pytest.approx(peak, rel=RTOL), label
        # an event at t acts at t in both (issue 7 (c)): the traces agree without any shift
        # (NEURON also records t = duration, one sample more)
        assert len(b) == len(a) + 1
        assert np.abs(a - b[:-1]).max() <= RTOL * abs(peak), label


def test_solver_check_ball_and_stick(nrn):
    cell = Cell(ball_and_stick())
    _solver_check(cell, Synapse(EXP2, "basal@100", 1 * nS, spike_times([1] * ms)), ["basal@400"])


def test_solver_check_real_cell_straightened(nrn, shared):
    """A real tree (the granule cell's 29 sections, 175 compartments) whose sections run straight
    through their compartment boundaries: the solver check independent of the geometry rule."""
    cell = Cell(_straightened(_granule(shared)), Ri=150 * ohm * cm, g_leak=1e-4 * siemens / cm**2,
                spike_site="soma")
    _solver_check(cell, Synapse(EXP2, "#100", 1 * nS, spike_times([1] * ms)), ["#40", "#170"])


def test_solver_check_real_cell(nrn, shared):
    """The granule cell's own 3-D points: NEURON integrates area and resistance over the pieces
    inside each segment, as cablemodel does (issue 7 (a))."""
    cell = Cell(_granule(shared), Ri=150 * ohm * cm, g_leak=1e-4 * siemens / cm**2, spike_site="soma")
    _solver_check(cell, Synapse(EXP2, "swc:118", 1 * nS, spike_times([1] * ms)), ["swc:235"])


def _first_crossing(t: np.ndarray, v: np.ndarray, threshold: float) -> float:
    """Time (ms) v first crosses threshold upwards, linearly interpolated (inf if never)."""
    k = np.flatnonzero((v[1:] > threshold) & (v[:-1] <= threshold))
    if not k.size:
        return np.inf
    i = int(k[0])
    return float(t[i] + (threshold - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i]))


def test_active_ball_and_stick_spikes_match(nrn):
    """hh export: the same spikes for synaptic drive and for a current step (within 0.05 ms; the
    two simulators update the HH gates at different points of a step)."""
    cell = standard_cell(ball_and_stick())
    syn = [Synapse(AMPA, "basal@100", 20 * nS, spike_times([1] * ms))]
    clamps = [CurrentClamp("soma", 0.3 * nA, 10 * ms, 15 * ms)]
    sites = ["soma", "hillock", "axon@100"]
    ours = simulate(cell, syn, clamps=clamps, record=sites, duration=20 * ms, engine="numpy")
    out = run_neuron(to_neuron(cell, syn, clamps, record=sites, duration=20 * ms))
    assert len(ours.spikes_ms) == len(out["spikes_ms"]) == 2
    np.testing.assert_allclose(out["spikes_ms"], ours.spikes_ms, atol=0.05)
    thr = float(cell.spike_threshold / mV)
    for start in (0.0, 10.0):  # each spike starts at the hillock in both
        first_ours = {s: _first_crossing(ours.t_ms, np.where(ours.t_ms >= start, ours.v(s) / mV,
                                                             -100), thr) for s in sites}
        t_nrn = np.asarray(out["t_ms"])
        first_nrn = {s: _first_crossing(t_nrn, np.where(t_nrn >= start, out["v_mV"][s], -100), thr)
                     for s in sites}
        assert min(first_ours, key=first_ours.get) == min(first_nrn, key=first_nrn.get) == "hillock"


@pytest.mark.parametrize("drive", ["step", "synapse"])
def test_active_real_cell_with_added_hillock_spikes_match(nrn, shared, drive):
    """The granule cell with an added hillock and HH: the same spikes (count, times within
    0.05 ms) for a current step and for synaptic drive, and the same first spike site."""
    cell = standard_cell(add_hillock(_granule(shared)))
    if drive == "step":
        syn, clamps = [], [CurrentClamp("soma", 0.3 * nA, 2 * ms, 30 * ms)]
    else:
        syn, clamps = [Synapse(AMPA, "swc:20", 30 * nS, spike_times([2, 15] * ms))], []
    sites = ["soma", "hillock", "swc:235"]
    ours = simulate(cell, syn, clamps=clamps, record=sites, duration=30 * ms, engine="numpy")
    out = run_neuron(to_neuron(cell, syn, clamps, record=sites, duration=30 * ms))
    # the squid HH kinetics on this large soma fire once per step, twice for the two EPSPs
    assert len(ours.spikes_ms) == len(out["spikes_ms"]) == (1 if drive == "step" else 2)
    np.testing.assert_allclose(out["spikes_ms"], ours.spikes_ms, atol=0.05)
    thr = float(cell.spike_threshold / mV)
    first_ours = {s: _first_crossing(ours.t_ms, np.asarray(ours.v(s) / mV), thr) for s in sites}
    t_nrn = np.asarray(out["t_ms"])
    first_nrn = {s: _first_crossing(t_nrn, np.asarray(out["v_mV"][s]), thr) for s in sites}
    assert min(first_ours, key=first_ours.get) == min(first_nrn, key=first_nrn.get) == "hillock"


def test_script_is_self_contained(nrn, tmp_path):
    """The script runs from a folder of its own, with cablemodel made unimportable."""
    script = to_neuron(Cell(ball_and_stick()), [Synapse(AMPA, "soma", 1 * nS, spike_times([1] * ms))],
                       duration=3 * ms)
    (tmp_path / "model.py").write_text(script)
    code = ("import runpy, sys; sys.modules['cablemodel'] = None; sys.argv = ['model.py'];"
            " runpy.run_path('model.py', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(out["t_ms"]) == 121 and out["v_mV"]["soma"][-1] > -65 + 0.5
    assert "import cablemodel" not in script


@pytest.mark.parametrize("receptor, what", [
    (nmda(mg=1 * mM), "NMDAReceptor"), (ampa(cleft=GLUTAMATE), "Ionotropic"),
    (gaba_b(), "Metabotropic"), (Terminal(AMPA), "Terminal")], ids=["nmda", "cleft", "gaba_b", "terminal"])
def test_unsupported_receptors_are_refused(receptor, what):
    syn = Synapse(receptor, "basal@100", 1 * nS, spike_times([1] * ms))
    with pytest.raises(ValueError, match=f"receptor '{receptor.name}' \\({what}\\) cannot be exported"
                       " to NEURON") as err:
        to_neuron(Cell(ball_and_stick()), [syn])
    assert "synapse 0 at basal@100" in str(err.value) and "Exp2Syn" in str(err.value)


def test_unsupported_channel_is_refused():
    ka = Channel("ka", -90 * mV, (Gate("a", 1, "0.1", "0.1"),))
    cell = Cell(ball_and_stick()).paint(ka, "soma", 0.01 * siemens / cm**2)
    with pytest.raises(ValueError, match="channel 'ka' cannot be exported to NEURON: only the"
                       " Hodgkin-Huxley"):
        to_neuron(cell)


def test_run_neuron_without_neuron_says_how_to_install(monkeypatch):
    import cablemodel.io.neuron as exporter

    monkeypatch.setattr(exporter, "neuron_available", lambda: False)
    with pytest.raises(ModuleNotFoundError, match=r"pip install neuron \(or pip install"
                       r" 'cablemodel\[neuron\]'\)"):
        run_neuron("print(1)")
    assert main(["crosscheck", "cell.swc", "--site", "soma"]) == 2


def test_crosscheck_cli_small_file(nrn, tmp_path, capsys):
    """Soma sphere and one 100 um cylinder: all three models agree; a site NEURON's Import3d
    model cannot place is n/a; --active adds a hillock and says so."""
    swc = tmp_path / "cell.swc"
    swc.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 55 0 1 2\n4 3 0 105 0 1 3\n")
    assert main(["crosscheck", str(swc), "--site", "swc:3", "--site", "basal@20", "--json",
                 "--engine", "numpy", "--duration", "10"]) == 0
    out = json.loads(capsys.readouterr().out)
    mid, other = out["sites"]
    for model in ("neuron_export", "import3d"):
        d = mid["differences"][model]
        assert abs(d["local_peak_rel"]) < 1e-3 and abs(d["soma_peak_rel"]) < 1e-3, model
    assert mid["import3d"]["path_distance_um"] == pytest.approx(50, abs=1e-3)     # the sample
    assert abs(mid["differences"]["import3d"]["path_distance_um"]) < 100 / 2 / 3  # half a compartment
    assert "n/a" in other["import3d"] and "swc:ID" in other["import3d"]["n/a"]
    assert main(["crosscheck", str(swc), "--site", "soma", "--active", "--weight", "0", "--step", "0.5",
                 "--engine", "numpy", "--duration", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["notes"][0].startswith("hillock added (the active channels need one)")
    (row,) = out["sites"]
    assert len(row["cablemodel"]["spikes_ms"]) == 1
    for model in ("neuron_export", "import3d"):
        assert np.abs(row["differences"][model]["spike_times_ms"]).max() <= 0.05, model
