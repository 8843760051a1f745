"""The same model in NEURON: a self-contained NEURON Python script of a cell with its synapses,
clamps and recordings (:func:`to_neuron`), and a runner that returns its output (:func:`run_neuron`).

What the script builds
----------------------
* One NEURON section per :class:`~cablemodel.morphology.model.Section`, with the section's 3-D
  points as pt3d points and ``nseg`` equal to its compartment count (compartments and NEURON
  segments are both equal arc-length pieces). The soma sphere becomes NEURON's usual cylinder
  with ``L = diam =`` the sphere's diameter, centred on the soma centre (the same area,
  ``pi d^2``). Children of the soma are connected to ``soma(0.5)``, all others to ``parent(1)``:
  in Brian2, too, the soma is one isopotential compartment and a child starts at its first point.
* The membrane of :meth:`cablemodel.Cell.membrane`: ``cm`` per segment; ``pas`` in every
  segment, ``g`` = the segment's g_leak and ``e`` = its leak reversal
  :meth:`cablemodel.Cell.leak_reversal` (so the NEURON model rests exactly at ``v_rest`` too);
  ``Ra`` per section (NEURON's ``Ra`` is a section variable: a cell whose Ri varies within a
  section is refused). Where two Ra meet, NEURON gives each half segment its own section's Ra,
  as cablemodel does (:mod:`cablemodel.membrane`).
* ``hh`` where :func:`cablemodel.HHSodium` / :func:`cablemodel.HHPotassium` are painted:
  ``gnabar`` and ``gkbar`` per segment from :meth:`cablemodel.Cell.densities`, ``gl_hh = 0`` (the
  leak is ``pas``), ``ena``/``ek`` the channels' reversals, ``h.celsius = cell.celsius`` and
  ``h.usetable_hh = 0`` (exact rate functions, as cablemodel evaluates them). Other channels are
  refused.
* A double-exponential receptor (:class:`cablemodel.Receptor`, or a receptor of the kit without a
  cleft) becomes an ``Exp2Syn`` (``tau1`` = rise, ``tau2`` = decay, ``e`` = reversal; NEURON
  normalises it to a peak of ``weight`` as cablemodel does), a single exponential
  (``tau_rise = 0``) an ``ExpSyn``; each is driven by a ``NetCon`` whose events arrive at the
  synapse's spike times (NEURON's own semantics: an event at t acts from t on), weight in uS.
  NMDA (Mg2+ block), receptors with a cleft, metabotropic receptors and presynaptic terminals
  have no built-in NEURON counterpart and are refused.
* :class:`cablemodel.CurrentClamp` becomes an ``IClamp`` (``delay``, ``dur``, ``amp``).
* Fixed step ``dt``, backward Euler (``h.secondorder = 0``, ``h.CVode().active(0)``), the run
  starting from ``h.finitialize(v_rest)``.

What the script outputs
-----------------------
One JSON object, printed or written to the path given as its first argument: ``t_ms``;
``v_mV`` (label -> trace) for the same sites that :func:`cablemodel.simulate` records (the soma,
the spike site, every synapse and clamp site, and ``record``), with the same labels;
``spikes_ms`` (threshold crossings of ``cell.spike_threshold`` at the spike site, by a
``NetCon``); ``geometry``: per compartment in cablemodel's order ``section``, ``index``,
``area_um2``, ``ri_megohm`` (``seg.ri()``: from the segment's node to its parent's; ``None`` for
the soma, the root), ``distance_um`` (``h.distance`` from ``soma(0.5)``), and
``area_um2_by_region``; ``neuron_version``. There are ``steps + 1`` samples, ``t = 0 .. duration``.
"""

from __future__ import annotations

import importlib.util
import json
import pprint
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from brian2 import Quantity, cm, ms, mV, nA, nS, ohm, siemens, uF

from ..cell import Cell
from ..mechanisms.channels import HHPotassium, HHSodium
from ..mechanisms.receptors import Ionotropic
from ..mechanisms.synapses import CurrentClamp, Receptor, Synapse
from ..places import Location

__all__ = ["to_neuron", "run_neuron", "neuron_available", "NEURON_INSTALL_HINT"]

#: How to get NEURON, for error messages.
NEURON_INSTALL_HINT = "pip install neuron (or pip install 'cablemodel[neuron]')"


