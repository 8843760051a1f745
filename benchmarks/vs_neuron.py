"""cablemodel vs NEURON: the same 1009-compartment cell, the same synaptic input, both timed.

The cell is a binary tree of depth 6 on a spherical Hodgkin-Huxley soma (20 um): a 2 um root
branch and its 62 descendants of 100 um, all 1 um thick, 16 compartments per branch
(63 x 16 + 1 = 1009 compartments). The dendrites are passive (leak 3e-4 S/cm^2 at -65 mV).
Twenty 50 Hz Poisson trains (seeded, generated here with numpy on the dt grid) drive 2 nS
single-exponential synapses (tau 2 ms, E = 0 mV) in the middle of one depth-6 leaf. NEURON runs
fixed-step backward Euler (dt = 25 us, 6.3 degC), hh without its rate tables so that both
simulators evaluate the same rate functions.

Printed on stdout: one JSON line with the run-phase wall times (medians over ``--repeats`` runs,
after one untimed warm-up run in each simulator whose traces are compared), their ratio,
cablemodel's build/compile time on the first run, and the largest difference of the somatic
potential between the two simulators over the whole run. Everything else goes to stderr.

Both simulators get the same spike times, and both let a spike at step k act on the membrane from
step k on (cablemodel runs the spike generator and the synapses' on_pre before the cable update of
the step, see cablemodel.simulation.engine), so the traces are compared without a time shift.

Usage::

    python benchmarks/vs_neuron.py [--repeats 5] [--duration-ms 1000] [--engine cpp_standalone]
    python benchmarks/vs_neuron.py --quick      # 100 ms, 2 repeats (smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

DT_MS = 0.025
DEPTH = 6
N_PER_BRANCH = 16
ROOT_LENGTH_UM = 2.0
BRANCH_LENGTH_UM = 100.0
BRANCH_DIAM_UM = 1.0
SOMA_DIAM_UM = 20.0
RI_OHM_CM = 100.0
CM_UF_CM2 = 1.0
G_LEAK_S_CM2 = 3e-4
V_REST_MV = -65.0
GNA_S_CM2, GK_S_CM2 = 0.12, 0.036
ENA_MV, EK_MV = 50.0, -77.0
CELSIUS = 6.3
N_TRAINS, RATE_HZ, SEED = 20, 50.0, 20240
SYN_WEIGHT_NS, SYN_TAU_MS, SYN_E_MV = 2.0, 2.0, 0.0
#: Fraction along the leaf where the synapses sit: the centre of compartment 8 of 16, which is
#: what cablemodel's ``on_section(leaf, 0.5)`` resolves to (NEURON's x = 0.5 is a segment border).
SYN_X = (N_PER_BRANCH // 2 + 0.5) / N_PER_BRANCH


# -- the cell and its input, described once for both simulators -----------------------------
def tree_branches() -> list[tuple[str, str, int, float]]:
    """Branches ``(name, parent, depth, length_um)``, breadth first (parents before children).

    Depth 1 is the 2 um root ``"b"`` on the soma; each branch above depth 6 has two children,
    named by appending 0 or 1 to the parent's name.
    """
    out = [("b", "soma", 1, ROOT_LENGTH_UM)]
    k = 0
    while k < len(out):
        name, _parent, depth, _length = out[k]
        if depth < DEPTH:
            out += [(f"{name}{c}", name, depth + 1, BRANCH_LENGTH_UM) for c in "01"]
        k += 1
    return out


SYN_LEAF = "b" + "0" * (DEPTH - 1)  # a depth-6 leaf


def spike_trains(duration_ms: float) -> list[np.ndarray]:
    """Seeded Poisson spike times (ms), one array per train, on the dt grid (so that neither
    simulator rounds them); of two spikes of one train less than 2 dt apart the later is
    dropped (cablemodel rejects spikes closer than dt)."""
    rng = np.random.default_rng(SEED)
    n_steps = int(round(duration_ms / DT_MS))
    trains = []
    for _ in range(N_TRAINS):
        n = rng.poisson(RATE_HZ * duration_ms / 1000.0)
        steps = np.unique(np.floor(rng.uniform(0.0, duration_ms, n) / DT_MS).astype(int))
        keep: list[int] = []
        for s in steps[steps < n_steps].tolist():
            if not keep or s - keep[-1] >= 2:
                keep.append(s)
        trains.append(np.asarray(keep, dtype=float) * DT_MS)
    return trains


# -- cablemodel --------------------------------------------------------------------------------
def cablemodel_cell():
    from brian2 import cm, mV, ohm, siemens, uF

    from cablemodel import Cell, HHPotassium, HHSodium, Morphology, Section

    sections = [Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, SOMA_DIAM_UM]]))]
    end = {"soma": (np.zeros(3), 0.0)}  # end point and heading (radians) of each section
    for name, parent, depth, length in tree_branches():
        start, heading = end[parent]
        if depth > 1:  # fan the children out in the x-y plane
            heading += (1 if name[-1] == "1" else -1) * np.pi / 2 ** (depth - 0.5)
        stop = start + length * np.array([np.cos(heading), np.sin(heading), 0.0])
        pts = np.array([[*start, BRANCH_DIAM_UM], [*stop, BRANCH_DIAM_UM]])
        sections.append(Section(name, "basal", parent, pts, N_PER_BRANCH))
        end[name] = (stop, heading)
    morph = Morphology(tuple(sections), name="binary_tree")
    cell = Cell(morph, Ri=RI_OHM_CM * ohm * cm, Cm=CM_UF_CM2 * uF / cm**2,
                g_leak=G_LEAK_S_CM2 * siemens / cm**2, v_rest=V_REST_MV * mV,
                celsius=CELSIUS, spike_site="soma")
    cell.paint(HHSodium(ENA_MV * mV), "soma", GNA_S_CM2 * siemens / cm**2)
    cell.paint(HHPotassium(EK_MV * mV), "soma", GK_S_CM2 * siemens / cm**2)
    return cell


def run_cablemodel(cell, trains, duration_ms: float, engine: str):
    from brian2 import ms, mV, nS

    from cablemodel import Receptor, Synapse, on_section, simulate, spike_times

    exc = Receptor("exc", SYN_E_MV * mV, 0 * ms, SYN_TAU_MS * ms)  # tau_rise 0: single exp
    syns = [Synapse(exc, on_section(SYN_LEAF, 0.5), SYN_WEIGHT_NS * nS, spike_times(t * ms))
            for t in trains if len(t)]
    return simulate(cell, syns, duration=duration_ms * ms, dt=DT_MS * ms, engine=engine)


# -- NEURON ----------------------------------------------------------------------------------
class NeuronModel:
    """The same cell in NEURON, with the spike times delivered by ``NetCon.event``."""

    def __init__(self, trains, el_hh_mV: float, duration_ms: float):
        from neuron import h

        h.load_file("stdrun.hoc")
        self.h, self.tstop = h, duration_ms
        self.soma = h.Section(name="soma")
        self.soma.L = self.soma.diam = SOMA_DIAM_UM  # cylinder area = sphere area
        self.soma.nseg = 1
        self.soma.insert("hh")
        hh = self.soma(0.5).hh
        hh.gnabar, hh.gkbar, hh.gl, hh.el = GNA_S_CM2, GK_S_CM2, G_LEAK_S_CM2, el_hh_mV
        self.soma.ena, self.soma.ek = ENA_MV, EK_MV
        self.secs = {"soma": self.soma}
        for name, parent, _depth, length in tree_branches():
            sec = h.Section(name=name)
            sec.L, sec.diam, sec.nseg = length, BRANCH_DIAM_UM, N_PER_BRANCH
            sec.insert("pas")
            for s in sec:
                s.pas.g, s.pas.e = G_LEAK_S_CM2, V_REST_MV
            # the soma is isopotential in Brian2: attach at its centre node
            sec.connect(self.secs[parent](0.5 if parent == "soma" else 1.0), 0.0)
            self.secs[name] = sec
        for sec in self.secs.values():
            sec.Ra, sec.cm = RI_OHM_CM, CM_UF_CM2
        h.usetable_hh = 0  # exact rate functions, as in cablemodel (tables interpolate)
        h.celsius = CELSIUS
        h.cvode.active(0)
        h.dt = DT_MS
        h.steps_per_ms = 1.0 / DT_MS
        h.tstop = duration_ms

        self.syns, self.netcons = [], []
        for _ in trains:
            syn = h.ExpSyn(self.secs[SYN_LEAF](SYN_X))
            syn.tau, syn.e = SYN_TAU_MS, SYN_E_MV
            nc = h.NetCon(None, syn)
            nc.weight[0] = SYN_WEIGHT_NS * 1e-3  # ExpSyn weights are in uS
            self.syns.append(syn)
            self.netcons.append(nc)
        self.trains = trains
        self._fih = h.FInitializeHandler(1, self._queue_events)
        self.t = h.Vector().record(h._ref_t)
        self.v_soma = h.Vector().record(self.soma(0.5)._ref_v)
        self.v_syn = h.Vector().record(self.secs[SYN_LEAF](SYN_X)._ref_v)

    def _queue_events(self):
        for nc, times in zip(self.netcons, self.trains, strict=True):
            for t in times.tolist():
                nc.event(t)

    def run(self) -> float:
        """Initialise, then run; returns the wall time of the run alone (seconds)."""
        h = self.h
        h.finitialize(V_REST_MV)
        t0 = time.perf_counter()
        h.continuerun(self.tstop)
        return time.perf_counter() - t0


# -- driver ----------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per simulator (median)")
    ap.add_argument("--duration-ms", type=float, default=1000.0, help="simulated time (ms)")
    ap.add_argument("--engine", default="cpp_standalone", choices=("cpp_standalone", "cython"))
    ap.add_argument("--quick", action="store_true", help="smoke test: 100 ms, 2 repeats")
    args = ap.parse_args(argv)
    if args.quick:
        args.duration_ms, args.repeats = 100.0, 2
    if args.repeats < 1 or not args.duration_ms > 0:
        ap.error("need --repeats >= 1 and --duration-ms > 0")

    # Keep stdout for the JSON line alone: NEURON, compilers and Brian2 may write to fd 1.
    sys.stdout.flush()
    json_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)

    import brian2
    import neuron
    from brian2 import mV

    trains = spike_trains(args.duration_ms)
    cell = cablemodel_cell()
    el_hh = float(cell.leak_reversal()[0] / mV)
    log = sys.stderr

    model = NeuronModel(trains, el_hh, args.duration_ms)
    model.run()  # warm-up, and the reference trace
    nrn_t = np.array(model.t)
    nrn_v = np.array(model.v_soma)
    nrn_times = [model.run() for _ in range(args.repeats)]
    print(f"NEURON: runs {[round(x, 3) for x in nrn_times]} s", file=log)

    first = run_cablemodel(cell, trains, args.duration_ms, args.engine)
    cm_times = [run_cablemodel(cell, trains, args.duration_ms, args.engine).info["run_seconds"]
                for _ in range(args.repeats)]
    print(f"cablemodel: first run {first.info}, runs {[round(x, 3) for x in cm_times]} s",
          file=log)
    cm_s = statistics.median(cm_times)
    nrn_s = statistics.median(nrn_times)
    if args.engine == "cpp_standalone":
        build_s = first.info["build_seconds"]
    else:  # runtime engines compile inside the first run
        build_s = first.info["build_seconds"] + first.info["run_seconds"] - cm_s

    n = min(len(first.t_ms), len(nrn_t))
    if not np.allclose(first.t_ms[:n], nrn_t[:n], atol=DT_MS / 10, rtol=0):
        raise RuntimeError("NEURON and cablemodel sample at different times")
    dv = np.abs(first.v("soma")[:n] / mV - nrn_v[:n])
    k = int(np.argmax(dv))
    print(f"max |dV_soma| = {dv[k]:.4g} mV at t = {nrn_t[k]:.3f} ms; spikes: cablemodel"
          f" {len(first.spikes_ms)}, NEURON {_count_spikes(nrn_v)}", file=log)

    out = {
        "neuron_s": round(nrn_s, 4),
        "cablemodel_s": round(cm_s, 4),
        "ratio": round(cm_s / nrn_s, 3),
        "build_s": round(build_s, 3),
        "max_abs_dv_mV": round(float(dv[k]), 4),
        "compartments": int(first.info["compartments"]),
        "repeats": args.repeats,
        "engine": args.engine,
        "neuron_version": neuron.__version__,
        "brian2_version": brian2.__version__,
    }
    json_out.write(json.dumps(out) + "\n")
    json_out.flush()
    return 0


def _count_spikes(v: np.ndarray, threshold: float = -20.0) -> int:
    return int(np.sum((v[1:] > threshold) & (v[:-1] <= threshold)))


if __name__ == "__main__":
    sys.exit(main())
