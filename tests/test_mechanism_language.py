"""The mechanism language, numpy side: inf/tau gates, comparisons, concentration arguments, GHK
currents, Nernst reversals, calcium dynamics and the resting state they give a cell."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brian2 import cm, mM, ms, mV, second, siemens, um

from cablemodel import CalciumDynamics, Cell, Channel, Gate, HHPotassium, HHSodium, ball_and_stick
from cablemodel.mechanisms.channels import (
    RESTING_CONCENTRATIONS,
    brian2_expression,
    evaluate_rate,
    rate_expression,
)
from cablemodel.mechanisms.concentrations import steady_calcium
from cablemodel.mechanisms.ions import FARADAY, GAS_CONSTANT, nernst

V = np.linspace(-100.0, 50.0, 301)


def _rt_f(celsius):
    return GAS_CONSTANT * (celsius + 273.15) / FARADAY


# -- inf/tau gates --------------------------------------------------------------------------------
def test_inf_tau_gate_equals_its_alpha_beta_twin():
    """An inf/tau gate written from HH's n rates has the same rates, steady state and time
    constant as the alpha/beta gate, at every V and temperature factor."""
    a, b = "0.1/exprel(-(V + 55)/10)", "0.125*exp(-(V + 65)/80)"
    rates = Gate("n", 4, a, b)
    form = Gate("n", 4, inf=f"({a})/(({a}) + ({b}))", tau=f"1/(({a}) + ({b}))")
    for phi in (1.0, 3.0, 0.37):
        ra, rb = rates.rates(V, phi)
        fa, fb = form.rates(V, phi)
        np.testing.assert_allclose(fa, ra, rtol=1e-13)
        np.testing.assert_allclose(fb, rb, rtol=1e-12)
        np.testing.assert_allclose(form.steady_state(V, phi), rates.steady_state(V, phi), rtol=1e-13)
        np.testing.assert_allclose(form.time_constant(V, phi), 1 / (ra + rb), rtol=1e-13)
    # time constants divide by phi, steady states do not move
    g = Gate("x", 1, inf="0.3", tau="12")
    assert float(g.time_constant(0.0, phi=2.3**1.3)) == pytest.approx(12 / 2.3**1.3, rel=1e-15)
    assert float(g.steady_state(0.0, phi=5.0)) == 0.3


def test_channel_with_inf_tau_gates_in_brian2_text():
    ch = Channel("kx", -85 * mV, (Gate("m", 2, inf="1/(1 + exp(-(V + 20)/9))", tau="4"),),
                 q10=2.3, reference_celsius=21.0)
    text = ch.equations(integrate_gates=True)
    assert "inf_m_kx = 1/(1 + exp(-((v/mV) + 20)/9)) : 1" in text
    assert "tau_m_kx = (4)*ms/phi_kx : second" in text
    assert "dm_kx/dt = (inf_m_kx - m_kx)/tau_m_kx : 1" in text
    assert ch.gate_update() == "m_kx = inf_m_kx + (m_kx - inf_m_kx)*exp(-dt/tau_m_kx)"
    assert ch.phi(34.0) == pytest.approx(2.3 ** 1.3, rel=1e-14)
    state = ch.initial_values(-65 * mV, 34.0)["m_kx"]
    assert state == pytest.approx(1 / (1 + math.exp(45 / 9)), rel=1e-14)


def test_gate_needs_exactly_one_pair():
    for kwargs in ({}, {"alpha": "1"}, {"inf": "0.5"}, {"alpha": "1", "beta": "1", "inf": "0.5",
                                                       "tau": "1"}, {"alpha": "1", "tau": "1"}):
        with pytest.raises(ValueError, match="exactly one pair"):
            Gate("x", 1, **kwargs)
    with pytest.raises(ValueError, match="gate 'x' tau"):
        Gate("x", 1, inf="0.5", tau="__import__('os')")


def test_initial_values_refuse_a_gate_without_a_resting_state():
    bad = Channel("bad", 0 * mV, (Gate("x", 1, inf="1.5", tau="1"),))
    with pytest.raises(ValueError, match="not a fraction in"):
        bad.initial_values(-65 * mV, 6.3)
    neg = Channel("neg", 0 * mV, (Gate("x", 1, inf="0.5", tau="-1"),))
    with pytest.raises(ValueError, match="time constant"):
        neg.initial_values(-65 * mV, 6.3)


# -- comparisons ----------------------------------------------------------------------------------
def test_comparisons_give_one_or_zero():
    text = "(V < -60)*0.5 + (V >= -60)*(V <= 0)*2 + (V > 0)*7"
    np.testing.assert_array_equal(evaluate_rate(text, [-80.0, -60.0, -1.0, 0.0, 0.5]),
                                  [0.5, 2.0, 2.0, 2.0, 7.0])
    assert brian2_expression("(V < -60)*0.5") == "int((v/mV) < -60) * 1.0 * 0.5"
    for bad, why in (("-70 < V < -60", "chained"), ("(V == -60)*1", "comparison in"),
                     ("(V != 0)*1", "comparison in"), ("(V < 0) and 1", "logical")):
        with pytest.raises(ValueError, match=why):
            rate_expression(bad)


def test_piecewise_gate_is_continuous_where_its_pieces_meet():
    g = Gate("h", 1, inf="(V < -60)*exp((V + 60)/10) + (V >= -60)*1", tau="1")
    assert float(g.steady_state(-60.0 - 1e-9)) == pytest.approx(1.0, abs=1e-9)
    assert float(g.steady_state(-70.0)) == pytest.approx(math.exp(-1.0), rel=1e-14)


# -- concentrations -------------------------------------------------------------------------------
def test_concentration_arguments():
    sk = Gate("z", 1, inf="cai**4.8/(cai**4.8 + 0.00043**4.8)", tau="1")
    assert sk.concentrations == ("cai",)
    cai = np.array([1e-5, 4.3e-4, 1e-2])
    expected = cai**4.8 / (cai**4.8 + 0.00043**4.8)
    np.testing.assert_allclose(sk.steady_state(-65.0, conc={"cai": cai}), expected, rtol=1e-14)
    # without conc: the resting concentration (1e-4 mM)
    rest = RESTING_CONCENTRATIONS["cai"]
    assert float(sk.steady_state(-65.0)) == pytest.approx(rest**4.8 / (rest**4.8 + 0.00043**4.8))
    # broadcasting V against the concentration array
    both = Gate("b", 1, "cai*exp(V/10)", "cao")
    a, b = both.rates(np.array([0.0, 10.0, 20.0]), 2.0, {"cai": cai, "cao": 3.0})
    np.testing.assert_allclose(a, 2 * cai * np.exp([0.0, 1.0, 2.0]), rtol=1e-14)
    np.testing.assert_allclose(b, [6.0] * 3)
    assert brian2_expression("cai/(cai + cao)") == "(cai/mM)/((cai/mM) + (cao/mM))"
    with pytest.raises(ValueError, match="the name 'nai'"):
        Gate("x", 1, inf="nai/10", tau="1")


# -- currents -------------------------------------------------------------------------------------
def test_ghk_current_against_its_formula():
    """GHK current density P z^2 F^2 V/(RT) (ci - co exp(-zFV/RT)) / (1 - exp(-zFV/RT)),
    outward positive in the textbook: ours is positive inward."""
    celsius = 34.0
    ch = Channel("cahva", "nernst", (Gate("m", 1, inf="1", tau="1"),), ion="ca", current="ghk")
    perm = 1e-6  # m/s
    ci, co = 5e-5, 2.0
    conc = {"cai": ci, "cao": co}
    volts = np.array([-80.0, -30.0, -1e-7, 1e-7, 20.0, 60.0]) * 1e-3
    u = 2 * volts / _rt_f(celsius)
    textbook = perm * 2 * FARADAY * u * (ci - co * np.exp(-u)) / -np.expm1(-u)
    ours = ch.current_density(volts * 1e3, celsius, conc=conc, density=perm)
    np.testing.assert_allclose(ours, -textbook, rtol=1e-9)
    # at 0 mV the limit P z F (ci - co), and inward (positive) for a physiological gradient
    zero = float(ch.current_density(0.0, celsius, conc=conc, density=perm))
    assert zero == pytest.approx(perm * 2 * FARADAY * (co - ci), rel=1e-14)
    assert np.all(ours[volts < 0.1] > 0)
    # the current reverses at the Nernst potential
    e_ca = float(nernst("ca", ci * mM, co * mM, celsius) / mV)
    assert float(ch.reversal_potential(celsius, conc)) == pytest.approx(e_ca, rel=1e-13)
    assert abs(float(ch.current_density(e_ca, celsius, conc=conc, density=perm))) < 1e-12 * zero
    assert ch.density_unit == cm / second
    assert ch.concentrations == ("cai", "cao")


def test_nernst_reversal_follows_the_concentrations():
    celsius = 34.0
    ch = Channel("cal", "nernst", (Gate("m", 2, inf="1/(1 + exp(-(V + 10)/6))", tau="1"),),
                 ion="Ca2+")
    assert ch.ion == "ca" and ch.concentrations == ("cai", "cao")
    cai = np.array([1e-5, 1e-4, 1e-3])
    e = ch.reversal_potential(celsius, {"cai": cai, "cao": 2.0})
    want = [float(nernst("ca", c * mM, 2 * mM, celsius) / mV) for c in cai]
    np.testing.assert_allclose(e, want, rtol=1e-13)
    # a decade of cai moves E_Ca by RT ln(10)/(2F)
    assert e[0] - e[1] == pytest.approx(1e3 * _rt_f(celsius) * math.log(10) / 2, rel=1e-12)
    # ohmic current g P (E - v)
    g = 10.0  # S/m^2
    i = ch.current_density(-65.0, celsius, conc={"cai": cai}, density=g)
    p = ch.open_probability(-65.0, celsius)
    np.testing.assert_allclose(i, g * p * (e - -65.0) * 1e-3, rtol=1e-13)
    # a fixed-concentration ion: the Ions defaults (K+ 140 / 5 mM)
    k = Channel("kn", "nernst", (Gate("n", 1, inf="1", tau="1"),), ion="k")
    assert float(k.reversal_potential(37.0)) == pytest.approx(-89.06, abs=0.005)
    assert k.concentrations == ()
    assert k.shared_values(37.0)["E_kn"] / mV == pytest.approx(-89.06, abs=0.005)


def test_channel_arguments_are_checked():
    gates = (Gate("m", 1, inf="1", tau="1"),)
    with pytest.raises(ValueError, match="needs the ion"):
        Channel("x", "nernst", gates)
    with pytest.raises(ValueError, match="GHK current needs the ion"):
        Channel("x", 0 * mV, gates, current="ghk")
    with pytest.raises(ValueError, match="current must be one of"):
        Channel("x", 0 * mV, gates, current="linear")
    with pytest.raises(ValueError, match="unknown ion"):
        Channel("x", 0 * mV, gates, ion="mg")
    with pytest.raises(ValueError, match="reversal must be a potential"):
        Channel("x", "goldman", gates, ion="ca")


def test_hh_channels_keep_their_brian2_text():
    assert HHSodium().equations(True).splitlines()[:5] == [
        "g_na : siemens/meter**2", "E_na : volt (shared)", "phi_na : 1 (shared)",
        "alpha_m_na = phi_na*(1/exprel(-((v/mV) + 40)/10))/ms : Hz",
        "beta_m_na = phi_na*(4*exp(-((v/mV) + 65)/18))/ms : Hz"]
    assert HHPotassium().current() == "g_k*n_k**4*(E_k - v)"
    assert HHPotassium().membrane_terms() == ("g_k*n_k**4", "g_k*n_k**4*E_k")


# -- calcium dynamics -----------------------------------------------------------------------------
def test_calcium_dynamics_parameters_are_checked():
    for kwargs, why in (({"gamma": 1.5}, "gamma"), ({"decay": 0 * ms}, "decay must be > 0"),
                        ({"depth": 1 * mV}, "depth must be in units"),
                        ({"minimum": -1 * mM}, "minimum must be > 0")):
        with pytest.raises(Exception, match=why):
            CalciumDynamics(**kwargs)
    cell = Cell(ball_and_stick())
    with pytest.raises(ValueError, match="take no density"):
        cell.paint(CalciumDynamics(), "soma", 1 * siemens / cm**2)


def test_steady_calcium_solves_the_fixed_point():
    # a current independent of cai: cai = minimum + decay * factor * i exactly
    c = steady_calcium([1e-4, 2e-4], [2.5, 5.0], [0.08, 0.2], lambda cai: np.full_like(cai, 0.01))
    np.testing.assert_allclose(c, [1e-4 + 0.08 * 2.5 * 0.01, 2e-4 + 0.2 * 5.0 * 0.01], rtol=1e-13)
    # a current falling with cai (E_Ca moves): the root of the nonlinear equation
    def inward(cai):
        return 0.05 * np.log(2.0 / cai) * 0.0431 / 2 - 0.0038
    c = steady_calcium([1e-4], [2.6], [0.08], inward)
    assert float(c[0] - 1e-4 - 0.08 * 2.6 * inward(c)[0]) == pytest.approx(0.0, abs=1e-16)
    with pytest.raises(ValueError, match="no resting cai"):  # outward current, below any cai
        steady_calcium([1e-4], [2.6], [0.08], lambda cai: np.full_like(cai, -1.0))


def _calcium_cell():
    cal = Channel("cal", "nernst", (Gate("m", 2, inf="1/(1 + exp(-(V + 30)/6))", tau="1"),),
                  q10=2.3, reference_celsius=21.0, ion="ca")
    sk = Channel("sk", -85 * mV, (Gate("z", 1, inf="cai**4.8/(cai**4.8 + 0.00043**4.8)",
                                       tau="1"),), q10=2.3, reference_celsius=21.0, ion="k")
    cell = Cell(ball_and_stick(), celsius=34.0)
    cell.paint(cal, "soma", 2e-3 * siemens / cm**2).paint(sk, "soma", 1e-3 * siemens / cm**2)
    cell.paint(CalciumDynamics(gamma=0.05, decay=80 * ms, depth=0.1 * um), "soma")
    return cell, cal, sk


def test_resting_calcium_and_leak_reversal():
    cell, cal, sk = _calcium_cell()
    conc = cell.resting_concentrations()
    cai = float(conc["cai"][0])
    dens = cell.densities()
    v = -65.0
    here = {"cai": cai, "cao": 2.0}
    i_ca = float(cal.current_density(v, 34.0, conc=here, density=dens["cal"][0]))
    dyn = CalciumDynamics()
    assert i_ca > 0  # inward at rest
    assert cai == pytest.approx(1e-4 + 0.08 * dyn.influx_factor() * i_ca, rel=1e-12)
    assert cai > 1e-4
    assert float(conc["cai"][5]) == RESTING_CONCENTRATIONS["cai"]  # no dynamics there
    # the leak cancels every resting current, the SK gate read at the resting cai
    i_sk = float(sk.current_density(v, 34.0, conc=here, density=dens["sk"][0]))
    e_l = float(cell.leak_reversal()[0] / mV)
    g_l = 3.0  # S/m^2
    assert g_l * (e_l - v) * 1e-3 + i_ca + i_sk == pytest.approx(0.0, abs=1e-15)
    assert float(cell.leak_reversal()[5] / mV) == pytest.approx(v, abs=1e-12)
    assert cell.active_compartments.tolist() == [0]


def test_a_channel_named_ca_clashes_with_the_dynamics_current():
    ca = Channel("ca", "nernst", (Gate("m", 1, inf="1", tau="1"),), ion="ca")
    cell = Cell(ball_and_stick()).paint(ca, "soma", 1e-3 * siemens / cm**2)
    with pytest.raises(ValueError, match="rename the channel"):
        cell.paint(CalciumDynamics(), "soma")
    cell = Cell(ball_and_stick()).paint(CalciumDynamics(), "soma")
    with pytest.raises(ValueError, match="rename the channel"):
        cell.paint(ca, "soma", 1e-3 * siemens / cm**2)