def neuron_available() -> bool:
    """Whether the ``neuron`` package (NEURON's Python interface) can be imported by this Python.

    Example
    -------
    >>> isinstance(neuron_available(), bool)
    True
    """
    return importlib.util.find_spec("neuron") is not None


def _hh_role(channel) -> str:
    """``"na"`` or ``"k"`` if ``channel`` has exactly the kinetics of NEURON's ``hh`` part (and
    an ohmic current with a fixed reversal)."""
    for role, make in (("na", HHSodium), ("k", HHPotassium)):
        ref = make()
        if (channel.gates == ref.gates and channel.q10 == ref.q10
                and channel.reference_celsius == ref.reference_celsius
                and channel.current_kind == "ohmic" and not isinstance(channel.reversal, str)):
            return role
    raise ValueError(
        f"channel {channel.name!r} cannot be exported to NEURON: only the Hodgkin-Huxley Na+ and K+"
        " channels (cablemodel.HHSodium, cablemodel.HHPotassium, any fixed reversal, ohmic) map to"
        " NEURON's built-in hh; remove it from the cell (or write a NEURON mechanism for it"
        " yourself)")


def _hh_roles(cell: Cell) -> dict[str, str]:
    """The ``hh`` part (``"na"``/``"k"``) of each channel of ``cell``, one channel per part;
    anything NEURON's built-in mechanisms cannot express is a ``ValueError`` naming it."""
    if cell.calcium_parameters() is not None:
        names = sorted({p.channel.name for p in cell.painted if p.density is None})
        raise ValueError(f"calcium dynamics ({', '.join(names)}) cannot be exported to NEURON:"
                         " only the Hodgkin-Huxley channels and the leak map to NEURON's built-in"
                         " mechanisms; remove them from the cell")
    roles: dict[str, str] = {}
    for ch in cell.channels:
        role = _hh_role(ch)
        if role in roles.values():
            raise ValueError(f"channels {[n for n, r in roles.items() if r == role] + [ch.name]} are"
                             " both Hodgkin-Huxley " + ("Na+" if role == "na" else "K+")
                             + "; NEURON's hh has one of each: paint one channel per kind")
        roles[ch.name] = role
    return roles


def _receptor(syn: Synapse, k: int) -> dict:
    """Exp2Syn / ExpSyn parameters (ms, mV) of a double-exponential receptor; refuses others."""
    rec = syn.receptor
    plain = type(rec) is Receptor or (type(rec) is Ionotropic and rec.cleft is None)
    if not plain or syn.params:
        raise ValueError(
            f"synapse {k} at {syn.site}: receptor {getattr(rec, 'name', rec)!r}"
            f" ({type(rec).__name__}) cannot be exported to NEURON: only double-exponential"
            " receptors (cablemodel.Receptor, or a kit receptor such as ampa()/gaba_a() without a"
            " cleft) map to NEURON's Exp2Syn/ExpSyn; NMDA (Mg2+ block), receptors with a cleft,"
            " metabotropic receptors and presynaptic terminals have no built-in NEURON"
            " counterpart; use such a receptor instead")
    return {"tau_rise_ms": float(rec.tau_rise / ms), "tau_decay_ms": float(rec.tau_decay / ms),
            "e_mV": float(rec.reversal / mV), "weight_uS": float(syn.weight / nS) * 1e-3,
            "spikes_ms": [float(t) for t in np.asarray(syn.spikes / ms)]}


def _where(table, index: int) -> list:
    """``[section name, x]`` of the centre of compartment ``index`` (NEURON's segment centre)."""
    sec = str(table.section[index])
    n = int(np.sum(table.section == sec))
    return [sec, (int(table.index[index]) + 0.5) / n]


def _section_ra(name: str, ri: np.ndarray) -> float:
    """NEURON's ``Ra`` (ohm*cm) of section ``name`` from its compartments' Ri, which must agree."""
    if np.ptp(ri) > 1e-12 * float(ri.max()):
        raise ValueError(f"Ri varies within section {name!r} ({ri.min():g}-{ri.max():g} ohm*cm):"
                         " NEURON's Ra is one value per section; give Ri per region or section")
    return float(ri[0])


def _points(sec) -> list[list[float]]:
    """pt3d points of a section; the soma sphere (the root) as a cylinder L = diam = d along x."""
    if sec.parent is None:
        x, y, z, d = (float(v) for v in sec.points[0])
        return [[x - d / 2, y, z, d], [x, y, z, d], [x + d / 2, y, z, d]]
    return [[float(v) for v in row] for row in sec.points]


