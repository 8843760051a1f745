"""NEURON's own reading of an SWC file, as the reference a cablemodel cell is compared with:
:func:`import3d_script` writes a self-contained NEURON script that loads the file with NEURON's
Import3d (``Import3d_SWC_read`` + ``Import3d_GUI(reader, 0).instantiate(None)``), gives it the
cell's membrane and runs one simulation per synapse.

What the script does
--------------------
* **Geometry: NEURON's**, from the file: Import3d's sections and 3-D points (its soma, its
  attachment of neurites to the soma), ``nseg`` by the d_lambda rule over the 3-D points of every
  section (the formula of :mod:`cablemodel.morphology.discretize`). Regions by Import3d's section
  names: ``soma``, ``axon``, ``dend`` -> ``basal``, ``apic`` -> ``apical``.
* **Membrane: the cell's**, per region (:meth:`cablemodel.Cell.membrane`, which must be constant
  within each region): ``Ra``, ``cm``, ``pas`` (``g`` = ``g_leak``, ``e`` = the cell's leak
  reversal of the segment's region; a region the cell lacks gets the soma's membrane, passive),
  and for a cell with Hodgkin-Huxley channels ``hh`` per region
  with the cell's densities (which must be constant within each region), ``gl_hh = 0``,
  ``usetable_hh = 0``, ``celsius``.
* **Axon hillock**: the cell's hillock/ais/axon pieces that :func:`cablemodel.add_hillock` made are
  made in NEURON too. Pieces *added* at the soma (not in the file) become sections with the cell's
  3-D points and compartment counts, attached to ``soma[0](0.5)``. Pieces *split from the file's
  axon* are cut from the Import3d section that holds them, at the same 3-D points, and get the
  cell's compartment counts. The spike detector sits where the cell's spike site is.
* **Sites**: a synapse at SWC sample ``swc:ID`` goes into the segment holding the sample's 3-D
  point (found among the sections' 3-D points; a point on a segment boundary goes to the proximal
  segment, as in cablemodel's compartments); a soma sample or ``"soma"`` means ``soma[0](0.5)``.
  Its path distance is ``h.distance`` from ``soma[0](0.5)`` to the sample's own position. Other
  site forms have no place in NEURON's model: the script reports them as not located.

Output (JSON, printed or written to the first argument): ``runs`` (one per synapse: ``site``,
``section``, ``x`` (the sample), ``seg_x`` (the synapse), ``distance_um``, ``local_peak_mV``,
``soma_peak_mV`` (signed largest deviations from rest), ``spikes_ms``; or ``error``), ``geometry``
(``sections``, ``nseg``, ``area_um2_by_region``) and ``neuron_version``.
"""

from __future__ import annotations

import pprint
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from brian2 import Hz, Quantity, cm, ms, mV, nA, ohm, siemens, uF

from ..cell import Cell
from ..mechanisms.synapses import CurrentClamp, Synapse
from .neuron import NEURON_INSTALL_HINT, _hh_role, _hh_roles, _receptor

__all__ = ["import3d_script", "IMPORT3D_REGIONS"]

#: Import3d's section names -> cablemodel regions.
IMPORT3D_REGIONS = {"soma": "soma", "axon": "axon", "dend": "basal", "apic": "apical"}
#: Regions the hillock pieces of :func:`cablemodel.add_hillock` may have.
_PIECE_REGIONS = ("hillock", "ais")


def _sample_point(cell: Cell, site) -> list[float] | None:
    """3-D point (um) of the sample of an ``swc:ID`` site, ``None`` for a soma site."""
    index = site.resolve(cell.table)
    if index == 0:
        return None
    for sec in cell.morphology.sections[1:]:
        ids = sec.swc_ids or ()
        if site.swc_id in ids:
            return [float(v) for v in sec.points[ids.index(site.swc_id), :3]]
    raise ValueError(f"SWC sample {site.swc_id} has no 3-D point on the cell")


def _where(cell: Cell, site) -> dict:
    """How the script finds a site: ``{"soma": True}``, ``{"point": [x, y, z]}`` or an error."""
    if site.kind == "swc":
        point = _sample_point(cell, site)
        return {"soma": True} if point is None else {"point": point}
    if site.resolve(cell.table) == 0:
        return {"soma": True}
    return {"error": f"site {site} has no place in NEURON's Import3d model: give SWC sample ids"
                     " (swc:ID) or 'soma'"}


