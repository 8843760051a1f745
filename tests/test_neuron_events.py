"""Event timing and spike times against NEURON, on a ball-and-stick built by hand in both.

The cell: a 20 um soma (NEURON: a 3-point cylinder with L = diam, the children attached at its
centre, so that both somas are one isopotential compartment of the same area), a passive dendrite,
a hillock and an axon with Hodgkin-Huxley Na+/K+ (NEURON's ``hh`` without rate tables). Cylinders
have the same compartment geometry in both simulators, so the traces must agree to the solvers'
round-off, without shifting one of them in time: an external event at t acts in the step that
starts at t, a connection at the presynaptic detection time plus its delay (cablemodel.simulation.engine).
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, nS, ohm, siemens, uF

from cablemodel import (
    Cell,
    Connection,
    CurrentClamp,
    HHPotassium,
    HHSodium,
    Morphology,
    Receptor,
    Section,
    Synapse,
    on_section,
    simulate,
    simulate_circuit,
    spike_times,
)

neuron = pytest.importorskip("neuron")

DT = 0.025  # ms
RA, CM, GL, EL = 100.0, 1.0, 3e-4, -65.0  # ohm cm, uF/cm2, S/cm2, mV
SOMA_D = 20.0  # um
#: name: (region, parent, length um, diameter um, compartments); cylinders
SECTIONS = {"dend": ("basal", "soma", 300.0, 1.0, 31),
            "hill": ("hillock", "soma", 20.0, 1.5, 5),
            "axon": ("axon", "hill", 200.0, 1.0, 21)}
HH = {"soma": (0.05, 0.036), "hill": (1.2, 0.12), "axon": (0.12, 0.036)}  # gnabar, gkbar S/cm2
EXC = Receptor("exc", 0 * mV, 0.2 * ms, 2.0 * ms)  # as Exp2Syn(tau1=0.2, tau2=2, e=0)
THRESHOLD = -20.0  # mV, cablemodel's default spike threshold


def _cell(active: bool, **spikes) -> Cell:
    heading = {"dend": np.array([0.0, 1, 0]), "hill": np.array([0.0, -1, 0]),
               "axon": np.array([0.0, -1, 0])}
    sections, ends = [Section("soma", "soma", None, np.array([[0.0, 0, 0, SOMA_D]]))], {"soma": 0}
    for name, (region, parent, length, diam, n) in SECTIONS.items():
        start = SOMA_D / 2 * heading[name] if parent == "soma" else ends[parent]
        ends[name] = start + length * heading[name]
        sections.append(Section(name, region, parent, np.array([[*start, diam], [*ends[name], diam]]),
                                n))
    cell = Cell(Morphology(tuple(sections)), Ri=RA * ohm * cm, Cm=CM * uF / cm**2,
                g_leak=GL * siemens / cm**2, v_rest=EL * mV, celsius=6.3, spike_site="hillock",
                **spikes)
    if active:
        for name, region in (("soma", "soma"), ("hill", "hillock"), ("axon", "axon")):
            cell.paint(HHSodium(50 * mV), region, HH[name][0] * siemens / cm**2)
            cell.paint(HHPotassium(-77 * mV), region, HH[name][1] * siemens / cm**2)
    return cell


def _x(name: str, fraction: float) -> float:
    """NEURON's x of the centre of the compartment that cablemodel's ``on_section`` picks."""
    n = SECTIONS[name][4] if name != "soma" else 1
    return (min(int(fraction * n), n - 1) + 0.5) / n


class NeuronCell:
    """The same cell in NEURON; ``segments`` are in cablemodel's compartment order."""

    def __init__(self, h, cell: Cell):
        self.soma = h.Section(name="soma")
        for y in (-SOMA_D / 2, 0.0, SOMA_D / 2):
            self.soma.pt3dadd(0.0, y, 0.0, SOMA_D)
        self.secs = {"soma": self.soma}
        for name, (_region, parent, length, diam, n) in SECTIONS.items():
            sec = self.secs[name] = h.Section(name=name)
            sec.L, sec.diam, sec.nseg = length, diam, n
            sec.connect(self.secs[parent](0.5 if parent == "soma" else 1.0), 0.0)
        table, e_leak = cell.table, np.asarray(cell.leak_reversal() / mV)
        self.segments = [None] * len(table)
        for name, sec in self.secs.items():
            sec.Ra, sec.cm = RA, CM
            sec.insert("hh" if cell.channels and name in HH else "pas")
            if cell.channels and name in HH:
                sec.ena, sec.ek = 50.0, -77.0
            for seg, i in zip(sec, np.flatnonzero(table.section == name), strict=True):
                self.segments[i] = seg
                if cell.channels and name in HH:
                    seg.hh.gnabar, seg.hh.gkbar = HH[name]
                    seg.hh.gl, seg.hh.el = GL, e_leak[i]
                else:
                    seg.pas.g, seg.pas.e = GL, EL

    def record(self, h) -> list:
        return [h.Vector().record(seg._ref_v) for seg in self.segments]