def _model(cell: Cell, synapses: Sequence[Synapse], clamps: Sequence[CurrentClamp],
           record, duration, dt) -> dict:
    """Everything the script needs, as plain JSON-ready data (units in the key names)."""
    from ..simulation.engine import _cell_spec, _check_time

    T, dt_ms = _check_time(duration, "duration"), _check_time(dt, "dt")
    others = [c for c in clamps if not isinstance(c, CurrentClamp)]
    if others:
        raise ValueError(f"the NEURON export takes CurrentClamp objects only (as IClamp), got"
                         f" {type(others[0]).__name__} at {others[0].site}; simulate waveform and"
                         " voltage clamps with cablemodel.simulate")
    spec = _cell_spec("cell", cell, list(synapses), list(clamps), record, dt_ms, False,
                      [c.site for c in clamps])
    if spec.recordings:
        raise ValueError(f"the NEURON export records only the membrane potential, not"
                         f" {', '.join(spec.recordings)}; record those with cablemodel.simulate")
    table = cell.table
    roles = _hh_roles(cell)
    dens = {roles[name]: d * 1e-4 for name, d in cell.densities().items() if name in roles}  # S/cm2
    e_leak = np.asarray(cell.leak_reversal() / mV)
    membrane = cell.membrane()
    g_leak = np.asarray(membrane.g_leak / (siemens / cm**2), dtype=float)
    c_m = np.asarray(membrane.Cm / (uF / cm**2), dtype=float)
    r_a = np.asarray(membrane.Ri / (ohm * cm), dtype=float)
    sections, soma = [], cell.morphology.soma.name
    offset: dict[str, float] = {soma: 0.0}  # distance origin offsets (read_swc's NEURON attachment)
    for sec in cell.morphology.sections:
        if sec.parent is not None:
            offset[sec.name] = offset[sec.parent] + sec.origin_distance
        rows = np.flatnonzero(table.section == sec.name)
        rows = rows[np.argsort(table.index[rows])]
        item = {"name": sec.name, "region": sec.region, "parent": sec.parent,
                "parent_x": None if sec.parent is None else 0.5 if sec.parent == soma else 1.0,
                "nseg": int(rows.size), "points": _points(sec), "origin_um": offset[sec.name],
                "g_pas_S_cm2": g_leak[rows].tolist(), "e_pas_mV": e_leak[rows].tolist(),
                "cm_uF_cm2": c_m[rows].tolist(), "Ra_ohm_cm": _section_ra(sec.name, r_a[rows])}
        if any(dens[r][rows].any() for r in dens):
            for role, key in (("na", "gnabar_S_cm2"), ("k", "gkbar_S_cm2")):
                item[key] = [float(g) for g in dens[role][rows]] if role in dens else [0.0] * rows.size
        sections.append(item)
    reversals = {roles[ch.name]: float(ch.reversal / mV) for ch in cell.channels}
    return {
        "name": cell.morphology.name,
        "celsius": cell.celsius, "v_init_mV": float(cell.v_rest / mV),
        "ena_mV": reversals.get("na", 50.0), "ek_mV": reversals.get("k", -77.0),
        "dt_ms": dt_ms, "steps": int(round(T / dt_ms)),
        "sections": sections,
        "synapses": [dict(_receptor(s, k), where=_where(table, i))
                     for k, (s, i) in enumerate(zip(spec.synapses, spec.syn_idx, strict=True))],
        "clamps": [{"where": _where(table, i), "delay_ms": float(c.start / ms),
                    "dur_ms": float((c.stop - c.start) / ms), "amp_nA": float(c.amplitude / nA)}
                   for c, i in ((c, c.site.resolve(table)) for c in clamps)],  # IClamps sum
        "record": {label: _where(table, i) for label, i in spec.record.items()},
        "spike": {"where": _where(table, cell.spike_compartment),
                  "threshold_mV": float(cell.spike_threshold / mV)},
        "compartments": [[str(s), int(k)] for s, k in zip(table.section, table.index, strict=True)],
    }


