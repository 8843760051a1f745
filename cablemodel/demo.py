"""The main job (``cablemodel demo``): attenuation, summation and inhibition on one cell, a
generated one or one read from an SWC file.

Writes ``summary.json``, figures as PNG and SVG, and prints a table. Every sentence, printed or
in a figure title, is computed from the numbers of the run. Uses only the public API.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from brian2 import ms, mV, nS, um

from .cell import Cell, standard_cell
from .experiments import (
    attenuation,
    dendrite_region,
    ipsp_veto,
    longest_path,
    path_sites,
    path_start,
    shunting_inhibition,
    spatial_summation,
    steady_state_attenuation,
    summarize_fit,
    temporal_summation,
    theory_length_constant,
)
from .morphology.generate import DEFAULT_GENERATOR, GENERATORS

__all__ = ["DEFAULT_MORPHOLOGY", "load_demo_cell", "demo_morphologies", "run_demo",
           "summary_sentences", "format_summary"]

DEFAULT_MORPHOLOGY = DEFAULT_GENERATOR
#: Where the project's own and the shared SWC files are, relative to a source checkout.
_REPO = Path(__file__).resolve().parents[1]
FIGURES = ("morphology", "attenuation", "summation", "temporal", "inhibition")
#: What ``quick=True`` (``cablemodel demo --quick``) changes: fewer trials and a 0.1 ms step.
QUICK = {"n_distances": 6, "n_max": 16, "intervals_ms": (0.5, 1, 2, 5, 10), "dt_ms": 0.1}


def load_demo_cell(morphology: str | Path) -> tuple[Cell, str, list[str]]:
    """The demo's cell: a generated morphology by name (:data:`GENERATORS`) or an SWC file
    (discretized as :func:`~cablemodel.io.swc.read_swc` does: the file's own ``# SECTION``
    counts, else the d_lambda rule), with the default HH densities
    (:func:`~cablemodel.standard_cell`); a hillock is added when the file has none (the spike
    site). Returns the cell, its name and the notes on what was added.

    Example
    -------
    >>> cell, name, notes = load_demo_cell("ball_and_stick")
    >>> name, notes, cell.spike_site
    ('ball_and_stick', [], 'hillock')
    """
    from .io.swc import read_swc
    from .morphology.hillock import add_hillock

    text = str(morphology)
    if text in GENERATORS:
        return standard_cell(GENERATORS[text]()), text, []
    path = Path(text)
    if path.suffix.lower() != ".swc" or not path.is_file():
        raise ValueError(f"morphology {text!r} is neither a generated morphology"
                         f" ({', '.join(GENERATORS)}) nor an existing .swc file;"
                         " see cablemodel demo --list")
    morph, _ = read_swc(path)
    notes = []
    if not any(s.region == "hillock" for s in morph.sections):
        morph = add_hillock(morph)
        notes.append(morph.notes[-1])
    return standard_cell(morph), path.stem, notes


def demo_morphologies() -> dict[str, list[str]]:
    """What ``cablemodel demo`` can run on: ``generated`` names, the SWC files in the project's
    ``morphologies/`` and in ``../shared/morphologies/real/`` beside a source checkout (empty
    lists where the folder is absent, e.g. in an installed copy).

    Example
    -------
    >>> demo_morphologies()["generated"]
    ['ball_and_stick', 'y_neuron', 'pyramidal']
    """
    def swc(folder: Path) -> list[str]:
        return sorted(str(p) for p in folder.glob("*.swc")) if folder.is_dir() else []

    return {"generated": list(GENERATORS), "project": swc(_REPO / "morphologies"),
            "shared": swc(_REPO.parent / "shared" / "morphologies" / "real")}


def _undershoot(trials, site: str, k: int, rest_mV: float) -> tuple[float, float]:
    """Depth (mV below rest, >= 0) and time (ms in the trial) of the minimum at ``site`` after
    the peak of trial ``k``."""
    t, v = trials.trace(k, site)
    v = np.asarray(v / mV) - rest_mV
    after = int(np.argmax(v))
    j = after + int(np.argmin(v[after:]))
    return float(max(-v[j], 0.0)), float(t[j] / ms)


def _first_site(cell: Cell, spatial) -> str | None:
    """Region of the recorded site that crosses the spike threshold first in the volley at
    threshold (the hillock, the AIS and the axon are recorded when present). On
    ``pyramidal()`` the AIS, with less Na+ than the hillock (0.5 against 1.2 S/cm2), crosses
    first: the hillock's current drains into the soma's load, the AIS is decoupled from it by
    the hillock's axial resistance (README, "Why?")."""
    n = spatial.n_to_fire
    if n is None:
        return None
    ts = spatial.trials
    label = ts.first_crossing(n - 1, cell.spike_threshold)
    if label is None:
        return None
    return str(cell.table.region[ts.result.compartments[ts.result.labels.index(label)]])


