"""Sweeps and time to a first result: cablemodel against NEURON, side by side in one run.

Cases (one JSON line each on stdout, with ``case``, ``cablemodel_s``, ``neuron_s``, ``ratio`` =
cablemodel / NEURON, and the details; everything else goes to stderr):

* ``sites_100``, ``sites_1000``: the somatic EPSP peak of one AMPA synapse (1 nS, one spike at
  5 ms, 50 ms) at each of 100 / 1,000 dendritic compartments of a real cell (HH soma/hillock,
  passive dendrites: :func:`cablemodel.standard_cell` on the file read by
  :func:`cablemodel.read_swc`), end to end in a fresh process each (import, build, every point,
  results). cablemodel runs :func:`cablemodel.sweep` over the site axis with the points as
  trials of one simulation (``as_trials=True``: ``trials_cold`` from an empty build cache,
  ``trials_warm``, ``trials_processes_2``) and, up to 100 points, one simulation per point
  (``serial_cold``, ``serial_warm``, ``processes_2`` (2 workers), ``dask_local_2`` (a Dask
  LocalCluster of 2 workers)); NEURON builds the model once (the script written by
  :func:`cablemodel.export.to_neuron` with a synapse at every site) and loops over the sites in
  one process, switching on one synapse at a time. ``cablemodel_s`` is the best cablemodel
  variant; the somatic peaks of both are compared (``max_peak_difference_mV``).
* ``grid_20x20``: a 20 x 20 grid over the hillock's Na+ and K+ densities, 200 ms of a 0.3 nA
  somatic step, the spike count at the spike site per point; same variants and NEURON loop
  (densities, and the hillock leak reversals that keep its rest, set per point in one model);
  the counts are compared (``count_mismatches``).
* ``first_result_psp``: wall time of ``cablemodel psp FILE --site swc:ID`` (warm cache: run once
  before) against the exported NEURON script of the same cell and synapse, each a fresh process
  (``cablemodel_s``, ``ratio``); ``served_s`` / ``served_ratio``: the same command while a
  ``cablemodel serve`` server runs (the command a light client, the work in a forked worker).
* ``first_result_run``: wall time of ``cablemodel run examples/real_cell.toml`` (warm) against
  the NEURON script of the same run; ``served_s`` / ``served_ratio`` as above.

Both first-result cases compile cablemodel's sources to bytecode first, as ``pip install`` does
(an editable checkout with ``PYTHONDONTWRITEBYTECODE`` would recompile them in every process).

The real cell is ``--file`` (default: the shared CA1 pyramidal cell, ``../shared/morphologies``).

Usage::

    python benchmarks/sweep_vs_neuron.py [--file F.swc] [--cases sites_100,grid_20x20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT.parent / "shared" / "morphologies" / "real" / "ca1pyr_rat_c91662.swc"
CASES = ("sites_100", "sites_1000", "grid_20x20", "first_result_psp", "first_result_run")
PSP_MS, ONSET_MS, WEIGHT_NS = 50.0, 5.0, 1.0
GRID_MS, STEP_NA, STEP_START_MS = 200.0, 0.3, 10.0
GRID_NA = np.linspace(0.4, 2.4, 20)  # hillock gNa, S/cm^2
GRID_K = np.linspace(0.04, 0.4, 20)  # hillock gK, S/cm^2
SEED = 7


# -- the cell, the same for both simulators ------------------------------------------------------
@lru_cache(maxsize=2)
def load_morphology(path: str):
    """The file's morphology as ``cablemodel psp`` builds it (a hillock if missing, d_lambda),
    read once per process."""
    from brian2 import Hz

    from cablemodel import add_hillock, discretize, read_swc

    morph, _ = read_swc(path)
    if not any(s.region == "hillock" for s in morph.sections):
        morph = add_hillock(morph)
    return discretize(morph, frequency=100 * Hz)[0]


@lru_cache(maxsize=2)
def load_cell(path: str, densities: tuple = ()):
    """The file's cell as ``cablemodel psp`` builds it (:func:`load_morphology`, standard HH
    densities); ``densities``: ``((region, ((channel, S/cm^2), ...)), ...)`` overriding
    :data:`cablemodel.DEFAULT_DENSITIES` per region."""
    from cablemodel import DEFAULT_DENSITIES, standard_cell

    morph = load_morphology(path)
    dens = {r: dict(d) for r, d in DEFAULT_DENSITIES.items()}
    for region, values in densities:
        dens[region].update(dict(values))
    return standard_cell(morph, dens)


def dendritic_sites(path: str, n: int) -> list[str]:
    """``n`` dendritic compartments (``#INDEX``), drawn without replacement with :data:`SEED`."""
    table = load_cell(path).table
    dend = np.flatnonzero(np.isin(table.region, ("basal", "apical", "dendrite")))
    if dend.size < n:
        raise SystemExit(f"{path} has {dend.size} dendritic compartments, fewer than {n}")
    return [f"#{k}" for k in np.sort(np.random.default_rng(SEED).choice(dend, n, replace=False))]


class SitePSP:
    """Sweep setup: one AMPA synapse at ``site`` (picklable: workers rebuild the cell once)."""

    def __init__(self, path: str, engine: str):
        self.path, self.engine = path, engine

    def __call__(self, site: str) -> dict:
        from brian2 import ms, nS

        from cablemodel import AMPA, Synapse, spike_times

        return {"cell": load_cell(self.path),
                "synapses": [Synapse(AMPA, site, WEIGHT_NS * nS, spike_times([ONSET_MS] * ms))],
                "duration": PSP_MS * ms, "engine": self.engine}


class HillockGrid:
    """Sweep setup: hillock Na+/K+ densities (S/cm^2), a somatic current step."""

    def __init__(self, path: str, engine: str):
        self.path, self.engine = path, engine

    def __call__(self, gna: float, gk: float) -> dict:
        from brian2 import ms, nA

        from cablemodel import CurrentClamp

        cell = load_cell(self.path, (("hillock", (("na", float(gna)), ("k", float(gk)))),))
        step = CurrentClamp("soma", STEP_NA * nA, STEP_START_MS * ms, GRID_MS * ms)
        return {"cell": cell, "clamps": [step], "duration": GRID_MS * ms, "engine": self.engine}


# -- cablemodel side: one fresh process per variant ----------------------------------------------
def cablemodel_sweep(case: str, path: str, backend: str, workers: int, engine: str,
                     as_trials: bool) -> dict:
    """Run in a child process: the case's sweep; returns its values and timing."""
    from cablemodel import sweep

    t0 = time.perf_counter()
    if case.startswith("sites_"):
        sites = dendritic_sites(path, int(case.split("_")[1]))
        ds = sweep(SitePSP(path, engine), axes={"site": sites}, measures={"soma": "peak@soma"},
                   backend=backend, workers=workers, progress=False, as_trials=as_trials)
        values = ds["soma"].values.tolist()
    else:
        ds = sweep(HillockGrid(path, engine), axes={"gna": GRID_NA, "gk": GRID_K},
                   measures={"spikes": "spikes"}, backend=backend, workers=workers, progress=False)
        values = ds["spikes"].values.ravel().tolist()
    errors = [e for e in np.asarray(ds["error"].values).ravel() if e]
    return {"values": values, "errors": len(errors), "first_error": errors[0] if errors else None,
            "sweep_s": time.perf_counter() - t0}


def _child(call: str, env: dict | None = None) -> tuple[dict, float]:
    """Run ``call`` (Python source printing one JSON line) in a fresh interpreter; its JSON and
    the process's wall time."""
    env = dict(os.environ, **(env or {}))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT),
                                         env.get("PYTHONPATH", "")])
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", call], capture_output=True, text=True, env=env,
                         cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    sys.stderr.write(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


#: cablemodel's variants ``(name, backend, workers, as_trials)``, in this order (the first one
#: starts from an empty build cache); a sites case also runs its points as trials of one
#: simulation (they differ only in the synapse), and runs them one by one only up to
#: :data:`ONE_BY_ONE_MAX` points.
VARIANTS = (("serial_cold", "serial", 1, False), ("serial_warm", "serial", 1, False),
            ("processes_2", "processes", 2, False), ("dask_local_2", "dask", 2, False))
TRIAL_VARIANTS = (("trials_cold", "serial", 1, True), ("trials_warm", "serial", 1, True),
                  ("trials_processes_2", "processes", 2, True))
ONE_BY_ONE_MAX = 100


def cablemodel_variants(case: str, path: str, engine: str) -> dict:
    """Wall times (s) and values of the variants (:data:`VARIANTS`, :data:`TRIAL_VARIANTS`)."""
    variants = VARIANTS
    if case.startswith("sites_"):
        variants = TRIAL_VARIANTS + (VARIANTS if int(case.split("_")[1]) <= ONE_BY_ONE_MAX else ())
    cache = tempfile.mkdtemp(prefix="cablemodel-bench-cache-")
    out = {}
    for name, backend, workers, trials in variants:
        call = ("import json, sweep_vs_neuron as b; print(json.dumps(b.cablemodel_sweep("
                f"{case!r}, {path!r}, {backend!r}, {workers}, {engine!r}, {trials})))")
        res, wall = _child(call, {"CABLEMODEL_CACHE": cache})
        out[name] = dict(res, wall_s=wall)
        print(f"{case} cablemodel {name}: {wall:.1f} s ({res['errors']} failed points)",
              file=sys.stderr)
    return out


# -- NEURON side: one process, one model, a loop over the points ---------------------------------
NEURON_LOOP = '''
import json, time
t_start = time.perf_counter()
secs = build(MODEL)
keep = place(MODEL, secs)
netcons = keep[1:2 * len(MODEL["synapses"]):2]
values = []
if POINTS["kind"] == "sites":
    for k in range(len(netcons)):
        for j, nc in enumerate(netcons):
            nc.weight[0] = MODEL["synapses"][j]["weight_uS"] if j == k else 0.0
        out = run(MODEL, secs)
        v = out["v_mV"]["soma"]
        rest = v[0]
        values.append(max(v, key=lambda x: abs(x - rest)) - rest)
else:
    hillock = [s["name"] for s in MODEL["sections"] if s["region"] == "hillock"]
    for (gna, gk), e_pas in zip(POINTS["grid"], POINTS["e_pas_mV"]):
        for name in hillock:  # the densities, and the leak reversals that keep the rest there
            for seg, e in zip(secs[name], e_pas[name]):
                seg.hh.gnabar, seg.hh.gkbar, seg.pas.e = gna, gk, e
        values.append(len(run(MODEL, secs)["spikes_ms"]))
print(json.dumps({"values": values, "loop_s": time.perf_counter() - t_start}))
'''


def hillock_leak(path: str, gna: float, gk: float) -> dict[str, list[float]]:
    """The leak reversal (mV) of each hillock compartment, by section in NEURON's segment order,
    that keeps the cell of the grid point (``gna``, ``gk``, S/cm^2) at rest: what
    :func:`cablemodel.export.to_neuron` writes for that cell. Changing only the densities of a
    NEURON model would move its hillock's resting potential and its threshold."""
    from brian2 import ms

    from cablemodel.io.neuron import _model

    cell = load_cell(path, (("hillock", (("na", gna), ("k", gk))),))
    model = _model(cell, [], [], None, GRID_MS * ms, 0.025 * ms)
    return {s["name"]: s["e_pas_mV"] for s in model["sections"] if s["region"] == "hillock"}


def neuron_loop(case: str, path: str) -> dict:
    """The NEURON model of the case with every point in one process; values and wall time."""
    from brian2 import ms, nA, nS

    from cablemodel import AMPA, CurrentClamp, Synapse, spike_times
    from cablemodel.export import to_neuron

    if case.startswith("sites_"):
        sites = dendritic_sites(path, int(case.split("_")[1]))
        syns = [Synapse(AMPA, s, WEIGHT_NS * nS, spike_times([ONSET_MS] * ms)) for s in sites]
        script = to_neuron(load_cell(path), syns, duration=PSP_MS * ms)
        points = {"kind": "sites"}
    else:
        step = CurrentClamp("soma", STEP_NA * nA, STEP_START_MS * ms, GRID_MS * ms)
        script = to_neuron(load_cell(path), clamps=[step], duration=GRID_MS * ms)
        grid = [[float(a), float(b)] for a in GRID_NA for b in GRID_K]
        points = {"kind": "grid", "grid": grid, "e_pas_mV": [hillock_leak(path, *p) for p in grid]}
    script = script.replace('if __name__ == "__main__":\n    main(sys.argv)', "")
    script += f"\nPOINTS = {json.dumps(points)}\n" + NEURON_LOOP
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, f.name], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    os.unlink(f.name)
    if out.returncode != 0:
        raise RuntimeError(f"NEURON loop failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{case} NEURON: {wall:.1f} s", file=sys.stderr)
    return dict(res, wall_s=wall)


