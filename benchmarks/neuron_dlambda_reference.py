"""NEURON's d_lambda compartment counts for the shared CA1 cell -> tests/data/neuron_dlambda_reference.json.

The cell (``../shared/morphologies/real/ca1pyr_rat_c91662.swc``) is loaded with cablemodel's own
reader, one compartment per SWC segment (``discretization="swc"``), so that every section has
exactly the 3-D points the reader made. Each non-soma section is then built in NEURON from those
points (``h.pt3dadd``: x, y, z, diameter in um) with ``Ra`` and ``cm`` set, and NEURON's own code
sets ``nseg``: ``lambda_f`` from ``stdlib.hoc`` and the d_lambda rule of ``fixnseg.hoc`` /
the NEURON Book, ``nseg = int((L/(d_lambda*lambda_f(freq)) + 0.9)/2)*2 + 1``, defined below in
hoc. The counts of the CellBuilder's variant (``+ .999``) are stored too, for information.

The sections are not connected to each other: ``lambda_f`` and the rule use only a section's own
3-D points, ``L``, ``Ra`` and ``cm``. The soma is left out (cablemodel's soma is a sphere of one
compartment). NEURON stores 3-D points in single precision, so its ``lambda_f`` differs from a
double-precision computation by ~1e-7 (relative).

Run (needs ``pip install neuron``; writes the JSON and prints a summary)::

    .venv/bin/python benchmarks/neuron_dlambda_reference.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SWC = ROOT.parent / "shared" / "morphologies" / "real" / "ca1pyr_rat_c91662.swc"
OUT = ROOT / "tests" / "data" / "neuron_dlambda_reference.json"

#: Parameter sets: the project's default, and a second one that changes every parameter.
CASES = [
    {"d_lambda": 0.1, "frequency_hz": 100.0, "Ri_ohm_cm": 100.0, "Cm_uF_per_cm2": 1.0},
    {"d_lambda": 0.05, "frequency_hz": 500.0, "Ri_ohm_cm": 150.0, "Cm_uF_per_cm2": 0.8},
]

#: The d_lambda rule, in hoc, as NEURON users write it (fixnseg.hoc's geom_nseg, with the
#: parameters as arguments) and the CellBuilder's variant.
HOC_RULE = """
proc dlambda_nseg() {  // $1 = d_lambda, $2 = frequency (Hz): NEURON Book / fixnseg.hoc rule
    forall { nseg = int((L/($1*lambda_f($2)) + .9)/2)*2 + 1 }
}
proc dlambda_nseg_cellbuilder() {  // the CellBuilder's export writes + .999
    forall { nseg = int((L/($1*lambda_f($2)) + .999)/2)*2 + 1 }
}
"""


def git_blob_sha1(path: Path) -> str:
    """``git hash-object`` of a file (how the shared README identifies its files)."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def main() -> int:
    """Build the sections in NEURON, let NEURON set nseg for each case, write the JSON."""
    import neuron
    from neuron import h

    sys.path.insert(0, str(ROOT))
    from cablemodel.io.swc import read_swc

    if not SWC.is_file():
        print(f"missing {SWC}", file=sys.stderr)
        return 1
    morph, _ = read_swc(SWC, discretization="swc")
    h.load_file("stdlib.hoc")  # defines lambda_f
    h(HOC_RULE)
    secs = {}
    for sec in morph.sections[1:]:
        nsec = h.Section(name=sec.name)
        for x, y, z, d in sec.points:
            h.pt3dadd(float(x), float(y), float(z), float(d), sec=nsec)
        secs[sec.name] = nsec
    cases = []
    for case in CASES:
        for nsec in secs.values():
            nsec.Ra = case["Ri_ohm_cm"]
            nsec.cm = case["Cm_uF_per_cm2"]
            nsec.nseg = 1
        h.dlambda_nseg(case["d_lambda"], case["frequency_hz"])
        nseg = {name: int(s.nseg) for name, s in secs.items()}
        lam = {name: float(h.lambda_f(case["frequency_hz"], sec=s)) for name, s in secs.items()}
        length = {name: float(s.L) for name, s in secs.items()}
        h.dlambda_nseg_cellbuilder(case["d_lambda"], case["frequency_hz"])
        nseg_cb = {name: int(s.nseg) for name, s in secs.items()}
        cases.append({"parameters": case, "nseg": nseg, "lambda_f_um": lam, "L_um": length,
                      "nseg_cellbuilder": nseg_cb,
                      "total_nseg": sum(nseg.values()),
                      "sections_where_cellbuilder_differs": sorted(
                          n for n in nseg if nseg[n] != nseg_cb[n])})
    data = {
        "description": "nseg set by NEURON's own lambda_f (stdlib.hoc) and d_lambda rule for every"
                       " non-soma section of the shared CA1 cell, as loaded by cablemodel.read_swc"
                       " (discretization='swc'); made by benchmarks/neuron_dlambda_reference.py",
        "neuron_version": neuron.__version__,
        "swc_file": "shared/morphologies/real/" + SWC.name,
        "swc_git_blob_sha1": git_blob_sha1(SWC),
        "reader": "cablemodel.io.swc.read_swc(path, discretization='swc')",
        "rule_hoc": HOC_RULE.strip(),
        "sections": [s.name for s in morph.sections[1:]],
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    for c in cases:
        print(f"{c['parameters']}: {len(c['nseg'])} sections, total nseg {c['total_nseg']},"
              f" CellBuilder (+.999) differs in {len(c['sections_where_cellbuilder_differs'])}")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
