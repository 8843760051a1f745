"""``cablemodel crosscheck FILE.swc --site swc:ID ...``: one SWC file, three models side by side.

1. **cablemodel**: the file read by :func:`cablemodel.read_swc`, discretized by the d_lambda rule,
   simulated by :func:`cablemodel.simulate`.
2. **NEURON, our geometry**: the same cell exported by :func:`cablemodel.export.to_neuron`: same
   sections, points, compartments and membrane, NEURON's solver. Differences from (1) come from
   the solvers or from what NEURON makes of the same 3-D points.
3. **NEURON Import3d**: the file read by NEURON's own Import3d (its sections, soma and
   attachment), ``nseg`` by the same d_lambda rule, the same membrane and synapse
   (:func:`cablemodel.io.neuron_import3d.import3d_script`). This is what a NEURON user gets from
   the same file. Sites are SWC samples (``swc:ID``) or ``soma``; other site forms have no place
   in it and show ``n/a``.

Each site gets one synaptic event (a double exponential, NEURON's Exp2Syn; ExpSyn with rise 0) in
its own simulation. Reported per site and model: local and soma PSP peaks (signed largest
deviation from rest, mV), path distance (um: cablemodel's is the compartment midpoint from the
soma surface, as in ``cablemodel psp``; NEURON's ``h.distance`` from ``soma[0](0.5)``: to the
segment centre in (2), to the sample itself in (3)), and with ``--active`` spike counts and
times; the differences of (2) and (3) from (1).

``--active`` uses :func:`cablemodel.standard_cell` (HH Na+/K+ per region), which needs an axon
hillock: a file without one gets it from :func:`cablemodel.add_hillock` and the output says so.
NEURON's Import3d model then gets the same hillock pieces and HH densities per region; if that
cannot be done faithfully its column shows ``n/a`` with the reason.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from brian2 import Hz, Quantity, cm, ms, mV, nA, nS, ohm, siemens, uF, um

from .places import Location

__all__ = ["add_parser", "crosscheck", "format_crosscheck", "run"]

MODELS = ("cablemodel", "neuron_export", "import3d")
LABELS = {"cablemodel": "cablemodel", "neuron_export": "NEURON ours", "import3d": "NEURON Import3d"}


def _signed_peak(v: np.ndarray, rest: float) -> float:
    dv = np.asarray(v, dtype=float) - rest
    return float(dv[np.argmax(np.abs(dv))])


def _rel(value: float, ref: float) -> float | None:
    return None if ref == 0 else value / ref - 1.0


def _differences(row: dict, ref: dict) -> dict:
    """``model - cablemodel``: relative for peaks, um for distance, ms for spike times."""
    out = {"local_peak_rel": _rel(row["local_peak_mV"], ref["local_peak_mV"]),
           "soma_peak_rel": _rel(row["soma_peak_mV"], ref["soma_peak_mV"]),
           "path_distance_um": row["path_distance_um"] - ref["path_distance_um"],
           "spike_count": len(row["spikes_ms"]) - len(ref["spikes_ms"])}
    if len(row["spikes_ms"]) == len(ref["spikes_ms"]):
        out["spike_times_ms"] = [a - b for a, b in zip(row["spikes_ms"], ref["spikes_ms"], strict=True)]
    return out


def _descriptions(active: bool, d_lambda: float, frequency_hz: float, notes: list[str]) -> dict:
    rule = f"nseg by d_lambda {d_lambda:g} at {frequency_hz:g} Hz over its 3-D points"
    imp = (f"NEURON's Import3d of the file (its sections, soma and attachment), {rule}; the same"
           " Ri, Cm, leak and synapse; synapse in the segment holding the SWC sample; distance"
           " = h.distance from soma[0](0.5) to the sample")
    if active:
        imp += ("; cablemodel's hillock pieces made in it (added at soma[0](0.5), or cut from"
                " Import3d's axon section at the same 3-D points, with cablemodel's nseg), hh per"
                " region with the same densities, spikes detected at the hillock's middle")
    return {
        "cablemodel": "cablemodel.simulate of the file read by read_swc, compartments by d_lambda"
                      + (" (see the notes)" if notes else ""),
        "neuron_export": "the same cell exported by cablemodel.export.to_neuron (our sections, 3-D"
                         " points, nseg and membrane; NEURON's solver); distance to the segment centre",
        "import3d": imp,
    }


def crosscheck(path: str | Path, sites: Sequence[str | Location], *, active: bool = False, Ri=150 * ohm * cm,
               Cm=1 * uF / cm**2, g_leak=1e-4 * siemens / cm**2, v_rest=-65 * mV,
               weight=1 * nS, tau_rise=0.2 * ms, tau_decay=2 * ms, reversal=0 * mV, onset=1 * ms,
               duration=40 * ms, dt=25 * 1e-3 * ms, d_lambda: float = 0.1,
               frequency=100 * Hz, step: Quantity | None = None, engine: str = "auto",
               repair: bool = False) -> dict:
    """Run the three models of this module on ``path`` at ``sites``; return a JSON-ready dict.

    Parameters
    ----------
    path : str or Path
        SWC file.
    sites : sequence of str or Location
        ``swc:ID`` or ``soma`` (others run in cablemodel and our export only).
    active : bool
        HH Na+/K+ per region (:func:`cablemodel.standard_cell`), hillock added if missing.
    Ri, Cm, g_leak, v_rest : Quantity
        Membrane (ohm*cm, uF/cm^2, S/cm^2, volt); the leak reverses at ``v_rest``.
    weight, tau_rise, tau_decay, reversal : Quantity
        The synapse: peak conductance (siemens), time constants (second), reversal (volt).
    onset, duration, dt : Quantity
        Time of the presynaptic spike, simulated time per site, time step (second).
    d_lambda : float
        Compartments (and NEURON's nseg) by the d_lambda rule at ``frequency`` (Hz).
    step : Quantity or None
        A current step at the soma (amp) from ``onset`` to the end, in every model.
    engine : str
        cablemodel's engine (``"auto"``, ``"numpy"``, ...).
    repair : bool
        Repair a broken file on loading (listed in ``notes``; NEURON reads the file as it is).

    Returns
    -------
    dict
        ``file``, ``parameters``, ``models`` (what each column is), ``notes``, ``sites`` (per site
        one entry per model with ``local_peak_mV``, ``soma_peak_mV``, ``path_distance_um``,
        ``spikes_ms``, or ``{"n/a": reason}``; and ``differences`` from cablemodel), ``geometry``
        (membrane area per region in each model, um^2) and ``neuron_version``.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from cablemodel.export import neuron_available
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
    >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
    >>> if neuron_available():
    ...     out = crosscheck(p, ["swc:3"], duration=5 * ms, engine="numpy")
    ...     d = out["sites"][0]["differences"]["neuron_export"]
    ...     print(abs(d["local_peak_rel"]) < 1e-3)
    ... else:
    ...     print(True)
    True
    """
    from .cell import Cell, standard_cell
    from .io.neuron import run_neuron, to_neuron
    from .io.neuron_import3d import import3d_script
    from .io.swc import read_swc
    from .mechanisms.synapses import CurrentClamp, Receptor, Synapse, spike_times
    from .morphology.hillock import add_hillock
    from .places import parse_site
    from .simulation.engine import simulate

    morph, report = read_swc(path, repair=repair, discretization={
        "d_lambda": d_lambda, "frequency": frequency, "Ri": Ri, "Cm": Cm})
    notes = [f"repair {r['repair']} x{r['count']}: {r.get('detail', '')}" for r in report.repairs]
    passive = dict(Ri=Ri, Cm=Cm, g_leak=g_leak, v_rest=v_rest)
    if active:
        if not any(s.region == "hillock" for s in morph.sections):
            morph = add_hillock(morph)
            notes.append(f"hillock added (the active channels need one): {morph.notes[-1]}")
        cell = standard_cell(morph, **passive)
    else:
        cell = Cell(morph, spike_site="soma", **passive)
    receptor = Receptor("exp2syn", reversal, tau_rise, tau_decay)
    synapses = [Synapse(receptor, parse_site(s), weight, spike_times([float(onset / ms)] * ms))
                for s in sites]
    clamps = [CurrentClamp("soma", step, onset, duration)] if step is not None else []
    rest = float(v_rest / mV)
    rows, areas = [], {}
    for syn in synapses:
        label = str(syn.site)
        r = simulate(cell, [syn], duration=duration, dt=dt, clamps=clamps, engine=engine)
        ours = {"local_peak_mV": float(r.peak(label) / mV), "soma_peak_mV": float(r.peak("soma") / mV),
                "path_distance_um": float(r.distance(label) / um),
                "spikes_ms": [float(t) for t in r.spikes_ms]}
        ex = run_neuron(to_neuron(cell, [syn], clamps, duration=duration, dt=dt))
        i = syn.site.resolve(cell.table)
        exported = {"local_peak_mV": _signed_peak(ex["v_mV"][label], rest),
                    "soma_peak_mV": _signed_peak(ex["v_mV"]["soma"], rest),
                    "path_distance_um": float(ex["geometry"]["distance_um"][i]),
                    "spikes_ms": [float(t) for t in ex["spikes_ms"]]}
        areas["neuron_export"] = ex["geometry"]["area_um2_by_region"]
        rows.append({"site": label, "cablemodel": ours, "neuron_export": exported})
    areas["cablemodel"] = {reg: float(cell.table.area[cell.table.in_region(reg)].sum())
                           for reg in cell.table.regions}
    try:
        imp = run_neuron(import3d_script(path, cell, synapses, clamps, duration=duration, dt=dt,
                                         d_lambda=d_lambda, frequency=frequency))
        runs, areas["import3d"] = imp["runs"], imp["geometry"]["area_um2_by_region"]
        version = imp["neuron_version"]
    except (ValueError, RuntimeError) as err:
        reason = str(err).strip().splitlines()[-1]
        runs, version = [{"error": f"NEURON's Import3d model could not be made: {reason}"}] * len(rows), None
    for row, run in zip(rows, runs, strict=True):
        if "error" in run:
            row["import3d"] = {"n/a": run["error"]}
        else:
            row["import3d"] = {"local_peak_mV": run["local_peak_mV"], "soma_peak_mV": run["soma_peak_mV"],
                               "path_distance_um": run["distance_um"], "spikes_ms": run["spikes_ms"],
                               "section": run["section"], "x": run["x"]}
        row["differences"] = {m: _differences(row[m], row["cablemodel"]) for m in MODELS[1:]
                              if "n/a" not in row[m]}
    return {
        "file": str(path),
        "parameters": {"active": active, "Ri_ohm_cm": float(Ri / (ohm * cm)),
                       "Cm_uF_cm2": float(Cm / (uF / cm**2)),
                       "g_leak_S_cm2": float(g_leak / (siemens / cm**2)), "v_rest_mV": rest,
                       "weight_nS": float(weight / nS), "tau_rise_ms": float(tau_rise / ms),
                       "tau_decay_ms": float(tau_decay / ms), "reversal_mV": float(reversal / mV),
                       "onset_ms": float(onset / ms), "duration_ms": float(duration / ms),
                       "dt_ms": float(dt / ms), "d_lambda": float(d_lambda),
                       "frequency_hz": float(frequency / Hz),
                       "step_nA": None if step is None else float(step / nA)},
        "models": _descriptions(active, d_lambda, float(frequency / Hz), notes),
        "notes": notes, "sites": rows, "geometry": {"area_um2_by_region": areas},
        "neuron_version": version,
    }


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:+.2f}%"


def format_crosscheck(result: dict) -> str:
    """The result of :func:`crosscheck` as a table: per site one line per model, with the
    differences from cablemodel (peaks in %, distance in um, spike times in ms).

    Example
    -------
    >>> row = {"local_peak_mV": 2.0, "soma_peak_mV": 0.5, "path_distance_um": 100.0, "spikes_ms": []}
    >>> result = {"file": "cell.swc", "parameters": {"active": False}, "notes": [],
    ...           "models": {m: "..." for m in MODELS},
    ...           "sites": [{"site": "swc:3", "cablemodel": row, "neuron_export": row,
    ...                      "import3d": {"n/a": "no NEURON"},
    ...                      "differences": {"neuron_export": _differences(row, row)}}]}
    >>> print(format_crosscheck(result).splitlines()[-2])  # doctest: +NORMALIZE_WHITESPACE
    NEURON ours 2.0000 +0.00% 0.50000 +0.00% 100.0 +0.0
    """
    active = result["parameters"]["active"]
    lines = [f"crosscheck of {result['file']}"]
    lines += [textwrap.fill(f"{LABELS[m]}: {result['models'][m]}", 100, initial_indent="  ",
                            subsequent_indent="    ") for m in MODELS]
    lines += [textwrap.fill(f"note: {n}", 100, initial_indent="  ", subsequent_indent="    ")
              for n in result["notes"]]
    head = (f"{'site':<12} {'model':<16} {'local mV':>9} {'diff':>8} {'soma mV':>9} {'diff':>8}"
            f" {'dist um':>8} {'diff':>7}")
    if active:
        head += f" {'spikes':>6}  spike times ms (diff)"
    lines.append(head)
    for row in result["sites"]:
        for m in MODELS:
            site = row["site"] if m == "cablemodel" else ""
            data = row[m]
            if "n/a" in data:
                lines.append(f"{site:<12} {LABELS[m]:<16} n/a: {data['n/a']}")
                continue
            diff = row["differences"].get(m, {})
            text = (f"{site:<12} {LABELS[m]:<16} {data['local_peak_mV']:9.4f}"
                    f" {_pct(diff.get('local_peak_rel')):>8} {data['soma_peak_mV']:9.5f}"
                    f" {_pct(diff.get('soma_peak_rel')):>8} {data['path_distance_um']:8.1f}"
                    f" {'' if not diff else format(diff['path_distance_um'], '+.1f'):>7}")
            if active:
                times = ", ".join(f"{t:.3f}" for t in data["spikes_ms"])
                if diff.get("spike_times_ms"):
                    times += " (" + ", ".join(f"{d:+.3f}" for d in diff["spike_times_ms"]) + ")"
                text += f" {len(data['spikes_ms']):>6}  {times}"
            lines.append(text.rstrip())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``cablemodel crosscheck`` from parsed arguments; print the table or JSON; exit status
    0, or 2 with a one-line message (invalid file or site, NEURON missing).

    Example
    -------
    >>> parser = argparse.ArgumentParser()
    >>> args = add_parser(parser.add_subparsers()).parse_args(["cell.swc", "--site", "swc:2"])
    >>> args.func is run, args.ra, args.weight, args.d_lambda
    (True, 150.0, 1.0, 0.1)
    """
    from .io.neuron import NEURON_INSTALL_HINT, neuron_available
    from .io.swc import SWCError
    from .places import LocationError

    if not neuron_available():
        print(f"cablemodel crosscheck: NEURON is not installed: {NEURON_INSTALL_HINT}", file=sys.stderr)
        return 2
    try:
        result = crosscheck(
            args.file, args.site, active=args.active, Ri=args.ra * ohm * cm, Cm=args.cm * uF / cm**2,
            g_leak=args.gl * siemens / cm**2, v_rest=args.el * mV, weight=args.weight * nS,
            tau_rise=args.tau_rise * ms, tau_decay=args.tau_decay * ms, reversal=args.reversal * mV,
            onset=args.onset * ms, duration=args.duration * ms, dt=args.dt * ms,
            d_lambda=args.d_lambda, frequency=args.frequency * Hz,
            step=None if args.step is None else args.step * nA, engine=args.engine,
            repair=args.repair)
    except (SWCError, LocationError, ValueError, RuntimeError) as err:
        print(f"cablemodel crosscheck: {str(err).splitlines()[0]}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else format_crosscheck(result))
    return 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``crosscheck`` subcommand to an ``argparse`` subparsers object; returns its parser
    (``func`` is :func:`run`).

    Example
    -------
    >>> parser = argparse.ArgumentParser()
    >>> sub = add_parser(parser.add_subparsers())
    >>> sub.parse_args(["cell.swc", "--site", "swc:2", "--active"]).active
    True
    """
    from .simulation.engine import ENGINES

    p = subparsers.add_parser(
        "crosscheck", help="PSP peaks, path distances (and spikes) at SWC samples: cablemodel,"
        " our geometry in NEURON, and NEURON's own Import3d of the file, with the differences",
        description="One SWC file, three models side by side: cablemodel, our geometry exported to"
        " NEURON, and NEURON's own Import3d of the file (same d_lambda rule, membrane and synapse);"
        " one synaptic event per site, each in its own simulation.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("file", help="SWC file")
    p.add_argument("--site", action="append", required=True,
                   help="swc:ID (an SWC sample) or soma; repeat for several sites")
    p.add_argument("--active", action="store_true",
                   help="HH Na+/K+ per region (standard_cell; a hillock is added if missing)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--weight", type=float, default=1.0, help="peak conductance, nS")
    p.add_argument("--tau-rise", type=float, default=0.2, help="rise time constant, ms (0: ExpSyn)")
    p.add_argument("--tau-decay", type=float, default=2.0, help="decay time constant, ms")
    p.add_argument("--reversal", type=float, default=0.0, help="synaptic reversal, mV")
    p.add_argument("--onset", type=float, default=1.0, help="presynaptic spike time, ms")
    p.add_argument("--step", type=float, default=None,
                   help="current step at the soma from the onset to the end, nA")
    p.add_argument("--ra", type=float, default=150.0, help="axial resistivity, ohm*cm")
    p.add_argument("--cm", type=float, default=1.0, help="membrane capacitance, uF/cm2")
    p.add_argument("--gl", type=float, default=1e-4, help="leak conductance, S/cm2")
    p.add_argument("--el", type=float, default=-65.0, help="resting/leak potential, mV")
    p.add_argument("--dt", type=float, default=0.025, help="time step, ms")
    p.add_argument("--duration", type=float, default=40.0, help="simulated time per site, ms")
    p.add_argument("--d-lambda", type=float, default=0.1,
                   help="compartments (and NEURON's nseg) by the d_lambda rule")
    p.add_argument("--frequency", type=float, default=100.0, help="frequency of the d_lambda rule, Hz")
    p.add_argument("--engine", default="auto", choices=ENGINES, help="cablemodel's Brian2 engine")
    p.add_argument("--repair", action="store_true", help="repair a broken SWC file (reported)")
    p.set_defaults(func=run)
    return p
