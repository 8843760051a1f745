"""Tests of add_hillock (cablemodel.morphology.hillock): the hillock split from a reconstructed axon
(geometry conserved) or added at the soma (taper, direction), compartment order, notes, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from brian2 import DimensionMismatchError, ms, mV, um

from cablemodel import simulate, standard_cell
from cablemodel.io.swc import read_swc
from cablemodel.morphology.generate import ball_and_stick
from cablemodel.morphology.hillock import add_hillock
from cablemodel.morphology.model import Morphology, MorphologyError, Section

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"
REAL = sorted((SHARED / "real").glob("*.swc")) if SHARED.is_dir() else []
AXONAL = ("axon", "ais", "hillock")


def needs_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"shared test morphologies not found at {SHARED} (not part of an installed copy)")


# -- independent geometry helpers ----------------------------------------------------------------
def polyline_area(sec: Section) -> float:
    """Lateral area (um^2) of the frustums between consecutive points."""
    p = sec.points
    h = np.linalg.norm(np.diff(p[:, :3], axis=0), axis=1)
    r1, r2 = p[:-1, 3] / 2, p[1:, 3] / 2
    return float(np.sum(np.pi * (r1 + r2) * np.sqrt(h**2 + (r1 - r2) ** 2)))


def region_totals(morph: Morphology, regions) -> tuple[float, float]:
    secs = [s for s in morph.sections if s.region in regions]
    return sum(s.length for s in secs), sum(polyline_area(s) for s in secs)


def path_from_soma(morph: Morphology, name: str) -> list[str]:
    out = [name]
    while morph[out[-1]].parent != morph.soma.name:
        out.append(morph[out[-1]].parent)
    return out[::-1]


def soma(d: float = 16.0) -> Section:
    return Section("soma", "soma", None, np.array([[0.0, 0.0, 0.0, d]]))


def line(name, region, parent, start, end, d0, d1=None, n=1, ids=None) -> Section:
    return Section(name, region, parent, np.array([[*start, d0], [*end, d0 if d1 is None else d1]]),
                   n, ids)


# -- the shared real cells -----------------------------------------------------------------------
@pytest.mark.parametrize("path", REAL or [None], ids=[p.name for p in REAL] or ["absent"])
def test_real_cells_get_a_hillock(path):
    needs_shared()
    before, _ = read_swc(path)
    after = add_hillock(before)
    hillocks = [s for s in after.sections if s.region == "hillock"]
    assert len(hillocks) == 1
    hillock = hillocks[0]
    assert hillock.name == "hillock" and hillock.parent == "soma"
    assert hillock.length == pytest.approx(15.0, abs=1e-6)
    # first child of the soma and right after it; soma sphere + hillock + axon contiguous (a
    # branched soma's soma sections, tc200, come after them)
    assert after.sections[1] is hillock and after.children("soma")[0] is hillock
    table = after.compartments()
    axonal = np.flatnonzero(np.isin(table.region, AXONAL) | (table.parent < 0))
    np.testing.assert_array_equal(axonal, np.arange(axonal.size))
    assert table.region[1] == "hillock"
    assert after.to_brian2().total_compartments == after.n_compartments
    cell = standard_cell(after)
    assert table.region[cell.spike_compartment] == "hillock"
    assert table.section[cell.spike_compartment] == "hillock"
    assert sorted(after.section_names) == sorted(set(after.section_names))
    assert after.notes[:len(before.notes)] == before.notes and len(after.notes) == len(before.notes) + 1
    # sections other than the hillock chain keep their geometry
    old = {s.name: s for s in before.sections}
    for sec in after.sections:
        if sec.name in old and sec.region not in AXONAL:
            np.testing.assert_array_equal(sec.points, old[sec.name].points)
            assert sec.n_compartments == old[sec.name].n_compartments
    if any(s.region == "axon" for s in before.sections):
        check_split(before, after, hillock)
    else:
        check_added(before, after, hillock)


def check_split(before: Morphology, after: Morphology, hillock: Section) -> None:
    """The axon was only cut: same polyline, length and area; one new point with id -1."""
    assert after.notes[-1].startswith("hillock from the axon at the soma: the first 15 um of")
    axon0 = next(s for s in before.sections if s.region == "axon" and s.parent == "soma")
    rest = after[axon0.name]
    assert rest.parent == "hillock" and rest.region == "axon"
    assert len(after.sections) == len(before.sections) + 1
    L0, A0 = region_totals(before, ("axon",))
    L1, A1 = region_totals(after, ("axon", "hillock"))
    assert L1 == pytest.approx(L0, rel=1e-12)
    assert A1 == pytest.approx(A0, rel=1e-12)
    assert hillock.length + rest.length == pytest.approx(axon0.length, rel=1e-12)
    assert polyline_area(hillock) + polyline_area(rest) == pytest.approx(polyline_area(axon0), rel=1e-12)
    np.testing.assert_array_equal(hillock.points[0], axon0.points[0])
    np.testing.assert_array_equal(rest.points[-1], axon0.points[-1])
    np.testing.assert_array_equal(hillock.points[-1], rest.points[0])
    assert hillock.swc_ids[-1] == rest.swc_ids[0] == -1
    assert hillock.swc_ids[:-1] + rest.swc_ids[1:] == axon0.swc_ids
    # the new point lies on the original polyline: on the segment between its neighbours
    a, b, q = hillock.points[-2], rest.points[1], hillock.points[-1]
    w = np.linalg.norm(q[:3] - a[:3]) / np.linalg.norm(b[:3] - a[:3])
    np.testing.assert_allclose(q, a + w * (b - a), atol=1e-12)
    # the rest of the axon tree is unchanged, and comes right after the chain
    names = after.section_names
    for sec in before.sections:
        if sec.region == "axon" and sec.name != axon0.name:
            np.testing.assert_array_equal(after[sec.name].points, sec.points)
            assert names.index(sec.name) < min(names.index(s.name) for s in after.sections
                                               if s.region not in ("soma", *AXONAL))


def check_added(before: Morphology, after: Morphology, hillock: Section) -> None:
    """A straight hillock on the soma surface, tapering, pointing away from the dendrites."""
    assert after.notes[-1].startswith("added hillock: 15 um tapering")
    soma_d = before.soma.points[0, 3]
    assert hillock.points[0, 3] == pytest.approx(min(soma_d / 4, 3.0))
    assert hillock.points[-1, 3] == 1.0
    assert len(hillock.points) == 2 and hillock.swc_ids is None
    centre = before.soma.points[0, :3]
    start, end = hillock.points[0, :3], hillock.points[1, :3]
    assert np.linalg.norm(start - centre) == pytest.approx(soma_d / 2, rel=1e-12)
    u = (end - start) / 15.0
    assert np.linalg.norm(start - centre - soma_d / 2 * u) < 1e-9  # radial
    # away from the dendrites: against the centroid of all dendritic length, and of every stem
    mids = np.vstack([0.5 * (s.points[1:, :3] + s.points[:-1, :3]) for s in before.sections[1:]])
    weights = np.concatenate([s.segment_lengths for s in before.sections[1:]])
    centroid = (weights[:, None] * mids).sum(axis=0) / weights.sum() - centre
    assert np.dot(u, centroid / np.linalg.norm(centroid)) < -0.5
    assert hillock.n_compartments == 3
    assert [s.name for s in after.sections[2:]] == before.section_names[1:]


def test_hillock_on_a_real_cell_rests_exactly():
    """One 5 ms run (numpy): the added HH hillock is in the steady state the cell starts in."""
    needs_shared()
    path = SHARED / "real" / "dg_granule_rat_mp_ma_40984_gc2.CNG.swc"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    cell = standard_cell(add_hillock(read_swc(path)[0]))
    np.testing.assert_array_equal(cell.active_compartments, [0, 1, 2, 3])
    result = simulate(cell, duration=5 * ms, engine="numpy")
    for site in ("soma", "hillock"):
        v = np.asarray(result.v(site) / mV)
        assert np.all(np.isfinite(v))
        assert np.max(np.abs(v + 65.0)) < 1e-6
    assert len(result.spikes) == 0


# -- added hillock, hand-made cells ---------------------------------------------------------------
def two_dendrites() -> Morphology:
    return Morphology((soma(16.0),
                       line("up", "apical", "soma", (0, 8, 0), (0, 308, 0), 2.0, n=31),
                       line("right", "basal", "soma", (8, 0, 0), (208, 0, 0), 1.0, n=21)),
                      notes=("made by hand",))


def test_added_hillock_taper_direction_and_chain():
    m = add_hillock(two_dendrites(), length=20 * um, diameter=2.5 * um, end_diameter=0.8 * um,
                    ais_length=30 * um, axon_length=100 * um)
    assert [(s.name, s.region, s.parent) for s in m.sections] == [
        ("soma", "soma", None), ("hillock", "hillock", "soma"), ("ais", "ais", "hillock"),
        ("axon", "axon", "ais"), ("up", "apical", "soma"), ("right", "basal", "soma")]
    u = -np.array([1.0, 1.0, 0.0]) / np.sqrt(2)  # opposite to the mean of +y and +x
    h, a, x = m["hillock"], m["ais"], m["axon"]
    np.testing.assert_allclose(h.points, [[*(8 * u), 2.5], [*(28 * u), 0.8]], atol=1e-12)
    np.testing.assert_allclose(a.points, [[*(28 * u), 0.8], [*(58 * u), 0.8]], atol=1e-12)
    np.testing.assert_allclose(x.points, [[*(58 * u), 0.8], [*(158 * u), 0.8]], atol=1e-12)
    assert [s.n_compartments for s in (h, a, x)] == [5, 7, 21]  # odd, at most 5 um
    # the taper is what the compartments see: diameters interpolate linearly 2.5 -> 0.8
    _, diam = h.resampled()
    np.testing.assert_allclose(diam, np.linspace(2.5, 0.8, 6), atol=1e-12)
    assert m.notes == ("made by hand", "added hillock: 20 um tapering 2.5 -> 0.8 um at the soma"
                       " (pointing away from the dendrites), ais 30 um, axon stub 100 um")
    t = m.compartments()
    assert list(t.region[:34]) == ["soma"] + ["hillock"] * 5 + ["ais"] * 7 + ["axon"] * 21
    assert standard_cell(m).spike_compartment == 3


def test_default_hillock_diameter_and_direction_fallbacks():
    big = add_hillock(Morphology((soma(20.0), line("d", "basal", "soma", (10, 0, 0), (110, 0, 0), 1))))
    np.testing.assert_allclose(big["hillock"].points, [[-10, 0, 0, 3], [-25, 0, 0, 1]], atol=1e-12)
    small = add_hillock(Morphology((soma(8.0), line("d", "basal", "soma", (0, 0, 4), (0, 0, 54), 1))))
    np.testing.assert_allclose(small["hillock"].points, [[0, 0, -4, 2], [0, 0, -19, 1]], atol=1e-12)
    # symmetric dendrites have no mean direction; a bare soma has none: straight down (-y)
    sym = Morphology((soma(10.0), line("a", "basal", "soma", (5, 0, 0), (105, 0, 0), 1),
                      line("b", "basal", "soma", (-5, 0, 0), (-105, 0, 0), 1)))
    for m in (add_hillock(sym), add_hillock(Morphology((soma(10.0),)))):
        np.testing.assert_allclose(m["hillock"].points[:, :3], [[0, -5, 0], [0, -20, 0]], atol=1e-12)
        assert "pointing down (-y)" in m.notes[-1]
    # a dendritic tree counts by where its length is, not where its stem starts
    bent = Morphology((soma(10.0), line("stem", "basal", "soma", (5, 0, 0), (6, 0, 0), 1),
                       line("far", "basal", "stem", (6, 0, 0), (6, 300, 0), 1)))
    u = np.diff(add_hillock(bent)["hillock"].points[:, :3], axis=0)[0] / 15
    assert u[1] < -0.99


def test_existing_hillock_is_left_alone():
    m = ball_and_stick()
    out = add_hillock(m, length=40 * um)
    assert out.sections == m.sections
    assert out.notes == (*m.notes, "hillock already present (hillock): unchanged")


def test_names_stay_unique():
    m = Morphology((soma(), line("hillock", "basal", "soma", (0, 8, 0), (0, 108, 0), 1),
                    line("ais", "basal", "hillock", (0, 108, 0), (0, 208, 0), 1)))
    out = add_hillock(m, ais_length=10 * um)
    assert [(s.name, s.region) for s in out.sections[:3]] == [
        ("soma", "soma"), ("hillock_1", "hillock"), ("ais_1", "ais")]
    assert out["hillock"].region == "basal" and out["ais"].parent == "hillock"


# -- hillock split from an axon, hand-made cells -------------------------------------------------
def axon_cell(first_length: float = 40.0) -> Morphology:
    """Soma; a dendrite; an axon whose first section (ids 10, 11, 12) tapers, then branches in
    two."""
    mid = 10.0 if first_length > 10 else first_length / 2
    p = np.array([[0.0, -8, 0, 2.0], [0, -8 - mid, 0, 1.6], [0, -8 - first_length, 0, 1.0]])
    axon = Section("axon_0", "axon", "soma", p, 5, (10, 11, 12))
    tip = p[-1, :3]
    return Morphology((
        soma(),
        line("dend", "basal", "soma", (0, 8, 0), (0, 208, 0), 1.5, n=21, ids=(20, 21)),
        axon,
        line("axon_1", "axon", "axon_0", tip, tip + (50, -50, 0), 1.0, n=3, ids=(12, 13)),
        line("axon_2", "axon", "axon_0", tip, tip + (-80, -80, 0), 1.0, n=5, ids=(12, 14)),
    ), notes=("made by hand",))


def test_split_interpolates_the_new_point():
    before = axon_cell(40.0)
    after = add_hillock(before)
    assert after.section_names == ["soma", "hillock", "axon_0", "axon_1", "axon_2", "dend"]
    h, rest = after["hillock"], after["axon_0"]
    # 15 um: 10 um to sample 11, then 5 of the 30 um towards sample 12 (d 1.6 -> 1.0)
    np.testing.assert_allclose(h.points, [[0, -8, 0, 2.0], [0, -18, 0, 1.6], [0, -23, 0, 1.5]],
                               atol=1e-12)
    np.testing.assert_allclose(rest.points, [[0, -23, 0, 1.5], [0, -48, 0, 1.0]], atol=1e-12)
    assert h.swc_ids == (10, 11, -1) and rest.swc_ids == (-1, 12)
    assert rest.parent == "hillock" and after["axon_1"].parent == "axon_0"
    # counts: hillock 15 um / 5 um -> 3; the rest (25 um) no coarser than before (40 / 5 = 8 um)
    assert (h.n_compartments, rest.n_compartments) == (3, 5)
    assert region_totals(after, ("axon", "hillock")) == pytest.approx(
        region_totals(before, ("axon",)), rel=1e-12)
    assert after.notes[-1] == ("hillock from the axon at the soma: the first 15 um of 'axon_0'"
                               " became the hillock (2 -> 1.5 um)")
    # the compartment table maps SWC samples: -1 belongs to no sample
    t = after.compartments()
    assert -1 not in t.swc_compartment
    assert t.region[t.swc_compartment[11]] == "hillock" and t.region[t.swc_compartment[12]] == "axon"


def test_split_at_an_existing_sample_adds_no_point():
    after = add_hillock(axon_cell(40.0), length=10 * um)
    assert after["hillock"].swc_ids == (10, 11) and after["axon_0"].swc_ids == (11, 12)
    assert len(after["hillock"].points) == 2 and after["hillock"].length == pytest.approx(10)


def test_ais_is_split_off_after_the_hillock():
    before = axon_cell(40.0)
    after = add_hillock(before, ais_length=20 * um)
    assert [(s.name, s.region, s.parent) for s in after.sections[:4]] == [
        ("soma", "soma", None), ("hillock", "hillock", "soma"), ("ais", "ais", "hillock"),
        ("axon_0", "axon", "ais")]
    assert after["hillock"].length == pytest.approx(15)
    assert after["ais"].length == pytest.approx(20)
    assert after["axon_0"].length == pytest.approx(5)
    assert after["ais"].swc_ids == (-1, -1) and after["axon_0"].swc_ids == (-1, 12)
    assert region_totals(after, AXONAL) == pytest.approx(region_totals(before, ("axon",)), rel=1e-12)
    assert "the first 20 um of 'axon_0' became the ais" in after.notes[-1]


def test_short_first_axon_section_becomes_the_whole_hillock():
    before = axon_cell(6.0)  # 6 um, then a branch point
    after = add_hillock(before, ais_length=10 * um)
    h = after["hillock"]
    assert h.length == pytest.approx(6.0) and h.swc_ids == (10, 11, 12)
    assert "axon_0" not in after.section_names
    assert after["axon_1"].parent == after["axon_2"].parent == "hillock"
    assert not any(s.region == "ais" for s in after.sections)
    assert ("hillock is 6 um, not 15 um: the whole section 'axon_0' became the hillock (it ends"
            " at a branch point or section end, which is not crossed)") in after.notes[-1]
    assert "no ais" in after.notes[-1]
    assert region_totals(after, AXONAL) == pytest.approx(region_totals(before, ("axon",)), rel=1e-12)


def test_longest_axon_is_used_and_unused_arguments_are_noted():
    m = Morphology((soma(), line("ax_short", "axon", "soma", (0, -8, 0), (0, -48, 0), 1, n=3),
                    line("dend", "basal", "soma", (0, 8, 0), (0, 108, 0), 1),
                    line("ax_long", "axon", "soma", (8, 0, 0), (208, 0, 0), 1, n=21)))
    out = add_hillock(m, diameter=2 * um, axon_length=50 * um)
    assert out.section_names == ["soma", "hillock", "ax_long", "ax_short", "dend"]
    assert "2 axons start there, the longest arbor ('ax_long') was used" in out.notes[-1]
    assert "diameter, axon_length not used" in out.notes[-1]


def test_axon_starting_on_a_dendrite():
    m = Morphology((soma(), line("dend", "basal", "soma", (0, 8, 0), (0, 108, 0), 1, n=11),
                    line("ax", "axon", "dend", (0, 108, 0), (0, 208, 0), 1, n=11),
                    line("d2", "basal", "soma", (8, 0, 0), (58, 0, 0), 1)))
    out = add_hillock(m)
    assert out.section_names == ["soma", "dend", "hillock", "ax", "d2"]
    assert out["hillock"].parent == "dend" and out["ax"].parent == "hillock"
    assert path_from_soma(out, "ax") == ["dend", "hillock", "ax"]
    assert "on 'dend', where the axon starts (not at the soma)" in out.notes[-1]


# -- arguments ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, value", [
    ("length", 15), ("diameter", 2 * ms), ("end_diameter", 1.0), ("ais_length", 30 * mV),
    ("axon_length", 100), ("compartment_length", 5),
])
def test_bad_units_name_the_parameter(name, value):
    with pytest.raises(DimensionMismatchError, match=name):
        add_hillock(two_dendrites(), **{name: value})


@pytest.mark.parametrize("name", ["length", "diameter", "end_diameter", "ais_length"])
def test_non_positive_lengths_are_refused(name):
    with pytest.raises(MorphologyError, match=name):
        add_hillock(two_dendrites(), **{name: 0 * um})
    with pytest.raises(TypeError, match="Morphology"):
        add_hillock("cell.swc")
