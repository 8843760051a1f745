"""Electrotonic analysis (cablemodel.impedance): analytic cable theory at 0 and 100 Hz, the tree
solves against a general sparse LU, reciprocity, the simulator's own steady state (passive and HH
linearized), result API, errors, plots and the CLI. NEURON agreement: test_impedance_neuron.py."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from brian2 import Hz, Mohm, cm, ms, mV, ohm, pA, siemens, uF, um  # noqa: E402
from scipy.sparse import coo_matrix  # noqa: E402
from scipy.sparse.linalg import splu  # noqa: E402

from cablemodel import (  # noqa: E402
    Cell,
    CurrentClamp,
    ImpedanceResult,
    LocationError,
    Morphology,
    Section,
    ball_and_stick,
    impedance,
    pyramidal,
    simulate,
    standard_cell,
    y_neuron,
)
from cablemodel.analysis import input_resistance_ball_and_stick  # noqa: E402
from cablemodel.analysis.impedance import _channel_admittance, _network  # noqa: E402
from cablemodel.cli import main  # noqa: E402
from cablemodel.plotting import plot_attenuation_map, plot_morphoelectrotonic  # noqa: E402
from cablemodel.plotting.electrotonic import _rerooted  # noqa: E402

RI, GL, CM = 100 * ohm * cm, 1e-4 * siemens / cm**2, 1 * uF / cm**2
SOMA_D, CABLE_D, CABLE_L = 10.0, 2.0, 1000.0  # um


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cable_cell() -> Cell:
    """A soma sphere and one sealed 1000 x 2 um cylinder in 5 um compartments."""
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, SOMA_D]]))
    cable = Section("cable", "basal", "soma", np.array([[SOMA_D / 2, 0, 0, CABLE_D],
                                                        [SOMA_D / 2 + CABLE_L, 0, 0, CABLE_D]]))
    morph = Morphology((soma, cable)).with_compartments(5.0)
    return Cell(morph, Ri=RI, Cm=CM, g_leak=GL, spike_site="soma")


def _analytic(f_hz: float):
    """Sealed cable with a soma: gamma (1/um), characteristic and soma admittances (S)."""
    y = float(GL / (siemens / cm**2)) * 1e4 + 2j * np.pi * f_hz * float(CM / (uF / cm**2)) * 1e-2
    d, ri = CABLE_D * 1e-6, float(RI / (ohm * cm)) * 1e-2  # m, ohm*m
    r_a = 4 * ri / (np.pi * d**2)  # ohm/m
    gamma = np.sqrt(r_a * np.pi * d * y) * 1e-6  # 1/um
    y0 = np.sqrt(np.pi * d * y / r_a)
    y_soma = np.pi * (SOMA_D * 1e-6) ** 2 * y
    return gamma, y0, y_soma


@pytest.mark.parametrize("f_hz", [0.0, 100.0])
def test_sealed_cable_input_impedance_and_attenuation_match_theory(cable_cell, f_hz):
    """Z_in(soma) = 1 / (Y_soma + Y0 tanh(gamma L)); out: cosh(gamma L) / cosh(gamma (L - x));
    in: cosh(gamma x) + Y_soma / Y0 sinh(gamma x), complex gamma at 100 Hz."""
    res = impedance(cable_cell, "soma", f_hz * Hz)
    gamma, y0, y_soma = _analytic(f_hz)
    z = 1 / (y_soma + y0 * np.tanh(gamma * CABLE_L))
    assert float(res.input_impedance[0] / ohm) == pytest.approx(abs(z), rel=1e-4)
    assert res.input_phase[0] == pytest.approx(np.angle(z), abs=1e-4)
    x = cable_cell.table.distance[1:]
    out = np.abs(np.cosh(gamma * CABLE_L) / np.cosh(gamma * (CABLE_L - x)))
    np.testing.assert_allclose(res.attenuation_out[1:], out, rtol=1e-3)
    inward = np.abs(np.cosh(gamma * x) + y_soma / y0 * np.sinh(gamma * x))
    np.testing.assert_allclose(res.attenuation_in[1:], inward, rtol=1e-3)
    np.testing.assert_allclose(res.log_attenuation_in, np.log(res.attenuation_in))
    if f_hz == 0:  # the project's own cable helper (Rall's ball and stick)
        rin = input_resistance_ball_and_stick(SOMA_D * um, CABLE_D * um, CABLE_L * um, 1 / GL, RI)
        assert float(res.input_impedance[0] / rin) == pytest.approx(1.0, rel=1e-4)
        assert np.all(res.input_phase == 0) and np.all(res.transfer_phase == 0)
    else:  # the membrane's capacitance makes the voltage lag and shrink
        assert res.input_phase[0] < -0.1
        assert res.attenuation_out[-1] > impedance(cable_cell).attenuation_out[-1]


def _dense_check(cell: Cell, reference, f_hz: float, channels: str):
    """Z from a general sparse LU of the admittance matrix built independently of the tree
    solve: diagonal (input) and the reference's column (transfer)."""
    up, g, node = _network(cell, cell.table)
    area = cell.table.brian2_values()["area_"]
    omega = 2 * np.pi * f_hz
    y = np.zeros(len(up), dtype=complex)
    g_leak, c_m = float(cell.g_leak / (siemens / cm**2)) * 1e4, float(cell.Cm / (uF / cm**2)) * 1e-2
    y[node] = area * (g_leak + 1j * omega * c_m + _channel_admittance(cell, omega, channels))
    links = np.flatnonzero(up >= 0)
    rows = np.concatenate([np.arange(len(up)), links, up[links], links, up[links]])
    cols = np.concatenate([np.arange(len(up)), links, up[links], up[links], links])
    vals = np.concatenate([y, g[links], g[links], -g[links], -g[links]])
    lu = splu(coo_matrix((vals, (rows, cols)), shape=(len(up),) * 2).tocsc())
    res = impedance(cell, reference, f_hz * Hz, channels)
    e = np.zeros(len(up), dtype=complex)
    e[node[res.reference]] = 1
    column = lu.solve(e)[node]
    picks = [0, res.reference, len(node) // 3, len(node) - 1]
    diag = []
    for i in picks:
        e = np.zeros(len(up), dtype=complex)
        e[node[i]] = 1
        diag.append(lu.solve(e)[node[i]])
    return res, column, picks, np.asarray(diag)


@pytest.mark.parametrize("channels", ["linearized", "frozen"])
def test_tree_solve_equals_sparse_lu_and_is_reciprocal(channels):
    """HH pyramidal cell at 100 Hz, dendritic reference: the O(n) tree solve equals scipy's LU
    of the same matrix (to the LU's 1e-6), and Z_ij = Z_ji."""
    cell = standard_cell(pyramidal())
    res, column, picks, diag = _dense_check(cell, "apical@300", 100.0, channels)
    np.testing.assert_allclose(res._z_tr, column, rtol=1e-6)
    np.testing.assert_allclose(res._z_in[picks], diag, rtol=1e-6)
    other = impedance(cell, "basal@100", 100 * Hz, channels)
    i, j = res.reference, other.reference
    assert other._z_tr[i] == pytest.approx(res._z_tr[j], rel=1e-12)
    assert res.transfer_impedance[res.reference] == res.input_impedance[res.reference]


def test_channel_modes():
    """'removed' is the passive cell; frozen and linearized gates differ from it and from each
    other where HH is painted; a passive cell is the same in every mode."""
    morph = ball_and_stick()
    passive = impedance(Cell(morph), "soma", [0, 100] * Hz)
    active = standard_cell(morph)
    removed = impedance(active, "soma", [0, 100] * Hz, "removed")
    np.testing.assert_array_equal(removed.input_impedance, passive.input_impedance)
    lin = impedance(active, "soma", [0, 100] * Hz)
    frozen = impedance(active, "soma", [0, 100] * Hz, "frozen")
    soma = lambda r: np.asarray(r.input_impedance[:, 0] / Mohm)  # noqa: E731
    assert np.all(soma(frozen) < soma(removed))                  # open channels add conductance
    assert soma(lin)[0] < soma(frozen)[0]                        # K+ activation at DC: more still
    assert soma(lin)[1] > soma(lin)[0]                           # HH resonates near 100 Hz
    for mode in ("linearized", "frozen"):
        np.testing.assert_array_equal(impedance(Cell(morph), channels=mode).input_impedance,
                                      passive.select(0 * Hz).input_impedance)


@pytest.mark.parametrize("cell_kind", ["passive", "hh"])
def test_dc_transfer_equals_the_simulated_steady_state(cell_kind):
    """A 0.1 pA step at the soma in Brian2 (numpy engine): the steady deflection everywhere is the
    DC transfer impedance (passive y-neuron; HH ball-and-stick, linearized at rest)."""
    cell = Cell(y_neuron()) if cell_kind == "passive" else standard_cell(ball_and_stick())
    amp = 0.1 * pA  # small: the HH cell is linear only for small deflections
    dt = 0.5 * ms if cell_kind == "passive" else 0.1 * ms  # the engine's limit with channels
    r = simulate(cell, [], duration=80 * ms, dt=dt, record="all", engine="numpy",
                 clamps=[CurrentClamp("soma", amp, 0 * ms, 200 * ms)])
    dv = (r.v_mV[:, -1] - r.v_rest_mV) * 1e-3  # V
    expected = impedance(cell, "soma").transfer_impedance / ohm * float(amp / pA) * 1e-12
    np.testing.assert_allclose(dv, expected, rtol=2e-3)


def test_result_shapes_at_select_and_to_dict():
    cell = Cell(ball_and_stick())
    one = impedance(cell, "basal@200", 50 * Hz)
    many = impedance(cell, "basal@200", [0, 50] * Hz)
    n = len(cell.table)
    assert one.input_impedance.shape == (n,) and many.input_impedance.shape == (2, n)
    assert isinstance(one, ImpedanceResult) and one.reference == many.reference
    np.testing.assert_array_equal(many.select(50 * Hz).attenuation_in, one.attenuation_in)
    row, rows = one.at("soma"), many.at(0)
    assert row["compartment"] == 0 and isinstance(row["attenuation_out"], float)
    assert rows["attenuation_out"] == [impedance(cell, "basal@200").at(0)["attenuation_out"],
                                       row["attenuation_out"]]
    assert one.at(one.reference)["attenuation_in"] == pytest.approx(1.0, abs=1e-15)
    d = many.to_dict()
    assert [r["frequency_hz"] for r in d["frequencies"]] == [0.0, 50.0]
    assert len(d["frequencies"][1]["arrays"]["log_attenuation_out"]) == n
    assert d["frequencies"][1]["reference"]["input_impedance_mohm"] == pytest.approx(
        float(one.input_impedance[one.reference] / Mohm))
    json.dumps(d)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"frequency": -1 * Hz}, ValueError, "frequency must be finite and >= 0"),
    ({"frequency": np.nan * Hz}, ValueError, "frequency must be finite"),
    ({"frequency": 5 * ms}, Exception, "frequency must be in units of"),
    ({"frequency": np.zeros((2, 2)) * Hz}, ValueError, "1-D array"),
    ({"channels": "on"}, ValueError, "channels must be one of"),
    ({"reference": "apical@100"}, LocationError, "region 'apical' has no compartments"),
    ({"reference": 10_000}, LocationError, "compartment #10000 does not exist"),
    ({"reference": 1.5}, TypeError, "compartment index"),
])
def test_bad_input_is_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        impedance(Cell(ball_and_stick()), **kwargs)


