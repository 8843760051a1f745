"""Per-region membrane (cablemodel.membrane, Cell(Cm=, g_leak=, e_leak=, Ri=, spines=)):
analytic time constants and input conductances, NEURON agreement at Ri boundaries, the spine
factor equal to explicit values, and clear refusals."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, cm, ms, mV, nA, ohm, siemens, uF, um

from cablemodel import (
    Cell,
    CurrentClamp,
    Morphology,
    ball_and_stick,
    impedance,
    simulate,
    standard_cell,
)
from cablemodel.experiments import theory_length_constant
from cablemodel.membrane import Spines, per_compartment
from cablemodel.morphology.model import Section
from cablemodel.places import region, within
from cablemodel.simulation.results_io import cell_metadata

UF, SCM = uF / cm**2, siemens / cm**2
TAU_MS = 10.0


def _uniform_tau_cell(e_leak) -> Cell:
    """Cm and g_leak differ per region and along the dendrite, Cm/g_leak = 10 ms everywhere."""
    cm_dend = lambda d: (1 + d / (1000 * um)) * UF  # noqa: E731
    return Cell(ball_and_stick(dendrite_length=500 * um), spike_site="soma",
                Cm={"default": 0.5 * UF, "soma": 2 * UF, "basal": cm_dend},
                g_leak={"default": 0.5 * UF / (TAU_MS * ms), "soma": 2 * UF / (TAU_MS * ms),
                        "basal": lambda d: cm_dend(d) / (TAU_MS * ms)},
                e_leak=e_leak)


def test_uniform_time_constant_relaxes_as_one_exponential():
    """e_leak given (10 mV above v_rest) and the run starting at v_rest (finitialize): with
    Cm/g_leak the same everywhere no axial current flows, so every compartment follows
    E + (v_rest - E) exp(-t/tau) exactly; a compartment with the wrong Cm would lag or lead."""
    cell = _uniform_tau_cell(-55 * mV)
    m = cell.membrane()
    assert np.ptp(np.asarray(m.Cm)) > 1e-2  # really different values: 0.5 ... 2 uF/cm^2
    np.testing.assert_allclose(np.asarray(m.Cm / m.g_leak) * 1e3, TAU_MS, rtol=1e-12)
    res = simulate(cell, duration=20 * ms, record=["basal@490", "axon@150"], engine="numpy")
    exact = -55 - 10 * np.exp(-res.t_ms / TAU_MS)
    for label in ("soma", "basal@490", "axon@150"):
        v = res.v(label) / mV
        assert np.abs(v - exact).max() < 0.01, label  # backward Euler, dt/tau = 0.0025
    # equal to 1e-6 of the 10 mV relaxation (the solver's round-off, not an axial current)
    assert np.abs(res.v("soma") / mV - res.v("basal@490") / mV).max() < 1e-5


def test_explicit_e_leak_is_the_leak_reversal_used():
    cell = _uniform_tau_cell({"default": -65 * mV, "basal": -60 * mV})
    e = np.asarray(cell.leak_reversal() / mV)
    assert set(np.round(e, 9).tolist()) == {-65.0, -60.0}
    assert np.array_equal(e == -60.0, cell.table.in_region("basal"))


def _two_ri_cable(n: int = 1) -> Morphology:
    """A 2 um soma and one 1 um dendrite: 200 um of 'basal' (Ri1) then 300 um of 'distal' (Ri2)."""
    line = lambda x0, x1: np.array([[x0, 0, 0, 1.0], [x1, 0, 0, 1.0]])  # noqa: E731
    return Morphology((Section("soma", "soma", None, np.array([[0, 0, 0, 2.0]])),
                       Section("prox", "basal", "soma", line(1, 201), 41 * n),
                       Section("dist", "distal", "prox", line(201, 501), 61 * n)))


def _sealed_input_conductance(g_load, d_cm, length_cm, rm, ri):
    """Input conductance (S) of a cylinder ending in conductance ``g_load`` (the cable formula)."""
    lam = np.sqrt(d_cm * rm / (4 * ri))
    g_inf = np.pi * d_cm**1.5 / (2 * np.sqrt(rm * ri))
    t = np.tanh(length_cm / lam)
    return g_inf * (g_load + g_inf * t) / (g_inf + g_load * t)


def test_two_ri_cable_input_resistance_matches_the_two_segment_formula():
    """Input resistance at DC of a cable whose halves have Ri 100 and 300 ohm*cm against the
    analytic two-segment cable (the distal segment as the proximal one's load), and a
    simulated steady state equal to it (the engine folds Ri per half compartment too)."""
    gl, ri1, ri2 = 5e-4, 100.0, 300.0
    cell = Cell(_two_ri_cable(), Ri={"default": ri1 * ohm * cm, "distal": ri2 * ohm * cm},
                g_leak=gl * SCM, spike_site="soma")
    rm, d = 1 / gl, 1e-4
    g_dist = _sealed_input_conductance(0.0, d, 300e-4, rm, ri2)
    g_cable = _sealed_input_conductance(g_dist, d, 200e-4, rm, ri1)
    g_soma = gl * np.pi * (2e-4) ** 2
    r_exact = 1 / (g_cable + g_soma)
    r_uniform = 1 / (_sealed_input_conductance(_sealed_input_conductance(0.0, d, 300e-4, rm, ri1),
                                               d, 200e-4, rm, ri1) + g_soma)
    assert abs(r_uniform / r_exact - 1) > 0.05  # the distal Ri matters at this precision
    z = float(np.real(impedance(cell, frequency=0 * Hz).input_impedance[0]))  # ohm
    assert z == pytest.approx(r_exact, rel=2e-3)
    res = simulate(cell, clamps=[CurrentClamp("soma", 0.01 * nA, 0 * ms, 100 * ms)],
                   duration=40 * ms, dt=0.05 * ms, engine="numpy")
    dv = float((res.v("soma")[-1] - cell.v_rest) / mV) * 1e-3
    assert dv / 1e-11 == pytest.approx(z, rel=1e-3)  # steady (8 tau) at 1e-3


def _regional_cell(spiny: bool) -> Cell:
    kwargs = dict(Ri={"default": 150 * ohm * cm, "axon": 70 * ohm * cm, "hillock": 300 * ohm * cm},
                  Cm={"default": 1 * UF, "soma": 1.5 * UF, "axon": 0.6 * UF},
                  g_leak={"default": 1e-4 * SCM, "soma": 3e-4 * SCM, "hillock": 2e-4 * SCM})
    morph = ball_and_stick(dendrite_length=600 * um)
    if spiny:
        return Cell(morph, spines=Spines(2.0, beyond=100 * um), **kwargs)
    scale = lambda base: lambda d: np.where(d / um >= 100, 2.0, 1.0) * base  # noqa: E731
    kwargs["Cm"]["basal"] = scale(1 * UF)
    kwargs["g_leak"]["basal"] = scale(1e-4 * SCM)
    return Cell(morph, **kwargs)


def test_spine_factor_equals_explicit_values():
    spiny, explicit = _regional_cell(True), _regional_cell(False)
    a, b = spiny.membrane(), explicit.membrane()
    for name in ("Cm", "g_leak", "Ri"):
        assert np.array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name))), name
    scaled = Spines(2.0, beyond=100 * um).mask(spiny.table)
    assert np.array_equal(scaled, (region("basal") & within(100 * um)).mask(spiny.table))
    assert np.array_equal(np.asarray(a.Cm / UF)[scaled], np.full(scaled.sum(), 2.0))
    za = impedance(spiny, frequency=[0, 50] * Hz).input_impedance
    zb = impedance(explicit, frequency=[0, 50] * Hz).input_impedance
    assert np.array_equal(za, zb)


def test_regional_membrane_matches_neuron_export():
    """Ri, Cm and g_leak per region (three Ri meeting at the soma and at the hillock-axon
    boundary) and spines: our run and the exported NEURON run (each half segment its own Ra)
    agree to 1e-4 of the response everywhere."""
    pytest.importorskip("neuron", reason="NEURON is not installed")
    from cablemodel.export import run_neuron, to_neuron

    cell = _regional_cell(True)
    clamps = [CurrentClamp("axon@150", 0.2 * nA, 1 * ms, 6 * ms)]
    record = ["axon@150", "basal@300", "hillock"]
    ours = simulate(cell, clamps=clamps, record=record, duration=10 * ms, engine="numpy")
    out = run_neuron(to_neuron(cell, clamps=clamps, record=record, duration=10 * ms))
    for label in ours.labels:
        a = ours.v(label) / mV - ours.v_rest_mV
        b = np.asarray(out["v_mV"][label])[:-1] - ours.v_rest_mV
        peak = float(np.abs(a).max())
        assert peak > 0.1, label
        assert np.abs(a - b).max() <= 1e-4 * peak, label
    uniform = Cell(cell.morphology, Ri=150 * ohm * cm, g_leak=1e-4 * SCM)  # what is compared
    ref = simulate(uniform, clamps=clamps, record=record, duration=10 * ms, engine="numpy")
    assert np.abs(ref.v("soma") / mV - ours.v("soma") / mV).max() > 0.05


def test_mappings_are_checked():
    t = ball_and_stick().compartments()
    with pytest.raises(ValueError, match="leaves 175 compartments without a value"):
        per_compartment({"soma": 1 * UF}, t, "Cm")
    with pytest.raises(ValueError, match="'apicall' selects no compartment"):
        Cell(ball_and_stick(), Cm={"default": 1 * UF, "apicall": 2 * UF})
    with pytest.raises(ValueError, match=r"Cm\['basal'\] \(a function of distance\) gives 0"):
        Cell(ball_and_stick(), Cm={"default": 1 * UF, "basal": lambda d: 0 * d / um * UF})
    with pytest.raises(ValueError, match=r"g_leak\['default'\] must be > 0"):
        Cell(ball_and_stick(), g_leak={"default": 0 * SCM})
    # a standard region the morphology lacks is skipped; "default" applies first wherever it is
    cell = Cell(ball_and_stick(), Cm={"apical": 3 * UF, "soma": 2 * UF, "default": 1 * UF})
    assert float(cell.membrane().Cm[0] / UF) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="Spines factor"):
        Spines(0.0)


def test_consumers_refuse_or_report_nonuniform_membrane():
    cell = _regional_cell(True)
    with pytest.raises(ValueError, match="varies along the basal path"):
        theory_length_constant(cell)
    meta = cell_metadata(cell)
    assert meta["Ri_ohm_cm"]["axon"] == pytest.approx([70.0, 70.0])
    assert meta["Cm_uF_cm2"]["basal"] == pytest.approx([1.0, 2.0])
    from cablemodel.export import to_neuron

    ramp = Cell(ball_and_stick(), Ri=lambda d: (100 + d / um / 10) * ohm * cm)
    with pytest.raises(ValueError, match="Ri varies within section"):
        to_neuron(ramp)


def _active_regional_cell():
    return standard_cell(ball_and_stick(dendrite_length=600 * um),
                         Ri={"default": 150 * ohm * cm, "axon": 70 * ohm * cm,
                             "hillock": 300 * ohm * cm},
                         Cm={"default": 1 * UF, "soma": 3 * UF, "axon": 0.6 * UF},
                         g_leak={"default": 1e-4 * SCM, "soma": 3e-4 * SCM},
                         spines=Spines(2.0, beyond=100 * um))


def test_spike_times_use_the_spike_sites_capacitance():
    """The engine times a spike from the spike site's Ic / Cm; with the soma at 3 uF/cm^2 and
    the hillock at 1, the time equals the crossing interpolated from the potential itself."""
    cell = _active_regional_cell()
    res = simulate(cell, clamps=[CurrentClamp("soma", 1.5 * nA, 1 * ms, 6 * ms)],
                   duration=4 * ms, engine="numpy")
    assert len(res.spikes_ms) == 1
    assert res.spikes_ms[0] == pytest.approx(float(res.crossing_time("hillock", -20 * mV) / ms),
                                             abs=1e-9)


@pytest.mark.slow
def test_regional_membrane_on_cpp_standalone_equals_numpy():
    """The Hines template reads Cm per compartment and the folded r_length: the same traces as
    the numpy engine (measured: 1.2e-6 mV, 38 s with the compilation)."""
    cell = _active_regional_cell()
    clamps = [CurrentClamp("soma", 1.5 * nA, 1 * ms, 6 * ms)]
    record = ["hillock", "axon@150", "basal@300"]
    a, b = (simulate(cell, clamps=clamps, record=record, duration=10 * ms, engine=e)
            for e in ("numpy", "cpp_standalone"))
    for label in a.labels:
        assert np.abs(a.v(label) / mV - b.v(label) / mV).max() < 1e-4, label
    np.testing.assert_allclose(a.spikes_ms, b.spikes_ms, atol=1e-6)
