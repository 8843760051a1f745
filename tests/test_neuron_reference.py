"""Agreement with NEURON: passive PSP peaks on a ball-and-stick (reference numbers made by
benchmarks/neuron_reference_psp.py with NEURON, committed in tests/data/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, ms, mV, nS, ohm, siemens, uF, um

from cablemodel import Cell, Morphology, Receptor, Section, Synapse, at, simulate, spike_times

REFERENCE = json.loads((Path(__file__).parent / "data" / "neuron_psp_reference.json").read_text())


@pytest.fixture(scope="module")
def cell():
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, 20.0]]))
    dend = Section("dend", "basal", "soma", np.array([[10.0, 0, 0, 1.0], [510.0, 0, 0, 1.0]]), 101)
    return Cell(Morphology((soma, dend)), Ri=150 * ohm * cm, Cm=1 * uF / cm**2,
                g_leak=1e-4 * siemens / cm**2, v_rest=-65 * mV, spike_site="soma")


@pytest.mark.parametrize("row", REFERENCE["rows"], ids=lambda r: f"{r['distance_um']:g}um")
def test_passive_psp_peaks_match_neuron(cell, row):
    syn_type = Receptor("expsyn", 0 * mV, 0 * ms, 2 * ms)  # NEURON's ExpSyn: tau 2 ms, e 0 mV
    site = at("basal", row["distance_um"] * um)
    r = simulate(cell, [Synapse(syn_type, site, 1 * nS, spike_times([1] * ms))], duration=40 * ms,
                 engine="numpy")
    assert float(r.peak(str(site)) / mV) == pytest.approx(row["local_peak_mV"], rel=1e-3)  # measured: 1e-6
    assert float(r.peak("soma") / mV) == pytest.approx(row["soma_peak_mV"], rel=1e-3)  # measured: 1e-6