def test_select_unknown_frequency_and_non_cell():
    with pytest.raises(ValueError, match="frequency 20 Hz was not computed"):
        impedance(Cell(ball_and_stick()), frequency=[0, 10] * Hz).select(20 * Hz)
    with pytest.raises(TypeError, match="cablemodel Cell"):
        impedance(ball_and_stick())


def test_attenuation_map_colours_are_the_values():
    res = impedance(Cell(pyramidal()), "soma", 100 * Hz)
    ax = plot_attenuation_map(res, direction="out", log=False)
    lines = [c for c in ax.collections if c.get_gid() == "morphology"][0]
    child = np.flatnonzero(res.table.parent >= 0)
    np.testing.assert_array_equal(lines.get_array(), res.attenuation_out[child])
    label = ax.figure.axes[-1].get_ylabel()
    assert label == "attenuation out from soma, V_soma/V_i, 100 Hz (V/V)"
    ax = plot_attenuation_map(res)
    assert ax.figure.axes[-1].get_ylabel().endswith("(Np)")
    with pytest.raises(ValueError, match="holds 2 frequencies"):
        plot_attenuation_map(impedance(Cell(pyramidal()), frequency=[0, 1] * Hz))


@pytest.mark.parametrize("reference", ["soma", "apical@250"])
def test_morphoelectrotonic_branch_lengths_are_log_attenuations(reference):
    """Each horizontal branch runs from its parent's log-attenuation to its own (the tree rooted
    at the reference); the reference sits at 0; one row per leaf."""
    res = impedance(Cell(pyramidal()), reference, 100 * Hz)
    ax = plot_morphoelectrotonic(res, direction="in")
    (branches,) = [c for c in ax.collections if c.get_gid() == "met_branches"]
    seg = np.asarray(branches.get_segments())
    up, order = _rerooted(np.asarray(res.table.parent), res.reference)
    child = np.asarray(order[1:])
    L = res.log_attenuation_in
    np.testing.assert_allclose(seg[:, 1, 0] - seg[:, 0, 0], L[child] - L[up[child]], atol=1e-12)
    np.testing.assert_allclose(seg[:, 1, 0], L[child], atol=1e-12)
    assert L[res.reference] == 0 and len(seg) == len(res.table) - 1
    assert np.all(seg[:, 0, 1] == seg[:, 1, 1])  # horizontal
    n_leaves = len(set(range(len(up))) - set(up[up >= 0].tolist()))
    assert len(np.unique(seg[:, 1, 1][np.isin(child, np.flatnonzero(
        ~np.isin(np.arange(len(up)), up)))])) == n_leaves
    assert "(Np)" in ax.get_xlabel()


