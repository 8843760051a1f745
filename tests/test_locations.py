"""Location language: tree regions, SWC samples, nearest points, random sites, distance-dependent
densities, and the tree columns of the compartment table they rest on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from brian2 import DimensionMismatchError, cm, ms, siemens, um

from cablemodel import Morphology, Section, ball_and_stick, pyramidal, read_swc
from cablemodel.cell import Cell
from cablemodel.mechanisms.channels import HHSodium
from cablemodel.places import (
    LocationError,
    branch_points,
    nearest,
    parse_site,
    random_sites,
    region,
    restrict,
    swc_sample,
    terminals,
    within,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "morphologies"
CA1 = SHARED / "real" / "ca1pyr_rat_c91662.swc"

# A small SWC file whose mapping is worked out by hand below (coordinates in um).
# basal: 2 (0,5) -> 3 (0,25) -> 4 (0,45) branches into 5 (0,75) and 6 (20,45).
# apical: 7 (5,0) -> 8 (65,0). Ids need not be contiguous: 20 is the last sample.
SMALL_SWC = """\
1 1 0 0 0 5 -1
2 3 0 5 0 1 1
3 3 0 25 0 1 2
4 3 0 45 0 1 3
5 3 0 75 0 0.5 4
6 3 20 45 0 0.5 4
7 4 5 0 0 1 1
20 4 65 0 0 1 7
"""


def _small(tmp_path, max_length):
    path = tmp_path / "small.swc"
    path.write_text(SMALL_SWC)
    return read_swc(path, max_compartment_length_um=max_length)[0]


def _rows(table, section):
    return np.flatnonzero(table.section == section)


# -- tree columns -------------------------------------------------------------------------------
def test_parent_and_children_columns_describe_the_tree():
    m = pyramidal(n_basal=4)
    t = m.compartments()
    assert t.parent[0] == -1 and np.all(t.parent[1:] >= 0) and np.all(t.parent[1:] < np.arange(1, len(t)))
    assert np.array_equal(np.bincount(t.parent[1:], minlength=len(t)), t.n_children)
    for sec in m.sections[1:]:
        rows = _rows(t, sec.name)
        # first compartment hangs on the parent section's last compartment; the rest on the previous
        assert t.parent[rows[0]] == _rows(t, sec.parent)[-1]
        assert np.array_equal(t.parent[rows[1:]], rows[:-1])
        assert t.n_children[rows[-1]] == len(m.children(sec.name))
        assert np.all(t.n_children[rows[:-1]] == 1)
        # the ends of parent and child compartments meet in path distance
        assert t.start[rows[0]] == pytest.approx(t.end[_rows(t, sec.parent)[-1]] if sec.parent != "soma"
                                                 else 0.0)
    assert t.n_children[0] == 6  # hillock, trunk0, basal0..3
    assert all(ids == () for ids in t.swc_ids)


def test_terminals_are_the_tips_of_leaf_sections():
    m = pyramidal(n_basal=4)
    t = m.compartments()
    mask = terminals().mask(t)
    leaves = {s.name for s in m.sections[1:] if not m.children(s.name)}
    assert len(leaves) == 15  # axon, 3 obliques, 3 tuft branches, 8 basal daughters
    assert mask.sum() == 15 and set(t.section[mask]) == leaves
    start = m.start_distance()
    for i in np.flatnonzero(mask):
        sec = m[str(t.section[i])]
        assert t.end[i] == pytest.approx(start[sec.name] + sec.length)  # the tip itself
        assert t.index[i] == sec.n_compartments - 1
    assert not mask[0]


def test_branch_points_are_the_ends_of_forking_sections():
    t = pyramidal(n_basal=4).compartments()
    mask = branch_points().mask(t)
    assert sorted(str(s) for s in t.section[mask]) == sorted(
        ["soma", "trunk0", "trunk1", "trunk2", "trunk3", "basal0", "basal1", "basal2", "basal3"])
    assert np.all(t.n_children[mask] >= 2)
    for i in np.flatnonzero(mask)[1:]:
        assert t.index[i] == (t.section == t.section[i]).sum() - 1  # last compartment of its section


def test_soma_only_cell_has_no_terminal():
    t = Morphology((Section("soma", "soma", None, np.array([[0, 0, 0, 20.0]])),)).compartments()
    assert terminals().mask(t).sum() == 0 and branch_points().mask(t).sum() == 0


def test_restrict_is_intersection_and_set_operators_still_combine():
    t = pyramidal().compartments()
    apical_tips = restrict("apical", terminals()).mask(t)
    assert np.array_equal(apical_tips, (region("apical") & terminals()).mask(t))
    assert sorted(str(s) for s in t.section[apical_tips]) == [
        "oblique0", "oblique1", "oblique2", "tuft0", "tuft1", "tuft2"]
    assert str(restrict("apical", terminals())) == "restrict(apical, terminals)"
    n_dend = region("dendrite").mask(t).sum()
    assert (region("dendrite") - terminals()).mask(t).sum() == n_dend - 14  # the axon tip is not dendrite
    assert (terminals() | branch_points()).mask(t).sum() == 15 + 9
    near = restrict(region("basal") | region("apical"), within(0 * um, 100 * um)).mask(t)
    assert np.all(t.distance[near] <= 100) and set(t.region[near]) == {"basal", "apical"}


# -- SWC samples --------------------------------------------------------------------------------
def test_swc_samples_one_compartment_per_segment(tmp_path):
    """With one compartment per segment every inner sample sits on a boundary: it belongs to the
    compartment its own segment ends in (the proximal one)."""
    t = _small(tmp_path, None).compartments()
    basal0, basal1, basal2, apical0 = (_rows(t, s) for s in ("basal_0", "basal_1", "basal_2", "apical_0"))
    assert len(basal0) == 2 and len(basal1) == 1 and len(basal2) == 1 and len(apical0) == 1
    expected = {1: 0, 2: basal0[0], 3: basal0[0], 4: basal0[1], 5: basal1[0], 6: basal2[0],
                7: apical0[0], 20: apical0[0]}
    assert {k: swc_sample(k).resolve(t) for k in expected} == expected
    assert t.swc_ids[basal0[0]] == (2, 3) and t.swc_ids[basal0[1]] == (4,)


def test_swc_samples_with_finer_compartments(tmp_path):
    t = _small(tmp_path, 10.0).compartments()
    basal0, basal1, basal2, apical0 = (_rows(t, s) for s in ("basal_0", "basal_1", "basal_2", "apical_0"))
    # basal_0: 40 um in 5 compartments of 8 um; sample 3 at 20 um is inside the third (16-24 um)
    assert len(basal0) == 5 and t.length[basal0[0]] == pytest.approx(8.0)
    assert swc_sample(2).resolve(t) == basal0[0]
    assert swc_sample(3).resolve(t) == basal0[2]
    assert t.start[basal0[2]] <= 20.0 <= t.end[basal0[2]]
    assert swc_sample(4).resolve(t) == basal0[-1]  # the branch point: the parent section's end
    assert swc_sample(5).resolve(t) == basal1[-1] and len(basal1) == 3
    assert swc_sample(6).resolve(t) == basal2[-1]
    assert swc_sample(7).resolve(t) == apical0[0] and swc_sample(20).resolve(t) == apical0[-1]
    assert swc_sample(1).resolve(t) == 0
    assert sorted(t.swc_compartment) == [1, 2, 3, 4, 5, 6, 7, 20]


def test_swc_label_text_form_and_recording(tmp_path):
    from cablemodel import simulate

    site = swc_sample(120)
    assert str(site) == "swc:120"
    assert parse_site("swc:120") == site and parse_site(" SWC:120 ") == site
    with pytest.raises(LocationError, match="cannot read site 'swc:abc'"):
        parse_site("swc:abc")
    with pytest.raises(LocationError, match="must be an integer"):
        swc_sample(2.5)
    cell = Cell(_small(tmp_path, 10.0), spike_site="soma")
    result = simulate(cell, duration=0.5 * ms, record=["swc:3", swc_sample(20)], engine="numpy")
    assert "swc:3" in result.labels and "swc:20" in result.labels
    t = cell.table
    assert result.compartments[result.labels.index("swc:3")] == _rows(t, "basal_0")[2]
    assert result.compartments[result.labels.index("swc:20")] == _rows(t, "apical_0")[-1]


def test_unknown_swc_id_names_the_id_range(tmp_path):
    t = _small(tmp_path, 10.0).compartments()
    with pytest.raises(LocationError, match=r"SWC sample 8 is not in the file.*8 samples have ids 1\.\.20"):
        swc_sample(8).resolve(t)
    with pytest.raises(LocationError, match=r"SWC sample 3 is not in the file.*no SWC sample ids"):
        swc_sample(3).resolve(ball_and_stick().compartments())


def test_split_points_without_an_id_are_skipped():
    pts = np.array([[0, 5, 0, 1.0], [0, 15, 0, 1.0], [0, 25, 0, 1.0]])
    m = Morphology((Section("soma", "soma", None, np.array([[0, 0, 0, 10.0]]), 1, (1,)),
                    Section("d", "basal", "soma", pts, 4, (2, -1, 3))))
    t = m.compartments()
    assert sorted(t.swc_compartment) == [1, 2, 3]
    assert swc_sample(2).resolve(t) == 1 and swc_sample(3).resolve(t) == 4
    with pytest.raises(LocationError, match="SWC sample -1 is not in the file"):
        swc_sample(-1).resolve(t)


@pytest.mark.skipif(not CA1.is_file(), reason=f"shared test morphologies not found at {SHARED}")
def test_every_sample_of_a_real_file_lies_in_its_compartment():
    """Each sample is within half a compartment length of its compartment's midpoint (arc length
    bounds the straight-line distance), and every soma sample maps to the soma."""
    morph = read_swc(CA1, max_compartment_length_um=10.0)[0]
    t = morph.compartments()
    rows = [line.split() for line in CA1.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    assert len(t.swc_compartment) == len(rows) == 1510
    for r in rows:
        sample, kind, xyz = int(r[0]), int(r[1]), np.array(r[2:5], dtype=float)
        i = swc_sample(sample).resolve(t)
        if kind == 1:
            assert i == 0
        else:
            mid = np.array([t.x[i], t.y[i], t.z[i]])
            assert np.linalg.norm(xyz - mid) <= t.length[i] / 2 + 1e-6, sample


# -- nearest ------------------------------------------------------------------------------------
def test_nearest_finds_each_compartment_from_its_midpoint():
    t = pyramidal().compartments()
    found = [nearest(t.x[i] * um, t.y[i] * um, t.z[i] * um).resolve(t) for i in range(len(t))]
    assert found == list(range(len(t)))
    # far above the tuft, straight up: the tip of the middle tuft branch
    tip = nearest(0 * um, 5000 * um, 0 * um).resolve(t)
    assert t.section[tip] == "tuft1" and terminals().mask(t)[tip]
    # a point off to the side of the soma is nearer the soma centre than any dendrite midpoint
    assert nearest(1 * um, 0 * um, 3 * um).resolve(t) == 0
    assert str(nearest(1 * um, 2.5 * um, -3 * um)) == "nearest(1, 2.5, -3 um)"
    with pytest.raises(DimensionMismatchError, match="x must be a length"):
        nearest(1, 2 * um, 0 * um)


# -- random sites -------------------------------------------------------------------------------
def _two_dendrites():
    """Dendrite a: 100 um in 10 compartments; dendrite b: 300 um in 3 compartments."""
    return Morphology((
        Section("soma", "soma", None, np.array([[0, 0, 0, 20.0]])),
        Section("a", "basal", "soma", np.array([[10, 0, 0, 1.0], [110, 0, 0, 1.0]]), 10),
        Section("b", "apical", "soma", np.array([[-10, 0, 0, 1.0], [-310, 0, 0, 1.0]]), 3),
    )).compartments()


def test_random_sites_are_uniform_by_length_not_by_compartment():
    t = _two_dendrites()
    n = 6000
    comps = np.array([s.resolve(t) for s in random_sites("all", n, seed=7)])
    assert not np.any(comps == 0)  # the soma has no length
    on_b = t.section[comps] == "b"
    # by length b holds 3/4 of the membrane (by compartment count it would be 3/13)
    sd = np.sqrt(0.75 * 0.25 / n)
    assert abs(on_b.mean() - 0.75) < 5 * sd
    counts_b = np.bincount(comps[on_b], minlength=len(t))[_rows(t, "b")]
    counts_a = np.bincount(comps[~on_b], minlength=len(t))[_rows(t, "a")]
    # each 100 um compartment of b gets 1/4 of the sites, each 10 um one of a 1/40
    assert np.all(np.abs(counts_b / n - 0.25) < 5 * np.sqrt(0.25 * 0.75 / n))
    assert np.all(np.abs(counts_a / n - 0.025) < 5 * np.sqrt(0.025 * 0.975 / n))


def test_random_sites_are_reproducible_and_stay_in_their_region():
    t = pyramidal().compartments()
    where = region("dendrite") & within(100 * um, 400 * um)
    first = [s.resolve(t) for s in random_sites(where, 50, seed=3)]
    again = [s.resolve(t) for s in random_sites(where, 50, seed=3)]
    other = [s.resolve(t) for s in random_sites(where, 50, seed=4)]
    assert first == again and first != other
    assert np.all(where.mask(t)[first])
    gen = [s.resolve(t) for s in random_sites(where, 50, np.random.default_rng(11))]
    assert gen == [s.resolve(t) for s in random_sites(where, 50, np.random.default_rng(11))]
    sites = random_sites("basal", 3, seed=2)
    assert [str(s) for s in sites] == [f"random(basal, n=3, seed=2)[{k}]" for k in range(3)]
    assert random_sites("basal", 0, seed=1) == []


def test_random_sites_on_the_soma_alone_and_bad_arguments():
    t = pyramidal().compartments()
    assert [s.resolve(t) for s in random_sites("soma", 4, seed=0)] == [0, 0, 0, 0]
    with pytest.raises(LocationError, match="region custom7 has no compartments"):
        random_sites("custom7", 2, seed=0)[0].resolve(t)
    with pytest.raises(LocationError, match="n must be an integer >= 0"):
        random_sites("basal", -1, seed=0)
    with pytest.raises(LocationError, match="seed must be an integer"):
        random_sites("basal", 2, seed="x")


# -- distance-dependent densities ---------------------------------------------------------------
def test_exponential_density_on_proximal_dendrites():
    g0 = 0.01 * siemens / cm**2
    cell = Cell(pyramidal()).paint(HHSodium(), region("dendrite") & within(0 * um, 500 * um),
                                   lambda d: g0 * np.exp(-d / (300 * um)))
    t = cell.table
    dens = cell.densities()["na"]  # S/m^2
    inside = np.isin(t.region, ["basal", "apical"]) & (t.distance <= 500)
    assert inside.sum() > 100 and set(t.region[inside]) == {"basal", "apical"}
    assert np.allclose(dens[inside], 100.0 * np.exp(-t.distance[inside] / 300.0), rtol=1e-12)
    assert np.all(dens[~inside] == 0.0)
    assert np.any((t.region == "apical") & (t.distance > 500))  # the far apical tree is unpainted
    assert 490 < t.distance[inside].max() <= 500 and dens[inside].min() >= 100.0 * np.exp(-500 / 300)
    assert dens.max() < 100.0