_HEADER = '''"""NEURON model of the cablemodel cell {name!r}, written by cablemodel.export.to_neuron
(cablemodel {version}). Self-contained: needs only NEURON; {hint}.

Run:  python THIS_FILE.py [OUT.json]
Prints (or writes to OUT.json) one JSON object: t_ms, v_mV (site label -> trace), spikes_ms,
geometry (per compartment, in cablemodel's order: section, index, area_um2, ri_megohm,
distance_um; area_um2_by_region) and neuron_version.
"""

import json
import sys

import neuron
from neuron import h

'''

_BODY = '''

def build(model):
    """Sections with their 3-D points, nseg, Ra, cm, pas per segment, hh where painted."""
    secs = {}
    for s in model["sections"]:
        sec = h.Section(name=s["name"])
        for x, y, z, d in s["points"]:
            sec.pt3dadd(x, y, z, d)
        if s["parent"] is not None:
            sec.connect(secs[s["parent"]](s["parent_x"]), 0)
        sec.nseg = s["nseg"]
        sec.Ra = s["Ra_ohm_cm"]
        sec.insert("pas")
        for seg, g, e, c in zip(sec, s["g_pas_S_cm2"], s["e_pas_mV"], s["cm_uF_cm2"]):
            seg.pas.g, seg.pas.e, seg.cm = g, e, c
        if "gnabar_S_cm2" in s:
            sec.insert("hh")
            for seg, gna, gk in zip(sec, s["gnabar_S_cm2"], s["gkbar_S_cm2"]):
                seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl = gna, gk, 0.0
            sec.ena, sec.ek = model["ena_mV"], model["ek_mV"]
        secs[s["name"]] = sec
    return secs


def segment(secs, where):
    name, x = where
    return secs[name](x)


def place(model, secs):
    """Synapses driven by NetCon events at their spike times, and current clamps."""
    keep, events = [], []
    for s in model["synapses"]:
        if s["tau_rise_ms"] > 0:
            syn = h.Exp2Syn(segment(secs, s["where"]))
            syn.tau1, syn.tau2 = s["tau_rise_ms"], s["tau_decay_ms"]
        else:
            syn = h.ExpSyn(segment(secs, s["where"]))
            syn.tau = s["tau_decay_ms"]
        syn.e = s["e_mV"]
        nc = h.NetCon(None, syn)
        nc.weight[0] = s["weight_uS"]
        keep += [syn, nc]
        events += [(nc, t) for t in s["spikes_ms"]]
    for c in model["clamps"]:
        stim = h.IClamp(segment(secs, c["where"]))
        stim.delay, stim.dur, stim.amp = c["delay_ms"], c["dur_ms"], c["amp_nA"]
        keep.append(stim)

    def queue():
        for nc, t in events:
            nc.event(t)

    keep.append(h.FInitializeHandler(queue))
    return keep


def run(model, secs):
    """Fixed-step backward Euler from rest; traces at the recorded sites, spike times."""
    t = h.Vector().record(h._ref_t)
    traces = {label: h.Vector().record(segment(secs, where)._ref_v)
              for label, where in model["record"].items()}
    site = segment(secs, model["spike"]["where"])
    detector = h.NetCon(site._ref_v, None, sec=site.sec)
    detector.threshold = model["spike"]["threshold_mV"]
    spikes = h.Vector()
    detector.record(spikes)
    h.celsius = model["celsius"]
    h.usetable_hh = 0
    h.secondorder = 0
    h.CVode().active(0)
    h.dt = model["dt_ms"]
    h.finitialize(model["v_init_mV"])
    for _ in range(model["steps"]):
        h.fadvance()
    return {"t_ms": list(t), "v_mV": {k: list(v) for k, v in traces.items()},
            "spikes_ms": list(spikes)}


def geometry(model, secs):
    """Area, axial resistance to the parent node and path distance of every compartment."""
    region = {s["name"]: s["region"] for s in model["sections"]}
    origin_um = {s["name"]: s["origin_um"] for s in model["sections"]}  # where a soma child starts
    origin = secs[model["sections"][0]["name"]](0.5)
    out = {"section": [], "index": [], "area_um2": [], "ri_megohm": [], "distance_um": [],
           "area_um2_by_region": {}}
    for name, k in model["compartments"]:
        sec = secs[name]
        seg = sec((k + 0.5) / sec.nseg)
        ri = seg.ri()
        out["section"].append(name)
        out["index"].append(k)
        out["area_um2"].append(seg.area())
        out["ri_megohm"].append(ri if ri < 1e29 else None)
        out["distance_um"].append(h.distance(origin, seg) + origin_um[name])
        by_region = out["area_um2_by_region"]
        by_region[region[name]] = by_region.get(region[name], 0.0) + seg.area()
    return out


def main(argv):
    secs = build(MODEL)
    keep = place(MODEL, secs)
    out = run(MODEL, secs)
    out["geometry"] = geometry(MODEL, secs)
    out["neuron_version"] = neuron.__version__
    text = json.dumps(out)
    if len(argv) > 1:
        with open(argv[1], "w") as f:
            f.write(text)
    else:
        print(text)
    return keep


if __name__ == "__main__":
    main(sys.argv)
'''


