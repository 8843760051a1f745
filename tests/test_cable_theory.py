"""Passive cable theory: length constant, sealed-end profile, input resistance, Rall's equivalent
cylinder and current conservation, each against the analytic value."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, ohm, pA, siemens, uF, um

from cablemodel import Cell, CurrentClamp, Morphology, Section, simulate
from cablemodel.analysis import (
    cable_input_conductance,
    fit_length_constant,
    input_resistance_ball_and_stick,
    length_constant,
    sealed_cable_profile,
)

RI, GL = 100 * ohm * cm, 1e-4 * siemens / cm**2
RM = 1 / GL


def _cell(sections, max_length=10.0) -> Cell:
    morph = Morphology(tuple(sections), name="test").with_compartments(max_length)
    return Cell(morph, Ri=RI, Cm=1 * uF / cm**2, g_leak=GL, v_rest=-65 * mV, spike_site="soma")


def _soma(d: float) -> Section:
    return Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, d]]))


def _cable(name, parent, start, length, d, direction=(1.0, 0.0, 0.0)) -> Section:
    start = np.asarray(start, dtype=float)
    end = start + length * np.asarray(direction)
    return Section(name, "basal", parent, np.array([[*start, d], [*end, d]]))


def _steady_state(cell: Cell, amplitude=-0.05 * nA, duration=150 * ms):
    """Steady-state deflection (mV) in every compartment for a constant current at the soma."""
    r = simulate(cell, [], duration=duration, dt=0.5 * ms, record="all", engine="numpy",
                 clamps=[CurrentClamp("soma", amplitude, 0 * ms, 2 * duration)])
    return r, r.v_mV[:, -1] - r.v_rest_mV


def test_length_constant_formula():
    # lambda = sqrt(d Rm / (4 Ri)) = sqrt(1e-4 cm * 1e4 ohm cm^2 / 400 ohm cm) = 0.05 cm
    assert float(length_constant(1 * um, RM, RI) / um) == pytest.approx(500.0, rel=1e-12)


def test_long_cable_fitted_lambda_within_2_percent():
    lam = 500.0
    cell = _cell([_soma(1.0), _cable("cable", "soma", [0.5, 0, 0], 10 * lam, 1.0)])
    r, dv = _steady_state(cell)
    x = cell.table.distance
    use = (x > 0) & (x < 3 * lam)
    fit = fit_length_constant(x[use] * um, np.abs(dv[use]) * mV)
    assert float(fit["lambda"] / um) == pytest.approx(lam, rel=0.02)
    assert fit["r2"] > 0.9999


def test_sealed_end_cable_follows_cosh_within_1_percent():
    lam, L = 500.0, 750.0
    cell = _cell([_soma(1.0), _cable("cable", "soma", [0.5, 0, 0], L, 1.0)], max_length=5.0)
    r, dv = _steady_state(cell)
    x = cell.table.distance[1:]
    # reference: the first compartment's value extrapolated to x = 0 by the theory itself
    expected = sealed_cable_profile(x * um, L * um, lam * um)
    ratio = dv[1:] / dv[1]
    assert np.allclose(ratio, expected / expected[0], rtol=0.01)
    assert ratio[-1] == pytest.approx(1 / np.cosh(L / lam) / expected[0], rel=0.01)


def test_ball_and_stick_input_resistance_within_2_percent():
    ds, dd, L = 20.0, 1.0, 800.0
    cell = _cell([_soma(ds), _cable("dend", "soma", [ds / 2, 0, 0], L, dd)])
    amp = -0.02 * nA
    r, dv = _steady_state(cell, amplitude=amp)
    rin = float(dv[0] * mV / amp / ohm)
    theory = float(input_resistance_ball_and_stick(ds * um, dd * um, L * um, RM, RI) / ohm)
    assert rin == pytest.approx(theory, rel=0.02)
    # and the soma alone would be far higher: the dendrite matters
    assert rin < 0.5 * float(RM / (np.pi * (ds * um) ** 2) / ohm)


def test_rall_equivalent_cylinder_input_conductance():
    """A trunk with two daughters obeying the 3/2 rule, daughters of equal electrotonic length,
    has the input conductance of one cylinder of the trunk's diameter and the same electrotonic
    length (Rall 1962)."""
    dt_, Lt = 2.0, 200.0
    dd = dt_ / 2 ** (2 / 3)
    lam_t = float(length_constant(dt_ * um, RM, RI) / um)
    lam_d = float(length_constant(dd * um, RM, RI) / um)
    Ld = 300.0
    tip = [0.25 + Lt, 0, 0]
    cell = _cell([_soma(0.5), _cable("trunk", "soma", [0.25, 0, 0], Lt, dt_),
                  _cable("left", "trunk", tip, Ld, dd, (0.8, 0.6, 0)),
                  _cable("right", "trunk", tip, Ld, dd, (0.8, -0.6, 0))], max_length=5.0)
    amp = -0.05 * nA
    r, dv = _steady_state(cell, amplitude=amp)
    g_tree = float(amp / (dv[0] * mV) / siemens)
    L_eq = (Lt / lam_t + Ld / lam_d) * lam_t
    g_soma = float(np.pi * (0.5 * um) ** 2 / RM / siemens)
    g_cyl = float(cable_input_conductance(dt_ * um, L_eq * um, RM, RI) / siemens) + g_soma
    assert g_tree == pytest.approx(g_cyl, rel=0.02)


def test_current_is_conserved_at_steady_state():
    """Injected current = total leak current through the membrane (Kirchhoff)."""
    cell = _cell([_soma(10.0), _cable("a", "soma", [5, 0, 0], 400.0, 1.0),
                  _cable("b", "soma", [-5, 0, 0], 300.0, 2.0, (-1, 0, 0))])
    amp = 30 * pA
    r, dv = _steady_state(cell, amplitude=amp, duration=300 * ms)
    t = cell.table
    leak = float(GL / (siemens / cm**2)) * 1e4 * (t.area * 1e-12) * (dv * 1e-3)  # amp
    assert leak.sum() == pytest.approx(float(amp / nA) * 1e-9, rel=0.005)
