"""Cost of cablemodel.sweep's machinery and speed of its backends. Prints one JSON line per case.

* ``machinery``: per point, what a sweep adds to the lone simulate (the setup's arguments,
  measures and a trace read from the Result, the point file written to the store, the
  Dataset assembled), timed on a real Result, repeated.
* ``serial_vs_lone``: a warm serial sweep of N points against N lone simulate calls, end to end.
* ``backends``: the same N points with the serial, processes (2 workers) and Dask (LocalCluster
  of 2 worker processes) backends, start-up included, and as trials of one simulation
  (``as_trials=True``: serial, processes); ``dask_startup_s`` is the start and close of an empty
  LocalCluster (processes and threads).

Run:  python benchmarks/sweep_backends.py [N_POINTS]   (numpy engine, a 38-compartment
ball-and-stick, 6 ms, one AMPA synapse per point)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from brian2 import ms, nS, um

from cablemodel import AMPA, Cell, Synapse, ball_and_stick, simulate, spike_times, sweep
from cablemodel.sweeps.grid import assemble, make_grid
from cablemodel.sweeps.measures import parse_measure
from cablemodel.sweeps.run import PointTask
from cablemodel.sweeps.store import Store

MEASURES = {"soma_peak": "peak@soma", "far_max": "max@basal@300", "n_spikes": "spikes"}
_CELL = []


def setup(weight, site):
    """One AMPA synapse on a small passive ball-and-stick (the cell built once per process)."""
    if not _CELL:
        _CELL.append(Cell(ball_and_stick(max_compartment_length=50 * um)))
    return {"cell": _CELL[0], "synapses": [Synapse(AMPA, site, weight, spike_times([1] * ms))],
            "duration": 6 * ms, "dt": 0.1 * ms, "engine": "numpy"}


def _axes(n: int) -> dict:
    return {"weight": [0.5 + 0.25 * k for k in range(n // 2)] * nS, "site": ["basal@50", "basal@200"]}


def machinery(repeats: int = 200) -> dict:
    task = PointTask(setup, tuple((k, parse_measure(m)) for k, m in MEASURES.items()), ("soma",))
    point = {"weight": 1 * nS, "site": "basal@50"}
    result = simulate(**task.arguments(point))
    t0 = time.perf_counter()
    for _ in range(repeats):
        task.arguments(point)
    t_args = (time.perf_counter() - t0) / repeats
    t0 = time.perf_counter()
    for _ in range(repeats):
        for _name, m in task.measures:
            m(result)
        result.v_mV[result.labels.index("soma")]
    t_measure = (time.perf_counter() - t0) / repeats
    record = task({**point})  # one full point (its simulate included) for a realistic record
    with tempfile.TemporaryDirectory() as folder:
        store = Store(folder, {"points": list(range(repeats))})
        t0 = time.perf_counter()
        for k in range(repeats):
            store.write(k, record)
        t_store = (time.perf_counter() - t0) / repeats
        t0 = time.perf_counter()
        store.finished()
        t_read = (time.perf_counter() - t0) / repeats
    grid = make_grid(points=[point] * repeats)
    t0 = time.perf_counter()
    assemble(grid, [record] * repeats, list(MEASURES), ["soma"])
    t_assemble = (time.perf_counter() - t0) / repeats
    return {"case": "machinery", "setup_and_record_args_ms": 1e3 * t_args,
            "measures_and_trace_ms": 1e3 * t_measure, "store_write_ms": 1e3 * t_store,
            "store_read_on_resume_ms": 1e3 * t_read, "assemble_ms": 1e3 * t_assemble,
            "total_ms": 1e3 * (t_args + t_measure + t_store + t_assemble),
            "simulate_s": record["seconds"]}


def serial_vs_lone(n: int) -> dict:
    axes = _axes(n)
    simulate(**setup(1 * nS, "basal@50"))  # warm
    t0 = time.perf_counter()
    for w in axes["weight"]:
        for s in axes["site"]:
            r = simulate(**setup(w, s))
            r.peak("soma")
    lone = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        sweep(setup, axes, measures=MEASURES, traces=("soma",), store=folder, progress=False)
        swept = time.perf_counter() - t0
    return {"case": "serial_vs_lone", "points": n, "lone_s": lone, "sweep_s": swept,
            "overhead_per_point_ms": 1e3 * (swept - lone) / n}


def backends(n: int) -> dict:
    from dask.distributed import Client, LocalCluster

    axes = _axes(n)
    out = {"case": "backends", "points": n, "cpus": os.cpu_count(),
           "load_avg_1min": os.getloadavg()[0]}
    for processes in (True, False):
        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                          dashboard_address=None) as cluster, Client(cluster):
            pass
        out[f"dask_startup_s_processes_{processes}"] = time.perf_counter() - t0
    ref = None
    for backend, as_trials in (("serial", False), ("processes", False), ("dask", False),
                               ("serial", True), ("processes", True)):
        name = f"{backend}_as_trials" if as_trials else backend
        t0 = time.perf_counter()
        ds = sweep(setup, axes, measures=MEASURES, backend=backend, workers=2, progress=False,
                   as_trials=as_trials)
        out[f"{name}_s"] = time.perf_counter() - t0
        if ref is None:
            ref = ds
        out[f"{name}_max_diff_mV"] = float(abs(ds["soma_peak"] - ref["soma_peak"]).max())
    for name in ("processes", "dask", "serial_as_trials", "processes_as_trials"):
        out[f"{name}_speedup"] = out["serial_s"] / out[f"{name}_s"]
    return out


if __name__ == "__main__":
    n_points = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for run in (machinery, lambda: serial_vs_lone(min(n_points, 10)), lambda: backends(n_points)):
        case = run()
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in case.items()}),
              flush=True)