def _pieces(cell: Cell) -> list[dict]:
    """The hillock chain made by add_hillock: hillock/ais sections, and what follows them when it
    was added (no SWC ids) or split off (first id -1); ``start`` is the first sample's point."""
    out = []
    names: set[str] = set()
    for sec in cell.morphology.sections[1:]:
        added = sec.swc_ids is None
        split = not added and sec.swc_ids[0] == -1
        if sec.region in _PIECE_REGIONS or ((added or split) and sec.parent in names):
            names.add(sec.name)
            start = None if added else sec.points[[i >= 0 for i in sec.swc_ids].index(True), :3]
            out.append({"name": sec.name, "region": sec.region, "nseg": int(sec.n_compartments),
                        "added": added, "parent": sec.parent,
                        "start": None if start is None else [float(v) for v in start],
                        "points": [[float(v) for v in p] for p in sec.points]})
    return out


def _regions(cell: Cell) -> dict:
    """Per region: ``e_pas_mV`` and, where painted, ``gnabar``/``gkbar`` (S/cm2), which must be
    constant within the region."""
    table = cell.table
    dens = {role: cell.densities()[name] * 1e-4 for name, role in _hh_roles(cell).items()}
    e_leak = np.asarray(cell.leak_reversal() / mV)
    membrane = cell.membrane()
    passive = {"cm_uF_cm2": np.asarray(membrane.Cm / (uF / cm**2), dtype=float),
               "g_pas_S_cm2": np.asarray(membrane.g_leak / (siemens / cm**2), dtype=float),
               "Ra_ohm_cm": np.asarray(membrane.Ri / (ohm * cm), dtype=float)}
    out = {}
    for region in table.regions:
        rows = table.in_region(region)
        item = {"e_pas_mV": float(e_leak[rows][0])}
        for key, values in passive.items():
            values = values[rows]
            if np.ptp(values) > 1e-12 * float(values.max()):
                raise ValueError(f"{key.split('_')[0]} varies within region {region!r}"
                                 f" ({values.min():g}-{values.max():g}): NEURON's Import3d model"
                                 " takes one membrane per region; give Cm, g_leak and Ri per region")
            item[key] = float(values[0])
        for role, key in (("na", "gnabar_S_cm2"), ("k", "gkbar_S_cm2")):
            if role in dens:
                values = dens[role][rows]
                if np.ptp(values) > 1e-12 * max(1.0, float(values.max())):
                    raise ValueError(f"the {role} density varies within region {region!r}"
                                     f" ({values.min():g}-{values.max():g} S/cm2): NEURON's Import3d"
                                     " model is painted per region; paint constant densities")
                item[key] = float(values[0])
        out[region] = item
    return out


