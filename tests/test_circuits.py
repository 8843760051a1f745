"""Two cells in one simulation: gap junctions (electrical) and spike-driven chemical synapses."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, nS, pA, siemens

from cablemodel import (
    AMPA,
    Cell,
    Connection,
    CurrentClamp,
    GapJunction,
    Morphology,
    Section,
    ball_and_stick,
    simulate,
    simulate_circuit,
    standard_cell,
)

GL = 1e-4  # S/cm2


def _sphere(d_um: float) -> Cell:
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, d_um]]))
    return Cell(Morphology((soma,)), g_leak=GL * siemens / cm**2, spike_site="soma")


def _leak_conductance(d_um: float) -> float:
    return GL * 1e4 * np.pi * (d_um * 1e-6) ** 2      # S


@pytest.mark.parametrize("inject", ["a", "b"])
def test_gap_junction_coupling_coefficient_matches_resistor_network(inject):
    """Two isopotential cells coupled by g: injecting into one, the steady-state coupling
    coefficient dV_other / dV_injected = g / (g + G_other)."""
    da, db, g = 20.0, 30.0, 1e-9
    cells = {"a": _sphere(da), "b": _sphere(db)}
    clamp = {inject: [CurrentClamp("soma", 20 * pA, 0 * ms, 500 * ms)]}
    out = simulate_circuit(cells, gap_junctions=[GapJunction("soma", "soma", g * siemens, "a", "b")],
                           clamps=clamp, duration=300 * ms, dt=0.1 * ms, engine="numpy")
    other = "b" if inject == "a" else "a"
    dv_in = out[inject].v_mV[0, -1] - out[inject].v_rest_mV
    dv_other = out[other].v_mV[0, -1] - out[other].v_rest_mV
    G_other = _leak_conductance(db if other == "b" else da)
    assert dv_other > 0.1 * dv_in > 0                       # current in one cell depolarizes both
    assert dv_other / dv_in == pytest.approx(g / (g + G_other), rel=0.02)


def test_rectifying_gap_junction_passes_current_one_way():
    gap = GapJunction("soma", "soma", 1 * nS, "a", "b", rectifying=True)
    cells = {"a": _sphere(20.0), "b": _sphere(20.0)}
    fwd = simulate_circuit(cells, gap_junctions=[gap], duration=100 * ms, dt=0.1 * ms,
                           clamps={"a": [CurrentClamp("soma", 20 * pA, 0 * ms, 500 * ms)]},
                           engine="numpy")
    back = simulate_circuit(cells, gap_junctions=[gap], duration=100 * ms, dt=0.1 * ms,
                            clamps={"b": [CurrentClamp("soma", 20 * pA, 0 * ms, 500 * ms)]},
                            engine="numpy")
    assert fwd["b"].v_mV[0, -1] - fwd["b"].v_rest_mV > 1.0      # a -> b passes
    assert abs(back["a"].v_mV[0, -1] - back["a"].v_rest_mV) < 1e-4  # b -> a blocked (mV)


def test_gap_junction_within_one_cell_pulls_potentials_together():
    cell = Cell(ball_and_stick())
    clamp = [CurrentClamp("basal@600", 50 * pA, 0 * ms, 500 * ms)]
    alone = simulate(cell, clamps=clamp, duration=100 * ms, dt=0.1 * ms, record=["axon@150"],
                     engine="numpy")
    bridged = simulate(cell, clamps=clamp, duration=100 * ms, dt=0.1 * ms, record=["axon@150"],
                       gap_junctions=[GapJunction("basal@600", "axon@150", 5 * nS)], engine="numpy")
    gap_before = alone.v_mV[:, -1][alone.labels.index("basal@600")] - alone.v_mV[:, -1][
        alone.labels.index("axon@150")]
    gap_after = bridged.v_mV[:, -1][bridged.labels.index("basal@600")] - bridged.v_mV[:, -1][
        bridged.labels.index("axon@150")]
    assert 0 < gap_after < 0.5 * gap_before


@pytest.fixture(scope="module")
def two_cells():
    """A presynaptic cell driven to spike by a current pulse, coupled to the postsynaptic cell
    either chemically (AMPA on a dendrite, 1 ms delay) or electrically (soma-soma gap junction)."""
    cells = {"pre": standard_cell(ball_and_stick()), "post": standard_cell(ball_and_stick())}
    clamp = {"pre": [CurrentClamp("soma", 1 * nA, 2 * ms, 4 * ms)]}
    chem = simulate_circuit(cells, connections=[Connection("pre", "post", AMPA, "basal@50", 3 * nS,
                                                           1 * ms)],
                            clamps=clamp, duration=30 * ms)
    elec = simulate_circuit(cells, gap_junctions=[GapJunction("soma", "soma", 5 * nS, "pre",
                                                              "post")],
                            clamps=clamp, duration=30 * ms)
    return chem, elec


def test_presynaptic_spike_drives_chemical_epsp(two_cells):
    chem, _ = two_cells
    assert len(chem["pre"].spikes_ms) == 1
    t_spike = chem["pre"].spikes_ms[0]
    post = chem["post"]
    assert float(post.peak("basal@50") / mV) > 1.0
    # nothing before the spike + delay
    early = post.t_ms < t_spike + 1.0
    assert np.abs(post.v_mV[:, early] - post.v_rest_mV).max() < 1e-6  # mV


def test_electrical_coupling_is_faster_than_chemical(two_cells):
    chem, elec = two_cells
    thr = 0.2 * mV
    def onset(r):
        dv = r.v_mV[r.labels.index("soma")] - r.v_rest_mV
        return r.t_ms[np.argmax(dv > float(thr / mV))]
    assert len(elec["pre"].spikes_ms) == 1
    assert float(elec["post"].peak("soma") / mV) > 0.5
    assert onset(elec["post"]) + 0.5 < onset(chem["post"])   # ms: no synaptic delay, no cleft


def test_whole_chain_spike_calcium_release_receptor():
    """The texts' chain end to end: a presynaptic spike, Ca2+-dependent release from a
    depressing terminal, AMPA receptors on the postsynaptic dendrite; no Ca2+, no release."""
    from brian2 import mM

    from cablemodel import Terminal, ampa

    cells = {"pre": standard_cell(ball_and_stick()), "post": standard_cell(ball_and_stick())}
    clamp = {"pre": [CurrentClamp("soma", 1 * nA, 2 * ms, 4 * ms),
                     CurrentClamp("basal@10", 1 * nA, 22 * ms, 24 * ms)]}
    peaks = {}
    for ca in (2.0, 0.0):
        term = Terminal(ampa(), ca_out=ca * mM)
        out = simulate_circuit(cells, connections=[Connection("pre", "post", term, "basal@50",
                                                              3 * nS, 1 * ms)],
                               clamps=clamp, duration=40 * ms, engine="numpy")
        assert len(out["pre"].spikes_ms) == 2
        peaks[ca] = [float(out["post"].peak("basal@50", a * ms, b * ms) / mV)
                     for a, b in ((0, 20), (20, 40))]
    first, second = peaks[2.0]
    assert first > 1.0 and 0 < second < 0.8 * first        # depression of the second release
    assert max(abs(p) for p in peaks[0.0]) < 1e-6           # mV: no Ca2+, no release