def to_neuron(cell: Cell, synapses: Sequence[Synapse] = (), clamps: Sequence[CurrentClamp] = (),
              record: Iterable[Location | str] | str | None = None, duration: Quantity = 50 * ms,
              dt: Quantity = 25 * 1e-3 * ms) -> str:
    """A self-contained NEURON Python script of ``cell`` with ``synapses`` and ``clamps``.

    The script builds the same model (see the module documentation for the mapping), runs it
    for ``duration`` at fixed step ``dt`` and prints (or writes to its first argument) one JSON
    object with the traces at the sites :func:`cablemodel.simulate` records (same labels), the
    spike times and the geometry. :func:`run_neuron` runs it.

    Parameters
    ----------
    cell : Cell
        Channels must be Hodgkin-Huxley Na+/K+ (or none); no calcium dynamics.
    synapses : sequence of Synapse
        Double-exponential receptors only (Exp2Syn/ExpSyn).
    clamps : sequence of CurrentClamp
    record : iterable of locations or site strings, ``"all"`` or None
        Extra recording sites and regions (membrane potential only), as for
        :func:`cablemodel.simulate`.
    duration, dt : Quantity
        Simulated time and fixed time step (second).

    Returns
    -------
    str
        Python source; NEURON is imported only when the script runs.

    Raises
    ------
    ValueError
        A channel or receptor has no NEURON counterpart (the message names it), or a site or
        time is invalid (as in :func:`cablemodel.simulate`).

    Example
    -------
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Synapse, ball_and_stick, spike_times, standard_cell
    >>> cell = standard_cell(ball_and_stick())
    >>> script = to_neuron(cell, [Synapse(AMPA, "basal@100", 1 * nS, spike_times([2] * ms))],
    ...                    duration=20 * ms)
    >>> compile(script, "model.py", "exec") is not None, "Exp2Syn" in script, '"gnabar_S_cm2"' in script
    (True, True, True)
    """
    import cablemodel

    model = _model(cell, synapses, clamps, record, duration, dt)
    header = _HEADER.format(name=model["name"], version=cablemodel.__version__,
                            hint=NEURON_INSTALL_HINT)
    return header + "MODEL = " + pprint.pformat(model, width=110, sort_dicts=False, compact=True) \
        + "\n" + _BODY


def run_neuron(script: str, timeout: float | None = 600.0) -> dict:
    """Run a script made by :func:`to_neuron` (or any script following its convention: write
    JSON to the path given as first argument) with this Python in a subprocess, in a temporary
    folder; return its JSON output.

    Parameters
    ----------
    script : str
        Python source.
    timeout : float or None
        Seconds before the run is stopped.

    Raises
    ------
    ModuleNotFoundError
        NEURON is not installed (the message says how to install it).
    RuntimeError
        The script failed; the message ends with the last lines of its error output.

    Example
    -------
    >>> from brian2 import ms
    >>> from cablemodel import Cell, ball_and_stick
    >>> script = to_neuron(Cell(ball_and_stick()), duration=1 * ms)
    >>> out = run_neuron(script) if neuron_available() else {"t_ms": [0.025 * k for k in range(41)]}
    >>> len(out["t_ms"])  # t = 0 .. 1 ms in steps of 25 us
    41
    """
    if not neuron_available():
        raise ModuleNotFoundError(f"NEURON is not installed for {sys.executable}: {NEURON_INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="cablemodel_neuron_") as folder:
        path, out = Path(folder) / "model.py", Path(folder) / "out.json"
        path.write_text(script)
        proc = subprocess.run([sys.executable, str(path), str(out)], cwd=folder, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0 or not out.is_file():
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            raise RuntimeError(f"the NEURON script failed (exit status {proc.returncode}):\n{tail}")
        return json.loads(out.read_text())

