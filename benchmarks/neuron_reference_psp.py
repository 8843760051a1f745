"""Reference PSP peaks from NEURON for tests/test_neuron_reference.py.

Passive ball-and-stick: soma 20 um (cylinder L = diam = 20 um, the area of a 20 um sphere),
dendrite 500 x 1 um attached at the soma's centre, Ri 150 ohm*cm, Cm 1 uF/cm^2, pas 1e-4 S/cm^2 at
-65 mV; one ExpSyn (tau 2 ms, e 0 mV, weight 1 nS) at 50, 250 or 450 um; dt 25 us.
Writes tests/data/neuron_psp_reference.json. Run: python benchmarks/neuron_reference_psp.py
(needs `pip install neuron`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

DIST_UM = (50.0, 250.0, 450.0)
NSEG = 101  # cablemodel uses 101 compartments of 4.95 um for the same dendrite


def run(distance_um: float) -> dict:
    from neuron import h

    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20
    dend = h.Section(name="dend")
    dend.L, dend.diam, dend.nseg = 500, 1, NSEG
    dend.connect(soma(0.5))
    for sec in (soma, dend):
        sec.Ra, sec.cm = 150, 1
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 1e-4, -65
    x = distance_um / 500
    syn = h.ExpSyn(dend(x))
    syn.tau, syn.e = 2, 0
    nc = h.NetCon(None, syn)
    nc.weight[0] = 0.001  # uS = 1 nS
    v_loc, v_soma = h.Vector().record(dend(x)._ref_v), h.Vector().record(soma(0.5)._ref_v)
    h.dt, h.celsius = 0.025, 6.3
    h.cvode.active(0)
    h.finitialize(-65)
    h.CVode().event(1.0, lambda: nc.event(1.0))
    h.continuerun(40)
    return {"distance_um": distance_um, "local_peak_mV": float(np.max(np.asarray(v_loc)) + 65),
            "soma_peak_mV": float(np.max(np.asarray(v_soma)) + 65)}


def main() -> None:
    import neuron

    rows = [run(d) for d in DIST_UM]
    out = Path(__file__).resolve().parents[1] / "tests" / "data" / "neuron_psp_reference.json"
    out.write_text(json.dumps({"neuron_version": neuron.__version__, "rows": rows}, indent=2))
    print(out.read_text())


if __name__ == "__main__":
    main()
