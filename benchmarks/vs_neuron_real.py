"""Accuracy against NEURON on real reconstructions: every SWC file in ../shared/morphologies/real.

For each file, 3 dendritic SWC samples are drawn with a seed (one of them a branch point: the last
sample of a dendritic section with two or more children). At each, one 1 nS double-exponential
synapse (0.2/2 ms, E = 0 mV) on a passive cell (Ri 150 ohm cm, Cm 1 uF/cm2, g_leak 1e-4 S/cm2,
E -65 mV, d_lambda 0.1 at 100 Hz, dt 25 us), in its own simulation, run by
:func:`cablemodel.crosscheck.crosscheck` in three models: cablemodel, our geometry exported to
NEURON (the solver check) and NEURON's own Import3d of the file. Reported: local and soma PSP
peaks and their relative differences from cablemodel, path distances (cablemodel: the
compartment's midpoint; Import3d: the sample) with half the compartment's length for scale.

One active case (``--active-file``, default the dentate granule cell, which gets an added
hillock): HH per region (``standard_cell``), spike times for a current step at the soma and for a
strong synapse at the first drawn site, in the three models.

Prints a table and writes JSON (``--out``). Needs NEURON (``pip install neuron``); takes a few
minutes with the numpy engine (the Purkinje cell's 757 sections are the slowest).

Usage::

    python benchmarks/vs_neuron_real.py [--seed 7] [--out out/vs_neuron_real.json] [--engine numpy]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from brian2 import cm, ms, nA, nS, ohm

from cablemodel.crosscheck import crosscheck
from cablemodel.io.swc import read_swc

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies" / "real"
DENDRITE = ("basal", "apical")


def choose_sites(path: Path, seed: int) -> list[tuple[str, str]]:
    """Three dendritic samples ``(site, kind)``: one branch point and two others, drawn with
    ``seed`` from the samples of the file's dendritic compartments (ids in file order)."""
    morph, _ = read_swc(path, discretization={"Ri": 150 * ohm * cm})
    table = morph.compartments()
    samples = sorted({i for k in np.flatnonzero(np.isin(table.region, DENDRITE)) for i in table.swc_ids[k]})
    forks = sorted({sec.swc_ids[-1] for sec in morph.sections
                    if sec.region in DENDRITE and len(morph.children(sec.name)) >= 2} & set(samples))
    rng = np.random.default_rng(seed)
    fork = int(rng.choice(forks))
    others = rng.choice([s for s in samples if s != fork], 2, replace=False)
    return [(f"swc:{fork}", "branch point")] + [(f"swc:{int(s)}", "random") for s in sorted(others)]


def compare_file(path: Path, seed: int, engine: str) -> dict:
    sites = choose_sites(path, seed)
    t0 = time.perf_counter()
    out = crosscheck(path, [s for s, _ in sites], duration=30 * ms, engine=engine)
    morph, _ = read_swc(path, discretization={"Ri": 150 * ohm * cm})
    table = morph.compartments()
    from cablemodel.places import parse_site

    for row, (site, kind) in zip(out["sites"], sites, strict=True):
        row["kind"] = kind
        row["half_compartment_um"] = float(table.length[parse_site(site).resolve(table)] / 2)
    out["seconds"] = time.perf_counter() - t0
    return out


def active_case(path: Path, site: str, engine: str) -> dict:
    """Spike times in the three models: a 0.3 nA step at the soma, and a 30 nS synapse at
    ``site``, both on the active cell (40 ms)."""
    step = crosscheck(path, ["soma"], active=True, weight=0 * nS, step=0.3 * nA, duration=40 * ms,
                      engine=engine)
    syn = crosscheck(path, [site], active=True, weight=30 * nS, duration=40 * ms, engine=engine)
    return {"file": path.name, "current_step": step, "synapse": syn}


def _pct(x) -> str:
    return "    n/a" if x is None else f"{100 * x:+7.2f}"


