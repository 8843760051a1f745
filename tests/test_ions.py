"""Ions and reversal potentials: Nernst and GHK against the formulas, and PSPs that follow the ions
(GABA_A reverses at E_Cl, raised [Cl-]i depolarizes, raised [K+]o changes GABA_B)."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import mM, ms, mV, nS, um

from cablemodel import Cell, Morphology, Section, Synapse, ball_and_stick, simulate, spike_times
from cablemodel.mechanisms.ions import (
    AMPA_PERMEABILITY,
    DEFAULT_IONS,
    NMDA_PERMEABILITY,
    Ions,
    ghk_reversal,
    nernst,
)
from cablemodel.mechanisms.receptors import ampa, gaba_a, gaba_b, nmda

R, F = 8.314462618, 96485.33212  # J/(mol K), C/mol
TEXTBOOK = {"na": (1, 12, 145), "k": (1, 140, 5), "cl": (-1, 7, 110), "ca": (2, 1e-4, 2)}


def formula_mV(z, c_in, c_out, celsius=37.0):
    return R * (celsius + 273.15) / (z * F) * np.log(c_out / c_in) * 1e3


def soma_cell(v_rest=-65 * mV) -> Cell:
    soma = Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, 20.0]]))
    return Cell(Morphology((soma,)), spike_site="soma", v_rest=v_rest)


def psp_peak_mV(cell, rec, weight=0.2 * nS, duration=40 * ms, dt=0.025 * ms) -> float:
    r = simulate(cell, [Synapse(rec, "soma", weight, spike_times([2] * ms))], duration=duration,
                 dt=dt, engine="numpy")
    return float(r.peak("soma") / mV)


@pytest.mark.parametrize("ion", sorted(TEXTBOOK))
def test_nernst_of_default_concentrations_is_the_textbook_formula(ion):
    z, ci, co = TEXTBOOK[ion]
    expected = formula_mV(z, ci, co)
    assert float(DEFAULT_IONS.E(ion) / mV) == pytest.approx(expected, abs=0.5)
    assert float(nernst(ion, ci * mM, co * mM) / mV) == pytest.approx(expected, abs=1e-9)


def test_textbook_values_at_body_temperature():
    e = {ion: float(DEFAULT_IONS.E(ion) / mV) for ion in TEXTBOOK}
    assert e["na"] == pytest.approx(66.6, abs=0.1)
    assert e["k"] == pytest.approx(-89.1, abs=0.1)
    assert e["cl"] == pytest.approx(-73.6, abs=0.1)
    assert e["ca"] == pytest.approx(132.3, abs=0.1)
    assert DEFAULT_IONS.celsius == 37.0


def test_nernst_scales_with_absolute_temperature_and_accepts_ion_spellings():
    cold = float(nernst("K+", 140 * mM, 5 * mM, celsius=20.0) / mV)
    warm = float(nernst("k", 140 * mM, 5 * mM, celsius=37.0) / mV)
    assert cold / warm == pytest.approx(293.15 / 310.15, rel=1e-12)
    assert float(nernst("Ca2+", 1e-4 * mM, 2 * mM) / mV) == pytest.approx(
        formula_mV(2, 1e-4, 2), abs=1e-9)


def test_ghk_with_one_ion_is_nernst():
    for ion in TEXTBOOK:
        assert float(ghk_reversal({ion: 1.0}) / mV) == pytest.approx(
            float(DEFAULT_IONS.E(ion) / mV), abs=1e-6)


def test_ghk_voltage_equation_for_monovalent_ions():
    perm = {"na": 0.05, "k": 1.0, "cl": 0.45}  # Hodgkin-Katz resting membrane
    num = 0.05 * 145 + 1.0 * 5 + 0.45 * 7
    den = 0.05 * 12 + 1.0 * 140 + 0.45 * 110
    assert float(ghk_reversal(perm) / mV) == pytest.approx(formula_mV(1, den, num), abs=1e-9)
    assert float(ghk_reversal(perm) / mV) == pytest.approx(-67.17, abs=0.01)  # between E_K and E_Cl


@pytest.mark.parametrize("perm", [AMPA_PERMEABILITY, NMDA_PERMEABILITY, {"na": 1, "ca": 10}])
def test_ghk_reversal_with_calcium_zeroes_the_summed_ghk_current(perm):
    e = float(ghk_reversal(perm) / mV)
    u = e * 1e-3 * F / (R * 310.15)
    terms = []
    for ion, p in perm.items():
        z, ci, co = TEXTBOOK[ion]
        terms.append(p * z**2 * u * (ci - co * np.exp(-z * u)) / (1 - np.exp(-z * u)))
    assert abs(sum(terms)) < 1e-9 * max(abs(t) for t in terms)


def test_ampa_and_nmda_reverse_near_zero_by_ghk():
    e_ampa = float(ampa().reversal / mV)
    assert -10 < e_ampa < 10
    assert e_ampa == pytest.approx(-0.28, abs=0.01)
    # Ca2+ permeability moves NMDA above the Na+/K+-only value (-0.35 mV)
    assert float(nmda().reversal / mV) == pytest.approx(2.01, abs=0.01)
    # the receptor computes its reversal from the ions it is given
    low_na = Ions(na_out=100 * mM)
    assert float(ampa(low_na).reversal / mV) == pytest.approx(
        float(ghk_reversal(AMPA_PERMEABILITY, low_na) / mV), abs=1e-12)
    assert float(ampa(low_na).reversal / mV) < e_ampa - 5


def test_gaba_a_psp_reverses_at_e_cl():
    """With the cell resting at E_Cl the GABA_A PSP vanishes; 10 mV below/above it is depolarizing /
    hyperpolarizing and, for a small conductance, proportional to the driving force (E_Cl - v)."""
    e_cl = DEFAULT_IONS.E("cl")
    rec = gaba_a()
    at = psp_peak_mV(soma_cell(e_cl), rec)
    below = psp_peak_mV(soma_cell(e_cl - 10 * mV), rec)
    above = psp_peak_mV(soma_cell(e_cl + 10 * mV), rec)
    assert abs(at) < 0.05
    assert abs(at) < 1e-6  # the whole membrane sits at E_Cl: nothing moves
    assert below > 0.05 and above < -0.05
    assert below / above == pytest.approx(-1.0, rel=0.05)


def test_raising_intracellular_chloride_makes_gaba_a_depolarizing():
    high_cl = Ions(cl_in=30 * mM)
    assert float(high_cl.E("cl") / mV) == pytest.approx(formula_mV(-1, 30, 110), abs=1e-9)
    cell = soma_cell(-65 * mV)
    normal = psp_peak_mV(cell, gaba_a())
    loaded = psp_peak_mV(cell, gaba_a(high_cl))
    assert normal < 0 < loaded
    expected = (float(high_cl.E("cl") / mV) + 65) / (float(DEFAULT_IONS.E("cl") / mV) + 65)
    assert loaded / normal == pytest.approx(expected, rel=0.05)  # -3.52: driving-force ratio


def test_raising_extracellular_potassium_flips_the_gaba_b_ipsp():
    """[K+]o 5 -> 20 mM moves E_K from -89.1 to -52.0 mV: at rest (-65 mV) the GABA_B response
    turns depolarizing, by the ratio of the driving forces."""
    high_k = Ions(k_out=20 * mM)
    assert float(high_k.E("k") / mV) == pytest.approx(formula_mV(1, 140, 20), abs=1e-9)
    cell = soma_cell(-65 * mV)
    normal = psp_peak_mV(cell, gaba_b(), weight=0.1 * nS, duration=300 * ms, dt=0.25 * ms)
    raised = psp_peak_mV(cell, gaba_b(high_k), weight=0.1 * nS, duration=300 * ms, dt=0.25 * ms)
    assert normal < 0 < raised
    expected = (float(high_k.E("k") / mV) + 65) / (float(DEFAULT_IONS.E("k") / mV) + 65)
    assert raised / normal == pytest.approx(expected, rel=0.05)  # -0.54


def test_gaba_a_on_a_dendrite_also_follows_e_cl():
    """On a ball-and-stick the IPSP at a dendritic site is ~0 when the cell rests at E_Cl."""
    e_cl = DEFAULT_IONS.E("cl")
    cell = Cell(ball_and_stick(dendrite_length=300 * um), v_rest=e_cl)
    r = simulate(cell, [Synapse(gaba_a(), "basal@100", 1 * nS, spike_times([2] * ms))],
                 duration=30 * ms, engine="numpy")
    assert abs(float(r.peak("basal@100") / mV)) < 0.05


@pytest.mark.parametrize("bad", [
    lambda: nernst("k", 0 * mM, 5 * mM),
    lambda: nernst("k", 140 * mM, -5 * mM),
    lambda: Ions(k_out=0 * mM),
    lambda: Ions().replace(cl_in=-1 * mM),
    lambda: nernst("k", 140 * mM, 5 * mM, celsius=-300),
    lambda: ghk_reversal({"na": -1.0}),
    lambda: ghk_reversal({"na": 0.0}),
])
def test_bad_concentrations_are_refused(bad):
    with pytest.raises(ValueError, match="> 0|>= 0|absolute zero"):
        bad()


def test_unknown_ion_lists_the_choices():
    with pytest.raises(ValueError, match=r"\['ca', 'cl', 'k', 'na'\]"):
        nernst("li", 1 * mM, 2 * mM)
    with pytest.raises(ValueError, match="valid"):
        Ions().replace(mg_out=1 * mM)
    with pytest.raises(Exception, match="concentration"):
        nernst("k", 140 * mV, 5 * mM)