def import3d_script(swc: str | Path, cell: Cell, synapses: Sequence[Synapse],
                    clamps: Sequence[CurrentClamp] = (), duration: Quantity = 40 * ms,
                    dt: Quantity = 25 * 1e-3 * ms, d_lambda: float = 0.1,
                    frequency: Quantity = 100 * Hz) -> str:
    """A self-contained NEURON script: ``swc`` read by NEURON's Import3d, with ``cell``'s membrane
    and hillock pieces, run once per synapse in ``synapses`` (each alone, with every clamp).

    See the module documentation for what is taken from the file and what from the cell.

    Parameters
    ----------
    swc : str or Path
        The SWC file ``cell`` was read from (unscaled).
    cell : Cell
        Passive properties, HH densities (constant per region) and the hillock pieces.
    synapses : sequence of Synapse
        Double-exponential receptors (Exp2Syn/ExpSyn) at ``swc:ID`` sites or the soma.
    clamps : sequence of CurrentClamp
        At ``swc:ID`` sites or the soma.
    duration, dt : Quantity
        Simulated time per run and fixed time step (second).
    d_lambda : float
        Fraction of the AC length constant at ``frequency`` (Hz) for ``nseg``.

    Returns
    -------
    str
        Python source; run it with :func:`cablemodel.export.run_neuron`.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from brian2 import ms, nS
    >>> from cablemodel import AMPA, Cell, Synapse, read_swc, spike_times
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cell.swc"
    >>> _ = p.write_text("1 1 0 0 0 5 -1\\n2 3 0 5 0 1 1\\n3 3 0 105 0 1 2\\n")
    >>> cell = Cell(read_swc(p)[0], spike_site="soma")
    >>> script = import3d_script(p, cell, [Synapse(AMPA, "swc:3", 1 * nS, spike_times([1] * ms))])
    >>> "Import3d_SWC_read" in script, compile(script, "model.py", "exec") is not None
    (True, True)
    """
    from ..simulation.engine import _check_time

    T, dt_ms = _check_time(duration, "duration"), _check_time(dt, "dt")
    regions = _regions(cell)
    pieces = _pieces(cell)
    spike = cell.spike_compartment
    table = cell.table
    spike_sec = str(table.section[spike])
    if spike == 0:
        spike_where = {"soma": True}
    elif spike_sec in {p["name"] for p in pieces}:
        n = int(np.sum(table.section == spike_sec))
        spike_where = {"piece": spike_sec, "x": (int(table.index[spike]) + 0.5) / n}
    else:
        raise ValueError(f"spike site {cell.spike_site!r} is neither the soma nor a hillock piece:"
                         " NEURON's Import3d model cannot place the spike detector there")
    model = {
        "swc": str(Path(swc).resolve()),
        "v_init_mV": float(cell.v_rest / mV),
        "celsius": cell.celsius, "d_lambda": float(d_lambda), "frequency_hz": float(frequency / Hz),
        "ena_mV": next((float(c.reversal / mV) for c in cell.channels if _hh_role(c) == "na"), 50.0),
        "ek_mV": next((float(c.reversal / mV) for c in cell.channels if _hh_role(c) == "k"), -77.0),
        "regions": regions, "names": IMPORT3D_REGIONS, "pieces": pieces,
        "dt_ms": dt_ms, "steps": int(round(T / dt_ms)),
        "spike": dict(spike_where, threshold_mV=float(cell.spike_threshold / mV)),
        "runs": [dict(_receptor(s, k), site=str(s.site), where=_where(cell, s.site))
                 for k, s in enumerate(synapses)],
        "clamps": [{"where": _where(cell, c.site), "delay_ms": float(c.start / ms),
                    "dur_ms": float((c.stop - c.start) / ms), "amp_nA": float(c.amplitude / nA)}
                   for c in clamps],
    }
    for c in model["clamps"]:
        if "error" in c["where"]:
            raise ValueError(c["where"]["error"].replace("site", "clamp site", 1))
    header = _HEADER.format(swc=model["swc"], hint=NEURON_INSTALL_HINT)
    return header + "MODEL = " + pprint.pformat(model, width=110, sort_dicts=False, compact=True) \
        + "\n" + _BODY


_HEADER = '''"""NEURON's Import3d model of {swc}, with a cablemodel cell's membrane (written by
cablemodel.io.neuron_import3d.import3d_script). Self-contained: needs only NEURON; {hint}.

Run:  python THIS_FILE.py [OUT.json]
"""

import json
import math
import sys

import neuron
from neuron import h

'''