def run_demo(out_dir: str | Path = "out", morphology: str | Path = DEFAULT_MORPHOLOGY,
             engine: str = "auto", weight=1 * nS, verbose: bool = True,
             quick: bool = False) -> dict:
    """Run the attenuation / summation / inhibition demo on ``morphology`` (a generated name or
    an SWC file, see :func:`load_demo_cell`) and write its outputs to ``out_dir``.

    The synapses go on the dendritic region reaching farthest, at path distances along its
    longest path (:func:`~cablemodel.experiments.longest_path`): 10 distances from 25 um to
    two thirds of the path (at most 1000 um); the volleys from 50 um to half the path (at most
    300 um); the train at 100 um (or half the path); a shunting synapse on and off the path of
    an EPSP to the soma (:func:`~cablemodel.experiments.inhibition_sites`). ``quick`` runs
    fewer trials with a coarser step (:data:`QUICK`: 6 distances, volleys up to 16,
    5 intervals, dt 0.1 ms), about four times faster. Returns the summary dict (also written as
    ``summary.json``; ``sentences`` holds the findings in words, :func:`summary_sentences`).

    Example
    -------
    >>> summary = run_demo("out")  # doctest: +SKIP
    >>> summary["first_spike_site"]  # doctest: +SKIP
    'hillock'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t_start = time.perf_counter()
    cell, name, notes = load_demo_cell(morphology)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = cell.table
    region = dendrite_region(cell)
    reach = float(table.end[longest_path(cell, region)[-1]])
    n_dist, n_max = (QUICK["n_distances"], QUICK["n_max"]) if quick else (10, 40)
    d0 = float(path_start(cell, region) / um)  # > 0 where the file's soma is several sections
    first = max(25.0, 5 * np.ceil((d0 + 5) / 5))
    distances = np.round(np.linspace(first, max(min(1000.0, 0.67 * reach), first + 5 * n_dist),
                                     n_dist) / 5) * 5 * um
    sim = {"engine": engine, **({"dt": QUICK["dt_ms"] * ms} if quick else {})}
    train = {"intervals": QUICK["intervals_ms"] * ms} if quick else {}
    extra = []
    for reg in ("ais", "axon"):
        mask = table.region == reg
        if mask.any():
            extra.append(f"{reg}@{float(table.start[mask].min()) + (20 if reg == 'axon' else 0):g}")

    rows, att_trials = attenuation(cell, distances, region=region, weight=weight, **sim)
    steady = steady_state_attenuation(cell, distances, region=region, **sim)
    lam_theory = float(theory_length_constant(cell, region) / um)
    lam_epsp = summarize_fit(rows, "hillock_peak_mV")
    spatial = spatial_summation(cell, n_max=n_max, region=region, weight=weight, record=extra, **sim)
    n_fire = spatial.n_to_fire
    temporal = temporal_summation(cell, weight=weight, **train, **sim)
    veto = ipsp_veto(cell, n_fire or 1, near=spatial.near_um * um, far=spatial.far_um * um,
                     region=region, weight=weight, **sim)
    shunt = shunting_inhibition(cell, **sim)
    depth, t_under = _undershoot(att_trials, cell.spike_site, 0, float(att_trials.result.v_rest_mV))

    summary = {
        "morphology": name,
        "source": str(morphology),
        "notes": notes,
        "compartments": len(table),
        "dendrite_region": region,
        "longest_path_um": reach,
        "spike_site": cell.spike_site,
        "synapse_weight_nS": float(weight / nS),
        "lambda_theory_um": lam_theory,
        "lambda_fit_steady_um": steady["lambda_um"],
        "lambda_fit_epsp_um": lam_epsp,
        "attenuation": rows,
        "undershoot_mV": depth,
        "undershoot_time_ms": t_under,
        "steady_state": {"distance_um": steady["distance_um"], "dv_mV": steady["dv_mV"]},
        "spatial_n_to_fire": n_fire,
        "spatial_n_max": len(spatial.spikes),
        "spatial_range_um": [spatial.near_um, spatial.far_um],
        "temporal_site": temporal.site,
        "temporal_n_spikes": temporal.n_spikes,
        "temporal_intervals_ms": list(temporal.intervals_ms),
        "temporal_fires": list(temporal.fires),
        "temporal_min_interval_ms": temporal.min_interval_ms,
        "temporal_max_interval_ms": temporal.max_interval_ms,
        "fires_without_ipsp": veto.fires_without_ipsp,
        "fires_with_ipsp": veto.fires_with_ipsp,
        "ipsp": {"receptor": veto.receptor, "reversal_mV": veto.reversal_mV,
                 "site": veto.ipsp_site, "weight_nS": veto.ipsp_weight_nS,
                 "lead_ms": veto.ipsp_lead_ms},
        "first_spike_site": _first_site(cell, spatial),
        "shunting": {"excitatory": shunt.excitatory, "on_path": shunt.on_path,
                     "off_path": shunt.off_path, "distances_um": list(shunt.distances_um),
                     "reversal_mV": shunt.reversal_mV, "epsp_mV": shunt.epsp_mV,
                     "ipsp_mV": shunt.ipsp_mV, "veto_on_path": shunt.veto_on_path,
                     "veto_off_path": shunt.veto_off_path},
        "engine": att_trials.result.info["engine"],
        "quick": quick,
    }
    summary["sentences"] = summary_sentences(summary)

    def save(fig, stem: str) -> None:
        for ext in ("png", "svg"):
            fig.savefig(out / f"{stem}.{ext}", dpi=120, bbox_inches="tight")

    from .plotting import plot_attenuation, plot_morphology, plot_trials

    fig, ax = plt.subplots(figsize=(5, 6))
    marks = {f"{d / um:.0f} µm": s.resolve(table)
             for d, s in zip(distances, path_sites(cell, distances, region), strict=True)}
    plot_morphology(table, ax=ax, marks=marks)
    ax.set_title(f"{name}: synapse sites along the longest {region} path ({reach:.0f} µm)",
                 fontsize=9)
    save(fig, "morphology")
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    plot_attenuation(rows, lam_theory, lam_epsp, ax=ax, spike_site=cell.spike_site)
    ax.set_title(summary["sentences"][0], fontsize=8, wrap=True)
    save(fig, "attenuation")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
    plot_trials(att_trials, cell.spike_site, ax=axes[0])
    axes[0].set_title(f"one EPSP at each distance, V at the {cell.spike_site}", fontsize=9)
    spatial.plot(ax=axes[1])
    veto.plot(ax=axes[2])
    save(fig, "summation")
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    temporal.plot(ax=ax)
    save(fig, "temporal")
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    shunt.plot(ax=ax)
    save(fig, "inhibition")
    plt.close("all")

    summary["run_seconds"] = time.perf_counter() - t_start
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    if verbose:
        print(format_summary(summary))
        print(f"\nfigures (PNG and SVG) and summary.json written to {out.resolve()}")
    return summary


def summary_sentences(s: dict) -> list[str]:
    """The findings of a demo summary in words, each computed from its numbers: attenuation and
    the length constants, the post-EPSP undershoot, spatial and temporal summation, the IPSP,
    the first site to cross threshold, the shunt on and off the path.

    Example
    -------
    >>> s = dict(spike_site="hillock", attenuation=[
    ...     dict(distance_um=25, local_peak_mV=3.3, hillock_peak_mV=2.7),
    ...     dict(distance_um=1000, local_peak_mV=5.7, hillock_peak_mV=0.04)],
    ...     lambda_theory_um=288.7, lambda_fit_steady_um=290.7, lambda_fit_epsp_um=238.0,
    ...     undershoot_mV=0.21, undershoot_time_ms=21.0,
    ...     spatial_n_to_fire=4, spatial_n_max=40, spatial_range_um=[50, 300],
    ...     temporal_site="basal@100", temporal_n_spikes=10, temporal_intervals_ms=[0.5, 1, 2],
    ...     temporal_fires=[True, True, False], temporal_min_interval_ms=0.5,
    ...     temporal_max_interval_ms=1.0, synapse_weight_nS=1.0, fires_without_ipsp=True,
    ...     fires_with_ipsp=False, ipsp={"receptor": "gaba_a", "reversal_mV": -75.0,
    ...     "site": "soma", "weight_nS": 5.0, "lead_ms": 1.0}, first_spike_site="hillock",
    ...     shunting=dict(reversal_mV=-65.0, ipsp_mV=3e-7, veto_on_path=0.65, epsp_mV=1.54,
    ...                   excitatory="basal@300", on_path="basal@100", off_path="basal@500",
    ...                   veto_off_path=0.09))
    >>> for line in summary_sentences(s): print(line)
    the hillock EPSP falls from 2.7 mV (synapse at 25 um) to 0.04 mV (1000 um)
    EPSP peaks decay with a length constant 238 um, 18% shorter than the steady-state 291 um (theory 289 um)
    after its peak the EPSP at the hillock undershoots rest by 0.21 mV (at 21 ms in the trial)
    4 simultaneous 1 nS EPSPs over 50-300 um fire the hillock; 3 do not
    10 EPSPs at basal@100 fire the hillock at intervals 0.5-1 ms, not at 2 ms or longer
    with one 5 nS gaba_a event (-75 mV) at soma 1 ms before, the volley that fires no longer fires
    the first site to cross threshold is the hillock
    a shunt (reversal -65 mV) is invisible alone: +3e-07 mV at the soma
    the shunt removes 65% of the 1.5 mV EPSP from basal@300 on its path (basal@100), 9% off it (basal@500)
    """
    rows, site = s["attenuation"], s["spike_site"]
    a, b = rows[0], rows[-1]
    lam_e, lam_s = s["lambda_fit_epsp_um"], s["lambda_fit_steady_um"]
    rel = lam_e / lam_s - 1
    compare = (f"{abs(rel):.0%} {'shorter' if rel < 0 else 'longer'} than" if abs(rel) >= 0.005
               else "equal to")
    out = [f"the {site} EPSP falls from {a['hillock_peak_mV']:.2g} mV (synapse at"
           f" {a['distance_um']:.0f} um) to {b['hillock_peak_mV']:.2g} mV"
           f" ({b['distance_um']:.0f} um)",
           f"EPSP peaks decay with a length constant {lam_e:.0f} um, {compare} the"
           f" steady-state {lam_s:.0f} um (theory {s['lambda_theory_um']:.0f} um)"]
    if s["undershoot_mV"] >= 0.005:
        out.append(f"after its peak the EPSP at the {site} undershoots rest by"
                   f" {s['undershoot_mV']:.2f} mV (at {s['undershoot_time_ms']:.0f} ms in the"
                   " trial)")
    else:
        out.append(f"after its peak the EPSP at the {site} returns to rest without an undershoot")
    n, lo, hi = s["spatial_n_to_fire"], *s["spatial_range_um"]
    w = s["synapse_weight_nS"]
    if n is None:
        out.append(f"up to {s['spatial_n_max']} simultaneous {w:g} nS EPSPs over {lo:g}-{hi:g} um"
                   f" do not fire the {site}")
    else:
        out.append(f"{n} simultaneous {w:g} nS EPSPs over {lo:g}-{hi:g} um fire the {site}"
                   + (f"; {n - 1} do not" if n > 1 else ""))
    iv, fires = s["temporal_intervals_ms"], s["temporal_fires"]
    head = f"{s['temporal_n_spikes']} EPSPs at {s['temporal_site']}"
    if s["temporal_max_interval_ms"] is None:
        out.append(f"{head} do not fire the {site} at any interval tested ({min(iv):g}-"
                   f"{max(iv):g} ms)")
    else:
        top = s["temporal_max_interval_ms"]
        longer = [i for i, f in zip(iv, fires, strict=True) if i > top]
        gaps = [i for i, f in zip(iv, fires, strict=True)
                if s["temporal_min_interval_ms"] <= i <= top and not f]
        low = s["temporal_min_interval_ms"]
        span = f"interval {top:g} ms" if low == top else f"intervals {low:g}-{top:g} ms"
        text = (f"{head} fire the {site} at {span}"
                + (f" (except {', '.join(f'{g:g}' for g in gaps)} ms)" if gaps else ""))
        out.append(text + (f", not at {min(longer):g} ms or longer" if longer else ""))
    ip = s["ipsp"]
    volley = ("the volley that fires" if s["fires_without_ipsp"]
              else "the volley, which does not fire alone,")
    after = ("still fires" if s["fires_with_ipsp"] else
             "no longer fires" if s["fires_without_ipsp"] else "does not fire either")
    out.append(f"with one {ip['weight_nS']:g} nS {ip['receptor']} event ({ip['reversal_mV']:g} mV)"
               f" at {ip['site']} {ip['lead_ms']:g} ms before, {volley} {after}")
    first = s["first_spike_site"]
    out.append("no volley fired, so no site crossed threshold" if first is None
               else f"the first site to cross threshold is the {first}")
    sh = s["shunting"]
    visible = "invisible" if abs(sh["ipsp_mV"]) < 0.05 else "visible"
    out.append(f"a shunt (reversal {sh['reversal_mV']:g} mV) is {visible} alone:"
               f" {sh['ipsp_mV']:+.2g} mV at the soma")
    out.append(f"the shunt removes {sh['veto_on_path']:.0%} of the {sh['epsp_mV']:.2g} mV EPSP from"
               f" {sh['excitatory']} on its path ({sh['on_path']}), {sh['veto_off_path']:.0%} off"
               f" it ({sh['off_path']})")
    return out


def format_summary(s: dict) -> str:
    """Readable table of a demo summary (the dict :func:`run_demo` returns; distances and length
    constants in um, peaks in mV, weights in nS, intervals in ms, run time in s) followed by its
    ``sentences``.

    Example
    -------
    >>> s = dict(morphology="ball_and_stick", engine="numpy", synapse_weight_nS=1.0,
    ...          dendrite_region="basal", compartments=195, longest_path_um=1500.0,
    ...          spike_site="hillock", attenuation=[
    ...              dict(distance_um=25, local_peak_mV=3.3, hillock_peak_mV=2.7),
    ...              dict(distance_um=1000, local_peak_mV=5.7, hillock_peak_mV=0.04)],
    ...          lambda_theory_um=288.7, lambda_fit_steady_um=290.7, lambda_fit_epsp_um=238.0,
    ...          sentences=["4 simultaneous 1 nS EPSPs over 50-300 um fire the hillock"],
    ...          notes=[], run_seconds=15.2)
    >>> print(format_summary(s))
    cablemodel demo on ball_and_stick (195 compartments, numpy)
      1 nS AMPA synapses along the longest basal path (1500 um)
    <BLANKLINE>
      distance (um)   local peak (mV)   hillock peak (mV)
                25             3.300               2.700
              1000             5.700               0.040
    <BLANKLINE>
      length constant, theory sqrt(d Rm / 4 Ri): 288.7 um
      fitted, steady state (current at soma):    290.7 um
      fitted, transient EPSP peaks at hillock:   238.0 um
    <BLANKLINE>
      4 simultaneous 1 nS EPSPs over 50-300 um fire the hillock
      total time: 15.2 s
    """
    site = s["spike_site"]
    lines = [f"cablemodel demo on {s['morphology']} ({s['compartments']} compartments,"
             f" {s['engine']})",
             f"  {s['synapse_weight_nS']:g} nS AMPA synapses along the longest"
             f" {s['dendrite_region']} path ({s['longest_path_um']:.0f} um)",
             *[f"  note: {n}" for n in s["notes"]],
             "", f"  distance (um)   local peak (mV)   {site + ' peak (mV)':>17}",
             *[f"  {r['distance_um']:12.0f}   {r['local_peak_mV']:15.3f}   "
               f"{r['hillock_peak_mV']:17.3f}" for r in s["attenuation"]],
             "",
             f"  length constant, theory sqrt(d Rm / 4 Ri): {s['lambda_theory_um']:.1f} um",
             f"  fitted, steady state (current at soma):    {s['lambda_fit_steady_um']:.1f} um",
             f"  fitted, transient EPSP peaks at {site}:{' ' * max(0, 10 - len(site))}"
             f"{s['lambda_fit_epsp_um']:.1f} um",
             "", *[f"  {t}" for t in s["sentences"]],
             f"  total time: {s['run_seconds']:.1f} s"]
    return "\n".join(lines)