@pytest.fixture(scope="module")
def h():
    from neuron import h

    h.load_file("stdrun.hoc")
    h.usetable_hh = 0  # exact rate functions, as cablemodel
    h.celsius = 6.3
    h.cvode.active(0)
    h.dt, h.steps_per_ms = DT, 1 / DT
    return h


def _run(h, duration: float, events=()) -> None:
    """Fixed-step NEURON run; ``events``: (NetCon, times) pairs queued at initialisation."""
    handler = h.FInitializeHandler(1, lambda: [nc.event(t) for nc, ts in events for t in ts])
    h.tstop = duration
    h.finitialize(EL)
    h.continuerun(duration)
    del handler


def _exp2syn(h, seg):
    syn = h.Exp2Syn(seg)
    syn.tau1, syn.tau2, syn.e = 0.2, 2.0, 0.0
    return syn


def _relative_difference(ours, theirs) -> float:
    n = min(ours.shape[1], theirs.shape[1])
    return float(np.abs(ours[:, :n] - theirs[:, :n]).max() / np.abs(theirs - EL).max())


def test_external_event_acts_in_the_step_that_starts_at_its_time(h):
    """Passive EPSPs from events at 0 ms, 4 ms (on the grid) and 8.013 ms (between steps: the
    nearest step, 8.025 ms, as NEURON), every compartment, no shift. One dt late (Brian2's
    default schedule, cablemodel before this rule) the difference is 2.9e-2."""
    cell = _cell(active=False)
    times = [0.0, 4.0, 8.013]
    nrn = NeuronCell(h, cell)
    syn = _exp2syn(h, nrn.secs["dend"](_x("dend", 0.5)))
    nc = h.NetCon(None, syn)
    nc.weight[0] = 1e-3  # uS
    vecs = nrn.record(h)
    _run(h, 15.0, [(nc, times)])
    theirs = np.array(vecs)
    r = simulate(cell, [Synapse(EXC, on_section("dend", 0.5), 1 * nS, spike_times(times * ms))],
                 duration=15 * ms, dt=DT * ms, record="all", engine="numpy")
    assert np.abs(theirs - EL).max() > 5.0  # mV: a real EPSP
    assert _relative_difference(r.v_mV, theirs) < 1e-4  # measured: 1.2e-7


@pytest.fixture(scope="module")
def active_runs(h):
    """A current step (soma, 0.3 nA, 2-12 ms: one spike) then synaptic drive (30 nS on the
    dendrite, events at 16 and 24 ms: one spike each), in NEURON and in cablemodel (numpy and
    cpp_standalone)."""
    cell = _cell(active=True)
    events = [16.0, 24.0]
    nrn = NeuronCell(h, cell)
    clamp = h.IClamp(nrn.soma(0.5))
    clamp.delay, clamp.dur, clamp.amp = 2.0, 10.0, 0.3
    syn = _exp2syn(h, nrn.secs["dend"](_x("dend", 0.1)))
    drive = h.NetCon(None, syn)
    drive.weight[0] = 30e-3  # uS
    spike_site = nrn.secs["hill"](_x("hill", 0.5))
    detector = h.NetCon(spike_site._ref_v, None, sec=nrn.secs["hill"])
    detector.threshold = THRESHOLD
    recorded = h.Vector()
    detector.record(recorded)
    vecs = nrn.record(h)
    _run(h, 30.0, [(drive, events)])
    ours = {engine: simulate(cell, [Synapse(EXC, on_section("dend", 0.1), 30 * nS,
                                            spike_times(events * ms))],
                             clamps=[CurrentClamp("soma", 0.3 * nA, 2 * ms, 12 * ms)],
                             duration=30 * ms, dt=DT * ms, record="all", engine=engine)
            for engine in ("numpy", "cpp_standalone")}
    return cell, np.array(recorded), np.array(vecs), ours