def sweep_case(case: str, path: str, engine: str) -> dict:
    ours = cablemodel_variants(case, path, engine)
    ref = neuron_loop(case, path)
    best = min(ours, key=lambda k: ours[k]["wall_s"])
    row = {"case": case, "cablemodel_s": round(ours[best]["wall_s"], 2),
           "neuron_s": round(ref["wall_s"], 2), "ratio": round(ours[best]["wall_s"] / ref["wall_s"], 3),
           "best_variant": best, "points": len(ref["values"]),
           "variants_s": {k: round(v["wall_s"], 2) for k, v in ours.items()},
           "failed_points": {k: v["errors"] for k, v in ours.items()}}
    warm = "trials_warm" if "trials_warm" in ours else "serial_warm"
    ours_v, ref_v = np.asarray(ours[warm]["values"], float), np.asarray(ref["values"], float)
    if case.startswith("sites_"):
        row["max_peak_difference_mV"] = float(np.max(np.abs(ours_v - ref_v)))
    else:
        row["count_mismatches"] = int(np.sum(ours_v != ref_v))
        grid = [(float(a), float(b)) for a in GRID_NA for b in GRID_K]  # the points' order
        row["mismatched_points"] = [  # gNa, gK (S/cm^2), spikes: cablemodel, NEURON
            [*grid[k], ours_v[k], ref_v[k]] for k in np.flatnonzero(ours_v != ref_v)[:20]]
    return row