def test_cli_json_and_errors(capsys):
    assert main(["impedance", "ball_and_stick", "--passive", "--frequency", "0", "100",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    from cablemodel.cli import _load_cell, build_parser

    args = build_parser().parse_args(["impedance", "ball_and_stick", "--passive"])
    cell, _, _ = _load_cell(args)
    res = impedance(cell, "soma", [0, 100] * Hz, "removed")
    assert out["input_resistance_mohm"] == pytest.approx(float(res.input_impedance[0, 0] / Mohm))
    assert [f["frequency_hz"] for f in out["frequencies"]] == [0.0, 100.0]
    arrays = out["frequencies"][1]["arrays"]
    np.testing.assert_allclose(arrays["attenuation_in"], res.attenuation_in[1])
    assert len(out["compartments"]["section"]) == len(cell.table)
    assert main(["impedance", "ball_and_stick", "--frequency", "100"]) == 0
    text = capsys.readouterr()
    assert "input resistance at the reference (DC)" in text.out and "hillock" in text.out
    assert main(["impedance", "ball_and_stick", "--reference", "apical@10"]) == 2
    for bad in (["--frequency", "-5"], ["--gl", "0"]):  # the parser's own one-line errors
        with pytest.raises(SystemExit) as stop:
            main(["impedance", "ball_and_stick", *bad])
        assert stop.value.code == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("cablemodel impedance: ") for e in errors)
    assert "apical" in errors[0] and "'-5'" in errors[1] and "'0'" in errors[2]


def _hh_small_signal_admittance(v: float, f_hz: float, g_na: float, g_k: float, g_l: float,
                                e_na: float, e_k: float) -> complex:
    """Textbook small-signal membrane admittance (S/cm2) of squid HH at 6.3 degC around v (mV):
    each gate x adds dI/dx * dx_inf/dV / (1 + j w tau_x), written here from the rate functions
    independently of cablemodel (NEURON's hh convention, rest near -65 mV)."""
    def rates(u):
        return ((0.1 * (u + 40) / (1 - np.exp(-(u + 40) / 10)), 4 * np.exp(-(u + 65) / 18)),
                (0.07 * np.exp(-(u + 65) / 20), 1 / (1 + np.exp(-(u + 35) / 10))),
                (0.01 * (u + 55) / (1 - np.exp(-(u + 55) / 10)), 0.125 * np.exp(-(u + 65) / 80)))

    def x_inf(u):
        return [a / (a + b) for a, b in rates(u)]

    (m, h, n), du = x_inf(v), 1e-5
    slope = (np.array(x_inf(v + du)) - np.array(x_inf(v - du))) / (2 * du)
    tau = [1 / (a + b) for a, b in rates(v)]  # ms
    w = 2 * np.pi * f_hz * 1e-3  # rad/ms
    chord = g_na * m**3 * h + g_k * n**4 + g_l
    gates = (g_na * 3 * m**2 * h * (v - e_na), g_na * m**3 * (v - e_na), g_k * 4 * n**3 * (v - e_k))
    return chord + sum(d * s / (1 + 1j * w * t) for d, s, t in zip(gates, slope, tau, strict=True))


@pytest.mark.parametrize("f_hz", [0.0, 10.0, 100.0])
def test_hh_compartment_linearized_equals_small_signal_theory(f_hz):
    """One HH compartment: the linearized input impedance is the textbook small-signal one (gate
    kinetics included, so it differs from the frozen chord conductance), to 1e-6 at 0, 10 and
    100 Hz."""
    d_um, g_na, g_k = 20.0, 0.12, 0.036
    soma = Morphology((Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, d_um]])),))
    cell = standard_cell(soma, {"soma": {"na": g_na, "k": g_k}}, spike_site="soma")
    res = impedance(cell, "soma", f_hz * Hz)
    area_cm2 = float(cell.table.area[0]) * 1e-8
    g_l = float(cell.g_leak / (siemens / cm**2))
    e_na, e_k = (float(ch.reversal / mV) for ch in cell.channels)
    y = _hh_small_signal_admittance(float(cell.v_rest / mV), f_hz, g_na, g_k,
                                    g_l, e_na, e_k)
    y += 1j * 2 * np.pi * f_hz * float(cell.Cm / (uF / cm**2)) * 1e-6
    expected_mohm = 1 / abs(y * area_cm2) * 1e-6
    assert float(res.input_impedance[0] / Mohm) == pytest.approx(expected_mohm, rel=1e-6)
    frozen = impedance(cell, "soma", f_hz * Hz, channels="frozen").input_impedance[0] / Mohm
    assert float(frozen) != pytest.approx(expected_mohm, rel=0.05)  # the gate kinetics matter