@pytest.mark.parametrize("engine", ["numpy", "cpp_standalone"])
def test_spike_times_match_neuron(active_runs, engine):
    cell, recorded, theirs, ours = active_runs
    r = ours[engine]
    t_nrn = recorded
    assert r.spike_count(0 * ms, 14 * ms) == 1 and r.spike_count(14 * ms, 30 * ms) == 2
    assert len(r.spikes_ms) == len(t_nrn)
    assert np.abs(r.spikes_ms - t_nrn).max() < 0.05  # ms; measured: 0.024 (< dt, see below)
    # NEURON's NetCon.record gives the end of the step in which v crossed; cablemodel the
    # crossing interpolated within that step, i.e. what NEURON's own trace interpolates to
    v = theirs[cell.spike_compartment]
    k = np.flatnonzero((v[:-1] <= THRESHOLD) & (v[1:] > THRESHOLD))
    assert np.allclose(t_nrn, (k + 1) * DT, atol=1e-6)
    interpolated = (k + (THRESHOLD - v[k]) / (v[k + 1] - v[k])) * DT
    assert np.abs(r.spikes_ms - interpolated).max() < 1e-4  # ms; measured: 5e-8
    assert np.abs(r.v_mV - theirs[:, :r.v_mV.shape[1]]).max() < 1e-3  # mV; measured: 1.3e-5


@pytest.mark.parametrize("overshoot, short", [(None, 0.0), (0 * mV, 0.5)])
def test_connection_acts_at_detection_time_plus_delay(h, overshoot, short):
    """A spiking presynaptic cell drives a passive one through two synapses, 1 ms and a short
    delay; NEURON's NetCons have the same delays. Every postsynaptic compartment agrees: with
    every crossing sent at once (``spike_overshoot=None``, NEURON's NetCon; delay 0 allowed) and
    with the action-potential criterion (the event leaves 0.5 ms after the crossing, the delay
    is shortened by as much)."""
    pre, post = _cell(active=True, spike_overshoot=overshoot), _cell(active=False)
    delays = {"dend": 1.0, "soma": short}
    nrn_pre, nrn_post = NeuronCell(h, pre), NeuronCell(h, post)
    clamp = h.IClamp(nrn_pre.soma(0.5))
    clamp.delay, clamp.dur, clamp.amp = 2.0, 2.0, 1.0
    keep = []
    for name, delay in delays.items():
        syn = _exp2syn(h, nrn_post.secs[name](_x(name, 0.5)))
        nc = h.NetCon(nrn_pre.secs["hill"](_x("hill", 0.5))._ref_v, syn, sec=nrn_pre.secs["hill"])
        nc.threshold, nc.delay, nc.weight[0] = THRESHOLD, delay, 3e-3
        keep += [syn, nc]
    vecs = nrn_post.record(h)
    _run(h, 12.0)
    theirs = np.array(vecs)
    conns = [Connection("pre", "post", EXC, on_section(name, 0.5), 3 * nS, delay * ms)
             for name, delay in delays.items()]
    out = simulate_circuit({"pre": pre, "post": post}, connections=conns,
                           clamps={"pre": [CurrentClamp("soma", 1 * nA, 2 * ms, 4 * ms)]},
                           duration=12 * ms, dt=DT * ms, record={"post": "all"}, engine="numpy")
    assert out["pre"].spike_count() == 1
    assert np.abs(theirs - EL).max() > 1.0  # mV: a real EPSP
    assert _relative_difference(out["post"].v_mV, theirs) < 1e-4  # measured: 4e-8
