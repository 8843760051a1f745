"""Compartment geometry integrated over the 3-D pieces inside each compartment (as NEURON does
with pt3d points): exact areas and axial resistances, conservation under re-discretization, the
simulated surface equal to the file's, and the values the Brian2 model really uses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brian2 import cm, ohm, us

from cablemodel import Cell, Morphology, Section, ball_and_stick, read_swc
from cablemodel.morphology.model import compartment_geometry
from cablemodel.simulation.assembly import CellSpec


def frustum_areas(points: np.ndarray) -> float:
    dl = np.linalg.norm(np.diff(points[:, :3], axis=0), axis=1)
    r1, r2 = points[:-1, 3] / 2, points[1:, 3] / 2
    return float(np.sum(np.pi * (r1 + r2) * np.sqrt(dl**2 + (r1 - r2) ** 2)))


def axial_factor(points: np.ndarray) -> float:
    """Integral of 4 / (pi d^2) along a polyline whose diameter is linear on each piece."""
    dl = np.linalg.norm(np.diff(points[:, :3], axis=0), axis=1)
    return float(np.sum(4 * dl / (np.pi * points[:-1, 3] * points[1:, 3])))


def test_cylinder_is_exact():
    g = compartment_geometry(np.array([[0, 0, 0, 2.0], [100, 0, 0, 2.0]]), 5)
    np.testing.assert_allclose(g.area, 2 * np.pi * 1 * 20, rtol=1e-14)
    np.testing.assert_allclose(g.axial_1, 4 * 10 / (np.pi * 4), rtol=1e-14)
    np.testing.assert_allclose(g.axial_2, g.axial_1, rtol=1e-14)
    np.testing.assert_allclose(g.midpoint[:, 0], [10, 30, 50, 70, 90])


def test_linear_taper_is_exact():
    """A cone from 4 to 1 um over 60 um in 3 compartments: closed forms per half."""
    g = compartment_geometry(np.array([[0, 0, 0, 4.0], [60, 0, 0, 1.0]]), 3)
    d = lambda x: 4 - 3 * x / 60  # noqa: E731
    for k in range(3):
        a, m, b = 20 * k, 20 * k + 10, 20 * k + 20
        half = lambda u, v: 4 * (v - u) / (np.pi * d(u) * d(v))  # noqa: E731
        assert g.axial_1[k] == pytest.approx(half(a, m), rel=1e-13)
        assert g.axial_2[k] == pytest.approx(half(m, b), rel=1e-13)
        r1, r2 = d(a) / 2, d(b) / 2
        assert g.area[k] == pytest.approx(np.pi * (r1 + r2) * math.hypot(20, r1 - r2), rel=1e-13)


def test_points_inside_a_compartment_count():
    """A swelling in the middle of one compartment: the boundary diameters alone miss it."""
    pts = np.array([[0, 0, 0, 1.0], [9, 0, 0, 1.0], [10, 0, 0, 5.0], [11, 0, 0, 1.0], [20, 0, 0, 1.0]])
    g = compartment_geometry(pts, 1)
    assert g.area[0] == pytest.approx(frustum_areas(pts), rel=1e-14)
    assert g.area[0] > 1.5 * np.pi * 1 * 20  # the plain 20 um cylinder the ends give
    assert g.axial_1[0] + g.axial_2[0] == pytest.approx(axial_factor(pts), rel=1e-14)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [1, 2, 7, 31])
def test_totals_do_not_depend_on_the_discretization(seed, n):
    """Area and axial resistance are additive over pieces: any compartment count gives the
    polyline's totals (zero-length diameter steps included, which add their annulus)."""
    rng = np.random.default_rng(seed)
    pts = np.column_stack([np.cumsum(rng.uniform(0, 10, (12, 3)), axis=0), rng.uniform(0.2, 4, 12)])
    pts[5, :3] = pts[4, :3]  # a diameter step at one position
    g = compartment_geometry(pts, n)
    assert g.area.sum() == pytest.approx(frustum_areas(pts), rel=1e-12)
    assert (g.axial_1 + g.axial_2).sum() == pytest.approx(axial_factor(pts), rel=1e-12)
    assert np.all(g.area > 0) and np.all(g.axial_1 > 0) and np.all(g.axial_2 > 0)


@pytest.mark.parametrize("attachment", ["neuron", "sphere"])
def test_simulated_surface_equals_the_files(shared, attachment):
    """Per region, the compartments' areas add up to the file's surface (the LoadReport)."""
    for path in sorted((shared / "real").glob("*.swc")):
        _, report = read_swc(path, attachment=attachment)
        assert report.simulated_surface_um2.keys() == report.surface_um2.keys()
        for region, area in report.surface_um2.items():
            assert report.simulated_surface_um2[region] == pytest.approx(area, rel=1e-9), (
                path.name, region)