# -- time to a first result ----------------------------------------------------------------------
def _wall(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT, env=dict(os.environ, **(env or {})))
    return time.perf_counter() - t0


def _first_results(cli: list[str]) -> tuple[float, float]:
    """The best of 3 warm wall times of ``cli`` in a fresh process, and while a server runs (in a
    private socket folder, stopped afterwards)."""
    import compileall

    compileall.compile_dir(str(ROOT / "cablemodel"), quiet=1)
    alone = {"CABLEMODEL_SERVER": "0"}
    _wall(cli, alone)  # warms the build cache
    ours = min(_wall(cli, alone) for _ in range(3))
    served = {"CABLEMODEL_SERVER_DIR": tempfile.mkdtemp(prefix="cms-", dir="/tmp")}
    serve = [cli[0], "serve", "--idle", "600"]
    _wall(serve, served)
    try:
        _wall(cli, served)
        quick = min(_wall(cli, served) for _ in range(3))
    finally:
        _wall([cli[0], "serve", "--stop"], served)
        shutil.rmtree(served["CABLEMODEL_SERVER_DIR"], ignore_errors=True)
    return ours, quick


def first_result_psp(path: str) -> dict:
    """``cablemodel psp`` (warm) against the NEURON script of the same cell and synapse."""
    from brian2 import ms, nS

    from cablemodel import AMPA, Synapse, spike_times
    from cablemodel.export import to_neuron

    site = dendritic_sites(path, 1)[0]
    cli = [str(Path(sys.executable).with_name("cablemodel")), "psp", path, "--site", site]
    ours, served = _first_results(cli)
    script = to_neuron(load_cell(path), [Synapse(AMPA, site, WEIGHT_NS * nS,
                                                 spike_times([ONSET_MS] * ms))], duration=PSP_MS * ms)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    ref = min(_wall([sys.executable, f.name, os.devnull]) for _ in range(3))
    os.unlink(f.name)
    return {"case": "first_result_psp", "cablemodel_s": round(ours, 2), "neuron_s": round(ref, 2),
            "ratio": round(ours / ref, 3), "served_s": round(served, 3),
            "served_ratio": round(served / ref, 3), "site": site}


