"""Receptor kit: NMDA Mg2+ block, cleft kinetics, metabotropic receptors, against formulas, ODE
solutions and the documented factors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from brian2 import mM, ms, mV, nS, um

from cablemodel import (
    Cell,
    Morphology,
    Receptor,
    Section,
    Synapse,
    ball_and_stick,
    simulate,
    spike_times,
)
from cablemodel.analysis import psp_measures
from cablemodel.mechanisms.ions import CATION_PERMEABILITY, DEFAULT_IONS, ghk_reversal
from cablemodel.mechanisms.receptors import (
    ACETYLCHOLINE,
    GABA,
    GLUTAMATE,
    RECEPTORS,
    Cleft,
    Ionotropic,
    ampa,
    d1,
    d2,
    gaba_a,
    gaba_b,
    glycine,
    metabotropic,
    mg_block,
    nmda,
    receptor,
)

SOMA_UM = 20.0
AREA = np.pi * (SOMA_UM * 1e-6) ** 2       # m^2 (sphere)
C_M, G_L = 1e-2 * AREA, 3.0 * AREA          # F, S (1 uF/cm2, 3e-4 S/cm2: the Cell defaults)


def soma_cell(v_rest=-65 * mV) -> Cell:
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, SOMA_UM]]))
    return Cell(Morphology((soma,)), spike_site="soma", v_rest=v_rest)


@pytest.fixture(scope="module")
def stick():
    return Cell(ball_and_stick(dendrite_length=300 * um))


def run(cell, rec, weight=0.2 * nS, duration=40 * ms, dt=0.025 * ms, t_spike=2 * ms, site="soma"):
    return simulate(cell, [Synapse(rec, site, weight, spike_times([t_spike]))], duration=duration,
                    dt=dt, engine="numpy")


def measures(result, t_spike=2 * ms, label="soma") -> dict:
    """psp_measures of the trace from the spike on (so time to peak is from the spike)."""
    keep = result.t >= t_spike
    return psp_measures(result.t[keep] - t_spike, result.v(label)[keep], result.v_rest_mV * mV)


# ---------------------------------------------------------------------------- NMDA


def test_mg_block_is_the_jahr_stevens_curve():
    v = np.linspace(-100, 40, 141)
    for mg in (0.5, 1.0, 2.0):
        expected = 1 / (1 + mg / 3.57 * np.exp(-0.062 * v))
        assert np.allclose(mg_block(v * mV, mg * mM), expected, rtol=1e-14, atol=0)
        assert np.allclose(nmda(mg=mg * mM).block(v * mV), expected, rtol=1e-14, atol=0)
    # half-block at [Mg] = 1 mM: v = ln(1/3.57)/0.062 = -20.5 mV
    assert float(mg_block(-20.5 * mV, 1 * mM)) == pytest.approx(0.5, abs=0.001)
    assert np.all(mg_block(v * mV, 0 * mM) == 1.0)


def test_nmda_without_mg_is_an_ohmic_conductance(stick):
    """[Mg2+] = 0: B = 1, and the PSP equals that of a plain conductance with the same kinetics
    and reversal."""
    rec = nmda(mg=0 * mM)
    plain = Receptor("nmda_ohmic", rec.reversal, rec.tau_rise, rec.tau_decay)
    a = run(stick, rec, 0.5 * nS, duration=100 * ms)
    b = run(stick, plain, 0.5 * nS, duration=100 * ms)
    assert float(a.peak("soma") / mV) > 0.5
    assert np.allclose(a.v_mV, b.v_mV, rtol=0, atol=1e-9)


def test_nmda_epsp_grows_with_depolarization():
    """Small NMDA EPSPs at rest -80 and -50 mV: the peak ratio is B(-50)(E-(-50)) /
    B(-80)(E-(-80)) (3.60), although the driving force alone would give 0.64."""
    rec = nmda()
    e = float(rec.reversal / mV)
    small = 0.05 * nS
    p80 = float(run(soma_cell(-80 * mV), rec, small, duration=60 * ms).peak("soma") / mV)
    p50 = float(run(soma_cell(-50 * mV), rec, small, duration=60 * ms).peak("soma") / mV)
    expected = (float(mg_block(-50 * mV)) * (e + 50)) / (float(mg_block(-80 * mV)) * (e + 80))
    assert expected == pytest.approx(3.60, abs=0.01)
    assert p50 / p80 == pytest.approx(expected, rel=0.05)
    assert p50 > 2 * p80 > 0


def test_nmda_single_compartment_matches_ode_with_mg_block():
    """The neuron-side blocked current (linearised by Brian2 every step) against an ODE solution
    of C dV/dt = gL (EL - V) + g(t) B(V) (E - V)."""
    from scipy.integrate import solve_ivp

    rec, w = nmda(), 3e-9
    e = float(rec.reversal / mV) * 1e-3
    tr, td = 2e-3, 80e-3                       # s
    tp = tr * td / (td - tr) * np.log(td / tr)
    norm = 1 / (np.exp(-tp / td) - np.exp(-tp / tr))

    def rhs(t, y):
        s = t - 2e-3
        g = w * norm * (np.exp(-s / td) - np.exp(-s / tr)) if s > 0 else 0.0
        b = 1 / (1 + 1.0 / 3.57 * np.exp(-0.062 * y[0] * 1e3))
        return [(G_L * (-0.065 - y[0]) + g * b * (e - y[0])) / C_M]

    sol = solve_ivp(rhs, (0, 0.06), [-0.065], max_step=2e-5, rtol=1e-9, atol=1e-12)
    expected = (sol.y[0].max() + 0.065) * 1e3
    got = float(run(soma_cell(), rec, w * nS * 1e9, duration=60 * ms).peak("soma") / mV)
    assert expected > 1.0
    assert got == pytest.approx(expected, rel=0.01)


# ---------------------------------------------------------------------------- cleft


def test_weight_is_the_peak_of_one_release_with_the_default_cleft():
    t = np.linspace(0, 3000, 300001) * ms
    for rec in (ampa(cleft=GLUTAMATE), nmda(cleft=GLUTAMATE), gaba_a(cleft=GABA), gaba_b(), d2()):
        g = rec.conductance(t, 2 * nS)
        assert float(g.max() / nS) == pytest.approx(2.0, rel=1e-4), rec.name
        assert float(t[np.argmax(g)] / ms) == pytest.approx(float(rec.peak_time / ms), abs=0.02)
        blocked = replace(rec, cleft=rec.cleft.blocked("reuptake"))
        assert float(blocked.conductance(t, 2 * nS).max() / nS) > 2.0


def test_cleft_ampa_single_compartment_matches_ode():
    """Transmitter jump, exponential clearance, first-order binding and the membrane, solved by
    scipy, against the simulated PSP (checks the Brian2 text against the documented model)."""
    from scipy.integrate import solve_ivp

    rec, w = ampa(cleft=GLUTAMATE), 1e-9
    alpha, beta = float(rec.alpha * mM * ms), float(rec.beta * ms)   # 1/(mM ms), 1/ms
    k, c0, f = float(GLUTAMATE.k_total * ms), 1.0, rec.normalization

    def rhs(t_ms, y):
        v, r = y
        tx = c0 * np.exp(-k * (t_ms - 2)) if t_ms >= 2 else 0.0
        return [(G_L * (-0.065 - v) + w * f * r * (float(rec.reversal / mV) * 1e-3 - v)) / C_M * 1e-3,
                alpha * tx * (1 - r) - beta * r]

    sol = solve_ivp(rhs, (0, 40), [-0.065, 0.0], max_step=0.005, rtol=1e-9, atol=1e-12)
    expected = (sol.y[0].max() + 0.065) * 1e3
    got = float(run(soma_cell(), rec, w * nS * 1e9).peak("soma") / mV)
    assert expected > 1.0
    assert got == pytest.approx(expected, rel=0.01)


def test_gaba_b_single_compartment_matches_ode_at_coarse_dt():
    """The G-protein cascade (dt = 0.25 ms) against a scipy solution of the same equations."""
    from scipy.integrate import solve_ivp

    rec, w = gaba_b(), 0.5e-9
    k1, k2, k3, k4 = (float(x * mM * ms) if i == 0 else float(x * ms)
                      for i, x in enumerate((rec.k1, rec.k2, rec.k3, rec.k4)))
    k, f, e = float(GABA.k_total * ms), rec.normalization, float(rec.reversal / mV) * 1e-3

    def rhs(t_ms, y):
        v, R, G = y
        tx = np.exp(-k * (t_ms - 2)) if t_ms >= 2 else 0.0
        g = w * f * G**4 / (G**4 + rec.kd)
        return [(G_L * (-0.065 - v) + g * (e - v)) / C_M * 1e-3,
                k1 * tx * (1 - R) - k2 * R, k3 * R - k4 * G]

    sol = solve_ivp(rhs, (0, 300), [-0.065, 0.0, 0.0], max_step=0.01, rtol=1e-9, atol=1e-14)
    expected = (sol.y[0].min() + 0.065) * 1e3
    got = float(run(soma_cell(), rec, w * nS * 1e9, duration=300 * ms, dt=0.25 * ms).peak("soma") / mV)
    assert expected < -1.0
    assert got == pytest.approx(expected, rel=0.01)


# documented factors (see the receptors module docstring)
GLU_CONDUCTANCE_FACTOR, GLU_EPSP_FACTOR = 1.99, 1.57   # half-widths 3.5 -> 7.0 ms, 6.8 -> 10.8 ms
ACH_CONDUCTANCE_FACTOR, ACH_EPSP_FACTOR = 2.60, 1.41   # half-widths 2.0 -> 5.1 ms, 6.0 -> 8.5 ms


def nicotinic(cleft: Cleft, name="nach") -> Ionotropic:
    """A nicotinic-like cation receptor for acetylcholine (test of the esterase pathway)."""
    return Ionotropic(name, ghk_reversal(CATION_PERMEABILITY), 0.2 * ms, 2 * ms, cleft,
                      1.1 / (mM * ms), 0.5 / ms)


def _half_width(t_ms, g):
    above = np.flatnonzero(g >= g.max() / 2)
    return t_ms[above[-1]] - t_ms[above[0]]


@pytest.mark.parametrize("make, cleft, pathway, g_factor, psp_factor", [
    (lambda c, n: ampa(cleft=c, name=n), GLUTAMATE, "reuptake", GLU_CONDUCTANCE_FACTOR,
     GLU_EPSP_FACTOR),
    (nicotinic, ACETYLCHOLINE, "enzyme", ACH_CONDUCTANCE_FACTOR, ACH_EPSP_FACTOR),
])
def test_blocking_clearance_lengthens_the_psp_by_the_documented_factor(stick, make, cleft, pathway,
                                                                       g_factor, psp_factor):
    normal, blocked = make(cleft, "x"), make(cleft.blocked(pathway), "x_blocked")
    t = np.linspace(0, 60, 60001)
    hw = [_half_width(t, np.asarray(r.conductance(t * ms) / nS)) for r in (normal, blocked)]
    assert hw[1] / hw[0] == pytest.approx(g_factor, abs=0.02)
    m = [measures(run(stick, r, 0.1 * nS, duration=50 * ms)) for r in (normal, blocked)]
    factor = float(m[1]["half_width"] / m[0]["half_width"])
    assert factor > 1.3
    assert factor == pytest.approx(psp_factor, abs=0.03)
    assert m[1]["peak"] > m[0]["peak"] > 0 * mV


def test_blocking_a_missing_pathway_changes_nothing_and_diffusion_cannot_be_blocked():
    assert GLUTAMATE.blocked("enzyme").k_total == GLUTAMATE.k_total  # no enzyme for glutamate
    with pytest.raises(ValueError, match="reuptake"):
        GLUTAMATE.blocked("diffusion")
    with pytest.raises(ValueError, match=">= 0"):
        Cleft("x", 1 * mM, -1 / ms, 0 / ms, 1 / ms)


# ---------------------------------------------------------------------------- metabotropic


@pytest.fixture(scope="module")
def slow_and_fast():
    """GABA_A, GABA_B, D1 and D2 PSPs (one release at 2 ms) on one isopotential soma."""
    cell = soma_cell()
    fast = measures(run(cell, gaba_a(), 0.2 * nS, duration=80 * ms, dt=0.025 * ms))
    slow = {r.name: measures(run(cell, r, 0.2 * nS, duration=700 * ms, dt=0.25 * ms))
            for r in (gaba_b(), d1(), d2())}
    return fast, slow


@pytest.mark.parametrize("name", ["gaba_b", "d2"])
def test_metabotropic_ipsps_are_ten_times_slower_than_gaba_a(slow_and_fast, name):
    fast, slow = slow_and_fast
    s = slow[name]
    assert fast["peak"] < 0 * mV and s["peak"] < 0 * mV
    onset = float(s["time_to_peak"] / fast["time_to_peak"])
    decay = float(s["half_width"] / fast["half_width"])
    assert onset > 10 and decay > 10
    # measured: GABA_A peaks 5.55 ms after the spike, half-width 13.1 ms; GABA_B 107 ms / 240 ms
    # (19.3x, 18.2x); D2 115 ms / 296 ms (20.8x, 22.5x)
    assert float(fast["time_to_peak"] / ms) == pytest.approx(5.55, abs=0.1)
    assert float(fast["half_width"] / ms) == pytest.approx(13.1, abs=0.2)
    assert onset == pytest.approx({"gaba_b": 19.3, "d2": 20.8}[name], rel=0.03)
    assert decay == pytest.approx({"gaba_b": 18.2, "d2": 22.5}[name], rel=0.03)


def test_d1_and_d2_answer_one_dopamine_release_with_opposite_signs(slow_and_fast):
    """Same cascade, same transmitter and weight; only the coupled channel differs, so the PSPs
    have the ratio of the driving forces (cation channel vs GIRK at -65 mV): -2.69."""
    _, slow = slow_and_fast
    p1, p2 = float(slow["d1"]["peak"] / mV), float(slow["d2"]["peak"] / mV)
    assert p1 > 0 > p2
    expected = (float(d1().reversal / mV) + 65) / (float(d2().reversal / mV) + 65)
    assert p1 / p2 == pytest.approx(expected, rel=0.05)
    assert slow["d1"]["time_to_peak"] == slow["d2"]["time_to_peak"]


def test_metabotropic_sign_is_set_by_the_coupled_channel():
    assert metabotropic("m_k", "k").reversal == DEFAULT_IONS.E("k")
    assert metabotropic("m_cl", "Cl-").reversal == DEFAULT_IONS.E("cl")
    assert float(metabotropic("m_cat", "cation").reversal / mV) == pytest.approx(-0.35, abs=0.01)
    assert float(metabotropic("m_v", -20 * mV).reversal / mV) == -20.0
    with pytest.raises(ValueError, match="cation"):
        metabotropic("m_bad", "gap")


def test_gaba_b_summation_is_supralinear():
    """G^4 / (G^4 + Kd): two releases 10 ms apart nearly double G, so the (small, near-linear)
    IPSP grows 12.6x instead of 2x (16x if R did not saturate)."""
    cell = soma_cell()
    peaks = [float(simulate(cell, [Synapse(gaba_b(), "soma", 0.02 * nS, spike_times(sp))],
                            duration=300 * ms, dt=0.25 * ms, engine="numpy").peak("soma") / mV)
             for sp in ([2] * ms, [2, 12] * ms)]
    assert peaks[0] < 0 and peaks[1] / peaks[0] > 8
    assert peaks[1] / peaks[0] == pytest.approx(12.6, rel=0.03)


# ---------------------------------------------------------------------------- kit and errors


def test_kit_names_and_registry():
    assert set(RECEPTORS) == {"ampa", "nmda", "gaba_a", "gaba_b", "glycine", "d1", "d2"}
    for name, make in RECEPTORS.items():
        assert make().name == name
        assert receptor(name).name == name
    assert receptor("NMDA", mg=2 * mM).mg == 2 * mM
    assert glycine().reversal == gaba_a().reversal == DEFAULT_IONS.E("cl")
    with pytest.raises(ValueError, match="valid choices.*'ampa'.*'d1'.*'d2'.*'gaba_a'.*'gaba_b'"
                                         ".*'glycine'.*'nmda'"):
        receptor("kainate")


def test_renamed_receptor_keeps_unique_neuron_variables():
    """The two-cell set-up renames receptors with dataclasses.replace; every name follows."""
    rec = replace(nmda(), name="pre_nmda")
    eqs = rec.neuron_equations()
    assert "g_pre_nmda" in eqs and "mg_pre_nmda" in eqs and "E_pre_nmda" in eqs
    assert set(rec.neuron_values()) == {"E_pre_nmda", "mg_pre_nmda"}
    assert "g_pre_gb_post" in replace(gaba_b(), name="pre_gb").synapse_model()


def test_several_kit_receptors_in_one_compartment_superpose(stick):
    """AMPA, GABA_A and glycine at one dendritic compartment: for small conductances the combined
    PSP is the sum of the three alone (each keeps its own state and variables)."""
    recs = [ampa(cleft=GLUTAMATE), gaba_a(), glycine()]
    weights = [0.05 * nS, 0.1 * nS, 0.1 * nS]
    times = [2 * ms, 4 * ms, 6 * ms]
    alone = [simulate(stick, [Synapse(r, "basal@50", w, spike_times([t]))], duration=40 * ms,
                      engine="numpy").v("soma") for r, w, t in zip(recs, weights, times, strict=True)]
    both = simulate(stick, [Synapse(r, "basal@50", w, spike_times([t]))
                            for r, w, t in zip(recs, weights, times, strict=True)],
                    duration=40 * ms, engine="numpy")
    rest = -65 * mV
    summed = sum((v - rest) for v in alone) + rest
    dev = np.abs(np.asarray((both.v("soma") - summed) / mV))
    assert dev.max() < 0.03 * np.abs(np.asarray((summed - rest) / mV)).max()
    assert np.abs(np.asarray((summed - rest) / mV)).max() > 0.05


def test_bad_receptor_input():
    with pytest.raises(ValueError, match=">= 0 nS"):
        Synapse(ampa(), "soma", -1 * nS, spike_times([1] * ms))
    with pytest.raises(ValueError, match="Mg2\\+"):
        nmda(mg=-1 * mM)
    with pytest.raises(ValueError, match="binding rates"):
        Ionotropic("x", 0 * mV, 0.2 * ms, 2 * ms, GLUTAMATE)
    with pytest.raises(ValueError, match="> 0"):
        Cleft("x", 0 * mM, 1 / ms, 0 / ms, 1 / ms)
    with pytest.raises(TypeError, match="Ions"):
        ampa(ions={"k_out": 5})

