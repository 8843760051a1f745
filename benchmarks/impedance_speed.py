"""Speed of cablemodel.impedance on a ~10,000-compartment tree (generated pyramidal cell, HH
painted by standard_cell, linearized at rest): one solve per frequency, timed after the cell's
table is built. Prints one JSON line.

Run:  python benchmarks/impedance_speed.py [N_COMPARTMENTS]
"""

from __future__ import annotations

import json
import sys
import time

from brian2 import Hz

from cablemodel import impedance, pyramidal, standard_cell


def main(target: int = 10_000) -> dict:
    base = pyramidal()
    total = sum(s.length for s in base.sections)
    morph = base.with_compartments(max_length=total / target)
    cell = standard_cell(morph)
    _ = cell.table  # built once per cell (cached), as for a simulation
    out = {"benchmark": "impedance", "n_compartments": len(cell.table)}
    for label, freqs in (("dc", 0 * Hz), ("dc_and_100hz", [0, 100] * Hz)):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            impedance(cell, "soma", freqs)
            times.append(time.perf_counter() - t0)
        out[f"{label}_s"] = round(min(times), 4)
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)))