RUN_CONFIG = """
[morphology]
file = {path!r}
add_hillock = true

[cell]
preset = "standard"

[[stimuli]]
type = "step"
site = "soma"
amplitude = "{amp} nA"
start = "{start} ms"
stop = "{stop} ms"

[run]
duration = "{stop} ms"
engine = "cpp_standalone"

[measures]
n_spikes = "spikes"

[output]
folder = {out!r}
formats = ["json"]
"""
RUN_MS = 1000.0


def first_result_run(path: str) -> dict:
    """``cablemodel run CONFIG`` (warm; 1 s of a somatic step on the HH cell) against the NEURON
    script of the same run; the spike counts are compared."""
    from brian2 import ms, nA

    from cablemodel import CurrentClamp
    from cablemodel.export import to_neuron
    from cablemodel.io.config import load_config

    folder = Path(tempfile.mkdtemp(prefix="cablemodel-bench-run-"))
    config = folder / "run.toml"
    config.write_text(RUN_CONFIG.format(path=str(Path(path).resolve()), amp=STEP_NA,
                                        start=STEP_START_MS, stop=RUN_MS, out=str(folder / "out")))
    cli = [str(Path(sys.executable).with_name("cablemodel")), "run", str(config)]
    ours, served = _first_results(cli)
    ours_count = json.loads((folder / "out" / "measures.json").read_text())["measures"]["n_spikes"]["value"]
    # the very cell that `run` simulates; the config's step (a waveform clamp there) as IClamp
    run = load_config(config).simulate_kwargs()
    step = CurrentClamp("soma", STEP_NA * nA, STEP_START_MS * ms, RUN_MS * ms)
    script = folder / "neuron_run.py"
    script.write_text(to_neuron(run["cell"], clamps=[step], duration=run["duration"]))
    ref = min(_wall([sys.executable, str(script), str(folder / "neuron.json")]) for _ in range(3))
    ref_count = len(json.loads((folder / "neuron.json").read_text())["spikes_ms"])
    return {"case": "first_result_run", "cablemodel_s": round(ours, 2), "neuron_s": round(ref, 2),
            "ratio": round(ours / ref, 3), "served_s": round(served, 3),
            "served_ratio": round(served / ref, 3), "spikes": {"cablemodel": ours_count, "neuron": ref_count}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--file", default=str(DEFAULT_FILE), help="a real cell (SWC)")
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {CASES}")
    p.add_argument("--engine", default="cpp_standalone")
    args = p.parse_args(argv)
    if not Path(args.file).exists():
        print(f"{args.file} not found: pass --file or put the shared morphologies beside the project",
              file=sys.stderr)
        return 2
    json_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # Brian2 / NEURON chatter goes to stderr
    for case in args.cases.split(","):
        if case not in CASES:
            print(f"unknown case {case!r}; choose from {CASES}", file=sys.stderr)
            return 2
        if case == "first_result_psp":
            row = first_result_psp(args.file)
        elif case == "first_result_run":
            row = first_result_run(args.file)
        else:
            row = sweep_case(case, args.file, args.engine)
        json_out.write(json.dumps(row) + "\n")
        json_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