_BODY = '''
TOL_UM = 1e-3  # pt3d points are single precision


def points(sec):
    return [(sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)) for i in range(sec.n3d())]


def load(model):
    """The file through Import3d; a name -> region map of the new sections."""
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(model["swc"])
    h.Import3d_GUI(reader, 0).instantiate(None)
    secs = list(h.allsec())
    region = {sec.name(): model["names"].get(sec.name().split("[")[0], sec.name().split("[")[0])
              for sec in secs}
    return secs, region


def d_lambda_nseg(sec, model):
    """Odd nseg: int((L / (d_lambda lambda_f) + 0.9) / 2) * 2 + 1, lambda_f over the 3-D points."""
    k = math.sqrt(4 * math.pi * model["frequency_hz"] * sec.Ra * sec.cm)
    if sec.n3d() < 2:
        lam = 1e5 * math.sqrt(sec.diam) / k
    else:
        e = sum((sec.arc3d(i) - sec.arc3d(i - 1)) / math.sqrt(sec.diam3d(i - 1) + sec.diam3d(i))
                for i in range(1, sec.n3d()))
        lam = sec.L / (e * math.sqrt(2) * 1e-5 * k)
    return int((sec.L / (model["d_lambda"] * lam) + 0.9) / 2) * 2 + 1


def near(p, q):
    return math.dist(p[:3], q[:3]) < TOL_UM


def arc_of(pts, point):
    """Arc length along the polyline pts of the point on it nearest to point."""
    best, arc, where = None, 0.0, 0.0
    for a, b in zip(pts[:-1], pts[1:]):
        seg = [b[i] - a[i] for i in range(3)]
        length = math.sqrt(sum(s * s for s in seg))
        t = 0.0 if length == 0 else max(0.0, min(1.0, sum((point[i] - a[i]) * seg[i]
                                                           for i in range(3)) / length ** 2))
        d = math.dist([a[i] + t * seg[i] for i in range(3)], point[:3])
        if best is None or d < best:
            best, where = d, arc + t * length
        arc += length
    return where


def cut(pts, arcs_at):
    """Split a polyline at the arc lengths arcs_at (increasing): one point list per piece."""
    out, current, arc = [], [pts[0]], 0.0
    cuts = list(arcs_at)
    for a, b in zip(pts[:-1], pts[1:]):
        length = math.dist(a[:3], b[:3])
        while cuts and cuts[0] <= arc + length:
            t = 0.0 if length == 0 else (cuts.pop(0) - arc) / length
            p = tuple(a[i] + t * (b[i] - a[i]) for i in range(4))
            out.append(current + [p])
            current = [p]
        current.append(b)
        arc += length
    out.append(current)
    return out


def set_points(sec, pts):
    h.pt3dclear(sec=sec)
    for x, y, z, d in pts:
        h.pt3dadd(x, y, z, d, sec=sec)


def make_pieces(model, secs, region):
    """The hillock chain: added sections at the soma, or pieces cut from Import3d's axon section."""
    pieces = model["pieces"]
    made, nseg = {}, {}
    soma = next(sec for sec in secs if sec.name() == "soma[0]")
    added = [p for p in pieces if p["added"]]
    for p in added:
        sec = h.Section(name=p["name"])
        set_points(sec, p["points"])
        sec.connect(made[p["parent"]](1) if p["parent"] in made else soma(0.5), 0)
        made[p["name"]], nseg[sec.name()] = sec, p["nseg"]
        region[sec.name()] = p["region"]
    cuts = [p for p in pieces if not p["added"]]
    if cuts:  # the host: where the first piece's first sample is not the last point
        found = [(i == sec.n3d() - 1, sec) for sec in secs for i, q in enumerate(points(sec))
                 if near(q, cuts[0]["start"])]
        if not found:
            raise RuntimeError("the hillock's first sample is not among the Import3d sections' points")
        host = min(found, key=lambda f: f[0])[1]
        pts = points(host)
        ends = [arc_of(pts, p["points"][-1]) for p in cuts]
        parts = cut(pts, [a for a in ends if a < host.L - TOL_UM])
        previous = host.parentseg()
        h.disconnect(sec=host)
        for k, part in enumerate(parts):
            p = cuts[k] if k < len(cuts) else None  # a last part beyond the pieces stays Import3d's
            sec = host if k == len(parts) - 1 else h.Section(name=p["name"])
            set_points(sec, part)
            sec.connect(previous, 0)
            previous = sec(1)
            if p is not None:
                made[p["name"]], nseg[sec.name()] = sec, p["nseg"]
                region[sec.name()] = p["region"]
    return made, nseg


def membrane(model, secs, region, nseg):
    for sec in secs:
        props = model["regions"].get(region[sec.name()],  # a region the cell lacks: passive
                                     dict(model["regions"]["soma"], e_pas_mV=model["v_init_mV"]))
        sec.Ra, sec.cm = props["Ra_ohm_cm"], props["cm_uF_cm2"]
        sec.nseg = nseg.get(sec.name(), None) or d_lambda_nseg(sec, model)
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = props["g_pas_S_cm2"], props["e_pas_mV"]
        if "gnabar_S_cm2" in props or "gkbar_S_cm2" in props:
            sec.insert("hh")
            for seg in sec:
                seg.hh.gnabar = props.get("gnabar_S_cm2", 0.0)
                seg.hh.gkbar = props.get("gkbar_S_cm2", 0.0)
                seg.hh.gl = 0.0
            sec.ena, sec.ek = model["ena_mV"], model["ek_mV"]


def locate(where, secs, region):
    """(segment, section, x) of a site: soma[0](0.5), or the segment holding the 3-D point (found
    among the non-soma sections' points; in its own section, where it is not the first point),
    with the point's section and position; or (None, None, error)."""
    soma = secs[0]
    if "error" in where:
        return None, None, where["error"]
    if where.get("soma"):
        return soma(0.5), soma, 0.5
    found = []
    for sec in secs:
        if region[sec.name()] != "soma":
            for i, p in enumerate(points(sec)):
                if near(p, where["point"]):
                    found.append((i == 0, sec.name(), sec, sec.arc3d(i) / sec.L))
    if not found:
        return None, None, "the sample's 3-D point is not among the Import3d sections' points"
    _, _, sec, x = min(found, key=lambda f: f[:2])
    k = min(max(math.ceil(x * sec.nseg - 1e-9) - 1, 0), sec.nseg - 1)  # boundary: proximal
    return sec((k + 0.5) / sec.nseg), sec, x


def signed_peak(v, rest):
    d = [x - rest for x in v]
    return max(d, key=abs)


def run_one(model, run, secs, region, spike_seg):
    seg, sec, x = locate(run["where"], secs, region)
    if seg is None:
        return {"site": run["site"], "error": x}
    if run["tau_rise_ms"] > 0:
        syn = h.Exp2Syn(seg)
        syn.tau1, syn.tau2 = run["tau_rise_ms"], run["tau_decay_ms"]
    else:
        syn = h.ExpSyn(seg)
        syn.tau = run["tau_decay_ms"]
    syn.e = run["e_mV"]
    nc = h.NetCon(None, syn)
    nc.weight[0] = run["weight_uS"]
    fih = h.FInitializeHandler(lambda: [nc.event(t) for t in run["spikes_ms"]])
    v_loc, v_soma = h.Vector().record(seg._ref_v), h.Vector().record(secs[0](0.5)._ref_v)
    detector = h.NetCon(spike_seg._ref_v, None, sec=spike_seg.sec)
    detector.threshold = model["spike"]["threshold_mV"]
    spikes = h.Vector()
    detector.record(spikes)
    h.finitialize(model["v_init_mV"])
    for _ in range(model["steps"]):
        h.fadvance()
    rest = model["v_init_mV"]
    out = {"site": run["site"], "section": sec.name(), "x": x, "seg_x": seg.x,
           "distance_um": h.distance(secs[0](0.5), sec(x)),
           "local_peak_mV": signed_peak(v_loc, rest), "soma_peak_mV": signed_peak(v_soma, rest),
           "spikes_ms": list(spikes)}
    del fih, nc, syn, detector
    return out


def main(argv):
    secs, region = load(MODEL)
    made, nseg = make_pieces(MODEL, secs, region)
    secs = sorted(h.allsec(), key=lambda sec: sec.name() != "soma[0]")  # soma[0] first
    membrane(MODEL, secs, region, nseg)
    keep = []
    for c in MODEL["clamps"]:
        seg, _, error = locate(c["where"], secs, region)
        if seg is None:
            raise RuntimeError(f"clamp: {error}")
        stim = h.IClamp(seg)
        stim.delay, stim.dur, stim.amp = c["delay_ms"], c["dur_ms"], c["amp_nA"]
        keep.append(stim)
    sp = MODEL["spike"]
    spike_seg = secs[0](0.5) if sp.get("soma") else made[sp["piece"]](sp["x"])
    h.celsius = MODEL["celsius"]
    h.usetable_hh = 0
    h.secondorder = 0
    h.CVode().active(0)
    h.dt = MODEL["dt_ms"]
    runs = [run_one(MODEL, run, secs, region, spike_seg) for run in MODEL["runs"]]
    by_region = {}
    for sec in secs:
        by_region[region[sec.name()]] = by_region.get(region[sec.name()], 0.0) + sum(
            seg.area() for seg in sec)
    out = {"runs": runs, "neuron_version": neuron.__version__,
           "geometry": {"sections": len(secs), "nseg": sum(sec.nseg for sec in secs),
                        "area_um2_by_region": by_region}}
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