def table(files: list[dict]) -> str:
    lines = [f"{'file':<44} {'site':<10} {'kind':<6} {'d ours':>7} {'d NRN':>7} {'dd um':>6} {'h/2':>5}"
             f" {'local':>8} {'exp %':>7} {'I3d %':>7} {'soma':>8} {'exp %':>7} {'I3d %':>7}"]
    for f in files:
        for row in f["sites"]:
            ours, imp = row["cablemodel"], row["import3d"]
            dex, dim = row["differences"]["neuron_export"], row["differences"].get("import3d", {})
            d_imp = "    n/a" if "n/a" in imp else f"{imp['path_distance_um']:7.1f}"
            dd = "   n/a" if "n/a" in imp else f"{dim['path_distance_um']:+6.1f}"
            lines.append(
                f"{Path(f['file']).name:<44} {row['site']:<10} {row['kind'][:6]:<6}"
                f" {ours['path_distance_um']:7.1f} {d_imp} {dd} {row['half_compartment_um']:5.1f}"
                f" {ours['local_peak_mV']:8.4f} {_pct(dex['local_peak_rel'])}"
                f" {_pct(dim.get('local_peak_rel'))} {ours['soma_peak_mV']:8.5f}"
                f" {_pct(dex['soma_peak_rel'])} {_pct(dim.get('soma_peak_rel'))}")
    return "\n".join(lines)


def spike_lines(case: dict) -> str:
    lines = [f"active case: {case['file']} ({'; '.join(case['current_step']['notes'])})"]
    for what in ("current_step", "synapse"):
        (row,) = case[what]["sites"]
        lines.append(f"  {what} ({row['site']}):")
        for m in ("cablemodel", "neuron_export", "import3d"):
            data = row[m]
            times = ("n/a: " + data["n/a"] if "n/a" in data
                     else ", ".join(f"{t:.3f}" for t in data["spikes_ms"]))
            diff = row["differences"].get(m, {}).get("spike_times_ms")
            extra = "" if not diff else "  (diff " + ", ".join(f"{d:+.3f}" for d in diff) + ")"
            lines.append(f"    {m:<14} {times}{extra}")
    return "\n".join(lines)


def summary(files: list[dict]) -> dict:
    rows = [r for f in files for r in f["sites"]]

    def worst(model, key):
        values = [r["differences"][model][key] for r in rows if model in r["differences"]
                  and r["differences"][model][key] is not None]
        return float(max(values, key=abs)) if values else None

    return {m: {k: worst(m, k) for k in ("local_peak_rel", "soma_peak_rel", "path_distance_um")}
            for m in ("neuron_export", "import3d")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=7, help="seed of the site draws")
    ap.add_argument("--out", default="out/vs_neuron_real.json", help="JSON output file")
    ap.add_argument("--engine", default="numpy", help="cablemodel's engine")
    ap.add_argument("--active-file", default="dg_granule_rat_mp_ma_40984_gc2.CNG.swc",
                    help="file (in the shared real folder) of the active case")
    args = ap.parse_args(argv)
    if not REAL.is_dir():
        print(f"no shared morphologies at {REAL}", file=sys.stderr)
        return 2
    import brian2
    import neuron

    t0 = time.perf_counter()
    files = []
    for path in sorted(REAL.glob("*.swc")):
        files.append(compare_file(path, args.seed, args.engine))
        print(f"{path.name}: {files[-1]['seconds']:.0f} s", file=sys.stderr, flush=True)
    active_path = REAL / args.active_file
    case = active_case(active_path, choose_sites(active_path, args.seed)[0][0], args.engine)
    result = {"seed": args.seed, "engine": args.engine, "files": files, "active": case,
              "summary": summary(files), "neuron_version": neuron.__version__,
              "brian2_version": brian2.__version__, "seconds": time.perf_counter() - t0}
    print(table(files))
    print("worst differences from cablemodel (relative; distance in um):", json.dumps(result["summary"]))
    print(spike_lines(case))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out} ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
