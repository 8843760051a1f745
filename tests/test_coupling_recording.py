"""Recording the synapses of Connections (g_conn, i_conn) and gap-junction currents (g_gap,
i_gap): physics of each row, and the round trip through netCDF."""

import numpy as np
import pytest
from brian2 import ms, mV, nA, nS

from cablemodel import (
    AMPA,
    Cell,
    Connection,
    CurrentClamp,
    GapJunction,
    Result,
    ball_and_stick,
    gaba_a,
    simulate_circuit,
    standard_cell,
)
from cablemodel.simulation.recording import RecordingError

GABA = gaba_a()
CONNS = [Connection("pre", "post", AMPA, "basal@50", 3 * nS, 1 * ms),
         Connection("pre", "post", GABA, "soma", 2 * nS, 2 * ms),
         Connection("pre", "post", AMPA, "basal@150", 1 * nS, 1.5 * ms)]
GAPS = [GapJunction("soma", "basal@100", 2 * nS, "pre", "post"),
        GapJunction("basal@200", "axon@100", 1 * nS, "post", "post"),           # within post
        GapJunction("basal@300", "soma", 4 * nS, "post", "pre", rectifying=True)]  # post -> pre
DT = 0.025


@pytest.fixture(scope="module")
def run():
    """A spiking cell drives a passive one through three synapses and is coupled to it by two
    gap junctions (one rectifying); the passive cell has a gap junction within itself."""
    cells = {"pre": standard_cell(ball_and_stick()), "post": Cell(ball_and_stick())}
    return simulate_circuit(
        cells, connections=CONNS, gap_junctions=GAPS,
        clamps={"pre": [CurrentClamp("soma", 1 * nA, 1 * ms, 3 * ms)],
                "post": [CurrentClamp("basal@300", 0.3 * nA, 6 * ms, 9 * ms)]},
        record={"post": ["g_conn@all", "i_conn@all", "g_gap@all", "i_gap@all", "basal@200",
                         "axon@100", "basal@300", "basal@150"],
                "pre": ["i_gap@all", "g_gap@soma"]},
        duration=12 * ms, engine="numpy")


def _v(r: Result, label: str) -> np.ndarray:
    return r.v_mV[r.labels.index(label)]


def test_rows_are_labelled_by_connection_and_gap_end(run):
    post, pre = run["post"], run["pre"]
    assert post.recorded["i_conn"].labels == ["conn0:pre", "conn1:pre", "conn2:pre"]
    table = post.table
    assert post.recorded["i_conn"].compartments.tolist() == [
        c.site.resolve(table) for c in CONNS]
    assert post.recorded["i_gap"].labels == ["gap0:b", "gap1:b", "gap1:a", "gap2:a"]
    assert pre.recorded["i_gap"].labels == ["gap0:a", "gap2:b"]


def test_connection_current_is_conductance_times_driving_force(run):
    post, pre = run["post"], run["pre"]
    g, i = post.recorded["g_conn"].values, post.recorded["i_conn"].values  # nS, nA
    (t_spike,) = pre.spikes_ms
    for k, (conn, label) in enumerate(zip(CONNS, ["basal@50", "soma", "basal@150"], strict=True)):
        e = float(conn.receptor.reversal / mV)
        expected = g[k] * (e - _v(post, label)) * 1e-3  # nS * mV = pA
        assert np.abs(i[k] - expected).max() < 1e-9 * np.abs(expected).max()
        assert abs(g[k].max() - float(conn.weight / nS)) < 1e-3 * float(conn.weight / nS)  # peak = w
        acts = np.ceil(t_spike / DT - 1e-9) * DT + float(conn.delay / ms)  # detection + delay
        assert np.all(g[k][post.t_ms <= acts + 1e-9] == 0)
        assert g[k][post.t_ms > acts + DT / 2].min() > 0