def test_ca1_surface_no_longer_overestimated(shared):
    """Issue 7: boundary-diameter frustums put apical +2.6 % and basal +4.0 % above the file."""
    morph, report = read_swc(shared / "real" / "ca1pyr_rat_c91662.swc")
    old = {}
    t = morph.compartments()
    for sec in morph.sections[1:]:
        xyz, diam = sec.resampled()
        L = sec.length / sec.n_compartments
        r1, r2 = diam[:-1] / 2, diam[1:] / 2
        old[sec.region] = old.get(sec.region, 0.0) + float(
            np.sum(np.pi * (r1 + r2) * np.sqrt(L**2 + (r1 - r2) ** 2)))
    assert old["apical"] / report.surface_um2["apical"] - 1 == pytest.approx(0.026, abs=0.003)
    assert old["basal"] / report.surface_um2["basal"] - 1 == pytest.approx(0.040, abs=0.003)
    for region in ("apical", "basal"):
        assert t.area[t.region == region].sum() == pytest.approx(report.surface_um2[region], rel=1e-12)


def test_brian2_model_uses_the_integrated_geometry():
    """The SpatialNeuron gets the table's areas and half resistances (Brian2's own values from
    the end diameters are replaced)."""
    soma = Section("soma", "soma", None, np.array([[0.0, 0, 0, 10]]))
    bump = np.array([[5.0, 0, 0, 1], [14, 0, 0, 1], [15, 0, 0, 4], [16, 0, 0, 1], [25, 0, 0, 1]])
    cell = Cell(Morphology((soma, Section("d", "basal", "soma", bump, 1))), Ri=150 * ohm * cm,
                spike_site="soma")
    neuron = CellSpec("cell", cell, [], [], [], [], {"soma": 0}).neuron(25 * us)
    t = cell.table
    np.testing.assert_allclose(np.asarray(neuron.area_[:]), t.area * 1e-12, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(neuron.r_length_1_[1:]), 1e-6 / t.axial_1[1:], rtol=1e-14)
    np.testing.assert_allclose(np.asarray(neuron.r_length_2_[1:]), 1e-6 / t.axial_2[1:], rtol=1e-14)
    assert float(neuron.area_[1]) > 1.3 * np.pi * 1e-6 * 20e-6  # the bump is in the model


def test_generated_cells_unchanged_where_diameters_are_linear():
    """Generated sections are straight and linearly tapered: the integrated geometry equals the
    frustum between the boundary diameters."""
    t = ball_and_stick().compartments()
    hill = t.section == "hillock"
    r1 = np.interp(t.start[hill] - t.start[hill][0], [0, 30], [1.0, 0.5])
    r2 = np.interp(t.end[hill] - t.start[hill][0], [0, 30], [1.0, 0.5])
    L = t.length[hill]
    np.testing.assert_allclose(t.area[hill], np.pi * (r1 + r2) * np.sqrt(L**2 + (r1 - r2) ** 2),
                               rtol=1e-12)
    assert float(t.length[hill][0]) == pytest.approx(10.0)


def test_every_engine_simulates_the_integrated_geometry():
    """numpy, Cython and cpp_standalone give the same EPSP on a dendrite whose swelling lies
    inside one compartment; without the swelling's area the response would differ by ~10 %."""
    from brian2 import ms, mV, nS

    from cablemodel import AMPA, Synapse, simulate, spike_times

    soma = Section("soma", "soma", None, np.array([[0.0, 0, 0, 10]]))
    pts = np.array([[5.0, 0, 0, 1], [44, 0, 0, 1], [50, 0, 0, 6], [56, 0, 0, 1], [205, 0, 0, 1]])
    bumpy = Cell(Morphology((soma, Section("d", "basal", "soma", pts, 5))), spike_site="soma")
    smooth = Cell(Morphology((soma, Section("d", "basal", "soma", pts[[0, 4]], 5))),
                  spike_site="soma")
    syn = [Synapse(AMPA, "basal@150", 2 * nS, spike_times([1] * ms))]
    peaks = {engine: float(simulate(bumpy, syn, duration=10 * ms, engine=engine).peak("soma") / mV)
             for engine in ("numpy", "cython", "cpp_standalone")}
    # round-off only (measured 2e-7 mV for Cython, 2e-6 mV for the Hines solver; Brian2's banded
    # solvers are known to differ by up to 1e-4 mV, tests/test_hines.py)
    assert peaks["cython"] == pytest.approx(peaks["numpy"], abs=1e-5)
    assert peaks["cpp_standalone"] == pytest.approx(peaks["numpy"], abs=1e-5)
    plain = float(simulate(smooth, syn, duration=10 * ms, engine="numpy").peak("soma") / mV)
    assert peaks["numpy"] < 0.95 * plain