def test_gap_currents_follow_the_potentials_and_conserve_charge(run):
    post, pre = run["post"], run["pre"]
    ig, gg = post.recorded["i_gap"], post.recorded["g_gap"]
    row = {lab: k for k, lab in enumerate(ig.labels)}
    pre_row = {lab: k for k, lab in enumerate(pre.recorded["i_gap"].labels)}
    # gap0: pre soma -> post basal@100, 2 nS; current into post = g (v_pre - v_post)
    into_b = 2 * (_v(pre, "soma") - _v(post, "basal@100")) * 1e-3  # nS * mV = nA
    assert np.abs(ig.values[row["gap0:b"]] - into_b).max() < 1e-9 * np.abs(into_b).max()
    assert np.array_equal(ig.values[row["gap0:b"]], -pre.recorded["i_gap"].values[pre_row["gap0:a"]])
    # gap1 within post: equal and opposite at its two ends, every sample
    a, b = ig.values[row["gap1:a"]], ig.values[row["gap1:b"]]
    expected = 1 * (_v(post, "basal@200") - _v(post, "axon@100")) * 1e-3
    assert np.abs(b - expected).max() < 1e-9 * np.abs(expected).max() and np.array_equal(a, -b)
    # gap2 rectifying post -> pre: open only while v_post(basal@300) > v_pre(soma)
    forward = _v(post, "basal@300") > _v(pre, "soma")
    assert forward.any() and (~forward).any()
    assert np.array_equal(gg.values[row["gap2:a"]], np.where(forward, 4.0, 0.0))
    into_pre = pre.recorded["i_gap"].values[pre_row["gap2:b"]]
    assert np.all(into_pre[~forward] == 0) and np.all(into_pre[forward] >= 0)
    assert np.array_equal(into_pre, -ig.values[row["gap2:a"]])
    # charge: the sum over all ends of every junction is zero at each sample
    total = ig.values.sum(axis=0) + pre.recorded["i_gap"].values.sum(axis=0)
    assert np.abs(total).max() < 1e-15 * max(np.abs(ig.values).max(), 1.0)


def test_trace_by_site_and_netcdf_round_trip(run, tmp_path):
    post = run["post"]
    assert np.array_equal(post.trace("i_conn@basal@50") / nA, post.recorded["i_conn"].values[0])
    assert np.array_equal(post.trace("i_gap@basal@100") / nA, post.recorded["i_gap"].values[0])
    ds = post.to_xarray()
    assert ds["i_conn"].attrs["units"] == "nA"
    assert list(ds["i_conn"].coords["site_i_conn"].values) == post.recorded["i_conn"].labels
    back = Result.load(post.save(tmp_path / "coupled.nc"))
    for name in ("g_conn", "i_conn", "g_gap", "i_gap"):
        tr, rt = post.recorded[name], back.recorded[name]
        assert np.array_equal(tr.values, rt.values) and tr.labels == rt.labels
        assert np.array_equal(tr.compartments, rt.compartments) and tr.unit == rt.unit


def test_unknown_coupling_variable_lists_what_exists():
    cells = {"pre": standard_cell(ball_and_stick()), "post": Cell(ball_and_stick())}
    with pytest.raises(RecordingError, match="cannot record 'i_conn'.*recordable: v, Im"):
        simulate_circuit(cells, connections=CONNS[:1], record={"pre": ["i_conn@all"]},
                         duration=1 * ms, engine="numpy")


@pytest.mark.slow
def test_standalone_records_the_same(run):
    """cpp_standalone (compiled, Hines solver) records the couplings and sends the action
    potential as numpy does (measured: i_gap within 4e-9 nA of 0.19 nA)."""
    cells = {"pre": standard_cell(ball_and_stick()), "post": Cell(ball_and_stick())}
    out = simulate_circuit(
        cells, connections=CONNS, gap_junctions=GAPS,
        clamps={"pre": [CurrentClamp("soma", 1 * nA, 1 * ms, 3 * ms)],
                "post": [CurrentClamp("basal@300", 0.3 * nA, 6 * ms, 9 * ms)]},
        record={"post": ["g_conn@all", "i_conn@all", "g_gap@all", "i_gap@all"],
                "pre": ["i_gap@all", "g_gap@soma"]},
        duration=12 * ms, engine="cpp_standalone")
    assert np.abs(out["pre"].spikes_ms - run["pre"].spikes_ms).max() < 1e-5  # ms
    for cell in ("pre", "post"):
        for name, tr in out[cell].recorded.items():
            ref = run[cell].recorded[name]
            assert tr.labels == ref.labels
            assert np.abs(tr.values - ref.values).max() < 1e-6 * np.abs(ref.values).max(), name
